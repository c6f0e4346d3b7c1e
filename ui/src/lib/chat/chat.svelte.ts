// Chat state: the conversation list, the open conversation and its loaded messages,
// and the replies streaming in. It lives for the whole app, so a reply keeps streaming
// while another view is open.
import type { AssetView } from '../bindings/AssetView';
import type { ChatParams } from '../bindings/ChatParams';
import type { Conversation } from '../bindings/Conversation';
import type { ConversationSummary } from '../bindings/ConversationSummary';
import type { IpcError } from '../bindings/IpcError';
import type { MessagePage } from '../bindings/MessagePage';
import type { MessageView } from '../bindings/MessageView';
import type { ModelInfo } from '../bindings/ModelInfo';
import type { SearchHit } from '../bindings/SearchHit';
import type { TokenUsage } from '../bindings/TokenUsage';
import type { TurnEvent } from '../bindings/TurnEvent';
import type { TurnStarted } from '../bindings/TurnStarted';
import * as ipc from '../ipc';

export const CONVERSATION_PAGE = 50;
export const MESSAGE_PAGE = 40;
/** A search hit opens with this many messages, the hit last. */
export const JUMP_PAGE = 30;
const HIGHLIGHT_MS = 2400;

/** One reply being produced: its events, in order, and the text so far. */
interface Turn {
  conversationId: number | null;
  replyId: number | null;
  /** Events that came before the command told the reply's id. */
  pending: TurnEvent[];
  content: string;
  reasoning: string;
  usage: TokenUsage | null;
  stopRequested: boolean;
}

export type Notice = { kind: 'exported'; path: string };

export type ScrollRequest = { id: number; seq: number };

function now(): number {
  return Date.now();
}

function newMessage(
  id: number,
  conversationId: number,
  role: 'user' | 'assistant',
  content: string,
  status: MessageView['status'],
  model: string | null,
  attachments: AssetView[] = [],
): MessageView {
  return {
    id,
    conversation_id: conversationId,
    role,
    content,
    reasoning: null,
    status,
    error: null,
    model,
    usage: null,
    attachments,
    created_at: now(),
  };
}

/** A reply that ended early and can be continued: stopped, or cut off at the length limit. */
export function canContinue(message: MessageView): boolean {
  if (message.role !== 'assistant') return false;
  return message.status === 'interrupted' || (message.status === 'complete' && message.error !== null);
}

export class ChatStore {
  // ---- sidebar
  conversations = $state<ConversationSummary[]>([]);
  nextCursor = $state<string | null>(null);
  listLoading = $state(false);
  listLoaded = $state(false);
  listError = $state<IpcError | null>(null);

  // ---- the open conversation (null id: the start screen)
  currentId = $state<number | null>(null);
  current = $state<Conversation | null>(null);
  messages = $state<MessageView[]>([]);
  /** Pass as `before` to load older messages; null when the first one is loaded. */
  beforeCursor = $state<number | null>(null);
  /** Pass as `after` to load newer messages; null when the newest one is loaded. */
  afterCursor = $state<number | null>(null);
  messagesLoading = $state(false);
  olderLoading = $state(false);
  newerLoading = $state(false);
  messagesError = $state<IpcError | null>(null);
  /** Changes whenever the message list is replaced rather than extended. */
  epoch = $state(0);

  // ---- models
  models = $state<ModelInfo[]>([]);
  modelsLoaded = $state(false);
  draftModel = $state<string | null>(null);

  // ---- replies in progress: conversation id → reply id (null until the command answers)
  streaming = $state<Record<number, number | null>>({});
  /** Sending the first message of a new conversation. */
  starting = $state(false);
  /** Error codes of replies that failed in this session (the message row has the text). */
  errorCodes = $state<Record<number, string>>({});

