import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import App from './App.svelte';
import { app } from './lib/app.svelte';
import { chat } from './lib/chat/chat.svelte';
import { setLanguage } from './lib/i18n/language.svelte';
import * as ipc from './lib/ipc';
import { appInfo, models, realProfile } from './test/fixtures';

vi.mock('./lib/ipc', async (importOriginal) => {
  const real = await importOriginal<typeof import('./lib/ipc')>();
  return {
    ...real,
    appInfo: vi.fn(),
    saveSettings: vi.fn(),
    testConnection: vi.fn(),
    saveProfile: vi.fn(),
    useDemo: vi.fn(),
    listModels: vi.fn(),
    setModelKind: vi.fn(),
    listConversations: vi.fn(),
    listMessages: vi.fn(),
    getConversation: vi.fn(),
    listGallery: vi.fn(),
    galleryModels: vi.fn(),
    onFileDrop: vi.fn(),
  };
});

beforeEach(() => {
  vi.resetAllMocks();
  app.info = null;
  app.loadError = null;
  app.view = 'chat';
  setLanguage('en');
  chat.reset();
  vi.mocked(ipc.listModels).mockResolvedValue(models);
  vi.mocked(ipc.listConversations).mockResolvedValue({ items: [], next_cursor: null });
  vi.mocked(ipc.listGallery).mockResolvedValue({ items: [], next_cursor: null });
  vi.mocked(ipc.galleryModels).mockResolvedValue([]);
  vi.mocked(ipc.onFileDrop).mockResolvedValue(() => {});
});

describe('App', () => {
  it('starts on Chat and shows the demo badge and hint for the demo profile', async () => {
    vi.mocked(ipc.appInfo).mockResolvedValue(appInfo());
    render(App);

    expect(await screen.findByTestId('demo-badge')).toHaveTextContent('Demo — local simulated platform');
    expect(screen.getByTestId('view-chat')).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('New chat');
    expect(await screen.findByTestId('conversation-list-empty')).toBeInTheDocument();
    expect(screen.getByTestId('nav-chat')).toHaveAttribute('aria-current', 'page');
    expect(screen.getByTestId('demo-hint')).toHaveTextContent('You are on the demo platform.');
  });

  it('opens Settings from the demo hint', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.appInfo).mockResolvedValue(appInfo());
    render(App);

    await user.click(await screen.findByRole('button', { name: 'Connect your own in Settings.' }));

    expect(screen.getByTestId('view-settings')).toBeInTheDocument();
    expect(screen.getByTestId('nav-settings')).toHaveAttribute('aria-current', 'page');
    expect(screen.queryByTestId('demo-hint')).not.toBeInTheDocument();
  });

  it('shows no demo badge for a real profile', async () => {
    vi.mocked(ipc.appInfo).mockResolvedValue(appInfo({ profile: realProfile }));
    render(App);

    await vi.waitFor(() => expect(app.info).not.toBeNull());
    expect(screen.queryByTestId('demo-badge')).not.toBeInTheDocument();
    expect(screen.queryByTestId('demo-hint')).not.toBeInTheDocument();
  });

  it('applies the saved language and theme on start', async () => {
    vi.mocked(ipc.appInfo).mockResolvedValue(appInfo({ settings: { theme: 'dark', language: 'zh-CN', proxy: null } }));
    render(App);

    expect(await screen.findByTestId('demo-badge')).toHaveTextContent('演示 — 本地模拟平台');
    expect(screen.getByRole('button', { name: '设置' })).toBeInTheDocument();
    expect(document.documentElement.dataset.theme).toBe('dark');
  });

  it('navigates with the rail, also by keyboard', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.appInfo).mockResolvedValue(appInfo());
    render(App);

    await user.click(screen.getByRole('button', { name: 'Images' }));
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Images');
    expect(screen.getByTestId('view-images')).toBeInTheDocument();
    expect(await screen.findByTestId('gallery-empty')).toHaveTextContent('No images yet');

    screen.getByTestId('nav-images').focus();
    await user.keyboard('{ArrowDown}');
    expect(screen.getByTestId('nav-video')).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Video');
  });

  it('shows an app_info failure without crashing', async () => {
    vi.mocked(ipc.appInfo).mockRejectedValue({
      code: 'storage',
      message: 'The data folder is not writable.',
      request_id: null,
    });
    render(App);

    const alert = await screen.findByTestId('load-error');
    expect(alert).toHaveTextContent('The data folder is not writable.');
    expect(screen.getByRole('navigation', { name: 'Main navigation' })).toBeInTheDocument();
  });
});
