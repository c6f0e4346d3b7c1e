import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { tick } from 'svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { models } from '../../test/fixtures';
import type { Conversation } from '../bindings/Conversation';
import type { ConversationSummary } from '../bindings/ConversationSummary';
import type { MessageView } from '../bindings/MessageView';
import type { TurnEvent } from '../bindings/TurnEvent';
import type { TurnStarted } from '../bindings/TurnStarted';
import { setLanguage } from '../i18n/language.svelte';
import * as ipc from '../ipc';
import { chat } from './chat.svelte';
import ChatView from './ChatView.svelte';
import { app } from '../app.svelte';
import { library } from '../library/library.svelte';
import { clearMarkdownCache, renderStats } from './markdown';

vi.mock('../ipc', async (importOriginal) => {
  const real = await importOriginal<typeof import('../ipc')>();
  return {
    ...real,
    listModels: vi.fn(),
    listConversations: vi.fn(),
    getConversation: vi.fn(),
    createConversation: vi.fn(),
    updateConversation: vi.fn(),
    deleteConversation: vi.fn(),
    listMessages: vi.fn(),
    sendMessage: vi.fn(),
    stopReply: vi.fn(),
    regenerateReply: vi.fn(),
    editAndResend: vi.fn(),
    continueReply: vi.fn(),
    attachFile: vi.fn(),
    attachBytes: vi.fn(),
    searchMessages: vi.fn(),
    toolAvailability: vi.fn(),
    onToolTurnEvent: vi.fn(),
    exportConversation: vi.fn(),
    fileSrc: vi.fn((path: string) => `asset://localhost${path}`),
    onFileDrop: vi.fn(async () => () => {}),
  };
});

/** Stands in for the Tauri Channel: the mocked command hands the test its handler. */
class FakeChannel {
  private handler: ipc.TurnHandler | null = null;

  connect(handler: ipc.TurnHandler): void {
    this.handler = handler;
  }

  emit(...events: TurnEvent[]): void {
    if (!this.handler) throw new Error('the command was not called');
    for (const event of events) this.handler(event);
  }
}

function delta(content: string, reasoning = ''): TurnEvent {
  return { kind: 'delta', content, reasoning };
}

function finished(status: 'complete' | 'interrupted' | 'failed', error: string | null = null, code: string | null = null): TurnEvent {
  return { kind: 'finished', status, error, code };
}

const summaries: ConversationSummary[] = [
  { id: 7, title: 'Rust lifetimes', model: 'gpt-4o-mini', pinned: true, updated_at: 3000 },
  { id: 5, title: 'Trip to Kyoto', model: 'deepseek-chat', pinned: false, updated_at: 2000 },
];

function conversation(id: number, overrides: Partial<Conversation> = {}): Conversation {
  const summary = summaries.find((c) => c.id === id);
  return {
    id,
    title: summary?.title ?? 'New conversation',
    model: summary?.model ?? 'gpt-4o-mini',
    system_prompt: null,
    params: { temperature: null, top_p: null, max_tokens: null, transport: 'chat_completions' },
    pinned: summary?.pinned ?? false,
    created_at: 1000,
    updated_at: 3000,
    ...overrides,
  };
}

function message(id: number, role: 'user' | 'assistant', content: string, overrides: Partial<MessageView> = {}): MessageView {
  return {
    id,
    conversation_id: 7,
    role,
    content,
    reasoning: null,
    status: 'complete',
    error: null,
    model: role === 'assistant' ? 'gpt-4o-mini' : null,
    usage: null,
    attachments: [],
    created_at: 1000 + id,
    ...overrides,
  };
}

const history: MessageView[] = [
  message(101, 'user', 'What is a lifetime?'),
  message(102, 'assistant', 'A lifetime is a **scope**.', {
    usage: { input_tokens: 12, output_tokens: 34, total_tokens: 46 },
  }),
];

function stubSend(started: TurnStarted): FakeChannel {
  const channel = new FakeChannel();
  vi.mocked(ipc.sendMessage).mockImplementation(async (_request, onEvent) => {
    channel.connect(onEvent);
    return started;
  });
  return channel;
}

async function openConversation(user: ReturnType<typeof userEvent.setup>, id = 7): Promise<void> {
  const list = await screen.findByTestId('conversation-list');
  const row = await within(list).findByText(summaries.find((c) => c.id === id)!.title);
  await user.click(row);
  await screen.findAllByTestId('message');
}

