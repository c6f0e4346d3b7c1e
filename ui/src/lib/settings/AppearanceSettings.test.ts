import { fireEvent, render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appInfo } from '../../test/fixtures';
import { app } from '../app.svelte';
import { setLanguage } from '../i18n/language.svelte';
import * as ipc from '../ipc';
import { applyTheme } from '../theme.svelte';
import AppearanceSettings from './AppearanceSettings.svelte';

vi.mock('../ipc', async (importOriginal) => {
  const real = await importOriginal<typeof import('../ipc')>();
  return { ...real, saveSettings: vi.fn() };
});

type Listener = (event: MediaQueryListEvent) => void;

function fakeSystemScheme(dark: boolean) {
  const listeners = new Set<Listener>();
  const query = {
    matches: dark,
    media: '(prefers-color-scheme: dark)',
    addEventListener: (_: string, listener: Listener) => listeners.add(listener),
    removeEventListener: (_: string, listener: Listener) => listeners.delete(listener),
  };
  window.matchMedia = vi.fn().mockReturnValue(query);
  return {
    change(nowDark: boolean) {
      query.matches = nowDark;
      for (const listener of listeners) listener({ matches: nowDark } as MediaQueryListEvent);
    },
    listeners,
  };
}

beforeEach(() => {
  vi.resetAllMocks();
  vi.mocked(ipc.saveSettings).mockImplementation(async (settings) => settings);
  app.info = appInfo({ settings: { theme: 'light', language: 'en', proxy: null } });
  applyTheme('light');
  setLanguage('en');
});

afterEach(() => {
  applyTheme('light');
  setLanguage('en');
});

describe('AppearanceSettings', () => {
  it('sets data-theme on <html> at once and saves the choice', async () => {
    const user = userEvent.setup();
    render(AppearanceSettings);
    expect(document.documentElement.dataset.theme).toBe('light');

    await user.click(screen.getByTestId('theme-dark'));

    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(ipc.saveSettings).toHaveBeenCalledWith({ theme: 'dark', language: 'en', proxy: null });
    expect(screen.getByTestId('theme-dark')).toBeChecked();
  });

  it('follows the system scheme, also when it changes', async () => {
    const user = userEvent.setup();
    const system = fakeSystemScheme(true);
    render(AppearanceSettings);

    await user.click(screen.getByTestId('theme-system'));
    expect(document.documentElement.dataset.theme).toBe('dark');

    system.change(false);
    expect(document.documentElement.dataset.theme).toBe('light');

    await user.click(screen.getByTestId('theme-light'));
    expect(system.listeners.size).toBe(0);
  });

  it('switches the language at once', async () => {
    render(AppearanceSettings);
    expect(screen.getByText('Theme')).toBeInTheDocument();

    await fireEvent.change(screen.getByTestId('language'), { target: { value: 'zh-CN' } });

    expect(screen.getByText('主题')).toBeInTheDocument();
    expect(document.documentElement.lang).toBe('zh-CN');
    expect(ipc.saveSettings).toHaveBeenCalledWith({ theme: 'light', language: 'zh-CN', proxy: null });
  });

  it('keeps the choice applied and says so when saving fails', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.saveSettings).mockRejectedValue({
      code: 'storage',
      message: 'settings.json is read-only',
      request_id: null,
    });
    render(AppearanceSettings);

    await user.click(screen.getByTestId('theme-dark'));

    expect(await screen.findByRole('alert')).toHaveTextContent('settings.json is read-only');
    expect(document.documentElement.dataset.theme).toBe('dark');
  });
});
