// The one door to the Rust side. Every command is a typed function here; every
// failure reaches the caller as an IpcError `{ code, message, request_id }`.
import { invoke } from '@tauri-apps/api/core';
import type { AppInfo } from './bindings/AppInfo';
import type { ConnectionReport } from './bindings/ConnectionReport';
import type { IpcError } from './bindings/IpcError';
import type { ModelInfo } from './bindings/ModelInfo';
import type { ModelKind } from './bindings/ModelKind';
import type { ProfileInput } from './bindings/ProfileInput';
import type { ProfileView } from './bindings/ProfileView';
import type { Settings } from './bindings/Settings';

export type { IpcError };

/** Error codes the backend sends. Anything else is shown by its message alone. */
export const ERROR_CODES = [
  'unauthorized',
  'quota_exhausted',
  'rate_limited',
  'model_unavailable',
  'not_offered',
  'payload_too_large',
  'bad_request',
  'not_supported',
  'gateway_down',
  'network',
  'timeout',
  'invalid_url',
  'insecure_url',
  'keychain_unavailable',
  'storage',
  'invalid_response',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isIpcError(value: unknown): value is IpcError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.code === 'string' &&
    typeof v.message === 'string' &&
    (v.request_id === null || v.request_id === undefined || typeof v.request_id === 'string')
  );
}

/** Turns whatever was thrown into an IpcError; unknown shapes become code "internal". */
export function toIpcError(value: unknown): IpcError {
  if (isIpcError(value)) {
    return {
      code: value.code,
      message: value.message,
      request_id: typeof value.request_id === 'string' ? value.request_id : null,
    };
  }
  let message: string;
  if (typeof value === 'string') {
    message = value;
  } else if (value instanceof Error) {
    message = value.message;
  } else if (typeof value === 'object' && value !== null && 'message' in value) {
    message = String((value as { message: unknown }).message);
  } else if (value === undefined || value === null) {
    message = '';
  } else {
    try {
      message = JSON.stringify(value);
    } catch {
      message = String(value);
    }
  }
  // An empty message is allowed: the UI then shows only the translated title for the code.
  return { code: 'internal', message: message.trim(), request_id: null };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toIpcError(error);
  }
}

export function appInfo(): Promise<AppInfo> {
  return call<AppInfo>('app_info');
}

export function saveSettings(settings: Settings): Promise<Settings> {
  return call<Settings>('save_settings', { settings });
}

/** Tests the entered values without saving them; `api_key: null` means "use the stored key". */
export function testConnection(profile: ProfileInput): Promise<ConnectionReport> {
  return call<ConnectionReport>('test_connection', { profile });
}

export function saveProfile(profile: ProfileInput): Promise<ProfileView> {
  return call<ProfileView>('save_profile', { profile });
}

export function useDemo(): Promise<ProfileView> {
  return call<ProfileView>('use_demo');
}

export function listModels(): Promise<ModelInfo[]> {
  return call<ModelInfo[]>('list_models');
}

/** `baseUrl` names a platform that was tested but not saved; null means the one in use. */
export function setModelKind(id: string, kind: ModelKind, baseUrl: string | null = null): Promise<ModelInfo[]> {
  return call<ModelInfo[]>('set_model_kind', { id, kind, baseUrl });
}
