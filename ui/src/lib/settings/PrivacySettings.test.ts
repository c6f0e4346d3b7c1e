import { fireEvent, render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { DataProgress } from '../bindings/DataProgress';
import type { ExportReport } from '../bindings/ExportReport';
import type { UsageReport } from '../bindings/UsageReport';
import { setLanguage } from '../i18n/language.svelte';
import * as ipc from '../ipc';
import PrivacySettings from './PrivacySettings.svelte';

vi.mock('../ipc', async (original) => ({
  ...(await original<typeof import('../ipc')>()),
  getRetention: vi.fn(),
  setRetention: vi.fn(),
  purgeLibrary: vi.fn(),
  defaultExportPath: vi.fn(),
  exportLibrary: vi.fn(),
  importLibrary: vi.fn(),
  listBackups: vi.fn(),
  createBackup: vi.fn(),
  restoreBackup: vi.fn(),
  librarySummary: vi.fn(),
  eraseEverything: vi.fn(),
  eraseSelectionPreview: vi.fn(),
  eraseSelection: vi.fn(),
  localUsage: vi.fn(),
}));

const counts = { conversations: 2, messages: 6, generations: 3, jobs: 0, usage: 4, assets: 5 };
const none = { conversations: 0, messages: 0, generations: 0, jobs: 0, usage: 0, assets: 0 };

function daysAgo(n: number): string {
  const d = new Date();
  d.setDate(d.getDate() - n);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

const usage: UsageReport = {
  rows: [
    { day: daysAgo(0), model: 'gpt-4o-mini', requests: 2, input_tokens: 100, output_tokens: 300, total_tokens: 400, images: 0, video_seconds: 0, audio_seconds: 0 },
    { day: daysAgo(2), model: 'gpt-4o-mini', requests: 1, input_tokens: 50, output_tokens: 50, total_tokens: 100, images: 0, video_seconds: 0, audio_seconds: 0 },
    { day: daysAgo(2), model: 'gpt-image-1', requests: 0, input_tokens: 0, output_tokens: 0, total_tokens: 0, images: 4, video_seconds: 0, audio_seconds: 0 },
  ],
  totals: { day: '', model: '', requests: 3, input_tokens: 150, output_tokens: 350, total_tokens: 500, images: 4, video_seconds: 0, audio_seconds: 0 },
};

/** A job whose end the test decides, with the progress callback it was given. */
function pendingJob<T>() {
  let resolve: (value: T) => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const done = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const cancel = vi.fn(async () => null);
  return { job: { done, cancel }, resolve, reject, cancel };
}

const reload = vi.fn();

beforeEach(() => {
  vi.resetAllMocks();
  setLanguage('en');
  localStorage.clear();
  vi.mocked(ipc.getRetention).mockResolvedValue({ chats: 30, images: null, videos: null, speech: null });
  vi.mocked(ipc.defaultExportPath).mockImplementation(async (zip) =>
    zip ? '/home/me/Downloads/nexhina-export-2026-03-03.zip' : '/home/me/Downloads/nexhina-export-2026-03-03',
  );
  vi.mocked(ipc.listBackups).mockResolvedValue([
    { id: 'daily-2026-03-03.sqlite3', reason: 'daily', created_at: Date.UTC(2026, 2, 3, 9, 0), size_bytes: 2.5 * 1024 * 1024 },
    { id: 'library-schema1-1.sqlite3', reason: 'migration', created_at: Date.UTC(2026, 2, 1, 9, 0), size_bytes: 512 },
  ]);
  vi.mocked(ipc.localUsage).mockResolvedValue(usage);
});

describe('PrivacySettings', () => {
  it('shows the stored retention and saves a new one', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.setRetention).mockResolvedValue({ conversations: 1, generations: 2, files: 3, bytes: 2048 });
    render(PrivacySettings, { reload });

    expect(await screen.findByTestId('retention-chats-days')).toHaveValue(30);
    expect(screen.getByTestId('retention-images')).toHaveValue('forever');
    await user.selectOptions(screen.getByTestId('retention-images'), 'days');
    await fireEvent.input(screen.getByTestId('retention-images-days'), { target: { value: '7' } });
    await user.click(screen.getByTestId('retention-save'));

    expect(ipc.setRetention).toHaveBeenCalledWith({ chats: 30, images: 7, videos: null, speech: null });
    expect(await screen.findByText('Removed — conversations: 1, items: 2, files: 3 (2 KB).', { exact: false })).toBeInTheDocument();
  });

  it('refuses a retention of zero days before calling the backend', async () => {
    const user = userEvent.setup();
    render(PrivacySettings, { reload });
    const days = await screen.findByTestId('retention-chats-days');
    await fireEvent.input(days, { target: { value: '0' } });
    await user.click(screen.getByTestId('retention-save'));

    expect(screen.getByRole('alert')).toHaveTextContent('1 or more');
    expect(days).toHaveAttribute('aria-invalid', 'true');
    expect(ipc.setRetention).not.toHaveBeenCalled();
  });

  it('cleans up now and says when nothing was old enough', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.purgeLibrary).mockResolvedValue({ conversations: 0, generations: 0, files: 0, bytes: 0 });
    render(PrivacySettings, { reload });
    await user.click(screen.getByTestId('purge-now'));
    expect(await screen.findByText('Nothing was old enough to remove.')).toBeInTheDocument();
  });

  it('exports the chosen kinds with progress and a Cancel', async () => {
    const user = userEvent.setup();
    const pending = pendingJob<ExportReport>();
    let onProgress: (p: DataProgress) => void = () => {};
    vi.mocked(ipc.exportLibrary).mockImplementation((_out, _selection, progress) => {
      onProgress = progress;
      return pending.job;
    });
    render(PrivacySettings, { reload });

    await vi.waitFor(() => expect(screen.getByTestId('export-path')).toHaveValue('/home/me/Downloads/nexhina-export-2026-03-03.zip'));
    await user.click(screen.getByTestId('export-folder'));
    await vi.waitFor(() => expect(screen.getByTestId('export-path')).toHaveValue('/home/me/Downloads/nexhina-export-2026-03-03'));
    await user.click(screen.getByTestId('export-some'));
    await user.click(screen.getByTestId('export-kind-image'));
    await fireEvent.input(screen.getByTestId('export-since'), { target: { value: '2026-03-01' } });
    await user.click(screen.getByTestId('export-start'));

    expect(ipc.exportLibrary).toHaveBeenCalledWith(
      '/home/me/Downloads/nexhina-export-2026-03-03',
      { kinds: ['chat', 'image'], since: new Date('2026-03-01T00:00:00').getTime(), conversation_id: null },
      expect.any(Function),
    );
    onProgress({ done: 3, total: 12 });
    await vi.waitFor(() => expect(screen.getByTestId('export-progress')).toHaveAttribute('value', '25'));
    expect(screen.getByTestId('export-start')).toBeDisabled();

    await user.click(screen.getByTestId('export-cancel'));
    expect(pending.cancel).toHaveBeenCalled();
    pending.reject({ code: 'cancelled', message: 'The export was cancelled; no archive was left behind.', request_id: null });
    expect(await screen.findByTestId('export-cancelled')).toHaveTextContent('no archive was left behind');
    expect(screen.queryByTestId('export-error')).not.toBeInTheDocument();
    expect(screen.queryByTestId('export-progress')).not.toBeInTheDocument();
  });

  it('reports a finished export and asks for a path when there is none', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.exportLibrary).mockReturnValue({
      done: Promise.resolve({ path: '/tmp/x.zip', counts, bytes: 3 * 1024 * 1024 }),
      cancel: async () => null,
    });
    render(PrivacySettings, { reload });
    const path = screen.getByTestId('export-path');
    await vi.waitFor(() => expect(path).not.toHaveValue(''));
    await user.clear(path);
    await user.click(screen.getByTestId('export-start'));
    expect(screen.getByTestId('export-problem')).toHaveTextContent('Enter where to save');
    expect(ipc.exportLibrary).not.toHaveBeenCalled();

    await user.type(path, '/tmp/x.zip');
    await user.click(screen.getByTestId('export-start'));
    expect(ipc.exportLibrary).toHaveBeenCalledWith('/tmp/x.zip', { kinds: [], since: null, conversation_id: null }, expect.any(Function));
    expect(await screen.findByTestId('export-done')).toHaveTextContent(
      'Exported to /tmp/x.zip — conversations: 2, messages: 6, items: 3, files: 5 (3 MB).',
    );
  });

  it('imports an export and says what was added', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.importLibrary).mockReturnValue({
      done: Promise.resolve({ added: counts, skipped: { ...none, messages: 1 } }),
      cancel: async () => null,
    });
    render(PrivacySettings, { reload });
    await user.type(screen.getByTestId('import-path'), '/tmp/x.zip');
    await user.click(screen.getByTestId('import-start'));

    expect(ipc.importLibrary).toHaveBeenCalledWith('/tmp/x.zip', expect.any(Function));
    expect(await screen.findByTestId('import-done')).toHaveTextContent(
      'Imported — conversations: 2, messages: 6, items: 3, files: 5. Already here: 1.',
    );
  });

  it('shows a damaged archive as an error', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.importLibrary).mockImplementation(() => ({
      done: Promise.reject({ code: 'invalid_input', message: 'The archive is damaged: messages.jsonl does not match its checksum.', request_id: null }),
      cancel: async () => null,
    }));
    render(PrivacySettings, { reload });
    await user.type(screen.getByTestId('import-path'), '/tmp/bad.zip');
    await user.click(screen.getByTestId('import-start'));
    expect(await screen.findByTestId('import-error')).toHaveTextContent('does not match its checksum');
  });

  it('lists backups, makes one and restores one after a confirmation', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.createBackup).mockResolvedValue({ id: 'daily-2026-03-03-1.sqlite3', reason: 'daily', created_at: 1, size_bytes: 1 });
    vi.mocked(ipc.restoreBackup).mockResolvedValue({ files_restored: 1, files_missing: 0 });
    render(PrivacySettings, { reload });

    const rows = await screen.findAllByTestId('backup-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('Daily');
    expect(rows[0]).toHaveTextContent('2.5 MB');
    expect(rows[1]).toHaveTextContent('Before an upgrade');
    expect(rows[1]).toHaveTextContent('512 B');

    await user.click(screen.getByTestId('backup-create'));
    expect(await screen.findByText('Backup made.')).toBeInTheDocument();
    expect(ipc.listBackups).toHaveBeenCalledTimes(2);

    await user.click(within(rows[1]).getByTestId('backup-restore'));
    expect(ipc.restoreBackup).not.toHaveBeenCalled();
    await user.click(screen.getByTestId('restore-confirm-button'));
    expect(ipc.restoreBackup).toHaveBeenCalledWith('library-schema1-1.sqlite3');
    await vi.waitFor(() => expect(reload).toHaveBeenCalled());
  });

  it('erases a selection only after naming what will go', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.eraseSelectionPreview).mockResolvedValue({ conversations: 0, generations: 3, files: 0, bytes: 0 });
    vi.mocked(ipc.eraseSelection).mockResolvedValue({ conversations: 0, generations: 3, files: 6, bytes: 900 });
    render(PrivacySettings, { reload });
    const start = await screen.findByTestId('erase-some-start');
    expect(start).toBeDisabled();
    await user.click(screen.getByTestId('erase-kind-image'));
    await fireEvent.input(screen.getByTestId('erase-before'), { target: { value: '2026-03-01' } });
    await user.click(start);
    const confirm = await screen.findByTestId('erase-some-confirm');
    expect(confirm).toHaveTextContent('0 conversation(s) and 3 image(s)');
    expect(ipc.eraseSelection).not.toHaveBeenCalled();
    const selection = { kinds: ['image'], before: new Date('2026-03-01T00:00:00').getTime() };
    expect(ipc.eraseSelectionPreview).toHaveBeenCalledWith(selection);
    await user.click(screen.getByTestId('erase-some-confirm-button'));
    expect(ipc.eraseSelection).toHaveBeenCalledWith(selection);
    expect(await screen.findByTestId('erase-some-notice')).toHaveTextContent('6 file(s) removed');
    expect(reload).not.toHaveBeenCalled();
  });

  it('says which files a restore could not bring back before starting over', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.restoreBackup).mockResolvedValue({ files_restored: 0, files_missing: 2 });
    render(PrivacySettings, { reload });
    const rows = await screen.findAllByTestId('backup-row');
    await user.click(within(rows[0]).getByTestId('backup-restore'));
    await user.click(screen.getByTestId('restore-confirm-button'));
    expect(await screen.findByTestId('restore-missing')).toHaveTextContent('2 file(s)');
    expect(reload).not.toHaveBeenCalled();
    await user.click(screen.getByTestId('restore-missing-ok'));
    expect(reload).toHaveBeenCalled();
  });

  it('sums usage per model and draws a bar per day', async () => {
    render(PrivacySettings, { reload });
    const rows = await screen.findAllByTestId('usage-row');
    expect(rows.map((r) => r.querySelector('th')?.textContent)).toEqual(['gpt-4o-mini', 'gpt-image-1']);
    expect(rows[0]).toHaveTextContent('3150350');
    expect(rows[1]).toHaveTextContent('4');
    // The last 30 days, one bar each; the day between the two busy ones is empty.
    const bars = screen.getAllByTestId('usage-bar');
    expect(bars).toHaveLength(30);
    expect(Number(bars[27].getAttribute('height'))).toBeGreaterThan(0);
    expect(bars[28]).toHaveAttribute('height', '0');
    expect(Number(bars[29].getAttribute('height'))).toBeGreaterThan(Number(bars[27].getAttribute('height')));
    expect(screen.getByTestId('usage-chart')).toHaveAttribute(
      'aria-label',
      `Bar chart of tokens per day, ${daysAgo(29)} to ${daysAgo(0)}`,
    );

    // A week: fewer bars, and the report asked from local midnight six days ago.
    await userEvent.setup().selectOptions(screen.getByTestId('usage-period'), '7');
    await vi.waitFor(() => expect(screen.getAllByTestId('usage-bar')).toHaveLength(7));
    const since = vi.mocked(ipc.localUsage).mock.calls[1][0];
    expect(since).toBe(new Date(`${daysAgo(6)}T00:00:00`).getTime());
  });

  it('erases everything only after the word is typed, then reloads', async () => {
    const user = userEvent.setup();
    localStorage.setItem('nexhina.firstRunDismissed', '1');
    vi.mocked(ipc.librarySummary).mockResolvedValue({
      conversations: 4,
      messages: 20,
      generations: 7,
      files: 9,
      file_bytes: 5 * 1024 * 1024,
      backups: 2,
      platforms: ['https://api.nexhina.example'],
    });
    vi.mocked(ipc.eraseEverything).mockResolvedValue(null);
    render(PrivacySettings, { reload });

    await user.click(screen.getByTestId('erase-all'));
    const summary = await screen.findByTestId('erase-summary');
    expect(summary).toHaveTextContent('Conversations: 4 (20 messages)');
    expect(summary).toHaveTextContent('Images, videos, speech clips and transcripts: 7');
    expect(summary).toHaveTextContent('Files: 9 (5 MB)');
    expect(summary).toHaveTextContent('Backups: 2');
    expect(summary).toHaveTextContent('Your settings and platforms');
    expect(summary).toHaveTextContent('The API key in the OS keychain for https://api.nexhina.example');

    const confirm = screen.getByTestId('erase-confirm-button');
    expect(confirm).toBeDisabled();
    await user.type(screen.getByTestId('erase-word'), 'erase');
    expect(confirm).toBeDisabled();
    await user.clear(screen.getByTestId('erase-word'));
    await user.type(screen.getByTestId('erase-word'), 'ERASE');
    await user.click(confirm);

    expect(ipc.eraseEverything).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(reload).toHaveBeenCalled());
    expect(localStorage.getItem('nexhina.firstRunDismissed')).toBeNull();
  });

  it('keeps the data when the confirmation is dismissed', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.librarySummary).mockResolvedValue({ conversations: 0, messages: 0, generations: 0, files: 0, file_bytes: 0, backups: 0, platforms: [] });
    render(PrivacySettings, { reload });
    await user.click(screen.getByTestId('erase-all'));
    expect(await screen.findByTestId('erase-summary')).toHaveTextContent('Any API key kept in the OS keychain');
    await user.click(screen.getByTestId('erase-cancel'));
    expect(screen.queryByTestId('erase-confirm')).not.toBeInTheDocument();
    expect(ipc.eraseEverything).not.toHaveBeenCalled();
  });
});
