import { fireEvent, render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import App from '../../App.svelte';
import { app } from '../app.svelte';
import { chat } from '../chat/chat.svelte';
import { setLanguage } from '../i18n/language.svelte';
import * as ipc from '../ipc';
import { appInfo, models } from '../../test/fixtures';
import FirstRunGuide from './FirstRunGuide.svelte';
import ShortcutSheet from './ShortcutSheet.svelte';
import { handleGlobalKey } from './shortcuts';

vi.mock('../ipc', async (importOriginal) => {
  const real = await importOriginal<typeof import('../ipc')>();
  return {
    ...real,
    appInfo: vi.fn(),
    listModels: vi.fn(),
    listConversations: vi.fn(),
    listMessages: vi.fn(),
    listGallery: vi.fn(),
    galleryModels: vi.fn(),
    onFileDrop: vi.fn(),
  };
});

function key(init: KeyboardEventInit, target: EventTarget = document.body): KeyboardEvent {
  const event = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
  Object.defineProperty(event, 'target', { value: target });
  return event;
}

beforeEach(() => {
  vi.resetAllMocks();
  localStorage.clear();
  app.info = null;
  app.view = 'chat';
  setLanguage('en');
  chat.reset();
  vi.mocked(ipc.appInfo).mockResolvedValue(appInfo());
  vi.mocked(ipc.listModels).mockResolvedValue(models);
  vi.mocked(ipc.listConversations).mockResolvedValue({ items: [], next_cursor: null });
  vi.mocked(ipc.listGallery).mockResolvedValue({ items: [], next_cursor: null });
  vi.mocked(ipc.galleryModels).mockResolvedValue([]);
  vi.mocked(ipc.onFileDrop).mockResolvedValue(() => {});
});

describe('global keys', () => {
  it('Ctrl+digit opens the views in side-bar order and Ctrl+, opens Settings', () => {
    handleGlobalKey(key({ key: '2', ctrlKey: true }));
    expect(app.view).toBe('images');
    handleGlobalKey(key({ key: '1', metaKey: true }));
    expect(app.view).toBe('chat');
    handleGlobalKey(key({ key: ',', ctrlKey: true }));
    expect(app.view).toBe('settings');
    handleGlobalKey(key({ key: '9', ctrlKey: true }));
    expect(app.view).toBe('settings');
  });

  it('Ctrl+K outside Chat goes to the Library search; in Chat it is left to the palette', () => {
    app.open('images');
    handleGlobalKey(key({ key: 'k', ctrlKey: true }));
    expect(app.view).toBe('library');
    app.open('chat');
    const inChat = key({ key: 'k', ctrlKey: true });
    handleGlobalKey(inChat);
    expect(app.view).toBe('chat');
    expect(inChat.defaultPrevented).toBe(false);
  });

  it('? opens the sheet, but is text while typing', () => {
    expect(handleGlobalKey(key({ key: '?' }))).toBe('open-sheet');
    expect(handleGlobalKey(key({ key: 'F1' }))).toBe('open-sheet');
    expect(handleGlobalKey(key({ key: '?' }, document.createElement('textarea')))).toBeNull();
    expect(handleGlobalKey(key({ key: '?' }, document.createElement('input')))).toBeNull();
  });
});

describe('shortcut sheet', () => {
  it('lists every group and closes with Escape', async () => {
    const onClose = vi.fn();
    render(ShortcutSheet, { onClose });
    const sheet = screen.getByTestId('shortcut-sheet');
    expect(sheet).toHaveTextContent('Everywhere');
    expect(sheet).toHaveTextContent('Search everything said');
    expect(sheet).toHaveTextContent('Play or pause a video');
    await fireEvent.keyDown(sheet, { key: 'Escape' });
    expect(onClose).toHaveBeenCalled();
  });

  it('opens from the top bar and with ? in the app', async () => {
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByRole('button', { name: 'Keyboard shortcuts' }));
    expect(screen.getByTestId('shortcut-sheet')).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('shortcut-sheet')).not.toBeInTheDocument();
    await user.keyboard('?');
    expect(screen.getByTestId('shortcut-sheet')).toBeInTheDocument();
  });
});

describe('first-run guide', () => {
  it('explains the demo and leads to Settings', async () => {
    const user = userEvent.setup();
    app.info = appInfo();
    render(FirstRunGuide, { onDismiss: vi.fn() });
    expect(screen.getByTestId('first-run-guide')).toHaveTextContent('demo platform');
    await user.click(screen.getByTestId('first-run-connect'));
    expect(app.view).toBe('settings');
  });

  it('shows on a new library until dismissed, and stays dismissed', async () => {
    const user = userEvent.setup();
    const first = render(App);
    await user.click(await screen.findByTestId('first-run-dismiss'));
    expect(screen.queryByTestId('first-run-guide')).not.toBeInTheDocument();
    first.unmount();
    chat.reset();
    render(App);
    await vi.waitFor(() => expect(chat.listLoaded).toBe(true));
    expect(screen.queryByTestId('first-run-guide')).not.toBeInTheDocument();
  });

  it('is not shown once there is history', async () => {
    vi.mocked(ipc.listConversations).mockResolvedValue({
      items: [{ id: 1, title: 'Old chat', model: null, pinned: false, updated_at: 1, created_at: 1 } as never],
      next_cursor: null,
    });
    render(App);
    await vi.waitFor(() => expect(chat.listLoaded).toBe(true));
    expect(screen.queryByTestId('first-run-guide')).not.toBeInTheDocument();
  });
});