  // ---- what the view shows besides
  highlightId = $state<number | null>(null);
  scrollRequest = $state<ScrollRequest | null>(null);
  notice = $state<Notice | null>(null);
  /** A failed action on the open conversation (regenerate, edit, continue, stop, settings). */
  actionError = $state<IpcError | null>(null);
  /** A failed action from the sidebar (rename, pin, delete, export). */
  listActionError = $state<IpcError | null>(null);

  private turns = new Set<Turn>();
  private loadToken = 0;
  private scrollSeq = 0;
  private highlightTimer: ReturnType<typeof setTimeout> | null = null;

  reset(): void {
    this.conversations = [];
    this.nextCursor = null;
    this.listLoading = false;
    this.listLoaded = false;
    this.listError = null;
    this.currentId = null;
    this.current = null;
    this.messages = [];
    this.beforeCursor = null;
    this.afterCursor = null;
    this.messagesLoading = false;
    this.olderLoading = false;
    this.newerLoading = false;
    this.messagesError = null;
    this.epoch = 0;
    this.models = [];
    this.modelsLoaded = false;
    this.draftModel = null;
    this.streaming = {};
    this.starting = false;
    this.errorCodes = {};
    this.highlightId = null;
    this.scrollRequest = null;
    this.notice = null;
    this.actionError = null;
    this.listActionError = null;
    this.turns.clear();
    this.loadToken = 0;
    if (this.highlightTimer) clearTimeout(this.highlightTimer);
    this.highlightTimer = null;
  }

  // ---- models -------------------------------------------------------------------------

  get chatModels(): ModelInfo[] {
    return this.models.filter((model) => model.kind === 'chat');
  }

  /** The open conversation's row in the list, known before the conversation loads. */
  get currentSummary(): ConversationSummary | undefined {
    return this.conversations.find((c) => c.id === this.currentId);
  }

  get title(): string | null {
    if (this.currentId === null) return null;
    return this.current?.title ?? this.currentSummary?.title ?? null;
  }

  /** The model the next message goes to. */
  get selectedModel(): string | null {
    if (this.currentId !== null) {
      return this.current ? this.current.model : (this.currentSummary?.model ?? null);
    }
    if (this.draftModel !== null) return this.draftModel;
    const chat = this.chatModels;
    const recent = this.conversations.find((c) => c.model && chat.some((m) => m.id === c.model))?.model;
    return recent ?? chat[0]?.id ?? null;
  }

  async loadModels(): Promise<void> {
    try {
      this.models = await ipc.listModels();
    } catch {
      // The picker then offers the conversation's own model and the platform default.
      this.models = [];
    } finally {
      this.modelsLoaded = true;
    }
  }

  async setModel(model: string | null): Promise<void> {
    const id = this.currentId;
    if (id === null || !this.current) {
      this.draftModel = model;
      return;
    }
    const previous = this.current.model;
    this.current.model = model;
    if (model === null) return; // "Platform default" only changes what the next message sends
    try {
      const updated = await ipc.updateConversation(id, ipc.conversationPatch({ model }));
      if (this.currentId === id) this.current = updated;
      this.patchSummary(id, { model: updated.model });
    } catch (error) {
      if (this.currentId === id && this.current) this.current.model = previous;
      this.actionError = ipc.toIpcError(error);
    }
  }

  async saveSettings(systemPrompt: string, params: ChatParams): Promise<void> {
    const id = this.currentId;
    if (id === null) return;
    const updated = await ipc.updateConversation(
      id,
      ipc.conversationPatch({ system_prompt: systemPrompt.trim(), params }),
    );
    if (this.currentId === id) this.current = updated;
  }

  // ---- the conversation list -------------------------------------------------------

  async loadConversations(): Promise<void> {
    this.listLoading = true;
    this.listError = null;
    try {
      const page = await ipc.listConversations(null, Math.max(CONVERSATION_PAGE, this.conversations.length));
      this.conversations = page.items;
      this.nextCursor = page.next_cursor;
      this.listLoaded = true;
    } catch (error) {
      this.listError = ipc.toIpcError(error);
    } finally {
      this.listLoading = false;
    }
  }

