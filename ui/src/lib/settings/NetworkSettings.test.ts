import { fireEvent, render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { app } from '../app.svelte';
import * as ipc from '../ipc';
import { appInfo } from '../../test/fixtures';
import NetworkSettings from './NetworkSettings.svelte';

vi.mock('../ipc', async (original) => ({
  ...(await original<typeof import('../ipc')>()),
  saveSettings: vi.fn(),
}));

describe('NetworkSettings', () => {
  beforeEach(() => {
    vi.mocked(ipc.saveSettings).mockReset();
    app.info = appInfo();
  });

  it('saves a trimmed proxy with the other settings', async () => {
    vi.mocked(ipc.saveSettings).mockImplementation(async (s) => s);
    render(NetworkSettings);
    const input = screen.getByTestId('proxy') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: '  socks5://127.0.0.1:1080 ' } });
    await fireEvent.click(screen.getByTestId('save-proxy'));
    expect(ipc.saveSettings).toHaveBeenCalledWith({ theme: 'system', language: 'en', proxy: 'socks5://127.0.0.1:1080' });
    expect(await screen.findByRole('status')).toBeTruthy();
  });

  it('shows a refused proxy and keeps what was typed', async () => {
    vi.mocked(ipc.saveSettings).mockRejectedValue({ code: 'invalid_proxy', message: 'That proxy address cannot be used: ftp://x', request_id: null });
    render(NetworkSettings);
    const input = screen.getByTestId('proxy') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: 'ftp://x' } });
    await fireEvent.click(screen.getByTestId('save-proxy'));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('ftp://x');
    expect(input.value).toBe('ftp://x');
  });
});
