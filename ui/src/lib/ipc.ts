// The one door to the Rust side. Every command is a typed function here; every
// failure reaches the caller as an IpcError `{ code, message, request_id }`.
import { Channel, convertFileSrc, invoke } from '@tauri-apps/api/core';
import type { AppInfo } from './bindings/AppInfo';
import type { AssetView } from './bindings/AssetView';
import type { ConnectionReport } from './bindings/ConnectionReport';
import type { Conversation } from './bindings/Conversation';
import type { ConversationPage } from './bindings/ConversationPage';
import type { ConversationPatch } from './bindings/ConversationPatch';
import type { GalleryFilter } from './bindings/GalleryFilter';
import type { GalleryItem } from './bindings/GalleryItem';
import type { GalleryPage } from './bindings/GalleryPage';
import type { GenerationEvent } from './bindings/GenerationEvent';
import type { GenerationView } from './bindings/GenerationView';
import type { ImageRequest } from './bindings/ImageRequest';
import type { IpcError } from './bindings/IpcError';
import type { MessagePage } from './bindings/MessagePage';
import type { ModelInfo } from './bindings/ModelInfo';
import type { ModelKind } from './bindings/ModelKind';
import type { PlaybackState } from './bindings/PlaybackState';
import type { ProfileInput } from './bindings/ProfileInput';
import type { ProfileView } from './bindings/ProfileView';
import type { SearchHit } from './bindings/SearchHit';
import type { SendRequest } from './bindings/SendRequest';
import type { Settings } from './bindings/Settings';
import type { SpeechRequest } from './bindings/SpeechRequest';
import type { Transcript } from './bindings/Transcript';
import type { TranscriptFormat } from './bindings/TranscriptFormat';
import type { TranscriptionRequest } from './bindings/TranscriptionRequest';
import type { TurnEvent } from './bindings/TurnEvent';
import type { TurnStarted } from './bindings/TurnStarted';
import type { VideoRequest } from './bindings/VideoRequest';
import type { IndexStatus } from './bindings/IndexStatus';
import type { ModerationVerdict } from './bindings/ModerationVerdict';
import type { SearchQuery } from './bindings/SearchQuery';
import type { SearchResults } from './bindings/SearchResults';
import type { SearchSettings } from './bindings/SearchSettings';
import type { AccountCredentialsInput } from './bindings/AccountCredentialsInput';
import type { AccountCredentialsView } from './bindings/AccountCredentialsView';
import type { AccountSummary } from './bindings/AccountSummary';
import type { ApiKey } from './bindings/ApiKey';
import type { ApiKeyInput } from './bindings/ApiKeyInput';
import type { ApiKeyList } from './bindings/ApiKeyList';
import type { KeyOverview } from './bindings/KeyOverview';
import type { LogPage } from './bindings/LogPage';
import type { LogQuery } from './bindings/LogQuery';
import type { Redeemed } from './bindings/Redeemed';
import type { Spending } from './bindings/Spending';
import type { SpendingQuery } from './bindings/SpendingQuery';

export type { IpcError };

/** Error codes the backend sends. Anything else is shown by its message alone. */
export const ERROR_CODES = [
  'unauthorized',
  'quota_exhausted',
  'rate_limited',
  'model_unavailable',
  'not_offered',
  'payload_too_large',
  'bad_request',
  'not_supported',
  'gateway_down',
  'network',
  'timeout',
  'invalid_url',
  'insecure_url',
  'keychain_unavailable',
  'storage',
  'invalid_response',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isIpcError(value: unknown): value is IpcError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.code === 'string' &&
    typeof v.message === 'string' &&
    (v.request_id === null || v.request_id === undefined || typeof v.request_id === 'string')
  );
}

