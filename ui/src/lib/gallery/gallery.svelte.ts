// A gallery: the cards of one kind of generation (or all), newest first, loaded page
// by page as the grid scrolls, with the filters that narrow it and the generations
// running right now. One store per kind lives for the whole app, so a generation keeps
// reporting while another view is open.
import type { GalleryFilter } from '../bindings/GalleryFilter';
import type { GalleryItem } from '../bindings/GalleryItem';
import type { GenerationEvent } from '../bindings/GenerationEvent';
import type { GenerationKind } from '../bindings/GenerationKind';
import type { GenerationStatus } from '../bindings/GenerationStatus';
import type { GenerationView } from '../bindings/GenerationView';
import type { IpcError } from '../bindings/IpcError';
import * as ipc from '../ipc';

export const GALLERY_PAGE = 100;
const DAY = 24 * 60 * 60 * 1000;

export const DATE_RANGES = ['all', 'today', '7d', '30d'] as const;
export type DateRange = (typeof DATE_RANGES)[number];

export interface GalleryFilters {
  model: string | null;
  date: DateRange;
  favourites: boolean;
  minRating: number | null;
  /** As typed; sent trimmed, and only once typing pauses. */
  query: string;
}

const NO_FILTERS: GalleryFilters = { model: null, date: 'all', favourites: false, minRating: null, query: '' };

/** The first moment (Unix ms) a date range covers: local midnight for "today". */
export function sinceFor(range: DateRange, now: Date = new Date()): number | null {
  switch (range) {
    case 'all':
      return null;
    case 'today':
      return new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
    case '7d':
      return now.getTime() - 7 * DAY;
    case '30d':
      return now.getTime() - 30 * DAY;
  }
}

export function isRunning(status: GenerationStatus): boolean {
  return status === 'pending' || status === 'running';
}

/** The card of a generation, from what the lightbox loads. */
export function cardOf(view: GenerationView): GalleryItem {
  const first = view.outputs[0];
  return {
    id: view.id,
    kind: view.kind,
    model: view.model,
    prompt: view.prompt.slice(0, 200),
    status: view.status,
    progress: view.progress,
    error: view.error,
    favourite: view.favourite,
    rating: view.rating,
    outputs: view.outputs.length,
    thumbnail_path: first?.thumbnail_path ?? null,
    file_path: first?.path ?? null,
    width: first?.width ?? null,
    height: first?.height ?? null,
    created_at: view.created_at,
    duration_ms: null,
  };
}

export class GalleryStore {
  readonly kind: GenerationKind | null;

  /** Raw: the grid may hold tens of thousands; a change replaces the one card. */
  items = $state.raw<GalleryItem[]>([]);
  nextCursor = $state<string | null>(null);
  loading = $state(false);
  loadingMore = $state(false);
  loaded = $state(false);
  error = $state<IpcError | null>(null);
  filters = $state<GalleryFilters>({ ...NO_FILTERS });
  /** Models that made something in the gallery (the model filter). */
  models = $state<string[]>([]);
  /** A failed favourite, rating, delete or retry. */
  actionError = $state<IpcError | null>(null);
  /** Error codes of generations that failed in this session (the card has the text). */
  errorCodes = $state<Record<number, string>>({});
  /** Changes when the grid should go back to its top (a new card was put there). */
  scrollTopSeq = $state(0);
  /** Where the grid was scrolled, to come back to it when the view opens again. */
  scrollOffset = 0;

  private token = 0;
  /** Generations started here whose card has not arrived yet. */
  private starting = 0;
  /** Events for cards not (yet) in the list, by id. */
  private early = new Map<number, GenerationEvent[]>();
  /** The last progress of generations running right now. */
  private live = new Map<number, number>();

  constructor(kind: GenerationKind | null) {
    this.kind = kind;
  }