  async loadMoreConversations(): Promise<void> {
    const cursor = this.nextCursor;
    if (cursor === null || this.listLoading) return;
    this.listLoading = true;
    try {
      const page = await ipc.listConversations(cursor, CONVERSATION_PAGE);
      const known = new Set(this.conversations.map((c) => c.id));
      this.conversations.push(...page.items.filter((c) => !known.has(c.id)));
      this.nextCursor = page.next_cursor;
    } catch (error) {
      this.listError = ipc.toIpcError(error);
    } finally {
      this.listLoading = false;
    }
  }

  private patchSummary(id: number, fields: Partial<ConversationSummary>): void {
    const row = this.conversations.find((c) => c.id === id);
    if (row) Object.assign(row, fields);
  }

  async rename(id: number, title: string): Promise<void> {
    const trimmed = title.trim();
    const row = this.conversations.find((c) => c.id === id);
    if (!trimmed || (row && row.title === trimmed)) return;
    this.listActionError = null;
    try {
      const updated = await ipc.updateConversation(id, ipc.conversationPatch({ title: trimmed }));
      this.patchSummary(id, { title: updated.title });
      if (this.currentId === id) this.current = updated;
    } catch (error) {
      this.listActionError = ipc.toIpcError(error);
    }
  }

  async togglePin(id: number): Promise<void> {
    const row = this.conversations.find((c) => c.id === id);
    if (!row) return;
    this.listActionError = null;
    try {
      const updated = await ipc.updateConversation(id, ipc.conversationPatch({ pinned: !row.pinned }));
      this.patchSummary(id, { pinned: updated.pinned });
      if (this.currentId === id) this.current = updated;
      await this.loadConversations();
    } catch (error) {
      this.listActionError = ipc.toIpcError(error);
    }
  }

  async remove(id: number): Promise<boolean> {
    this.listActionError = null;
    try {
      await ipc.deleteConversation(id);
    } catch (error) {
      this.listActionError = ipc.toIpcError(error);
      return false;
    }
    this.conversations = this.conversations.filter((c) => c.id !== id);
    delete this.streaming[id];
    if (this.currentId === id) this.newChat();
    return true;
  }

  async exportConversation(id: number): Promise<void> {
    this.listActionError = null;
    try {
      const path = await ipc.exportConversation(id);
      this.notice = { kind: 'exported', path };
    } catch (error) {
      this.listActionError = ipc.toIpcError(error);
    }
  }

  // ---- opening conversations ------------------------------------------------------

  /** The start screen: no conversation; the next message creates one. */
  newChat(): void {
    this.loadToken++;
    this.currentId = null;
    this.current = null;
    this.messages = [];
    this.beforeCursor = null;
    this.afterCursor = null;
    this.messagesError = null;
    this.messagesLoading = false;
    this.actionError = null;
    this.highlightId = null;
    this.epoch++;
  }

  async select(id: number): Promise<void> {
    if (this.currentId === id && !this.messagesError && this.afterCursor === null) return;
    await this.open(id, null);
  }

  /** Opens a search hit: the page that ends with it, then newer pages as the user scrolls. */
  async jumpTo(hit: SearchHit): Promise<void> {
    await this.open(hit.conversation_id, hit.message_id);
  }

