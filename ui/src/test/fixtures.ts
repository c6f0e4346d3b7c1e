import type { AppInfo } from '../lib/bindings/AppInfo';
import type { ModelInfo } from '../lib/bindings/ModelInfo';
import type { ProfileView } from '../lib/bindings/ProfileView';

export const demoProfile: ProfileView = {
  base_url: 'http://127.0.0.1:43110/v1',
  demo: true,
  key_source: 'demo',
  key_hint: null,
};

export const realProfile: ProfileView = {
  base_url: 'https://api.nexhina.example/v1',
  demo: false,
  key_source: 'keychain',
  key_hint: 'sk-…abcd',
};

export function appInfo(overrides: Partial<AppInfo> = {}): AppInfo {
  return {
    version: '0.1.0',
    data_dir: '/home/user/.local/share/nexhina-studio',
    profile: demoProfile,
    keychain: { available: true, message: null },
    settings: { theme: 'system', language: 'en', proxy: null },
    ...overrides,
  };
}

export const models: ModelInfo[] = [
  { id: 'gpt-4o-mini', kind: 'chat', kind_source: 'gateway', owned_by: 'openai' },
  { id: 'deepseek-chat', kind: 'chat', kind_source: 'name', owned_by: null },
  { id: 'flux-schnell', kind: 'image', kind_source: 'gateway', owned_by: 'black-forest-labs' },
  { id: 'tts-1', kind: 'tts', kind_source: 'name', owned_by: null },
  { id: 'whisper-1', kind: 'stt', kind_source: 'name', owned_by: null },
];
