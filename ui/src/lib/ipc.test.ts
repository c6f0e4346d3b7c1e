import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));

import { invoke } from '@tauri-apps/api/core';
import * as ipc from './ipc';

const invokeMock = vi.mocked(invoke);

describe('toIpcError', () => {
  it('keeps a backend error as it is', () => {
    const error = { code: 'unauthorized', message: 'Wrong key', request_id: 'req_1' };
    expect(ipc.toIpcError(error)).toEqual(error);
  });

  it('fills a missing request_id with null', () => {
    expect(ipc.toIpcError({ code: 'timeout', message: 'Too slow' })).toEqual({
      code: 'timeout',
      message: 'Too slow',
      request_id: null,
    });
  });

  it('turns anything else into code "internal"', () => {
    expect(ipc.toIpcError('plain text')).toEqual({ code: 'internal', message: 'plain text', request_id: null });
    expect(ipc.toIpcError(new TypeError('boom'))).toMatchObject({ code: 'internal', message: 'boom' });
    expect(ipc.toIpcError({ code: 42, message: 'odd' })).toMatchObject({ code: 'internal', message: 'odd' });
    expect(ipc.toIpcError(undefined)).toEqual({ code: 'internal', message: '', request_id: null });
  });
});

describe('commands', () => {
  beforeEach(() => {
    invokeMock.mockReset();
  });

  it('call invoke with the command name and arguments', async () => {
    invokeMock.mockResolvedValue([]);
    await ipc.setModelKind('tts-1', 'tts');
    expect(invokeMock).toHaveBeenCalledWith('set_model_kind', { id: 'tts-1', kind: 'tts', baseUrl: null });

    const profile = { base_url: 'https://x.example/v1', api_key: null, key_storage: 'keychain' as const };
    await ipc.testConnection(profile);
    expect(invokeMock).toHaveBeenCalledWith('test_connection', { profile });

    await ipc.saveSettings({ theme: 'dark', language: 'zh-CN', proxy: null });
    expect(invokeMock).toHaveBeenCalledWith('save_settings', { settings: { theme: 'dark', language: 'zh-CN', proxy: null } });
  });

  it('reject with a normalised IpcError', async () => {
    invokeMock.mockImplementation(() => Promise.reject('window.__TAURI_INTERNALS__ is undefined'));
    await expect(ipc.appInfo()).rejects.toEqual({
      code: 'internal',
      message: 'window.__TAURI_INTERNALS__ is undefined',
      request_id: null,
    });
  });
});