function messageById(id: number): HTMLElement {
  const element = screen.getAllByTestId('message').find((m) => m.dataset.id === String(id));
  if (!element) throw new Error(`no message ${id}`);
  return element;
}

beforeEach(() => {
  vi.resetAllMocks();
  setLanguage('en');
  chat.reset();
  vi.mocked(ipc.fileSrc).mockImplementation((path: string) => `asset://localhost${path}`);
  vi.mocked(ipc.onFileDrop).mockResolvedValue(() => {});
  vi.mocked(ipc.listModels).mockResolvedValue(models);
  vi.mocked(ipc.listConversations).mockResolvedValue({ items: summaries, next_cursor: null });
  vi.mocked(ipc.getConversation).mockImplementation(async (id) => conversation(id));
  vi.mocked(ipc.listMessages).mockResolvedValue({ items: history, before_cursor: null, after_cursor: null });
  vi.mocked(ipc.stopReply).mockResolvedValue(null);
  vi.mocked(ipc.toolAvailability).mockResolvedValue({
    offered: true,
    model_unsupported: false,
    tools: ['generate_image', 'speak', 'search_library'],
    used: 2,
    settings: { enabled: null, auto_run: false, max_generations: 10, choice: null },
  });
});

describe('ChatView', () => {
  it('lists conversations, pinned marked, and opens one', async () => {
    const user = userEvent.setup();
    render(ChatView);

    const items = await screen.findAllByTestId('conversation-item');
    expect(items.map((item) => item.dataset.id)).toEqual(['7', '5']);
    expect(within(items[0]).getByTestId('pinned-marker')).toBeInTheDocument();
    expect(within(items[1]).queryByTestId('pinned-marker')).not.toBeInTheDocument();
    expect(screen.getByTestId('chat-start')).toBeInTheDocument();

    await openConversation(user);

    expect(ipc.listMessages).toHaveBeenCalledWith(7, null, null, 40);
    expect(screen.getByTestId('conversation-title')).toHaveTextContent('Rust lifetimes');
    const [question, answer] = screen.getAllByTestId('message');
    expect(question).toHaveAttribute('data-role', 'user');
    expect(question).toHaveAttribute('data-status', 'complete');
    expect(within(question).getByTestId('message-content')).toHaveTextContent('What is a lifetime?');
    expect(answer).toHaveAttribute('data-role', 'assistant');
    expect(within(answer).getByTestId('message-content').querySelector('strong')).toHaveTextContent('scope');
    expect(within(answer).getByTestId('usage')).toHaveTextContent('12 in · 34 out');
    expect(within(answer).getByTestId('message-model')).toHaveTextContent('gpt-4o-mini');
    expect(screen.getByTestId('model-picker')).toHaveValue('gpt-4o-mini');
  });

  it('sends with Enter, not with Shift+Enter, and streams the reply in order', async () => {
    const user = userEvent.setup();
    const channel = stubSend({ conversation_id: 9, user_message_id: 201, reply_id: 202 });
    vi.mocked(ipc.getConversation).mockResolvedValue(conversation(9, { title: 'Say hello' }));
    render(ChatView);
    await screen.findAllByTestId('conversation-item');

    const input = screen.getByTestId('composer-input');
    await user.type(input, 'Say{Shift>}{Enter}{/Shift}hello');
    expect(ipc.sendMessage).not.toHaveBeenCalled();
    expect(input).toHaveValue('Say\nhello');

    await user.keyboard('{Enter}');
    expect(ipc.sendMessage).toHaveBeenCalledTimes(1);
    expect(vi.mocked(ipc.sendMessage).mock.calls[0][0]).toEqual({
      conversation_id: null,
      text: 'Say\nhello',
      attachments: [],
      model: 'gpt-4o-mini',
    });
    expect(input).toHaveValue('');

    const reply = await waitFor(() => messageById(202));
    expect(reply).toHaveAttribute('data-status', 'streaming');
    expect(messageById(201)).toHaveTextContent('Say hello');
    expect(screen.getByTestId('stop-button')).toBeInTheDocument();
    expect(screen.queryByTestId('send-button')).not.toBeInTheDocument();

    channel.emit(delta('', 'The user greets. '), delta('Hel'), delta('lo, '), delta('world'));
    await waitFor(() => expect(within(reply).getByTestId('message-content')).toHaveTextContent('Hello, world'));
    expect(within(reply).getByTestId('reasoning')).toHaveTextContent('The user greets.');

    channel.emit({ kind: 'usage', usage: { input_tokens: 5, output_tokens: 3, total_tokens: 8 } }, finished('complete'));
    await waitFor(() => expect(reply).toHaveAttribute('data-status', 'complete'));
    expect(within(reply).getByTestId('usage')).toHaveTextContent('5 in · 3 out');
    expect(screen.getByTestId('send-button')).toBeInTheDocument();
    expect(ipc.listConversations).toHaveBeenCalledTimes(3); // start, new conversation, turn end
    expect(screen.getByTestId('conversation-title')).toHaveTextContent('Say hello');
  });

  it('re-renders only the streaming reply, at most every 50 ms', async () => {
    const user = userEvent.setup();
    const channel = stubSend({ conversation_id: 7, user_message_id: 103, reply_id: 104 });
    clearMarkdownCache();
    render(ChatView);
    await openConversation(user);
    await user.type(screen.getByTestId('composer-input'), 'Count{Enter}');
    const reply = await waitFor(() => messageById(104));
    const before = renderStats.count;
    const started = Date.now();

    for (let i = 1; i <= 40; i++) {
      channel.emit(delta(`${i} `));
      await tick(); // Svelte applies each delta on its own…
      await new Promise((resolve) => setTimeout(resolve, 5)); // …spread over ~200 ms
    }
    await waitFor(() => expect(within(reply).getByTestId('message-content')).toHaveTextContent('1 2 3'));
    await waitFor(() => expect(within(reply).getByTestId('message-content')).toHaveTextContent('40'));
    channel.emit(finished('complete'));
    await waitFor(() => expect(reply).toHaveAttribute('data-status', 'complete'));

    // 40 deltas over ~200 ms: one render of the reply per 50 ms (plus the final one), none
    // of the old answer. Without the throttle this would be 40.
    const windows = Math.ceil((Date.now() - started) / 50);
    expect(renderStats.count - before).toBeLessThanOrEqual(Math.min(windows + 2, 30));
    expect(within(messageById(102)).getByTestId('message-content').querySelector('strong')).toHaveTextContent('scope');
  });

  it('does not send while an input method is composing', async () => {
    render(ChatView);
    const input = await screen.findByTestId('composer-input');
    await fireEvent.input(input, { target: { value: 'nihao' } });
    await fireEvent.keyDown(input, { key: 'Enter', isComposing: true });
    await fireEvent.keyDown(input, { key: 'Enter', keyCode: 229 });
    expect(ipc.sendMessage).not.toHaveBeenCalled();
  });

  it('buffers events that arrive before the command answers', async () => {
    const user = userEvent.setup();
    const channel = new FakeChannel();
    let answer: (value: TurnStarted) => void = () => {};
    vi.mocked(ipc.sendMessage).mockImplementation((_request, onEvent) => {
      channel.connect(onEvent);
      return new Promise((resolve) => (answer = resolve));
    });
    render(ChatView);
    await openConversation(user);

    await user.type(screen.getByTestId('composer-input'), 'Again{Enter}');
    channel.emit(delta('Early '), delta('bird'));
    answer({ conversation_id: 7, user_message_id: 103, reply_id: 104 });

    const reply = await waitFor(() => messageById(104));
    await waitFor(() => expect(within(reply).getByTestId('message-content')).toHaveTextContent('Early bird'));
    expect(screen.getAllByTestId('message').map((m) => m.dataset.id)).toEqual(['101', '102', '103', '104']);
  });

  it('stops a reply and offers to continue it', async () => {
    const user = userEvent.setup();
    const channel = stubSend({ conversation_id: 7, user_message_id: 103, reply_id: 104 });
    render(ChatView);
    await openConversation(user);

    await user.type(screen.getByTestId('composer-input'), 'Tell me more{Enter}');
    channel.emit(delta('Partial answer'));
    await user.click(await screen.findByTestId('stop-button'));
    expect(ipc.stopReply).toHaveBeenCalledWith(104);

    channel.emit(finished('interrupted'));
    const reply = messageById(104);
    await waitFor(() => expect(reply).toHaveAttribute('data-status', 'interrupted'));
    expect(within(reply).getByText('Stopped')).toBeInTheDocument();
    expect(within(reply).getByTestId('message-content')).toHaveTextContent('Partial answer');

    const more = new FakeChannel();
    vi.mocked(ipc.continueReply).mockImplementation(async (_id, onEvent) => {
      more.connect(onEvent);
      return { conversation_id: 7, user_message_id: null, reply_id: 104 };
    });
    await user.click(within(reply).getByTestId('continue'));
    expect(ipc.continueReply).toHaveBeenCalledWith(104, expect.any(Function));
    await waitFor(() => expect(reply).toHaveAttribute('data-status', 'streaming'));
    more.emit(delta(' and the rest.'), finished('complete'));
    await waitFor(() => expect(reply).toHaveAttribute('data-status', 'complete'));
    expect(within(reply).getByTestId('message-content')).toHaveTextContent('Partial answer and the rest.');
    expect(within(reply).queryByTestId('continue')).not.toBeInTheDocument();
  });

  it('offers to continue a reply cut off at the length limit', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.listMessages).mockResolvedValue({
      items: [
        history[0],
        message(102, 'assistant', 'A lifetime is', { error: 'The reply reached the max tokens limit.' }),
      ],
      before_cursor: null,
      after_cursor: null,
    });
    render(ChatView);
    await openConversation(user);

    const reply = messageById(102);
    expect(within(reply).getByText('Cut off')).toBeInTheDocument();
    expect(within(reply).getByTestId('continue')).toBeInTheDocument();
  });

  it('shows a failed reply as an alert with Retry', async () => {
    const user = userEvent.setup();
    const channel = stubSend({ conversation_id: 7, user_message_id: 103, reply_id: 104 });
    render(ChatView);
    await openConversation(user);

    await user.type(screen.getByTestId('composer-input'), 'Hi{Enter}');
    channel.emit(finished('failed', 'The platform answered 429: slow down.', 'rate_limited'));

    const reply = messageById(104);
    await waitFor(() => expect(reply).toHaveAttribute('data-status', 'failed'));
    const alert = within(reply).getByRole('alert');
    expect(alert).toHaveTextContent('The platform answered 429: slow down.');
    expect(alert).toHaveTextContent('The reply failed');

    const retry = new FakeChannel();
    vi.mocked(ipc.regenerateReply).mockImplementation(async (_id, onEvent) => {
      retry.connect(onEvent);
      return { conversation_id: 7, user_message_id: null, reply_id: 105 };
    });
    await user.click(within(reply).getByTestId('regenerate'));
    expect(ipc.regenerateReply).toHaveBeenCalledWith(104, expect.any(Function));
    await waitFor(() => expect(screen.getAllByTestId('message').map((m) => m.dataset.id)).toEqual(['101', '102', '103', '105']));
    retry.emit(delta('Second try.'), finished('complete'));
    await waitFor(() => expect(messageById(105)).toHaveTextContent('Second try.'));
  });

  it('keeps the text and shows the error when sending fails', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.sendMessage).mockRejectedValue({ code: 'model_unavailable', message: 'No such model.', request_id: null });
    render(ChatView);
    await openConversation(user);

    await user.type(screen.getByTestId('composer-input'), 'Keep me{Enter}');

    const error = await screen.findByTestId('composer-error');
    expect(error).toHaveTextContent('No such model.');
    expect(screen.getByTestId('composer-input')).toHaveValue('Keep me');
    expect(screen.getAllByTestId('message')).toHaveLength(2);
  });

  it('attaches a picked image, shows its thumbnail and sends its id', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.attachBytes).mockResolvedValue({
      id: 31,
      sha256: 'abc',
      mime: 'image/png',
      size_bytes: 4,
      width: 1,
      height: 1,
      path: '/data/media/abc.png',
      thumbnail_path: '/data/thumbs/abc.png',
      original_name: 'cat.png',
    });
    stubSend({ conversation_id: 7, user_message_id: 103, reply_id: 104 });
    render(ChatView);
    await openConversation(user);

    const file = new File([new Uint8Array([1, 2, 3, 4])], 'cat.png', { type: 'image/png' });
    await user.upload(screen.getByTestId('file-input'), file);

    const thumb = await screen.findByTestId('attachment-thumb');
    expect(ipc.attachBytes).toHaveBeenCalledWith('cat.png', 'image/png', 'AQIDBA==');
    expect(within(thumb).getByRole('img')).toHaveAttribute('src', 'asset://localhost/data/thumbs/abc.png');

    await user.click(screen.getByTestId('send-button'));
    expect(vi.mocked(ipc.sendMessage).mock.calls[0][0]).toMatchObject({ conversation_id: 7, text: '', attachments: [31] });
    expect(screen.queryByTestId('attachment-thumb')).not.toBeInTheDocument();
    expect(within(await waitFor(() => messageById(103))).getByTestId('message-attachment')).toBeInTheDocument();
  });

  it('shows an attach error near the composer and keeps the typed text', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.attachBytes).mockRejectedValue({ code: 'bad_request', message: 'This file is not an image.', request_id: null });
    render(ChatView);
    await screen.findAllByTestId('conversation-item');

    await user.type(screen.getByTestId('composer-input'), 'Look at this');
    await user.upload(screen.getByTestId('file-input'), new File(['x'], 'notes.png', { type: 'image/png' }));

    const error = await screen.findByTestId('composer-error');
    expect(error).toHaveTextContent('Could not attach notes.png');
    expect(error).toHaveTextContent('This file is not an image.');
    expect(screen.getByTestId('composer-input')).toHaveValue('Look at this');
    expect(screen.queryByTestId('attachment-thumb')).not.toBeInTheDocument();
  });

  it('edits a user message and resends it', async () => {
    const user = userEvent.setup();
    const channel = new FakeChannel();
    vi.mocked(ipc.editAndResend).mockImplementation(async (_id, _text, onEvent) => {
      channel.connect(onEvent);
      return { conversation_id: 7, user_message_id: 101, reply_id: 110 };
    });
    render(ChatView);
    await openConversation(user);

    await user.click(within(messageById(101)).getByTestId('edit-message'));
    const editor = screen.getByTestId('edit-input');
    await user.clear(editor);
    await user.type(editor, 'What is a borrow?');
    await user.click(screen.getByTestId('save-edit'));

    expect(ipc.editAndResend).toHaveBeenCalledWith(101, 'What is a borrow?', expect.any(Function));
    await waitFor(() => expect(screen.getAllByTestId('message').map((m) => m.dataset.id)).toEqual(['101', '110']));
    expect(messageById(101)).toHaveTextContent('What is a borrow?');
    channel.emit(delta('Borrowing lends a reference.'), finished('complete'));
    await waitFor(() => expect(messageById(110)).toHaveTextContent('Borrowing lends a reference.'));
  });

  it('saves the model choice on the conversation', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.updateConversation).mockImplementation(async (id, patch) => conversation(id, { model: patch.model }));
    render(ChatView);
    await openConversation(user);

    const picker = screen.getByTestId('model-picker');
    expect(within(picker).getAllByRole('option').map((o) => o.textContent)).toEqual(['gpt-4o-mini', 'deepseek-chat']);
    await user.selectOptions(picker, 'deepseek-chat');

    expect(ipc.updateConversation).toHaveBeenCalledWith(7, {
      title: null,
      model: 'deepseek-chat',
      system_prompt: null,
      params: null,
      pinned: null,
    });
    expect(picker).toHaveValue('deepseek-chat');
  });

  it('saves the conversation settings from the popover', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.updateConversation).mockImplementation(async (id, patch) =>
      conversation(id, { system_prompt: patch.system_prompt, params: patch.params ?? undefined }),
    );
    render(ChatView);
    await openConversation(user);

    await user.click(screen.getByTestId('chat-settings'));
    await user.type(screen.getByTestId('system-prompt'), 'Answer briefly.');
    await user.type(screen.getByTestId('temperature'), '0.4');
    await user.type(screen.getByTestId('max-tokens'), '512');
    await user.click(screen.getByTestId('transport-responses'));
    await user.click(screen.getByTestId('save-chat-settings'));

    expect(ipc.updateConversation).toHaveBeenCalledWith(7, {
      title: null,
      model: null,
      system_prompt: 'Answer briefly.',
      params: {
        temperature: 0.4,
        top_p: null,
        max_tokens: 512,
        transport: 'responses',
        tools: { enabled: null, auto_run: false, max_generations: 10, choice: null },
      },
      pinned: null,
    });
    await waitFor(() => expect(screen.queryByTestId('chat-settings-panel')).not.toBeInTheDocument());
  });

  it('follows a reply that comes after tool results with no turn waiting (a job that ended after a restart)', async () => {
    const user = userEvent.setup();
    let emit: (event: TurnEvent) => void = () => {};
    vi.mocked(ipc.onToolTurnEvent).mockImplementation(async (handler) => {
      emit = handler;
      return () => {};
    });
    render(ChatView);
    await chat.listenForTools();
    await openConversation(user);
    const next = message(103, 'assistant', '', { status: 'streaming' });
    vi.mocked(ipc.listMessages).mockResolvedValue({ items: [...history, next], before_cursor: null, after_cursor: null });
    vi.mocked(ipc.listMessages).mockClear();

    emit({ kind: 'tools', reply_id: 102 });
    await waitFor(() => expect(ipc.listMessages).toHaveBeenCalledWith(7, null, null, expect.any(Number)));
    emit({ kind: 'next_reply', reply_id: 103 });
    await waitFor(() => expect(messageById(103)).toBeInTheDocument());
    emit({ kind: 'delta', content: 'The clip is ready: ', reasoning: '' });
    emit({ kind: 'delta', content: 'a lighthouse at night.', reasoning: '' });
    emit({ kind: 'finished', status: 'complete', error: null, code: null });
    await waitFor(() => expect(messageById(103)).toHaveTextContent('The clip is ready: a lighthouse at night.'));
  });

  it('sets how the conversation uses tools: offered, what the model must do, the limit, asking first', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.updateConversation).mockImplementation(async (id, patch) =>
      conversation(id, { params: patch.params ?? undefined }),
    );
    render(ChatView);
    await openConversation(user);
    await user.click(screen.getByTestId('chat-settings'));
    expect(await screen.findByTestId('tools-used')).toHaveTextContent('2 so far');
    const choice = screen.getByTestId('tools-choice');
    expect(within(choice).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'Decide whether to use a tool',
      'Always use a tool when you write',
      'Always use: Create an image',
      'Always use: Read aloud',
      'Always use: Search your library',
    ]);
    await user.selectOptions(screen.getByTestId('tools-offer'), 'on');
    await user.selectOptions(choice, 'speak');
    await user.clear(screen.getByTestId('tools-limit'));
    await user.type(screen.getByTestId('tools-limit'), '3');
    await user.click(screen.getByTestId('tools-auto-run'));
    await user.click(screen.getByTestId('save-chat-settings'));
    expect(ipc.updateConversation).toHaveBeenCalledWith(7, expect.objectContaining({
      params: expect.objectContaining({ tools: { enabled: true, auto_run: true, max_generations: 3, choice: 'speak' } }),
    }));

    vi.mocked(ipc.updateConversation).mockClear();
    await user.click(screen.getByTestId('chat-settings'));
    await user.clear(screen.getByTestId('tools-limit'));
    await user.type(screen.getByTestId('tools-limit'), '2.5');
    await user.click(screen.getByTestId('save-chat-settings'));
    expect(await screen.findByTestId('chat-settings-error')).toHaveTextContent('whole number of generations');
    expect(ipc.updateConversation).not.toHaveBeenCalled();
  });

  it('rejects an out-of-range temperature without saving', async () => {
    const user = userEvent.setup();
    render(ChatView);
    await openConversation(user);

    await user.click(screen.getByTestId('chat-settings'));
    await user.type(screen.getByTestId('temperature'), '3');
    await user.click(screen.getByTestId('save-chat-settings'));

    expect(await screen.findByTestId('chat-settings-error')).toHaveTextContent('Temperature must be a number from 0 to 2.');
    expect(ipc.updateConversation).not.toHaveBeenCalled();
  });

  it('asks before deleting and deletes only after confirming', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.deleteConversation).mockResolvedValue(null);
    render(ChatView);
    const [first] = await screen.findAllByTestId('conversation-item');

    await user.click(within(first).getByTestId('delete-conversation'));
    const dialog = screen.getByRole('dialog');
    expect(dialog).toHaveAccessibleName('Delete this conversation?');
    expect(within(dialog).getByTestId('confirm-subject')).toHaveTextContent('Rust lifetimes');
    expect(dialog).toHaveTextContent('removed from this computer with all its messages');
    expect(ipc.deleteConversation).not.toHaveBeenCalled();

    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(ipc.deleteConversation).not.toHaveBeenCalled();

    await user.click(within(first).getByTestId('delete-conversation'));
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(ipc.deleteConversation).not.toHaveBeenCalled();

    await user.click(within(first).getByTestId('delete-conversation'));
    await user.click(screen.getByTestId('confirm-delete'));
    expect(ipc.deleteConversation).toHaveBeenCalledWith(7);
    await waitFor(() => expect(screen.getAllByTestId('conversation-item').map((i) => i.dataset.id)).toEqual(['5']));
  });

  it('renames inline, pins and exports from the row', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.updateConversation).mockImplementation(async (id, patch) =>
      conversation(id, { title: patch.title ?? 'Trip to Kyoto', pinned: patch.pinned ?? false }),
    );
    vi.mocked(ipc.exportConversation).mockResolvedValue('/home/user/Documents/Trip to Kyoto.md');
    render(ChatView);
    const row = () => screen.getAllByTestId('conversation-item').find((i) => i.dataset.id === '5')!;
    await screen.findAllByTestId('conversation-item');

    await user.click(within(row()).getByTestId('rename-conversation'));
    const field = screen.getByTestId('rename-input');
    expect(field).toHaveFocus();
    await user.clear(field);
    await user.type(field, 'Kyoto in autumn{Enter}');
    expect(ipc.updateConversation).toHaveBeenCalledWith(5, expect.objectContaining({ title: 'Kyoto in autumn' }));
    await waitFor(() => expect(row()).toHaveTextContent('Kyoto in autumn'));

    await user.click(within(row()).getByTestId('pin-conversation'));
    expect(ipc.updateConversation).toHaveBeenCalledWith(5, expect.objectContaining({ pinned: true }));

    await user.click(within(row()).getByTestId('export-conversation'));
    expect(ipc.exportConversation).toHaveBeenCalledWith(5);
    expect(await screen.findByTestId('notice')).toHaveTextContent('Saved to /home/user/Documents/Trip to Kyoto.md');
  });

  it('loads more conversations by cursor', async () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ id: 1000 - i, title: `Chat ${i}`, model: null, pinned: false, updated_at: 5000 - i }));
    vi.mocked(ipc.listConversations)
      .mockResolvedValueOnce({ items: many, next_cursor: '0:4951:951' })
      .mockResolvedValueOnce({ items: [{ id: 3, title: 'Oldest', model: null, pinned: false, updated_at: 1 }], next_cursor: null });
    render(ChatView);

    await waitFor(() => expect(ipc.listConversations).toHaveBeenCalledWith('0:4951:951', 50));
    expect(ipc.listConversations).toHaveBeenNthCalledWith(1, null, 50);
    await waitFor(() => expect(chat.conversations).toHaveLength(51));
  });

  it('opens the search palette with Ctrl+K and jumps to a hit', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.searchMessages).mockResolvedValue([
      {
        message_id: 102,
        conversation_id: 7,
        conversation_title: 'Rust lifetimes',
        role: 'assistant',
        snippet: 'A \u0002lifetime\u0003 is a scope',
        created_at: 1102,
      },
      {
        message_id: 55,
        conversation_id: 5,
        conversation_title: 'Trip to Kyoto',
        role: 'user',
        snippet: 'the \u0002lifetime\u0003 of a JR pass',
        created_at: 55,
      },
    ]);
    render(ChatView);
    await screen.findAllByTestId('conversation-item');

    await user.keyboard('{Control>}k{/Control}');
    const palette = await screen.findByTestId('search-palette');
    const input = within(palette).getByTestId('search-input');
    expect(input).toHaveFocus();

    await user.type(input, 'lifetime');
    const results = await within(palette).findAllByTestId('search-result');
    expect(ipc.searchMessages).toHaveBeenCalledTimes(1);
    expect(ipc.searchMessages).toHaveBeenCalledWith('lifetime', 30);
    expect(results).toHaveLength(2);
    expect(results[0]).toHaveTextContent('Rust lifetimes');
    const mark = results[0].querySelector('mark');
    expect(mark).toHaveTextContent('lifetime');
    expect(results[0].querySelector('.snippet')?.textContent?.trim()).toBe('A lifetime is a scope');
    expect(results[0]).toHaveAttribute('aria-selected', 'true');

    await user.keyboard('{ArrowDown}');
    expect(results[1]).toHaveAttribute('aria-selected', 'true');
    await user.keyboard('{ArrowUp}');
    expect(results[0]).toHaveAttribute('aria-selected', 'true');

    vi.mocked(ipc.listMessages).mockResolvedValue({ items: history, before_cursor: 100, after_cursor: 102 });
    await user.keyboard('{Enter}');

    expect(ipc.listMessages).toHaveBeenCalledWith(7, 103, null, 30);
    expect(screen.queryByTestId('search-palette')).not.toBeInTheDocument();
    await waitFor(() => expect(messageById(102).className).toContain('highlighted'));
  });

  it('the palette carries its query on to the Library, to search everything by meaning', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.searchMessages).mockResolvedValue([]);
    render(ChatView);
    await screen.findAllByTestId('conversation-item');
    await user.keyboard('{Control>}k{/Control}');
    const palette = await screen.findByTestId('search-palette');
    await user.type(within(palette).getByTestId('search-input'), 'the sunset one with the boat');
    const everything = await within(palette).findByTestId('search-everything');
    expect(everything).toHaveTextContent('Search everything for “the sunset one with the boat”');
    expect(everything).toHaveAttribute('aria-selected', 'true');
    await user.keyboard('{Enter}');
    expect(app.view).toBe('library');
    expect(library.query).toBe('the sunset one with the boat');
    app.open('chat');
  });

  it('loads the rest of a jump page that does not fill the view, and drops "Jump to latest"', async () => {
    vi.mocked(ipc.listMessages).mockImplementation(async (_id, _before, after) => {
      if (after !== null) return { items: [message(103, 'user', 'Newer question')], before_cursor: 102, after_cursor: null };
      return { items: history, before_cursor: null, after_cursor: 102 };
    });
    render(ChatView);
    await screen.findAllByTestId('conversation-item');

    await chat.jumpTo({
      message_id: 102,
      conversation_id: 7,
      conversation_title: 'Rust lifetimes',
      role: 'assistant',
      snippet: 'x',
      created_at: 0,
    });
    // jsdom lays nothing out: the page never fills the view, as with two short messages.
    await waitFor(() => expect(ipc.listMessages).toHaveBeenCalledWith(7, null, 102, 40));
    await waitFor(() => expect(chat.messages.map((m) => m.id)).toEqual([101, 102, 103]));
    expect(chat.afterCursor).toBeNull();
    await waitFor(() => expect(screen.queryByTestId('jump-to-latest')).not.toBeInTheDocument());
  });

  it('loads newer pages after a jump, then follows the conversation', async () => {
    vi.mocked(ipc.listMessages).mockImplementation(async (_id, before, after) => {
      if (after !== null) return { items: [message(103, 'user', 'Newer question')], before_cursor: 102, after_cursor: null };
      if (before === 103) return { items: history, before_cursor: 101, after_cursor: 102 };
      // The older page (the list asks for it while it does not fill the view).
      return { items: [message(100, 'assistant', 'Welcome')], before_cursor: null, after_cursor: 101 };
    });
    render(ChatView);
    await screen.findAllByTestId('conversation-item');

    await chat.jumpTo({
      message_id: 102,
      conversation_id: 7,
      conversation_title: 'Rust lifetimes',
      role: 'assistant',
      snippet: 'x',
      created_at: 0,
    });
    expect(ipc.listMessages).toHaveBeenLastCalledWith(7, 103, null, 30);
    expect(chat.afterCursor).toBe(102);

    // The page does not fill the (unlaid-out) view, so both neighbours load on their own.
    await waitFor(() => expect(ipc.listMessages).toHaveBeenCalledWith(7, null, 102, 40));
    await waitFor(() => expect(chat.messages.map((m) => m.id)).toEqual([100, 101, 102, 103]));
    expect(chat.afterCursor).toBeNull();
  });

  it('closes the palette with Escape', async () => {
    const user = userEvent.setup();
    render(ChatView);
    await screen.findAllByTestId('conversation-item');

    await user.keyboard('{Meta>}k{/Meta}');
    expect(await screen.findByTestId('search-palette')).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('search-palette')).not.toBeInTheDocument();
  });

  it('starts a new chat from the sidebar', async () => {
    const user = userEvent.setup();
    render(ChatView);
    await openConversation(user);

    await user.click(screen.getByTestId('new-chat'));
    expect(screen.getByTestId('chat-start')).toBeInTheDocument();
    expect(screen.queryAllByTestId('message')).toHaveLength(0);
    expect(screen.getByTestId('conversation-title')).toHaveTextContent('New chat');
    expect(screen.getByTestId('composer-input')).toHaveFocus();
  });
});
