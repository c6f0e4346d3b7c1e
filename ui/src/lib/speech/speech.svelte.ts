// The Speech view's state that lives for the whole app: the models, the Speak form, the
// native player (followed through its events, so chat's "Read aloud" and the view agree),
// the microphone, and the library of kept clips.
import type { AssetView } from '../bindings/AssetView';
import type { GalleryFilter } from '../bindings/GalleryFilter';
import type { GalleryItem } from '../bindings/GalleryItem';
import type { GenerationEvent } from '../bindings/GenerationEvent';
import type { GenerationKind } from '../bindings/GenerationKind';
import type { IpcError } from '../bindings/IpcError';
import type { ModelInfo } from '../bindings/ModelInfo';
import type { PlaybackState } from '../bindings/PlaybackState';
import type { SpeechRequest } from '../bindings/SpeechRequest';
import * as ipc from '../ipc';
import { moderation } from '../moderation/moderation.svelte';

export const VOICES = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer', 'verse'] as const;
export const SPEECH_FORMATS = ['mp3', 'wav', 'flac', 'opus', 'aac', 'pcm'] as const;
export const MIN_SPEED = 0.25;
export const MAX_SPEED = 4;
export const LIBRARY_PAGE = 50;

const KEYS = {
  model: 'nexhina.speech.model',
  voice: 'nexhina.speech.voice',
  format: 'nexhina.speech.format',
  speed: 'nexhina.speech.speed',
};

export function remembered(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function remember(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // No storage: the choice lasts for this session.
  }
}