/** Turns whatever was thrown into an IpcError; unknown shapes become code "internal". */
export function toIpcError(value: unknown): IpcError {
  if (isIpcError(value)) {
    return {
      code: value.code,
      message: value.message,
      request_id: typeof value.request_id === 'string' ? value.request_id : null,
    };
  }
  let message: string;
  if (typeof value === 'string') {
    message = value;
  } else if (value instanceof Error) {
    message = value.message;
  } else if (typeof value === 'object' && value !== null && 'message' in value) {
    message = String((value as { message: unknown }).message);
  } else if (value === undefined || value === null) {
    message = '';
  } else {
    try {
      message = JSON.stringify(value);
    } catch {
      message = String(value);
    }
  }
  // An empty message is allowed: the UI then shows only the translated title for the code.
  return { code: 'internal', message: message.trim(), request_id: null };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toIpcError(error);
  }
}

// ---- Account: the key's balance, the console's access token, API keys, redeem codes ----

export function keyOverview(): Promise<KeyOverview> {
  return call<KeyOverview>('key_overview');
}

export function accountCredentials(): Promise<AccountCredentialsView> {
  return call<AccountCredentialsView>('account_credentials');
}

/** Checks the access token and user id with the platform, then keeps them. */
export function saveAccountCredentials(credentials: AccountCredentialsInput): Promise<AccountSummary> {
  return call<AccountSummary>('save_account_credentials', { credentials });
}

export function forgetAccountCredentials(): Promise<null> {
  return call<null>('forget_account_credentials');
}

/** `null`: the platform has no account API (its panels are hidden). */
export function accountSummary(): Promise<AccountSummary | null> {
  return call<AccountSummary | null>('account_summary');
}

export function usageLogs(query: LogQuery): Promise<LogPage | null> {
  return call<LogPage | null>('usage_logs', { query });
}

export function spending(query: SpendingQuery): Promise<Spending | null> {
  return call<Spending | null>('spending', { query });
}

export function apiKeys(): Promise<ApiKeyList | null> {
  return call<ApiKeyList | null>('api_keys');
}

export function createApiKey(key: ApiKeyInput): Promise<ApiKey> {
  return call<ApiKey>('create_api_key', { key });
}

export function updateApiKey(id: number, key: ApiKeyInput): Promise<ApiKey> {
  return call<ApiKey>('update_api_key', { id, key });
}

export function setApiKeyEnabled(id: number, enabled: boolean): Promise<ApiKey> {
  return call<ApiKey>('set_api_key_enabled', { id, enabled });
}

export function deleteApiKey(id: number): Promise<null> {
  return call<null>('delete_api_key', { id });
}

/** The whole key, only when the person asks to see or copy it. */
export function revealApiKey(id: number): Promise<string> {
  return call<string>('reveal_api_key', { id });
}

/** Makes this key the app's key for the platform in use. */
export function useApiKey(id: number): Promise<ProfileView> {
  return call<ProfileView>('use_api_key', { id });
}

export function redeemCode(code: string): Promise<Redeemed> {
  return call<Redeemed>('redeem_code', { code });
}

export function appInfo(): Promise<AppInfo> {
  return call<AppInfo>('app_info');
}

export function saveSettings(settings: Settings): Promise<Settings> {
  return call<Settings>('save_settings', { settings });
}

/** Tests the entered values without saving them; `api_key: null` means "use the stored key". */
export function testConnection(profile: ProfileInput): Promise<ConnectionReport> {
  return call<ConnectionReport>('test_connection', { profile });
}

export function saveProfile(profile: ProfileInput): Promise<ProfileView> {
  return call<ProfileView>('save_profile', { profile });
}

export function useDemo(): Promise<ProfileView> {
  return call<ProfileView>('use_demo');
}

export function listModels(): Promise<ModelInfo[]> {
  return call<ModelInfo[]>('list_models');
}

/** `baseUrl` names a platform that was tested but not saved; null means the one in use. */
export function setModelKind(id: string, kind: ModelKind, baseUrl: string | null = null): Promise<ModelInfo[]> {
  return call<ModelInfo[]>('set_model_kind', { id, kind, baseUrl });
}

