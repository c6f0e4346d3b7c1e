import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { appInfo, models, realProfile } from '../../test/fixtures';
import { app } from '../app.svelte';
import type { ConnectionReport } from '../bindings/ConnectionReport';
import { setLanguage } from '../i18n/language.svelte';
import * as ipc from '../ipc';
import SettingsView from './SettingsView.svelte';

vi.mock('../ipc', async (importOriginal) => {
  const real = await importOriginal<typeof import('../ipc')>();
  return {
    ...real,
    appInfo: vi.fn(),
    saveSettings: vi.fn(),
    testConnection: vi.fn(),
    saveProfile: vi.fn(),
    useDemo: vi.fn(),
    listModels: vi.fn(),
    setModelKind: vi.fn(),
    getRetention: vi.fn(),
    defaultExportPath: vi.fn(),
    listBackups: vi.fn(),
    localUsage: vi.fn(),
  };
});

const report: ConnectionReport = {
  base_url: 'https://gw.example/v1',
  models: models.slice(0, 3),
  balance: { total: 20, used: 7.66, available: 12.34, unlimited: false, currency: 'USD' },
};

beforeEach(() => {
  vi.resetAllMocks();
  setLanguage('en');
  app.info = appInfo();
  app.loadError = null;
  vi.mocked(ipc.listModels).mockResolvedValue(models);
  vi.mocked(ipc.getRetention).mockResolvedValue({ chats: null, images: null, videos: null, speech: null });
  vi.mocked(ipc.defaultExportPath).mockResolvedValue('/home/user/Downloads/nexhina-export.zip');
  vi.mocked(ipc.listBackups).mockResolvedValue([]);
  vi.mocked(ipc.localUsage).mockResolvedValue({ rows: [], totals: { day: '', model: '', requests: 0, input_tokens: 0, output_tokens: 0, total_tokens: 0, images: 0, video_seconds: 0, audio_seconds: 0 } });
});

