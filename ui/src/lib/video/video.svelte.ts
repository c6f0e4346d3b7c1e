// The Video view's state: the form (models, prompt, first frame, duration, size, fps,
// seed) and the jobs being followed. Both live for the whole app, so leaving the view
// and coming back keeps the prompt and the job cards.
import type { AssetView } from '../bindings/AssetView';
import type { GalleryItem } from '../bindings/GalleryItem';
import type { GenerationEvent } from '../bindings/GenerationEvent';
import type { GenerationStatus } from '../bindings/GenerationStatus';
import type { GenerationView } from '../bindings/GenerationView';
import type { IpcError } from '../bindings/IpcError';
import type { ModelInfo } from '../bindings/ModelInfo';
import type { VideoRequest } from '../bindings/VideoRequest';
import { cardOf, galleryFor, isRunning } from '../gallery/gallery.svelte';
import * as ipc from '../ipc';
import { moderation } from '../moderation/moderation.svelte';
import { videoInput } from './input.svelte';

const MODEL_KEY = 'nexhina.video.model';

function remembered(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function remember(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // No storage: the choice lasts for this session.
  }
}

/** What a model accepts. Sora-style models go to `/v1/videos`, which takes 4, 8 or 12 s. */
export interface VideoOptions {
  durations: number[];
  sizes: string[];
}

export function videoOptions(model: string | null): VideoOptions {
  if (model !== null && model.toLowerCase().startsWith('sora')) {
    return { durations: [4, 8, 12], sizes: ['1280x720', '720x1280', '1792x1024', '1024x1792'] };
  }
  return { durations: [5, 10], sizes: ['1280x720', '720x1280', '1024x1024'] };
}

export const FPS_CHOICES = [24, 30] as const;

/** Why the form was not sent; each names the field to fix. */
export type FormProblem = 'prompt' | 'model' | 'seed';

/** A seed as typed: empty is none, else a whole number that fits the platform's i64. */
export function parseSeed(text: string): { ok: true; value: number | null } | { ok: false } {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, value: null };
  if (!/^\d{1,15}$/.test(trimmed)) return { ok: false };
  return { ok: true, value: Number(trimmed) };
}

export class VideoForm {
  models = $state<ModelInfo[]>([]);
  modelsLoaded = $state(false);
  modelsError = $state<IpcError | null>(null);

  model = $state<string | null>(null);
  prompt = $state('');
  /** Seconds; null leaves it to the platform. */
  seconds = $state<number | null>(null);
  /** WxH; "" leaves it to the platform. */
  size = $state('');
  fps = $state<number | null>(null);
  seed = $state('');

  attaching = $state(false);
  attachError = $state<IpcError | null>(null);
  submitting = $state(false);
  submitError = $state<IpcError | null>(null);
  problem = $state<FormProblem | null>(null);

  reset(): void {
    this.models = [];
    this.modelsLoaded = false;
    this.modelsError = null;
    this.model = null;
    this.prompt = '';
    this.seconds = null;
    this.size = '';
    this.fps = null;
    this.seed = '';
    this.attaching = false;
    this.attachError = null;
    this.submitting = false;
    this.submitError = null;
    this.problem = null;
  }

  get videoModels(): ModelInfo[] {
    return this.models.filter((model) => model.kind === 'video');
  }

  get options(): VideoOptions {
    return videoOptions(this.model);
  }

  async loadModels(): Promise<void> {
    // The last model used works at once: the list can take a few seconds (offline, its
    // request is retried before the cached list answers).
    if (this.model === null) {
      const saved = remembered(MODEL_KEY);
      if (saved !== null) this.selectModel(saved);
    }
    this.modelsError = null;
    try {
      this.models = await ipc.listModels();
    } catch (error) {
      this.modelsError = ipc.toIpcError(error);
    } finally {
      this.modelsLoaded = true;
    }
    const ids = this.videoModels.map((model) => model.id);
    const saved = remembered(MODEL_KEY);
    if (this.modelsError) {
      if (this.model === null && saved !== null) this.selectModel(saved);
    } else if (this.model === null || !ids.includes(this.model)) {
      this.selectModel(saved !== null && ids.includes(saved) ? saved : (ids[0] ?? this.model));
    }
  }

  /** A new model keeps the duration and size only if it accepts them. */
  selectModel(model: string | null): void {
    this.model = model;
    if (model !== null) remember(MODEL_KEY, model);
    const options = videoOptions(model);
    if (this.seconds !== null && !options.durations.includes(this.seconds)) this.seconds = null;
    if (this.size !== '' && !options.sizes.includes(this.size)) this.size = '';
    if (this.problem === 'model') this.problem = null;
  }