// ---- Chat -------------------------------------------------------------------------

/** Every field of a patch left out stays as it is. */
export function conversationPatch(fields: Partial<ConversationPatch>): ConversationPatch {
  return { title: null, model: null, system_prompt: null, params: null, pinned: null, ...fields };
}

export function listConversations(cursor: string | null, limit: number): Promise<ConversationPage> {
  return call<ConversationPage>('list_conversations', { cursor, limit });
}

export function getConversation(id: number): Promise<Conversation> {
  return call<Conversation>('get_conversation', { id });
}

export function createConversation(model: string | null): Promise<Conversation> {
  return call<Conversation>('create_conversation', { model });
}

export function updateConversation(id: number, patch: ConversationPatch): Promise<Conversation> {
  return call<Conversation>('update_conversation', { id, patch });
}

export function deleteConversation(id: number): Promise<null> {
  return call<null>('delete_conversation', { id });
}

/** Oldest first. Neither cursor: the newest `limit`; `before`: ids < before; `after`: ids > after. */
export function listMessages(
  conversationId: number,
  before: number | null,
  after: number | null,
  limit: number,
): Promise<MessagePage> {
  return call<MessagePage>('list_messages', { conversationId, before, after, limit });
}

/** Receives the events of one streaming reply, in order. */
export type TurnHandler = (event: TurnEvent) => void;

function turnChannel(onEvent: TurnHandler): Channel<TurnEvent> {
  const channel = new Channel<TurnEvent>();
  channel.onmessage = onEvent;
  return channel;
}

/** Resolves once the user message and the empty reply exist; the reply streams to `onEvent`. */
export function sendMessage(request: SendRequest, onEvent: TurnHandler): Promise<TurnStarted> {
  return call<TurnStarted>('send_message', { request, onEvent: turnChannel(onEvent) });
}

export function stopReply(replyId: number): Promise<null> {
  return call<null>('stop_reply', { replyId });
}

/** The old reply is replaced by a new one (`reply_id`). */
export function regenerateReply(replyId: number, onEvent: TurnHandler): Promise<TurnStarted> {
  return call<TurnStarted>('regenerate_reply', { replyId, onEvent: turnChannel(onEvent) });
}

/** Changes the user message, deletes everything after it and streams a new reply. */
export function editAndResend(messageId: number, text: string, onEvent: TurnHandler): Promise<TurnStarted> {
  return call<TurnStarted>('edit_and_resend', { messageId, text, onEvent: turnChannel(onEvent) });
}

/** Same reply id; new deltas append to the text it has. */
export function continueReply(replyId: number, onEvent: TurnHandler): Promise<TurnStarted> {
  return call<TurnStarted>('continue_reply', { replyId, onEvent: turnChannel(onEvent) });
}

/** A tool call's card. */
export function toolCall(messageId: number): Promise<import('./bindings/ToolCallView').ToolCallView> {
  return call<import('./bindings/ToolCallView').ToolCallView>('tool_call', { messageId });
}

/** Confirm (`run`) or decline a call; the model's next reply streams to `onEvent`. */
export function answerToolCall(
  messageId: number,
  run: boolean,
  onEvent: TurnHandler,
): Promise<import('./bindings/ToolCallView').ToolCallView> {
  return call<import('./bindings/ToolCallView').ToolCallView>('answer_tool_call', { messageId, run, onEvent: turnChannel(onEvent) });
}

/** Stops a running call; the model is told and goes on (its reply streams to the turn). */
export function stopToolCall(messageId: number): Promise<import('./bindings/ToolCallView').ToolCallView> {
  return call<import('./bindings/ToolCallView').ToolCallView>('stop_tool_call', { messageId });
}

/**
 * Replies that follow tool results with no window waiting for them (a video job that
 * ended after a restart). Resolves to the function that stops listening.
 */