/** `m:ss` (or `h:mm:ss`) for a position in milliseconds. */
export function formatTime(ms: number | null | undefined): string {
  const total = Math.max(0, Math.floor((ms ?? 0) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function filterFor(kind: GenerationKind): GalleryFilter {
  return { kind, model: null, favourites: false, min_rating: null, since: null, until: null, query: null };
}

// ---- Models ------------------------------------------------------------------------

/** The platform's models, read once for both halves of the view and for chat. */
export class SpeechModels {
  all = $state<ModelInfo[]>([]);
  loaded = $state(false);
  error = $state<IpcError | null>(null);
  private loading: Promise<void> | null = null;

  reset(): void {
    this.all = [];
    this.loaded = false;
    this.error = null;
    this.loading = null;
  }

  get tts(): string[] {
    return this.all.filter((m) => m.kind === 'tts').map((m) => m.id);
  }

  get stt(): string[] {
    return this.all.filter((m) => m.kind === 'stt').map((m) => m.id);
  }

  /** Loads once; `again` reads the list anew (after an error). */
  load(again = false): Promise<void> {
    if (this.loading && !again) return this.loading;
    this.loading = (async () => {
      this.error = null;
      try {
        this.all = await ipc.listModels();
      } catch (error) {
        this.error = ipc.toIpcError(error);
      } finally {
        this.loaded = true;
      }
    })();
    return this.loading;
  }
}

/** The remembered choice when the list still offers it (or the list is unknown), else the first. */
export function pickModel(ids: string[], saved: string | null, current: string | null, listKnown: boolean): string | null {
  if (!listKnown) return current ?? saved;
  if (current !== null && ids.includes(current)) return current;
  if (saved !== null && ids.includes(saved)) return saved;
  return ids[0] ?? current ?? saved;
}

// ---- Speak -------------------------------------------------------------------------

export type SpeakProblem = 'text' | 'model';

export class SpeakForm {
  text = $state('');
  model = $state<string | null>(remembered(KEYS.model));
  voice = $state<string>(remembered(KEYS.voice) ?? 'alloy');
  format = $state<string>(remembered(KEYS.format) ?? 'mp3');
  speed = $state<number>(parseSpeed(remembered(KEYS.speed)));
  submitting = $state(false);
  error = $state<IpcError | null>(null);
  problem = $state<SpeakProblem | null>(null);

  reset(): void {
    this.text = '';
    this.model = null;
    this.voice = 'alloy';
    this.format = 'mp3';
    this.speed = 1;
    this.submitting = false;
    this.error = null;
    this.problem = null;
  }

  /** After the models are known: keep a choice the list has, else take the first TTS model. */
  settleModel(): void {
    const picked = pickModel(speechModels.tts, remembered(KEYS.model), this.model, speechModels.loaded && !speechModels.error);
    if (picked !== this.model) this.model = picked;
  }

  setModel(model: string | null): void {
    this.model = model;
    if (model) remember(KEYS.model, model);
    if (this.problem === 'model') this.problem = null;
  }

  setVoice(voice: string): void {
    this.voice = voice;
    remember(KEYS.voice, voice);
  }

  setFormat(format: string): void {
    this.format = format;
    remember(KEYS.format, format);
  }

  setSpeed(speed: number): void {
    this.speed = clampSpeed(speed);
    remember(KEYS.speed, String(this.speed));
  }

  request(): { ok: true; request: SpeechRequest } | { ok: false; problem: SpeakProblem } {
    const text = this.text.trim();
    if (text === '') return { ok: false, problem: 'text' };
    if (!this.model) return { ok: false, problem: 'model' };
    return {
      ok: true,
      request: {
        model: this.model,
        text,
        voice: this.voice,
        format: this.format,
        // 1 is the platform's default: leave it out so models without speed still work.
        speed: this.speed === 1 ? null : this.speed,
        instructions: null,
      },
    };
  }

  /** Synthesizes and plays at once; the clip goes to the top of the library. */
  async speak(): Promise<boolean> {
    if (this.submitting) return false;
    const built = this.request();
    if (!built.ok) {
      this.problem = built.problem;
      return false;
    }
    this.problem = null;
    this.error = null;
    this.submitting = true;
    try {
      // A flagged prompt that the user takes back to edit sends nothing.
      if (!(await moderation.clear(built.request.text))) return false;
      await startClip((onEvent) => ipc.speak(built.request, true, onEvent));
      return true;
    } catch (error) {
      this.error = ipc.toIpcError(error);
      return false;
    } finally {
      this.submitting = false;
    }
  }
}

function parseSpeed(text: string | null): number {
  const value = Number(text);
  return text !== null && Number.isFinite(value) ? clampSpeed(value) : 1;
}

export function clampSpeed(value: number): number {
  return Math.min(MAX_SPEED, Math.max(MIN_SPEED, Math.round(value * 100) / 100));
}

/**
 * Starts a clip (Speak, or chat's Read aloud) that plays as it arrives: the player expects
 * it, the library shows its card at once and refreshes it when it is done.
 */
export async function startClip(start: (onEvent: ipc.GenerationHandler) => Promise<GalleryItem>): Promise<GalleryItem> {
  // Chat may read aloud before the Speech view ever opened: follow the player from now on.
  await player.start();
  player.clearError();
  const early: GenerationEvent[] = [];
  let known: GalleryItem | null = null;
  const onEvent = (event: GenerationEvent): void => {
    if (!known) early.push(event);
    else library.apply(event);
  };
  const card = await start(onEvent);
  known = card;
  player.expect(card.id);
  library.add(card);
  for (const event of early) library.apply(event);
  return card;
}

/** What chat's "Read aloud" uses: the Speak form's choices, else the first TTS model. */
export async function readAloudChoice(): Promise<{ model: string | null; voice: string }> {
  await speechModels.load();
  speakForm.settleModel();
  return { model: speakForm.model ?? speechModels.tts[0] ?? null, voice: speakForm.voice };
}

// ---- The native player -------------------------------------------------------------

const IDLE: PlaybackState = { clip_id: null, playing: false, paused: false, position_ms: 0, duration_ms: null };

export class Player {
  state = $state<PlaybackState>({ ...IDLE });
  /** The clip shown in the player bar: the one playing, or the one last chosen. */
  selected = $state<number | null>(null);
  error = $state<IpcError | null>(null);
  /** The clip an error belongs to (playback-error events do not say). */
  errorClip = $state<number | null>(null);
  private listening: Promise<void> | null = null;
  private stops: (() => void)[] = [];

  reset(): void {
    for (const stop of this.stops) stop();
    this.stops = [];
    this.listening = null;
    this.state = { ...IDLE };
    this.selected = null;
    this.error = null;
    this.errorClip = null;
  }

  /** Follows the player's events (once for the app) and reads where it is now. */
  start(): Promise<void> {
    if (!this.listening) {
      this.listening = (async () => {
        this.stops.push(await ipc.onPlaybackState((state) => this.apply(state)));
        this.stops.push(await ipc.onPlaybackError((error) => this.fail(error, this.selected)));
        try {
          this.apply(await ipc.playbackState());
        } catch {
          // Events will tell.
        }
      })();
    }
    return this.listening;
  }

  apply(state: PlaybackState): void {
    this.state = state;
    if (state.clip_id !== null && state.playing) {
      this.selected = state.clip_id;
      if (this.errorClip === state.clip_id) this.clearError();
    }
  }

  /** A clip is about to play as it arrives (Speak, Read aloud). */
  expect(id: number): void {
    this.selected = id;
    this.errorClip = id;
  }

  clearError(): void {
    this.error = null;
  }

  fail(error: unknown, clip: number | null): void {
    this.error = ipc.toIpcError(error);
    this.errorClip = clip;
  }

  isCurrent(id: number): boolean {
    return this.state.clip_id === id && this.state.playing;
  }

  isPlaying(id: number): boolean {
    return this.isCurrent(id) && !this.state.paused;
  }

  /** Where the bar is for `id` (0 unless it is the clip in the player). */
  positionOf(id: number): number {
    return this.state.clip_id === id ? this.state.position_ms : 0;
  }

  async play(id: number): Promise<void> {
    this.selected = id;
    this.clearError();
    try {
      this.apply(await ipc.playClip(id));
    } catch (error) {
      this.fail(error, id);
    }
  }

  /** The play/pause button: pause what plays, resume what is paused, else play from the start. */
  async toggle(id: number): Promise<void> {
    try {
      if (this.isPlaying(id)) {
        await ipc.pausePlayback();
        this.state = { ...this.state, paused: true };
      } else if (this.isCurrent(id) && this.state.paused) {
        await ipc.resumePlayback();
        this.state = { ...this.state, paused: false };
      } else {
        await this.play(id);
      }
    } catch (error) {
      this.fail(error, id);
    }
  }

  async stop(): Promise<void> {
    try {
      await ipc.stopPlayback();
      this.state = { ...this.state, playing: false, paused: false, position_ms: 0 };
    } catch (error) {
      this.fail(error, this.selected);
    }
  }

  /** Seeks within the clip in the player; a clip that ended or another clip starts there. */
  async seek(id: number, positionMs: number): Promise<void> {
    try {
      if (this.state.clip_id !== id) {
        await this.play(id);
        if (this.error) return;
      }
      await ipc.seekPlayback(positionMs);
      this.state = { ...this.state, position_ms: Math.round(positionMs) };
    } catch (error) {
      this.fail(error, id);
    }
  }
}

// ---- The microphone ----------------------------------------------------------------

/** One recording at a time, for Listen and for chat's dictation. */
export class Microphone {
  recording = $state(false);
  starting = $state(false);
  stopping = $state(false);
  level = $state(0);
  /** The loudest level seen in this recording (so a meter can prove sound arrived). */
  peak = $state(0);
  seconds = $state(0);
  /** Who started it, so only that half of the app shows the meter. */
  owner = $state<string | null>(null);
  private listening: Promise<void> | null = null;
  private stopListening: (() => void) | null = null;

  reset(): void {
    this.stopListening?.();
    this.stopListening = null;
    this.listening = null;
    this.recording = false;
    this.starting = false;
    this.stopping = false;
    this.level = 0;
    this.peak = 0;
    this.seconds = 0;
    this.owner = null;
  }

  private listen(): Promise<void> {
    if (!this.listening) {
      this.listening = (async () => {
        this.stopListening = await ipc.onRecordingLevel(({ level, seconds }) => {
          if (!this.recording) return;
          this.level = level;
          this.peak = Math.max(this.peak, level);
          this.seconds = seconds;
        });
      })();
    }
    return this.listening;
  }

  /** Opens the microphone; throws the command's error (e.g. no microphone). */
  async start(owner: string): Promise<void> {
    if (this.recording || this.starting) return;
    this.starting = true;
    try {
      await this.listen();
      this.level = 0;
      this.peak = 0;
      this.seconds = 0;
      await ipc.startRecording();
      this.recording = true;
      this.owner = owner;
    } finally {
      this.starting = false;
    }
  }

  /** Stops and keeps the recording; resolves to it. */
  async stop(): Promise<AssetView> {
    this.stopping = true;
    try {
      return await ipc.stopRecording();
    } finally {
      this.recording = false;
      this.stopping = false;
      this.level = 0;
      this.owner = null;
    }
  }

  async cancel(): Promise<void> {
    this.recording = false;
    this.level = 0;
    this.owner = null;
    try {
      await ipc.cancelRecording();
    } catch {
      // Nothing was recording.
    }
  }
}

// ---- The library of clips ----------------------------------------------------------

export interface ClipDetails {
  voice: string | null;
  format: string | null;
}

export class ClipLibrary {
  clips = $state<GalleryItem[]>([]);
  details = $state<Record<number, ClipDetails>>({});
  nextCursor = $state<string | null>(null);
  loaded = $state(false);
  loading = $state(false);
  error = $state<IpcError | null>(null);
  actionError = $state<IpcError | null>(null);
  /** Where the last export went. */
  exported = $state<{ id: number; path: string } | null>(null);
  private token = 0;

  reset(): void {
    this.clips = [];
    this.details = {};
    this.nextCursor = null;
    this.loaded = false;
    this.loading = false;
    this.error = null;
    this.actionError = null;
    this.exported = null;
    this.token++;
  }

  get(id: number): GalleryItem | undefined {
    return this.clips.find((clip) => clip.id === id);
  }

  async load(): Promise<void> {
    const token = ++this.token;
    this.loading = true;
    this.error = null;
    try {
      const page = await ipc.listGallery(filterFor('speech'), null, LIBRARY_PAGE);
      if (token !== this.token) return;
      // Cards added while the page was on its way (a clip just spoken) stay on top.
      const listed = new Set(page.items.map((item) => item.id));
      const fresh = this.clips.filter((clip) => !listed.has(clip.id) && clip.id > (page.items[0]?.id ?? 0));
      this.clips = [...fresh, ...page.items];
      this.nextCursor = page.next_cursor;
      void this.loadDetails(page.items);
    } catch (error) {
      if (token === this.token) this.error = ipc.toIpcError(error);
    } finally {
      if (token === this.token) {
        this.loading = false;
        this.loaded = true;
      }
    }
  }

  async more(): Promise<void> {
    if (!this.nextCursor || this.loading) return;
    const token = this.token;
    this.loading = true;
    try {
      const page = await ipc.listGallery(filterFor('speech'), this.nextCursor, LIBRARY_PAGE);
      if (token !== this.token) return;
      const known = new Set(this.clips.map((clip) => clip.id));
      this.clips = [...this.clips, ...page.items.filter((item) => !known.has(item.id))];
      this.nextCursor = page.next_cursor;
      void this.loadDetails(page.items);
    } catch (error) {
      this.error = ipc.toIpcError(error);
    } finally {
      this.loading = false;
    }
  }

  /** Voice and format live in the generation's params, which the card does not carry. */
  private async loadDetails(items: GalleryItem[]): Promise<void> {
    const missing = items.filter((item) => !(item.id in this.details));
    await Promise.all(
      missing.map(async (item) => {
        try {
          const view = await ipc.getGeneration(item.id);
          const params = view.params as Record<string, unknown>;
          this.details = {
            ...this.details,
            [item.id]: {
              voice: typeof params.voice === 'string' ? params.voice : null,
              format: typeof params.format === 'string' ? params.format : null,
            },
          };
        } catch {
          // The row shows without its voice.
        }
      }),
    );
  }

  add(card: GalleryItem): void {
    if (card.kind !== 'speech') return;
    this.clips = [card, ...this.clips.filter((clip) => clip.id !== card.id)];
    void this.loadDetails([card]);
  }

  /** A clip's progress; when it ends, its card is read again (duration, status). */
  apply(event: GenerationEvent): void {
    const clip = this.get(event.id);
    if (!clip) return;
    if (event.kind === 'progress') {
      this.put({ ...clip, status: event.status, progress: Math.max(clip.progress, event.progress) });
      return;
    }
    this.put({ ...clip, status: event.status, error: event.error, progress: event.status === 'complete' ? 100 : clip.progress });
    void this.refresh(event.id);
  }

  private put(card: GalleryItem): void {
    this.clips = this.clips.map((clip) => (clip.id === card.id ? card : clip));
  }

  private async refresh(id: number): Promise<void> {
    try {
      const page = await ipc.listGallery(filterFor('speech'), null, LIBRARY_PAGE);
      const fresh = page.items.find((item) => item.id === id);
      if (fresh && this.get(id)) this.put(fresh);
    } catch {
      // The card is read again the next time the library loads.
    }
  }

  async remove(id: number): Promise<void> {
    this.actionError = null;
    try {
      if (player.state.clip_id === id && player.state.playing) await player.stop();
      await ipc.deleteGeneration(id);
      this.clips = this.clips.filter((clip) => clip.id !== id);
      if (player.selected === id) player.selected = null;
    } catch (error) {
      this.actionError = ipc.toIpcError(error);
    }
  }

  async export(id: number): Promise<void> {
    this.actionError = null;
    this.exported = null;
    try {
      this.exported = { id, path: await ipc.exportSpeech(id) };
    } catch (error) {
      this.actionError = ipc.toIpcError(error);
    }
  }
}

export const speechModels = new SpeechModels();
export const speakForm = new SpeakForm();
export const player = new Player();
export const microphone = new Microphone();
export const library = new ClipLibrary();

export function resetSpeech(): void {
  speechModels.reset();
  speakForm.reset();
  player.reset();
  microphone.reset();
  library.reset();
}