  private async open(id: number, focusId: number | null): Promise<void> {
    const token = ++this.loadToken;
    this.currentId = id;
    if (this.current?.id !== id) this.current = null;
    this.messages = [];
    this.beforeCursor = null;
    this.afterCursor = null;
    this.messagesError = null;
    this.actionError = null;
    this.messagesLoading = true;
    this.highlightId = null;
    this.epoch++;
    try {
      const [conversation, page] = await Promise.all([
        ipc.getConversation(id),
        focusId === null
          ? ipc.listMessages(id, null, null, MESSAGE_PAGE)
          : ipc.listMessages(id, focusId + 1, null, JUMP_PAGE),
      ]);
      if (token !== this.loadToken) return;
      this.current = conversation;
      this.setPage(page);
      if (focusId !== null) this.focusMessage(focusId);
    } catch (error) {
      if (token !== this.loadToken) return;
      this.messagesError = ipc.toIpcError(error);
    } finally {
      if (token === this.loadToken) this.messagesLoading = false;
    }
  }

  private focusMessage(id: number): void {
    this.highlightId = id;
    this.scrollRequest = { id, seq: ++this.scrollSeq };
    if (this.highlightTimer) clearTimeout(this.highlightTimer);
    this.highlightTimer = setTimeout(() => {
      if (this.highlightId === id) this.highlightId = null;
      this.highlightTimer = null;
    }, HIGHLIGHT_MS);
  }

  private setPage(page: MessagePage): void {
    this.messages = page.items.map((m) => this.withLiveText(m));
    this.beforeCursor = page.before_cursor;
    this.afterCursor = page.after_cursor;
    this.epoch++;
  }

  /** A reply streaming right now shows the text received so far, not the stored one. */
  private withLiveText(message: MessageView): MessageView {
    for (const turn of this.turns) {
      if (turn.replyId === message.id) {
        return {
          ...message,
          content: turn.content,
          reasoning: turn.reasoning || message.reasoning,
          status: 'streaming',
          usage: turn.usage ?? message.usage,
        };
      }
    }
    return message;
  }

  async loadOlder(): Promise<void> {
    const id = this.currentId;
    const before = this.beforeCursor;
    if (id === null || before === null || this.olderLoading) return;
    const token = this.loadToken;
    this.olderLoading = true;
    try {
      const page = await ipc.listMessages(id, before, null, MESSAGE_PAGE);
      if (token !== this.loadToken) return;
      const known = new Set(this.messages.map((m) => m.id));
      this.messages.unshift(...page.items.filter((m) => !known.has(m.id)).map((m) => this.withLiveText(m)));
      this.beforeCursor = page.before_cursor;
    } catch (error) {
      if (token === this.loadToken) this.messagesError = ipc.toIpcError(error);
    } finally {
      this.olderLoading = false;
    }
  }

  async loadNewer(): Promise<void> {
    const id = this.currentId;
    const after = this.afterCursor;
    if (id === null || after === null || this.newerLoading) return;
    const token = this.loadToken;
    this.newerLoading = true;
    try {
      const page = await ipc.listMessages(id, null, after, MESSAGE_PAGE);
      if (token !== this.loadToken) return;
      const known = new Set(this.messages.map((m) => m.id));
      this.messages.push(...page.items.filter((m) => !known.has(m.id)).map((m) => this.withLiveText(m)));
      this.afterCursor = page.after_cursor;
    } catch (error) {
      if (token === this.loadToken) this.messagesError = ipc.toIpcError(error);
    } finally {
      this.newerLoading = false;
    }
  }

  /** Replaces the loaded window with the newest messages. */
  async loadLatest(): Promise<void> {
    const id = this.currentId;
    if (id === null) return;
    const token = ++this.loadToken;
    try {
      const page = await ipc.listMessages(id, null, null, MESSAGE_PAGE);
      if (token !== this.loadToken) return;
      this.setPage(page);
    } catch (error) {
      if (token === this.loadToken) this.messagesError = ipc.toIpcError(error);
    }
  }

  // ---- turns ----------------------------------------------------------------------------

  /** Whether a reply is streaming (or about to) in the open conversation. */
  get busy(): boolean {
    if (this.currentId === null) return this.starting;
    return this.currentId in this.streaming;
  }

