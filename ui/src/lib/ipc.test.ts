import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('@tauri-apps/api/core', () => ({
  invoke: vi.fn(),
  // Stands in for the IPC channel: keeps the handler so a test can feed it.
  Channel: class {
    onmessage: (message: unknown) => void = () => {};
  },
  convertFileSrc: vi.fn((path: string) => `asset://localhost/${encodeURIComponent(path)}`),
}));

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

  it('pass chat arguments in camelCase', async () => {
    invokeMock.mockResolvedValue(null);
    await ipc.listConversations(null, 50);
    expect(invokeMock).toHaveBeenCalledWith('list_conversations', { cursor: null, limit: 50 });
    await ipc.listMessages(7, 103, null, 30);
    expect(invokeMock).toHaveBeenCalledWith('list_messages', { conversationId: 7, before: 103, after: null, limit: 30 });
    await ipc.updateConversation(7, ipc.conversationPatch({ pinned: true }));
    expect(invokeMock).toHaveBeenCalledWith('update_conversation', {
      id: 7,
      patch: { title: null, model: null, system_prompt: null, params: null, pinned: true },
    });
    await ipc.stopReply(104);
    expect(invokeMock).toHaveBeenCalledWith('stop_reply', { replyId: 104 });
    await ipc.attachBytes('a.png', 'image/png', 'AAAA');
    expect(invokeMock).toHaveBeenCalledWith('attach_bytes', { name: 'a.png', mime: 'image/png', dataBase64: 'AAAA' });
    await ipc.searchMessages('rust', 20);
    expect(invokeMock).toHaveBeenCalledWith('search_messages', { query: 'rust', limit: 20 });
  });

  it('stream a reply through a channel given to the command', async () => {
    const started = { conversation_id: 7, user_message_id: 103, reply_id: 104 };
    invokeMock.mockResolvedValue(started);
    const events: unknown[] = [];
    const request = { conversation_id: 7, text: 'Hi', attachments: [], model: null };

    await expect(ipc.sendMessage(request, (event) => events.push(event))).resolves.toEqual(started);

    const [command, args] = invokeMock.mock.calls[0] as [string, { request: unknown; onEvent: { onmessage: (e: unknown) => void } }];
    expect(command).toBe('send_message');
    expect(args.request).toEqual(request);
    args.onEvent.onmessage({ kind: 'delta', content: 'Hel', reasoning: '' });
    expect(events).toEqual([{ kind: 'delta', content: 'Hel', reasoning: '' }]);

    await ipc.regenerateReply(104, () => {});
    expect(invokeMock).toHaveBeenLastCalledWith('regenerate_reply', { replyId: 104, onEvent: expect.anything() });
    await ipc.editAndResend(103, 'Hello', () => {});
    expect(invokeMock).toHaveBeenLastCalledWith('edit_and_resend', { messageId: 103, text: 'Hello', onEvent: expect.anything() });
    await ipc.continueReply(104, () => {});
    expect(invokeMock).toHaveBeenLastCalledWith('continue_reply', { replyId: 104, onEvent: expect.anything() });
  });

  it('pass gallery arguments in camelCase and report generations through a channel', async () => {
    invokeMock.mockResolvedValue(null);
    const filter = { kind: 'image' as const, model: null, favourites: true, min_rating: 3, since: null, until: null, query: 'fox' };
    await ipc.listGallery(filter, '1700:9', 100);
    expect(invokeMock).toHaveBeenCalledWith('list_gallery', { filter, cursor: '1700:9', limit: 100 });
    await ipc.exportImage(9, 2, false);
    expect(invokeMock).toHaveBeenCalledWith('export_image', { id: 9, output: 2, includePrompt: false });
    await ipc.setRating(9, null);
    expect(invokeMock).toHaveBeenCalledWith('set_rating', { id: 9, rating: null });
    await ipc.setFavourite(9, true);
    expect(invokeMock).toHaveBeenCalledWith('set_favourite', { id: 9, favourite: true });
    await ipc.deleteGeneration(9);
    expect(invokeMock).toHaveBeenCalledWith('delete_generation', { id: 9 });
    await ipc.getGeneration(9);
    expect(invokeMock).toHaveBeenCalledWith('get_generation', { id: 9 });
    await ipc.galleryModels();
    expect(invokeMock).toHaveBeenCalledWith('gallery_models', undefined);

    const events: unknown[] = [];
    const request = {
      model: 'dall-e-3',
      prompt: 'A fox',
      size: '1024x1024',
      n: 1,
      quality: null,
      style: null,
      extra: null,
      input_asset_ids: [],
      mask_asset_id: null,
      parent_generation_id: null,
    };
    await ipc.generateImages(request, (event) => events.push(event));
    const [command, args] = invokeMock.mock.lastCall as [string, { request: unknown; onEvent: { onmessage: (e: unknown) => void } }];
    expect(command).toBe('generate_images');
    expect(args.request).toEqual(request);
    args.onEvent.onmessage({ kind: 'progress', id: 5, status: 'running', progress: 50 });
    expect(events).toEqual([{ kind: 'progress', id: 5, status: 'running', progress: 50 }]);
    await ipc.rerunGeneration(5, () => {});
    expect(invokeMock).toHaveBeenLastCalledWith('rerun_generation', { id: 5, onEvent: expect.anything() });
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