export function onToolTurnEvent(handler: (event: TurnEvent) => void): Promise<() => void> {
  return listenTo<TurnEvent>('tool-turn-event', handler);
}

export function toolAvailability(
  conversationId: number | null,
  model: string | null,
): Promise<import('./bindings/ToolAvailability').ToolAvailability> {
  return call<import('./bindings/ToolAvailability').ToolAvailability>('tool_availability', { conversationId, model });
}

export function setToolSettings(
  conversationId: number,
  settings: import('./bindings/ToolSettings').ToolSettings,
): Promise<import('./bindings/ToolAvailability').ToolAvailability> {
  return call<import('./bindings/ToolAvailability').ToolAvailability>('set_tool_settings', { conversationId, settings });
}

export function attachFile(path: string): Promise<AssetView> {
  return call<AssetView>('attach_file', { path });
}

export function attachBytes(name: string, mime: string, dataBase64: string): Promise<AssetView> {
  return call<AssetView>('attach_bytes', { name, mime, dataBase64 });
}

/** Snippets mark the matched words between \u0002 and \u0003. */
export function searchMessages(query: string, limit: number): Promise<SearchHit[]> {
  return call<SearchHit[]>('search_messages', { query, limit });
}

/** Writes the conversation as Markdown; resolves to the file's absolute path. */
export function exportConversation(id: number): Promise<string> {
  return call<string>('export_conversation', { id });
}

// ---- Images and the gallery --------------------------------------------------------

/** Receives the progress of one generation and, last, its `finished` event. */
export type GenerationHandler = (event: GenerationEvent) => void;

function generationChannel(onEvent: GenerationHandler): Channel<GenerationEvent> {
  const channel = new Channel<GenerationEvent>();
  channel.onmessage = onEvent;
  return channel;
}

/** Resolves at once with the new card ("running"); the outcome arrives on `onEvent`. */
export function generateImages(request: ImageRequest, onEvent: GenerationHandler): Promise<GalleryItem> {
  return call<GalleryItem>('generate_images', { request, onEvent: generationChannel(onEvent) });
}

/** A new generation with the same settings and inputs, made from the old one. */
export function rerunGeneration(id: number, onEvent: GenerationHandler): Promise<GalleryItem> {
  return call<GalleryItem>('rerun_generation', { id, onEvent: generationChannel(onEvent) });
}

/** Newest first; pass `next_cursor` back for the following page. */
export function listGallery(filter: GalleryFilter, cursor: string | null, limit: number): Promise<GalleryPage> {
  return call<GalleryPage>('list_gallery', { filter, cursor, limit });
}

/** The models that made something in the gallery, for its filter. */
export function galleryModels(): Promise<string[]> {
  return call<string[]>('gallery_models');
}

export function getGeneration(id: number): Promise<GenerationView> {
  return call<GenerationView>('get_generation', { id });
}

export function setFavourite(id: number, favourite: boolean): Promise<GalleryItem> {
  return call<GalleryItem>('set_favourite', { id, favourite });
}

/** 1 to 5 stars; null clears the rating. */
export function setRating(id: number, rating: number | null): Promise<GalleryItem> {
  return call<GalleryItem>('set_rating', { id, rating });
}

/** Deletes the generation's files, thumbnails and row. */
export function deleteGeneration(id: number): Promise<null> {
  return call<null>('delete_generation', { id });
}

/**
 * Writes a labelled copy (IPTC "trainedAlgorithmicMedia", the model, the prompt when
 * `includePrompt`) of output `output` (0-based) to Downloads; resolves to its path.
 */
export function exportImage(id: number, output: number, includePrompt: boolean): Promise<string> {
  return call<string>('export_image', { id, output, includePrompt });
}

// ---- Video -------------------------------------------------------------------------

/** Resolves at once with the job's card; progress and the outcome arrive on `onEvent`. */
export function generateVideo(request: VideoRequest, onEvent: GenerationHandler): Promise<GalleryItem> {
  return call<GalleryItem>('generate_video', { request, onEvent: generationChannel(onEvent) });
}