  reset(): void {
    this.items = [];
    this.nextCursor = null;
    this.loading = false;
    this.loadingMore = false;
    this.loaded = false;
    this.error = null;
    this.filters = { ...NO_FILTERS };
    this.models = [];
    this.actionError = null;
    this.errorCodes = {};
    this.scrollTopSeq = 0;
    this.scrollOffset = 0;
    this.token++;
    this.starting = 0;
    this.early.clear();
    this.live.clear();
  }

  /** What list_gallery gets for the current filters. */
  filter(now: Date = new Date()): GalleryFilter {
    const query = this.filters.query.trim();
    return {
      kind: this.kind,
      model: this.filters.model,
      favourites: this.filters.favourites,
      min_rating: this.filters.minRating,
      since: sinceFor(this.filters.date, now),
      until: null,
      query: query === '' ? null : query,
    };
  }

  get filtered(): boolean {
    const f = this.filters;
    return f.model !== null || f.date !== 'all' || f.favourites || f.minRating !== null || f.query.trim() !== '';
  }

  indexOf(id: number): number {
    return this.items.findIndex((item) => item.id === id);
  }

  get(id: number): GalleryItem | undefined {
    return this.items.find((item) => item.id === id);
  }

  // ---- loading ---------------------------------------------------------------------

  /** The first page for the current filters; replaces what is loaded. */
  async load(): Promise<void> {
    const token = ++this.token;
    this.loading = true;
    this.loadingMore = false;
    this.error = null;
    try {
      const page = await ipc.listGallery(this.filter(), null, GALLERY_PAGE);
      if (token !== this.token) return;
      this.items = this.withLive(page.items);
      this.nextCursor = page.next_cursor;
      this.loaded = true;
      this.scrollOffset = 0;
      this.scrollTopSeq++;
    } catch (error) {
      if (token === this.token) this.error = ipc.toIpcError(error);
    } finally {
      if (token === this.token) this.loading = false;
    }
  }

  async loadMore(): Promise<void> {
    const cursor = this.nextCursor;
    if (cursor === null || this.loading || this.loadingMore) return;
    const token = this.token;
    this.loadingMore = true;
    try {
      const page = await ipc.listGallery(this.filter(), cursor, GALLERY_PAGE);
      if (token !== this.token) return;
      const known = new Set(this.items.map((item) => item.id));
      this.items = [...this.items, ...this.withLive(page.items.filter((item) => !known.has(item.id)))];
      this.nextCursor = page.next_cursor;
    } catch (error) {
      if (token === this.token) this.error = ipc.toIpcError(error);
    } finally {
      if (token === this.token) this.loadingMore = false;
    }
  }

  async loadModels(): Promise<void> {
    try {
      this.models = await ipc.galleryModels();
    } catch {
      // The filter then offers "All models" and the one chosen, if any.
    }
  }

  setFilters(patch: Partial<GalleryFilters>): void {
    this.filters = { ...this.filters, ...patch };
    void this.load();
  }

  clearFilters(): void {
    this.setFilters({ ...NO_FILTERS });
  }

  /** A running card shows the progress reported since the list was read. */
  private withLive(items: GalleryItem[]): GalleryItem[] {
    if (this.live.size === 0) return items;
    return items.map((item) => {
      const progress = this.live.get(item.id);
      return progress !== undefined && isRunning(item.status) ? { ...item, progress } : item;
    });
  }

  /** Replaces the card with the same id (if it is loaded). */
  put(card: GalleryItem): void {
    const index = this.indexOf(card.id);
    if (index < 0) return;
    const items = this.items.slice();
    items[index] = card;
    this.items = items;
  }

  private patch(id: number, fields: Partial<GalleryItem>): void {
    const card = this.get(id);
    if (card) this.put({ ...card, ...fields });
  }

  // ---- generations -------------------------------------------------------------------

