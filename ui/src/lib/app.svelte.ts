// App-wide state: what app_info said at start-up (profile, keychain, settings) and
// which view is open.
import type { AppInfo } from './bindings/AppInfo';
import type { IpcError } from './bindings/IpcError';
import type { ProfileView } from './bindings/ProfileView';
import type { Settings } from './bindings/Settings';
import { setLanguage } from './i18n/language.svelte';
import * as ipc from './ipc';
import { applyTheme } from './theme.svelte';

export const VIEWS = ['chat', 'images', 'video', 'speech', 'library', 'account', 'settings'] as const;
export type ViewId = (typeof VIEWS)[number];

export class AppState {
  view = $state<ViewId>('chat');
  info = $state<AppInfo | null>(null);
  loading = $state(false);
  loadError = $state<IpcError | null>(null);

  get profile(): ProfileView | null {
    return this.info?.profile ?? null;
  }

  get isDemo(): boolean {
    return this.info?.profile.demo === true;
  }

  async load(): Promise<void> {
    this.loading = true;
    this.loadError = null;
    try {
      const info = await ipc.appInfo();
      this.info = info;
      this.applySettings(info.settings);
    } catch (error) {
      this.loadError = ipc.toIpcError(error);
    } finally {
      this.loading = false;
    }
  }

  applySettings(settings: Settings): void {
    applyTheme(settings.theme);
    setLanguage(settings.language);
    if (this.info) this.info.settings = settings;
  }

  setProfile(profile: ProfileView): void {
    if (this.info) this.info.profile = profile;
  }

  open(view: ViewId): void {
    this.view = view;
  }
}

export const app = new AppState();