/** Stops following the job; it ends "cancelled". */
export function cancelVideo(id: number): Promise<null> {
  return call<null>('cancel_video', { id });
}

/**
 * The generated video's bytes. WebKitGTK's `<video>` cannot play `asset://` URLs, so the
 * player wraps these in a Blob URL.
 */
export function videoFile(id: number): Promise<ArrayBuffer> {
  return call<ArrayBuffer>('video_file', { id });
}

/** Copies the video into Downloads; resolves to the new file's path. */
export function exportVideo(id: number): Promise<string> {
  return call<string>('export_video', { id });
}

// ---- Speech ------------------------------------------------------------------------

/**
 * Synthesizes `request.text`; resolves at once with the clip's card. With `play`, the native
 * player starts with the first part while later ones are still being made.
 */
export function speak(request: SpeechRequest, play: boolean, onEvent: GenerationHandler): Promise<GalleryItem> {
  return call<GalleryItem>('speak', { request, play, onEvent: generationChannel(onEvent) });
}

/** Speaks a chat reply's prose (no code, markup or links), playing as it arrives. */
export function readAloud(messageId: number, model: string, voice: string, onEvent: GenerationHandler): Promise<GalleryItem> {
  return call<GalleryItem>('read_aloud', { messageId, model, voice, onEvent: generationChannel(onEvent) });
}

/** Plays a kept clip from the start through the native player. */
export function playClip(id: number): Promise<PlaybackState> {
  return call<PlaybackState>('play_clip', { id });
}

export function pausePlayback(): Promise<null> {
  return call<null>('pause_playback');
}

export function resumePlayback(): Promise<null> {
  return call<null>('resume_playback');
}

export function stopPlayback(): Promise<null> {
  return call<null>('stop_playback');
}

export function seekPlayback(positionMs: number): Promise<null> {
  return call<null>('seek_playback', { positionMs: Math.max(0, Math.round(positionMs)) });
}

export function playbackState(): Promise<PlaybackState> {
  return call<PlaybackState>('playback_state');
}

/** One part (0-based) of a clip as bytes the webview can decode, for the waveform. */
export function audioFile(id: number, part: number): Promise<ArrayBuffer> {
  return call<ArrayBuffer>('audio_file', { id, part });
}

/** Keeps an audio file (a dropped path) on the device before it is transcribed. */
export function attachAudioFile(path: string): Promise<AssetView> {
  return call<AssetView>('attach_audio_file', { path });
}

/** Keeps audio picked in the webview (base64) on the device. */
export function attachAudioBytes(name: string | null, dataBase64: string): Promise<AssetView> {
  return call<AssetView>('attach_audio_bytes', { name, dataBase64 });
}

/** Opens the microphone; its level arrives through `onRecordingLevel`. */
export function startRecording(): Promise<null> {
  return call<null>('start_recording');
}

/** Stops the microphone; resolves to the recording, kept on the device. */
export function stopRecording(): Promise<AssetView> {
  return call<AssetView>('stop_recording');
}

export function cancelRecording(): Promise<null> {
  return call<null>('cancel_recording');
}

/** Transcribes (or translates into English) a kept audio file; resolves when done. */
export function transcribe(request: TranscriptionRequest): Promise<Transcript> {
  return call<Transcript>('transcribe', { request });
}

export function getTranscript(id: number): Promise<Transcript> {
  return call<Transcript>('get_transcript', { id });
}

/** Saves a clip into Downloads as one file; resolves to its path. */
export function exportSpeech(id: number): Promise<string> {
  return call<string>('export_speech', { id });
}

/** Saves a transcript as text, JSON, SRT or VTT into Downloads; resolves to its path. */
export function exportTranscript(id: number, format: TranscriptFormat): Promise<string> {
  return call<string>('export_transcript', { id, format });
}