describe('SettingsView', () => {
  it('lists the active profile models grouped by kind', async () => {
    render(SettingsView);

    const groups = await screen.findByTestId('model-groups');
    expect(within(groups).getAllByRole('heading').map((h) => h.textContent)).toEqual([
      'Chat (2)',
      'Image (1)',
      'Speech (TTS) (1)',
      'Transcription (STT) (1)',
    ]);
    const chat = screen.getByTestId('model-group-chat');
    expect(within(chat).getByText('gpt-4o-mini')).toBeInTheDocument();
    expect(within(chat).getByText('deepseek-chat')).toBeInTheDocument();
    expect(within(screen.getByTestId('model-group-image')).getByText('flux-schnell')).toBeInTheDocument();
    expect(screen.queryByTestId('model-group-video')).not.toBeInTheDocument();
  });

  it('moves a model to the kind the user chooses', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.setModelKind).mockResolvedValue(
      models.map((m) => (m.id === 'deepseek-chat' ? { ...m, kind: 'embedding', kind_source: 'user' } : m)),
    );
    render(SettingsView);

    const select = await screen.findByLabelText('Kind of deepseek-chat');
    await user.selectOptions(select, 'embedding');

    expect(ipc.setModelKind).toHaveBeenCalledWith('deepseek-chat', 'embedding', null);
    const embedding = await screen.findByTestId('model-group-embedding');
    expect(within(embedding).getByText('deepseek-chat')).toBeInTheDocument();
    expect(within(embedding).getByText('set by you')).toBeInTheDocument();
    expect(within(screen.getByTestId('model-group-chat')).getByRole('heading')).toHaveTextContent('Chat (1)');
  });

  it('shows a list_models failure inline', async () => {
    vi.mocked(ipc.listModels).mockRejectedValue({
      code: 'gateway_down',
      message: 'The platform answered 502 Bad Gateway.',
      request_id: null,
    });
    render(SettingsView);

    const error = await screen.findByTestId('models-error');
    expect(error).toHaveAttribute('role', 'alert');
    expect(error).toHaveTextContent('The platform answered 502 Bad Gateway.');
    expect(screen.getByTestId('base-url')).toBeInTheDocument();
  });

  it('reports a successful connection test with models and balance', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.testConnection).mockResolvedValue(report);
    render(SettingsView);

    await user.type(screen.getByTestId('base-url'), 'https://gw.example/v1');
    await user.type(screen.getByTestId('api-key'), 'sk-test-1234');
    await user.click(screen.getByTestId('test-connection'));

    expect(ipc.testConnection).toHaveBeenCalledWith({
      base_url: 'https://gw.example/v1',
      api_key: 'sk-test-1234',
      key_storage: 'keychain',
    });
    expect(await screen.findByTestId('connection-status')).toHaveTextContent('Connected — 3 models');
    expect(screen.getByTestId('balance')).toHaveTextContent('Balance: 12.34 USD');
    expect(screen.getByText('Models found at https://gw.example/v1 (not saved yet).', { exact: false })).toBeInTheDocument();
    expect(within(screen.getByTestId('model-group-chat')).getByRole('heading')).toHaveTextContent('Chat (2)');
  });

  it('hides the balance line when the gateway reports none', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.testConnection).mockResolvedValue({ ...report, balance: null });
    render(SettingsView);

    await user.type(screen.getByTestId('base-url'), 'https://gw.example/v1');
    await user.click(screen.getByTestId('test-connection'));

    await screen.findByTestId('connection-status');
    expect(screen.queryByTestId('balance')).not.toBeInTheDocument();
  });

  it('shows a busy button while testing', async () => {
    const user = userEvent.setup();
    let finish: (value: ConnectionReport) => void = () => {};
    vi.mocked(ipc.testConnection).mockReturnValue(new Promise((resolve) => (finish = resolve)));
    render(SettingsView);

    await user.type(screen.getByTestId('base-url'), 'https://gw.example/v1');
    await user.click(screen.getByTestId('test-connection'));

    const button = screen.getByTestId('test-connection');
    expect(button).toHaveTextContent('Testing…');
    expect(button).toHaveAttribute('aria-busy', 'true');
    expect(button).toBeDisabled();

    finish(report);
    expect(await screen.findByTestId('connection-status')).toBeInTheDocument();
    expect(screen.getByTestId('test-connection')).toHaveTextContent('Test connection');
  });

  it('shows a test_connection error and keeps what was entered', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.testConnection).mockRejectedValue({
      code: 'unauthorized',
      message: 'The platform rejected the API key (HTTP 401).',
      request_id: 'req_8f2c',
    });
    render(SettingsView);

    await user.type(screen.getByTestId('base-url'), 'https://gw.example/v1');
    await user.type(screen.getByTestId('api-key'), 'sk-wrong');
    await user.click(screen.getByTestId('test-connection'));

    // Other sections (search settings, privacy) may show alerts of their own.
    const alert = await screen.findByTestId('connection-error');
    expect(alert).toHaveAttribute('role', 'alert');
    expect(alert).toHaveTextContent('The platform rejected the API key (HTTP 401).');
    expect(alert).toHaveTextContent('req_8f2c');
    expect(screen.getByTestId('base-url')).toHaveValue('https://gw.example/v1');
    expect(screen.getByTestId('api-key')).toHaveValue('sk-wrong');
    expect(screen.getByTestId('api-key')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByTestId('connection-status')).not.toBeInTheDocument();
  });

  it('asks for a base URL before calling the backend', async () => {
    const user = userEvent.setup();
    render(SettingsView);

    await user.click(screen.getByTestId('test-connection'));

    expect(await screen.findByTestId('connection-error')).toHaveTextContent('Enter the base URL');
    expect(screen.getByTestId('base-url')).toHaveAttribute('aria-invalid', 'true');
    expect(ipc.testConnection).not.toHaveBeenCalled();
  });

  it('saves the profile, keeps the key out of the input and reloads the models', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.saveProfile).mockResolvedValue({ ...realProfile, base_url: 'https://gw.example/v1' });
    render(SettingsView);
    await screen.findByTestId('model-groups');

    await user.type(screen.getByTestId('base-url'), 'https://gw.example/v1');
    await user.type(screen.getByTestId('api-key'), 'sk-live-abcd');
    await user.click(screen.getByTestId('storage-memory'));
    await user.click(screen.getByTestId('save-profile'));

    expect(ipc.saveProfile).toHaveBeenCalledWith({
      base_url: 'https://gw.example/v1',
      api_key: 'sk-live-abcd',
      key_storage: 'memory',
    });
    expect(await screen.findByTestId('profile-notice')).toHaveTextContent('Saved');
    expect(screen.getByTestId('api-key')).toHaveValue('');
    expect(screen.getByTestId('api-key')).toHaveAttribute('placeholder', 'sk-…abcd');
    expect(app.profile?.demo).toBe(false);
    expect(ipc.listModels).toHaveBeenCalledTimes(2);
  });

  it('prefills a real profile and sends a null key to reuse the stored one', async () => {
    const user = userEvent.setup();
    app.info = appInfo({ profile: realProfile });
    vi.mocked(ipc.testConnection).mockResolvedValue(report);
    render(SettingsView);

    expect(screen.getByTestId('base-url')).toHaveValue(realProfile.base_url);
    expect(screen.getByTestId('api-key')).toHaveAttribute('placeholder', 'sk-…abcd');
    await user.click(screen.getByTestId('test-connection'));

    expect(ipc.testConnection).toHaveBeenCalledWith({
      base_url: realProfile.base_url,
      api_key: null,
      key_storage: 'keychain',
    });
  });

  it('switches back to the demo platform', async () => {
    const user = userEvent.setup();
    app.info = appInfo({ profile: realProfile });
    vi.mocked(ipc.useDemo).mockResolvedValue(appInfo().profile);
    render(SettingsView);

    await user.click(screen.getByTestId('use-demo'));

    expect(await screen.findByTestId('profile-notice')).toHaveTextContent('demo platform is now active');
    expect(app.isDemo).toBe(true);
  });

  it('offers only memory storage when the keychain is unavailable', async () => {
    const user = userEvent.setup();
    app.info = appInfo({
      keychain: { available: false, message: 'No Secret Service on the D-Bus session.' },
    });
    vi.mocked(ipc.testConnection).mockResolvedValue(report);
    render(SettingsView);

    expect(screen.getByTestId('storage-keychain')).toBeDisabled();
    expect(screen.getByTestId('storage-memory')).toBeChecked();
    expect(screen.getByTestId('keychain-message')).toHaveTextContent('No Secret Service on the D-Bus session.');

    await user.type(screen.getByTestId('base-url'), 'https://gw.example/v1');
    await user.click(screen.getByTestId('test-connection'));
    expect(ipc.testConnection).toHaveBeenCalledWith(expect.objectContaining({ key_storage: 'memory' }));
  });

  it('suggests memory storage when saving to the keychain fails', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.saveProfile).mockRejectedValue({
      code: 'keychain_unavailable',
      message: 'The keyring is locked.',
      request_id: null,
    });
    render(SettingsView);

    await user.type(screen.getByTestId('base-url'), 'https://gw.example/v1');
    await user.click(screen.getByTestId('save-profile'));

    const alert = await screen.findByTestId('connection-error');
    expect(alert).toHaveTextContent('The keyring is locked.');
    expect(alert).toHaveTextContent('Only for this session (memory)');
  });

  it('has a Privacy & data section', async () => {
    render(SettingsView);
    const section = screen.getByTestId('settings-privacy');
    expect(within(section).getByRole('heading', { level: 2 })).toHaveTextContent('Privacy & data');
    expect(await within(section).findByTestId('backups-empty')).toBeInTheDocument();
    expect(within(section).getByTestId('erase-all')).toBeInTheDocument();
  });

  it('shows version and data folder', async () => {
    render(SettingsView);
    expect(screen.getByTestId('app-version')).toHaveTextContent('0.1.0');
    expect(screen.getByTestId('data-dir')).toHaveTextContent('/home/user/.local/share/nexhina-studio');
  });
});
