// The chosen theme, applied to <html data-theme="light|dark">. "system" follows the
// operating system's prefers-color-scheme and keeps following it while it changes.
import type { Theme } from './bindings/Theme';

export const THEMES: readonly Theme[] = ['system', 'light', 'dark'];

const DARK_QUERY = '(prefers-color-scheme: dark)';

const current = $state<{ theme: Theme }>({ theme: 'system' });

let systemQuery: MediaQueryList | null = null;

function onSystemChange(event: MediaQueryListEvent): void {
  setResolved(event.matches ? 'dark' : 'light');
}

function setResolved(resolved: 'light' | 'dark'): void {
  document.documentElement.dataset.theme = resolved;
}

function stopFollowingSystem(): void {
  systemQuery?.removeEventListener('change', onSystemChange);
  systemQuery = null;
}

export function theme(): Theme {
  return current.theme;
}

export function applyTheme(theme: Theme): void {
  current.theme = THEMES.includes(theme) ? theme : 'system';
  if (typeof document === 'undefined') return;
  stopFollowingSystem();
  if (current.theme !== 'system') {
    setResolved(current.theme);
    return;
  }
  const query = typeof window.matchMedia === 'function' ? window.matchMedia(DARK_QUERY) : null;
  if (!query) {
    setResolved('light');
    return;
  }
  systemQuery = query;
  query.addEventListener('change', onSystemChange);
  setResolved(query.matches ? 'dark' : 'light');
}