  private startTurn(conversationId: number | null, content = '', reasoning = ''): Turn {
    const turn: Turn = {
      conversationId,
      replyId: null,
      pending: [],
      content,
      reasoning,
      usage: null,
      stopRequested: false,
    };
    this.turns.add(turn);
    if (conversationId !== null) this.streaming[conversationId] = null;
    return turn;
  }

  private dropTurn(turn: Turn): void {
    this.turns.delete(turn);
    if (turn.conversationId !== null) delete this.streaming[turn.conversationId];
  }

  private handler(turn: Turn): ipc.TurnHandler {
    return (event) => {
      if (event.kind === 'tools' || event.kind === 'next_reply') {
        this.onToolEvent(turn, event);
        return;
      }
      if (turn.replyId === null) turn.pending.push(event);
      else this.apply(turn, event);
    };
  }

  /** The command answered: the reply row is in the view; play what came meanwhile. */
  private begin(turn: Turn, started: TurnStarted): void {
    turn.conversationId = started.conversation_id;
    turn.replyId = started.reply_id;
    this.streaming[started.conversation_id] = started.reply_id;
    const pending = turn.pending;
    turn.pending = [];
    for (const event of pending) this.apply(turn, event);
    if (turn.stopRequested && this.turns.has(turn)) void this.stopTurn(turn);
  }

  private replyRow(turn: Turn): MessageView | undefined {
    if (turn.conversationId !== this.currentId) return undefined;
    for (let i = this.messages.length - 1; i >= 0; i--) {
      if (this.messages[i].id === turn.replyId) return this.messages[i];
    }
    return undefined;
  }

  private apply(turn: Turn, event: TurnEvent): void {
    if (!this.turns.has(turn)) return;
    const row = this.replyRow(turn);
    switch (event.kind) {
      case 'delta':
        turn.content += event.content;
        turn.reasoning += event.reasoning;
        if (row) {
          if (event.content) row.content = turn.content;
          if (event.reasoning) row.reasoning = turn.reasoning;
        }
        break;
      case 'usage':
        turn.usage = event.usage;
        if (row) row.usage = event.usage;
        break;
      case 'finished':
        if (row) {
          row.content = turn.content;
          row.status = event.status;
          row.error = event.error;
          if (turn.usage) row.usage = turn.usage;
        }
        if (event.code && turn.replyId !== null) this.errorCodes[turn.replyId] = event.code;
        this.dropTurn(turn);
        void this.afterTurn(turn.conversationId);
        break;
    }
  }

  /** A turn changes the list order (updated_at) and maybe the title. */
  private async afterTurn(conversationId: number | null): Promise<void> {
    if (conversationId === null) return;
    await this.loadConversations();
    if (this.currentId === conversationId) {
      try {
        const conversation = await ipc.getConversation(conversationId);
        if (this.currentId === conversationId) this.current = conversation;
      } catch {
        // The list already shows the new title; the header keeps the old one.
      }
    }
  }