  /**
   * Starts a generation (`run` calls the command with the event handler) and puts its
   * card first. Rejects with an IpcError when the command refused.
   */
  async start(run: (onEvent: ipc.GenerationHandler) => Promise<GalleryItem>): Promise<GalleryItem> {
    this.starting++;
    let card: GalleryItem;
    try {
      card = await run((event) => this.onEvent(event));
    } catch (error) {
      throw ipc.toIpcError(error);
    } finally {
      this.starting--;
    }
    if (isRunning(card.status)) this.live.set(card.id, card.progress);
    this.items = [card, ...this.items.filter((item) => item.id !== card.id)];
    this.scrollOffset = 0;
    this.scrollTopSeq++;
    const early = this.early.get(card.id) ?? [];
    this.early.delete(card.id);
    for (const event of early) this.onEvent(event);
    if (this.starting === 0) this.early.clear();
    return card;
  }

  /** Runs a generation again (same settings and inputs); the new card goes first. */
  async retry(id: number): Promise<boolean> {
    this.actionError = null;
    try {
      await this.start((onEvent) => ipc.rerunGeneration(id, onEvent));
      return true;
    } catch (error) {
      this.actionError = ipc.toIpcError(error);
      return false;
    }
  }

  private onEvent(event: GenerationEvent): void {
    const card = this.get(event.id);
    if (!card) {
      if (this.starting > 0) this.early.set(event.id, [...(this.early.get(event.id) ?? []), event]);
      if (event.kind === 'finished') this.live.delete(event.id);
      else this.live.set(event.id, event.progress);
      return;
    }
    if (event.kind === 'progress') {
      this.live.set(event.id, event.progress);
      this.patch(event.id, { status: event.status, progress: event.progress });
      return;
    }
    this.live.delete(event.id);
    if (event.code) this.errorCodes[event.id] = event.code;
    if (event.status === 'complete') {
      void this.refresh(event.id, event);
    } else {
      this.patch(event.id, { status: event.status, error: event.error });
    }
    void this.loadModels();
  }

  /** A finished generation: its card gets the thumbnail and the number of outputs. */
  private async refresh(id: number, event: Extract<GenerationEvent, { kind: 'finished' }>): Promise<void> {
    try {
      const view = await ipc.getGeneration(id);
      this.put(cardOf(view));
    } catch {
      this.patch(id, { status: event.status, error: event.error, progress: 100 });
    }
  }

  // ---- edits -------------------------------------------------------------------------

  /** Shows the change at once and takes it back if the backend refused (false). */
  async setFavourite(id: number, favourite: boolean): Promise<boolean> {
    this.actionError = null;
    const before = this.get(id);
    if (before) this.put({ ...before, favourite });
    try {
      this.put(await ipc.setFavourite(id, favourite));
      return true;
    } catch (error) {
      if (before) this.patch(id, { favourite: before.favourite });
      this.actionError = ipc.toIpcError(error);
      return false;
    }
  }

  /** 1 to 5 stars, null for none; shown at once, taken back if refused (false). */
  async setRating(id: number, rating: number | null): Promise<boolean> {
    this.actionError = null;
    const before = this.get(id);
    if (before) this.put({ ...before, rating });
    try {
      this.put(await ipc.setRating(id, rating));
      return true;
    } catch (error) {
      if (before) this.patch(id, { rating: before.rating });
      this.actionError = ipc.toIpcError(error);
      return false;
    }
  }

  /** Deletes for good (the caller asked first). False when the backend refused. */
  async remove(id: number): Promise<boolean> {
    this.actionError = null;
    try {
      await ipc.deleteGeneration(id);
    } catch (error) {
      this.actionError = ipc.toIpcError(error);
      return false;
    }
    this.items = this.items.filter((item) => item.id !== id);
    this.live.delete(id);
    delete this.errorCodes[id];
    return true;
  }
}

const stores = new Map<GenerationKind | null, GalleryStore>();

/** The gallery of one kind of generation (null: every kind), the same one each time. */
export function galleryFor(kind: GenerationKind | null): GalleryStore {
  let store = stores.get(kind);
  if (!store) {
    store = new GalleryStore(kind);
    stores.set(kind, store);
  }
  return store;
}

/** For tests: every gallery back to empty. */
export function resetGalleries(): void {
  for (const store of stores.values()) store.reset();
}
