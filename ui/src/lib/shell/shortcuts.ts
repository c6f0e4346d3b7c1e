// The app-wide keyboard shortcuts, and the list the shortcut sheet shows (views add their
// own keys, listed here so people can find them in one place).
import { app, VIEWS } from '../app.svelte';
import type { MessageKey } from '../i18n/language.svelte';

export interface Shortcut {
  keys: string[];
  label: MessageKey;
}

export const SHORTCUTS: { group: MessageKey; items: Shortcut[] }[] = [
  {
    group: 'shortcuts.group.app',
    items: [
      { keys: ['Ctrl', `1…${VIEWS.length}`], label: 'shortcuts.openView' },
      { keys: ['Ctrl', ','], label: 'shortcuts.openSettings' },
      { keys: ['Ctrl', 'K'], label: 'shortcuts.searchLibrary' },
      { keys: ['?'], label: 'shortcuts.showSheet' },
      { keys: ['Esc'], label: 'shortcuts.close' },
      { keys: ['↑', '↓'], label: 'shortcuts.moveInRail' },
    ],
  },
  {
    group: 'shortcuts.group.chat',
    items: [
      { keys: ['Enter'], label: 'shortcuts.send' },
      { keys: ['Shift', 'Enter'], label: 'shortcuts.newLine' },
      { keys: ['Ctrl', 'K'], label: 'shortcuts.search' },
      { keys: ['Ctrl', 'V'], label: 'shortcuts.pasteImage' },
    ],
  },
  {
    group: 'shortcuts.group.create',
    items: [
      { keys: ['Ctrl', 'Enter'], label: 'shortcuts.generate' },
      { keys: ['←', '→'], label: 'shortcuts.lightboxMove' },
      { keys: ['Space'], label: 'shortcuts.playPause' },
    ],
  },
];

/** True while the person is typing somewhere, where `?` and digits are text. */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/**
 * Handles the app-wide keys; returns what to do with the sheet, if anything. Views keep
 * their own keys (Ctrl+K in chat, Ctrl+Enter in the generate panels).
 */
export function handleGlobalKey(event: KeyboardEvent): 'open-sheet' | null {
  if (event.defaultPrevented || event.isComposing) return null;
  const mod = event.ctrlKey || event.metaKey;
  if (mod && !event.shiftKey && !event.altKey && /^[1-9]$/.test(event.key)) {
    const view = VIEWS[Number(event.key) - 1];
    if (!view) return null;
    event.preventDefault();
    app.open(view);
    return null;
  }
  // In Chat, Ctrl+K opens its message search (which leads on to everything); elsewhere
  // it goes to the Library's search box.
  if (mod && !event.shiftKey && !event.altKey && event.key.toLowerCase() === 'k' && app.view !== 'chat') {
    event.preventDefault();
    app.open('library');
    document.querySelector<HTMLInputElement>('[data-testid="library-view"] input[type="search"]')?.focus();
    return null;
  }
  if (mod && event.key === ',') {
    event.preventDefault();
    app.open('settings');
    return null;
  }
  if (event.key === 'F1' || (event.key === '?' && !mod && !typing(event.target))) {
    event.preventDefault();
    return 'open-sheet';
  }
  return null;
}