  /** Brings the first frame from disk (a path) or from memory (a picked file). */
  async attach(load: () => Promise<AssetView>): Promise<void> {
    this.attaching = true;
    this.attachError = null;
    try {
      videoInput.set(await load(), null);
    } catch (error) {
      this.attachError = ipc.toIpcError(error);
    } finally {
      this.attaching = false;
    }
  }

  /** The request for what the form says, or the field that stops it. */
  request(): { ok: true; request: VideoRequest } | { ok: false; problem: FormProblem } {
    const prompt = this.prompt.trim();
    if (prompt === '') return { ok: false, problem: 'prompt' };
    if (this.model === null || this.model.trim() === '') return { ok: false, problem: 'model' };
    const seed = parseSeed(this.seed);
    if (!seed.ok) return { ok: false, problem: 'seed' };
    return {
      ok: true,
      request: {
        model: this.model,
        prompt,
        image_asset_id: videoInput.assetId,
        size: this.size || null,
        seconds: this.seconds,
        fps: this.fps,
        seed: seed.value,
        api: 'auto',
        parent_generation_id: videoInput.assetId !== null ? videoInput.generationId : null,
      },
    };
  }

  /** Sends the form: a job card appears, and the gallery card. False when nothing was sent. */
  async generate(): Promise<boolean> {
    if (this.submitting) return false;
    const built = this.request();
    if (!built.ok) {
      this.problem = built.problem;
      return false;
    }
    this.problem = null;
    this.submitError = null;
    this.submitting = true;
    try {
      // A flagged prompt that the user takes back to edit sends nothing.
      if (!(await moderation.clear(built.request.prompt))) return false;
      const card = await galleryFor('video').start((onEvent) =>
        ipc.generateVideo(built.request, (event) => {
          onEvent(event);
          videoJobs.apply(event);
        }),
      );
      videoJobs.track(card);
      return true;
    } catch (error) {
      this.submitError = ipc.toIpcError(error);
      return false;
    } finally {
      this.submitting = false;
    }
  }
}

/** One job card. */
export interface VideoJob {
  id: number;
  model: string;
  prompt: string;
  status: GenerationStatus;
  progress: number;
  error: string | null;
  code: string | null;
  created_at: number;
  cancelling: boolean;
}

/** How a job card names its state. */
export type JobPhase = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export function phaseOf(job: Pick<VideoJob, 'status' | 'progress'>): JobPhase {
  switch (job.status) {
    case 'pending':
      return 'queued';
    case 'running':
      return job.progress > 0 ? 'running' : 'queued';
    case 'complete':
      return 'done';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
  }
}

function jobOf(card: GalleryItem | GenerationView): VideoJob {
  return {
    id: card.id,
    model: card.model,
    prompt: card.prompt,
    status: card.status,
    progress: card.progress,
    error: card.error,
    code: null,
    created_at: card.created_at,
    cancelling: false,
  };
}

/**
 * The jobs shown as cards: the ones started here, and the ones the app resumed at
 * start-up (read from the gallery rows, then followed through the global event).
 */
export class VideoJobs {
  /** Newest first. */
  jobs = $state<VideoJob[]>([]);
  loaded = $state(false);
  actionError = $state<IpcError | null>(null);

  private listening: Promise<void> | null = null;
  private stopListening: (() => void) | null = null;
  /** Jobs being read in because an event named them before the list did. */
  private adopting = new Set<number>();
  private early = new Map<number, GenerationEvent>();
  /** Dismissed cards stay away even if an event for them arrives late. */
  private dismissed = new Set<number>();

  reset(): void {
    this.stopListening?.();
    this.stopListening = null;
    this.listening = null;
    this.jobs = [];
    this.loaded = false;
    this.actionError = null;
    this.adopting.clear();
    this.early.clear();
    this.dismissed.clear();
  }

  get(id: number): VideoJob | undefined {
    return this.jobs.find((job) => job.id === id);
  }

  get running(): number {
    return this.jobs.filter((job) => isRunning(job.status)).length;
  }

  /** Listens for job events (once) and reads the jobs still running from the library. */
  start(): Promise<void> {
    if (!this.listening) {
      this.listening = (async () => {
        this.stopListening = await ipc.onGenerationEvent((event) => this.apply(event));
        await this.loadRunning();
      })();
    }
    return this.listening;
  }