  /**
   * Sends a message to the open conversation, or starts a new one. Rejects with an
   * IpcError when the backend refused it (nothing was added to the view then).
   */
  async send(text: string, attachments: AssetView[]): Promise<void> {
    const conversationId = this.currentId;
    const model = this.selectedModel;
    const turn = this.startTurn(conversationId);
    if (conversationId === null) this.starting = true;
    this.actionError = null;
    let started: TurnStarted;
    try {
      started = await ipc.sendMessage(
        { conversation_id: conversationId, text, attachments: attachments.map((a) => a.id), model },
        this.handler(turn),
      );
    } catch (error) {
      this.dropTurn(turn);
      throw ipc.toIpcError(error);
    } finally {
      if (conversationId === null) this.starting = false;
    }
    const cid = started.conversation_id;
    turn.conversationId = cid;
    this.streaming[cid] = null;

    if (conversationId === null) {
      // A new conversation: open it with the two rows the backend just wrote.
      if (this.currentId !== null) {
        this.begin(turn, started);
        void this.loadConversations();
        return;
      }
      this.loadToken++;
      this.currentId = cid;
      this.current = null;
      this.messages = [];
      this.beforeCursor = null;
      this.afterCursor = null;
      this.epoch++;
      void ipc.getConversation(cid).then(
        (conversation) => {
          if (this.currentId === cid) this.current = conversation;
        },
        () => {},
      );
      void this.loadConversations();
    }

    if (this.currentId !== cid) {
      this.begin(turn, started);
      return;
    }
    if (this.afterCursor !== null) {
      // An older window is open: show the newest messages, which now end with this turn.
      // Events keep queueing meanwhile and play in order once the rows are there.
      await this.loadLatest();
      this.begin(turn, started);
      return;
    }
    if (started.user_message_id !== null) {
      this.messages.push(newMessage(started.user_message_id, cid, 'user', text, 'complete', null, attachments));
    }
    this.messages.push(newMessage(started.reply_id, cid, 'assistant', '', 'streaming', model));
    this.begin(turn, started);
    if (conversationId !== null) {
      this.patchSummary(cid, { updated_at: now() });
      void this.loadConversations();
    }
  }

  private findTurn(conversationId: number): Turn | undefined {
    for (const turn of this.turns) if (turn.conversationId === conversationId) return turn;
    return undefined;
  }

  /** Stops the reply streaming in the open conversation; it ends "interrupted". */
  async stop(): Promise<void> {
    const id = this.currentId;
    if (id === null) return;
    const turn = this.findTurn(id);
    if (!turn) return;
    if (turn.replyId === null) {
      turn.stopRequested = true;
      return;
    }
    await this.stopTurn(turn);
  }

  private async stopTurn(turn: Turn): Promise<void> {
    if (turn.replyId === null) return;
    try {
      await ipc.stopReply(turn.replyId);
    } catch (error) {
      this.actionError = ipc.toIpcError(error);
    }
  }

  /** Replaces a reply with a new one. */
  async regenerate(replyId: number): Promise<void> {
    const cid = this.currentId;
    if (cid === null || this.busy) return;
    const old = this.messages.find((m) => m.id === replyId);
    const model = this.current?.model ?? old?.model ?? null;
    const turn = this.startTurn(cid);
    this.actionError = null;
    let started: TurnStarted;
    try {
      started = await ipc.regenerateReply(replyId, this.handler(turn));
    } catch (error) {
      this.dropTurn(turn);
      this.actionError = ipc.toIpcError(error);
      return;
    }
    if (this.currentId === started.conversation_id) {
      const row = newMessage(started.reply_id, started.conversation_id, 'assistant', '', 'streaming', model);
      const index = this.messages.findIndex((m) => m.id === replyId);
      if (index >= 0) this.messages.splice(index, 1, row);
      else this.messages.push(row);
    }
    this.begin(turn, started);
  }

  /** Changes a user message, drops everything after it and streams a new reply. */
  async editAndResend(messageId: number, text: string): Promise<boolean> {
    const cid = this.currentId;
    if (cid === null || this.busy) return false;
    const model = this.current?.model ?? null;
    const turn = this.startTurn(cid);
    this.actionError = null;
    let started: TurnStarted;
    try {
      started = await ipc.editAndResend(messageId, text, this.handler(turn));
    } catch (error) {
      this.dropTurn(turn);
      this.actionError = ipc.toIpcError(error);
      return false;
    }
    if (this.currentId === started.conversation_id) {
      const index = this.messages.findIndex((m) => m.id === messageId);
      if (index >= 0) {
        this.messages[index].content = text;
        this.messages.splice(index + 1);
      }
      this.afterCursor = null;
      this.messages.push(newMessage(started.reply_id, started.conversation_id, 'assistant', '', 'streaming', model));
    }
    this.begin(turn, started);
    return true;
  }