/** The microphone's loudness (0..1) and the seconds recorded so far. */
export interface RecordingLevel {
  level: number;
  seconds: number;
}

async function listenTo<T>(event: string, handler: (payload: T) => void): Promise<() => void> {
  try {
    const { listen } = await import('@tauri-apps/api/event');
    return await listen<T>(event, (e) => handler(e.payload));
  } catch {
    return () => {};
  }
}

/** The native player's state, about five times a second while a clip plays. */
export function onPlaybackState(handler: (state: PlaybackState) => void): Promise<() => void> {
  return listenTo<PlaybackState>('playback-state', handler);
}

/** A clip that could not be played as it arrived (no sound output); the clip is kept. */
export function onPlaybackError(handler: (error: IpcError) => void): Promise<() => void> {
  return listenTo<unknown>('playback-error', (payload) => handler(toIpcError(payload)));
}

export function onRecordingLevel(handler: (level: RecordingLevel) => void): Promise<() => void> {
  return listenTo<RecordingLevel>('recording-level', handler);
}

/**
 * Events of every generation job, including video jobs resumed at start-up that no
 * window started. Resolves to the function that stops listening.
 */
export async function onGenerationEvent(handler: GenerationHandler): Promise<() => void> {
  try {
    const { listen } = await import('@tauri-apps/api/event');
    return await listen<GenerationEvent>('generation-event', (event) => handler(event.payload));
  } catch {
    return () => {};
  }
}

/** A URL the webview can load for a file of the media store. */
export function fileSrc(path: string): string {
  try {
    return convertFileSrc(path);
  } catch {
    return '';
  }
}

export type FileDropEvent = { type: 'enter' | 'over' | 'leave' } | { type: 'drop'; paths: string[] };

/**
 * Files dragged onto the window. Tauri takes over HTML5 drops, so this is the only way
 * to get them; outside Tauri it does nothing. Resolves to the function that stops it.
 */
export async function onFileDrop(handler: (event: FileDropEvent) => void): Promise<() => void> {
  try {
    const { getCurrentWebview } = await import('@tauri-apps/api/webview');
    return await getCurrentWebview().onDragDropEvent((event) => {
      const payload = event.payload;
      handler(payload.type === 'drop' ? { type: 'drop', paths: payload.paths } : { type: payload.type });
    });
  } catch {
    return () => {};
  }
}

// ---- Privacy & data ----------------------------------------------------------------

import type { BackupInfo } from './bindings/BackupInfo';
import type { DataProgress } from './bindings/DataProgress';
import type { ExportReport } from './bindings/ExportReport';
import type { ExportSelection } from './bindings/ExportSelection';
import type { ImportReport } from './bindings/ImportReport';
import type { LibrarySummary } from './bindings/LibrarySummary';
import type { PurgeReport } from './bindings/PurgeReport';
import type { RetentionPolicy } from './bindings/RetentionPolicy';
import type { UsageReport } from './bindings/UsageReport';

/** A long export or import: `done` resolves with the report, `cancel()` asks it to stop. */
export interface DataJob<T> {
  done: Promise<T>;
  cancel: () => Promise<null>;
}

let nextDataJob = 1;

function dataJob<T>(command: string, args: Record<string, unknown>, onProgress: (p: DataProgress) => void): DataJob<T> {
  const job = nextDataJob++;
  const channel = new Channel<DataProgress>();
  channel.onmessage = onProgress;
  return {
    done: call<T>(command, { ...args, job, onProgress: channel }),
    cancel: () => call<null>('cancel_data_job', { job }),
  };
}

/** A free, dated path in the Downloads folder: `….zip`, or a folder name. */
export function defaultExportPath(zip: boolean): Promise<string> {
  return call<string>('default_export_path', { zip });
}