  private async loadRunning(): Promise<void> {
    try {
      const page = await ipc.listGallery(
        { kind: 'video', model: null, favourites: false, min_rating: null, since: null, until: null, query: null },
        null,
        50,
      );
      for (const card of page.items) {
        if (isRunning(card.status)) this.track(card, false);
      }
    } catch {
      // The gallery shows its own error; running jobs still report through events.
    } finally {
      this.loaded = true;
    }
  }

  /** Shows a card for the job (first, unless it is an older one read from the list). */
  track(card: GalleryItem | GenerationView, first = true): void {
    if (card.kind !== 'video' || this.dismissed.has(card.id)) return;
    const known = this.get(card.id);
    if (known) {
      // What the library says is at least as new as any event already applied.
      if (isRunning(known.status)) this.update(card.id, { status: card.status, progress: Math.max(known.progress, card.progress), error: card.error });
      return;
    }
    const job = jobOf(card);
    this.jobs = first ? [job, ...this.jobs] : [...this.jobs, job].sort((a, b) => b.created_at - a.created_at);
    const early = this.early.get(card.id);
    this.early.delete(card.id);
    if (early) this.apply(early);
  }

  private update(id: number, fields: Partial<VideoJob>): void {
    this.jobs = this.jobs.map((job) => (job.id === id ? { ...job, ...fields } : job));
  }

  /** One event: the job card and the gallery card follow it. Repeats are harmless. */
  apply(event: GenerationEvent): void {
    const job = this.get(event.id);
    if (!job) {
      if (this.dismissed.has(event.id)) return;
      this.early.set(event.id, event);
      void this.adopt(event.id);
      return;
    }
    if (event.kind === 'progress') {
      // A job that ended stays ended; progress never goes back.
      if (!isRunning(job.status)) return;
      this.update(event.id, { status: event.status, progress: Math.max(job.progress, event.progress) });
      this.syncGallery(event.id, { status: event.status, progress: Math.max(job.progress, event.progress) });
      return;
    }
    this.update(event.id, {
      status: event.status,
      progress: event.status === 'complete' ? 100 : job.progress,
      error: event.error,
      code: event.code,
      cancelling: false,
    });
    void this.refreshGallery(event.id);
  }

  /** A job this window did not start (resumed at start-up): read it, then show it. */
  private async adopt(id: number): Promise<void> {
    if (this.adopting.has(id)) return;
    this.adopting.add(id);
    try {
      const view = await ipc.getGeneration(id);
      if (view.kind === 'video') this.track(view);
      else this.early.delete(id);
    } catch {
      this.early.delete(id);
    } finally {
      this.adopting.delete(id);
    }
  }

  private syncGallery(id: number, fields: Partial<GalleryItem>): void {
    const gallery = galleryFor('video');
    const card = gallery.get(id);
    if (card && isRunning(card.status)) gallery.put({ ...card, ...fields });
  }

  /** A finished job: its gallery card gets the poster (or the reason it failed). */
  private async refreshGallery(id: number): Promise<void> {
    const gallery = galleryFor('video');
    if (!gallery.get(id)) return;
    try {
      gallery.put(cardOf(await ipc.getGeneration(id)));
    } catch {
      // The card is read again the next time the gallery loads.
    }
  }

  async cancel(id: number): Promise<void> {
    const job = this.get(id);
    if (!job || !isRunning(job.status) || job.cancelling) return;
    this.actionError = null;
    this.update(id, { cancelling: true });
    try {
      await ipc.cancelVideo(id);
    } catch (error) {
      this.update(id, { cancelling: false });
      this.actionError = ipc.toIpcError(error);
    }
  }

  /** Runs a failed or cancelled job again with the same settings. */
  async retry(id: number): Promise<void> {
    this.actionError = null;
    try {
      const card = await galleryFor('video').start((onEvent) =>
        ipc.rerunGeneration(id, (event) => {
          onEvent(event);
          this.apply(event);
        }),
      );
      this.dismiss(id);
      this.track(card);
    } catch (error) {
      this.actionError = ipc.toIpcError(error);
    }
  }

  /** Takes a finished job's card away (the video stays in the gallery). */
  dismiss(id: number): void {
    const job = this.get(id);
    if (!job || isRunning(job.status)) return;
    this.dismissed.add(id);
    this.jobs = this.jobs.filter((item) => item.id !== id);
  }
}

export const video = new VideoForm();
export const videoJobs = new VideoJobs();