  /** Asks for more of a reply that stopped early; the new text is appended to it. */
  async continueReply(replyId: number): Promise<void> {
    const cid = this.currentId;
    if (cid === null || this.busy) return;
    const row = this.messages.find((m) => m.id === replyId);
    const turn = this.startTurn(cid, row?.content ?? '', row?.reasoning ?? '');
    this.actionError = null;
    let started: TurnStarted;
    try {
      started = await ipc.continueReply(replyId, this.handler(turn));
    } catch (error) {
      this.dropTurn(turn);
      this.actionError = ipc.toIpcError(error);
      return;
    }
    const current = this.messages.find((m) => m.id === started.reply_id);
    if (current) {
      current.status = 'streaming';
      current.error = null;
    }
    delete this.errorCodes[started.reply_id];
    this.begin(turn, started);
  }

  // ---- tool calls -------------------------------------------------------------------------

  /**
   * A reply's tool calls changed (their cards are rows after it), or the model's next reply
   * began after their results: the same turn follows the new reply.
   */
  private onToolEvent(turn: Turn, event: Extract<TurnEvent, { kind: 'tools' | 'next_reply' }>): void {
    const cid = turn.conversationId;
    if (event.kind === 'next_reply' && cid !== null) {
      turn.replyId = event.reply_id;
      turn.content = '';
      turn.reasoning = '';
      turn.usage = null;
      turn.pending = [];
      this.turns.add(turn);
      this.streaming[cid] = event.reply_id;
    }
    if (cid !== null && cid === this.currentId && this.afterCursor === null) void this.loadLatest();
  }

  /** Confirms or declines a tool call of the open conversation. */
  async answerToolCall(messageId: number, run: boolean): Promise<void> {
    const cid = this.currentId;
    if (cid === null) return;
    const turn: Turn = {
      conversationId: cid,
      replyId: null,
      pending: [],
      content: '',
      reasoning: '',
      usage: null,
      stopRequested: false,
    };
    this.actionError = null;
    try {
      await ipc.answerToolCall(messageId, run, this.handler(turn));
    } catch (error) {
      this.actionError = ipc.toIpcError(error);
    }
    if (this.currentId === cid) await this.loadLatest();
  }

  /** Stops a running tool call; the model is told and its reply follows in the same turn. */
  async stopToolCall(messageId: number): Promise<void> {
    const cid = this.currentId;
    this.actionError = null;
    try {
      await ipc.stopToolCall(messageId);
    } catch (error) {
      this.actionError = ipc.toIpcError(error);
    }
    if (cid !== null && this.currentId === cid && this.afterCursor === null) await this.loadLatest();
  }

  /**
   * Follows replies that come after tool results with no window waiting for them (a video
   * job that ended after a restart): the same events as a turn, announced app-wide.
   * Their conversation is the one whose messages hold the reply that made the calls.
   */
  async listenForTools(): Promise<void> {
    if (this.toolListener) return;
    this.toolListener = true;
    try {
      await ipc.onToolTurnEvent((event) => this.onBackgroundEvent(event));
    } catch {
      this.toolListener = false;
    }
  }

  private toolListener = false;
  private background: Turn | null = null;

  private onBackgroundEvent(event: TurnEvent): void {
    if (event.kind === 'tools') {
      const here = this.currentId !== null && this.messages.some((m) => m.id === event.reply_id);
      const cid = here ? this.currentId : (this.background?.conversationId ?? null);
      this.background = { conversationId: cid, replyId: null, pending: [], content: '', reasoning: '', usage: null, stopRequested: false };
      this.onToolEvent(this.background, event);
    } else if (event.kind === 'next_reply') {
      if (this.background) this.onToolEvent(this.background, event);
    } else if (this.background && this.background.replyId !== null) {
      this.apply(this.background, event);
      if (event.kind === 'finished') this.background = null;
    }
  }

  dismissNotice(): void {
    this.notice = null;
  }
}

export const chat = new ChatStore();