/** `out` ending in `.zip` writes a zip, anything else a folder. */
export function exportLibrary(
  out: string,
  selection: ExportSelection,
  onProgress: (p: DataProgress) => void,
): DataJob<ExportReport> {
  return dataJob<ExportReport>('export_library', { out, selection }, onProgress);
}

export function importLibrary(path: string, onProgress: (p: DataProgress) => void): DataJob<ImportReport> {
  return dataJob<ImportReport>('import_library', { path }, onProgress);
}

export function eraseItem(id: number): Promise<null> {
  return call<null>('erase_item', { id });
}

export function eraseConversation(id: number): Promise<null> {
  return call<null>('erase_conversation', { id });
}

export function librarySummary(): Promise<LibrarySummary> {
  return call<LibrarySummary>('library_summary');
}

/** Rows, files, backups, settings and keychain entries; the studio is back on the demo. */
export function eraseEverything(): Promise<null> {
  return call<null>('erase_everything');
}

export function getRetention(): Promise<RetentionPolicy> {
  return call<RetentionPolicy>('get_retention');
}

/** Saves the policy and purges at once what it no longer keeps. */
export function setRetention(policy: RetentionPolicy): Promise<PurgeReport> {
  return call<PurgeReport>('set_retention', { policy });
}

export function purgeLibrary(): Promise<PurgeReport> {
  return call<PurgeReport>('purge_library');
}

export function listBackups(): Promise<BackupInfo[]> {
  return call<BackupInfo[]>('list_backups');
}

export function createBackup(): Promise<BackupInfo> {
  return call<BackupInfo>('create_backup');
}

/** What erasing a selection would remove (nothing is erased). */
export function eraseSelectionPreview(selection: import('./bindings/EraseSelection').EraseSelection): Promise<import('./bindings/PurgeReport').PurgeReport> {
  return call<import('./bindings/PurgeReport').PurgeReport>('erase_selection_preview', { selection });
}

/** Erases the selected kinds (older than `before`, when set), each item with its own files. */
export function eraseSelection(selection: import('./bindings/EraseSelection').EraseSelection): Promise<import('./bindings/PurgeReport').PurgeReport> {
  return call<import('./bindings/PurgeReport').PurgeReport>('erase_selection', { selection });
}

/** Restores a backup (database and the media it kept); says what files came back or are missing. */
export function restoreBackup(id: string): Promise<import('./bindings/RestoreReport').RestoreReport> {
  return call<import('./bindings/RestoreReport').RestoreReport>('restore_backup', { id });
}

/** Local usage per model and day; `since` in Unix ms, null for all of it. */
export function localUsage(since: number | null): Promise<UsageReport> {
  return call<UsageReport>('local_usage', { since });
}

// ---- Search across the library, the meaning index, moderation ---------------------------

/** Words, meaning or both, merged; snippets of word hits mark matches with \u0002…\u0003. */
export function searchLibrary(query: SearchQuery): Promise<SearchResults> {
  return call<SearchResults>('search', { query });
}

export function indexStatus(): Promise<IndexStatus> {
  return call<IndexStatus>('index_status');
}

export function rebuildIndex(): Promise<IndexStatus> {
  return call<IndexStatus>('rebuild_index');
}

export function searchSettings(): Promise<SearchSettings> {
  return call<SearchSettings>('search_settings');
}

export function saveSearchSettings(settings: SearchSettings): Promise<SearchSettings> {
  return call<SearchSettings>('save_search_settings', { settings });
}

/** `null` when the moderation check is off. */
export function checkPrompt(text: string): Promise<ModerationVerdict | null> {
  return call<ModerationVerdict | null>('check_prompt', { text });
}

/** Lets a flagged prompt through its next send, once. */
export function sendAnyway(text: string): Promise<null> {
  return call<null>('send_anyway', { text });
}

/** The background indexer's progress. Resolves to the function that stops listening. */
export function onIndexProgress(handler: (status: IndexStatus) => void): Promise<() => void> {
  return listenTo<IndexStatus>('index-progress', handler);
}
