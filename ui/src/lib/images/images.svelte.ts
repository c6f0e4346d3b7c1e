// The Images view's generation form: the image models, what the user set, and the
// image to edit from. It lives for the whole app, so the prompt survives a trip to
// another view.
import type { AssetView } from '../bindings/AssetView';
import type { ImageRequest } from '../bindings/ImageRequest';
import type { IpcError } from '../bindings/IpcError';
import type { ModelInfo } from '../bindings/ModelInfo';
import { galleryFor } from '../gallery/gallery.svelte';
import * as ipc from '../ipc';
import { moderation } from '../moderation/moderation.svelte';
import { imageOptions, normalizeSize, parseExtra } from './options';

const MODEL_KEY = 'nexhina.images.model';

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
    // Private mode or no storage: the choice lasts for this session.
  }
}

/** Why the form was not sent; each names the field to fix. */
export type FormProblem = 'prompt' | 'model' | 'size' | 'extra';

export class ImagesForm {
  models = $state<ModelInfo[]>([]);
  modelsLoaded = $state(false);
  modelsError = $state<IpcError | null>(null);

  model = $state<string | null>(null);
  prompt = $state('');
  /** The chosen size; for a model without a list, the typed WxH ("" = the platform's default). */
  size = $state('');
  count = $state(1);
  quality = $state('');
  style = $state('');
  advancedOpen = $state(false);
  extra = $state('');

  /** The image to edit from, and the generation it came from (lineage). */
  input = $state<AssetView | null>(null);
  inputGeneration = $state<number | null>(null);
  attaching = $state(false);
  attachError = $state<IpcError | null>(null);

  submitting = $state(false);
  submitError = $state<IpcError | null>(null);
  problem = $state<FormProblem | null>(null);
  /** Changes when the prompt field should take the focus. */
  focusSeq = $state(0);

  reset(): void {
    this.models = [];
    this.modelsLoaded = false;
    this.modelsError = null;
    this.model = null;
    this.prompt = '';
    this.size = '';
    this.count = 1;
    this.quality = '';
    this.style = '';
    this.advancedOpen = false;
    this.extra = '';
    this.input = null;
    this.inputGeneration = null;
    this.attaching = false;
    this.attachError = null;
    this.submitting = false;
    this.submitError = null;
    this.problem = null;
    this.focusSeq = 0;
  }

  get imageModels(): ModelInfo[] {
    return this.models.filter((model) => model.kind === 'image');
  }

  get options() {
    return imageOptions(this.model);
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
    const ids = this.imageModels.map((model) => model.id);
    const saved = remembered(MODEL_KEY);
    if (this.modelsError) {
      // Offline: keep what was chosen, or the last model used, so the form still works.
      if (this.model === null && saved !== null) this.selectModel(saved);
    } else if (this.model === null || !ids.includes(this.model)) {
      this.selectModel(saved !== null && ids.includes(saved) ? saved : (ids[0] ?? this.model));
    }
  }

  /** A new model: its own sizes, count, quality and style, the first of each. */
  selectModel(model: string | null): void {
    const changed = model !== this.model;
    this.model = model;
    if (model !== null) remember(MODEL_KEY, model);
    const options = imageOptions(model);
    if (changed || (options.sizes !== null && !options.sizes.includes(this.size))) {
      this.size = options.sizes?.[0] ?? '';
    }
    this.count = Math.min(Math.max(this.count, 1), options.maxCount);
    if (!options.qualities.includes(this.quality)) this.quality = options.qualities[0] ?? '';
    if (!options.styles.includes(this.style)) this.style = options.styles[0] ?? '';
    if (this.problem === 'model' || this.problem === 'size') this.problem = null;
  }

  useAsInput(asset: AssetView, generationId: number | null): void {
    this.input = asset;
    this.inputGeneration = generationId;
    this.attachError = null;
    this.focusSeq++;
  }

  clearInput(): void {
    this.input = null;
    this.inputGeneration = null;
  }

  /** Brings an image from disk (a path) or from memory (a picked, pasted file). */
  async attach(load: () => Promise<AssetView>): Promise<void> {
    this.attaching = true;
    this.attachError = null;
    try {
      this.useAsInput(await load(), null);
    } catch (error) {
      this.attachError = ipc.toIpcError(error);
    } finally {
      this.attaching = false;
    }
  }

  /** The request for what the form says, or the field that stops it. */
  request(): { ok: true; request: ImageRequest } | { ok: false; problem: FormProblem } {
    const prompt = this.prompt.trim();
    if (prompt === '') return { ok: false, problem: 'prompt' };
    if (this.model === null || this.model.trim() === '') return { ok: false, problem: 'model' };
    const options = this.options;
    let size: string | null = this.size || null;
    if (options.sizes === null && this.size.trim() !== '') {
      size = normalizeSize(this.size);
      if (size === null) return { ok: false, problem: 'size' };
    }
    const extra = parseExtra(this.extra);
    if (!extra.ok) return { ok: false, problem: 'extra' };
    return {
      ok: true,
      request: {
        model: this.model,
        prompt,
        size,
        n: Math.min(Math.max(this.count, 1), options.maxCount),
        quality: this.quality || null,
        style: this.style || null,
        extra: extra.value,
        input_asset_ids: this.input ? [this.input.id] : [],
        mask_asset_id: null,
        parent_generation_id: this.input ? this.inputGeneration : null,
      },
    };
  }

  /** Sends the form; the card appears in the image gallery. False when nothing was sent. */
  async generate(): Promise<boolean> {
    if (this.submitting) return false;
    const built = this.request();
    if (!built.ok) {
      this.problem = built.problem;
      if (built.problem === 'extra') this.advancedOpen = true;
      return false;
    }
    this.problem = null;
    this.submitError = null;
    this.submitting = true;
    try {
      // A flagged prompt that the user takes back to edit sends nothing.
      if (!(await moderation.clear(built.request.prompt))) return false;
      await galleryFor('image').start((onEvent) => ipc.generateImages(built.request, onEvent));
      return true;
    } catch (error) {
      this.submitError = ipc.toIpcError(error);
      return false;
    } finally {
      this.submitting = false;
    }
  }
}

export const images = new ImagesForm();
