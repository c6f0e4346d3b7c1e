// The Library view's state: one query, the words/meaning/both switch, kinds, the merged
// results, and the meaning index's status (followed through the indexer's events).
import * as ipc from '../ipc';
import type { IpcError } from '../ipc';
import type { IndexStatus } from '../bindings/IndexStatus';
import type { SearchKind } from '../bindings/SearchKind';
import type { SearchMode } from '../bindings/SearchMode';
import type { SearchResults } from '../bindings/SearchResults';

/** Typing pauses this long before a search runs (meaning search costs a platform call). */
export const SEARCH_DELAY_MS = 300;

export class LibraryStore {
  query = $state('');
  mode = $state<SearchMode>('both');
  kinds = $state<SearchKind[]>([]);
  answer = $state<SearchResults | null>(null);
  searching = $state(false);
  error = $state<IpcError | null>(null);
  status = $state<IndexStatus | null>(null);
  statusError = $state<IpcError | null>(null);

  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private unlisten: (() => void) | null = null;

  /** Reads the index status and follows the indexer's progress. */
  async start(): Promise<void> {
    await this.refreshStatus();
    if (!this.unlisten) {
      const stop = await ipc.onIndexProgress((s) => (this.status = s));
      if (this.unlisten) stop();
      else this.unlisten = stop;
    }
  }

  stop(): void {
    this.unlisten?.();
    this.unlisten = null;
    if (this.timer) clearTimeout(this.timer);
  }

  async refreshStatus(): Promise<void> {
    try {
      this.status = await ipc.indexStatus();
      this.statusError = null;
    } catch (e) {
      this.statusError = e as IpcError;
    }
  }

  async rebuild(): Promise<void> {
    try {
      this.status = await ipc.rebuildIndex();
    } catch (e) {
      this.statusError = e as IpcError;
    }
  }

  setQuery(text: string): void {
    this.query = text;
    this.schedule();
  }

  setMode(mode: SearchMode): void {
    this.mode = mode;
    void this.search();
  }

  toggleKind(kind: SearchKind): void {
    this.kinds = this.kinds.includes(kind) ? this.kinds.filter((k) => k !== kind) : [...this.kinds, kind];
    void this.search();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.search(), SEARCH_DELAY_MS);
  }

  /** Runs the search now; an answer to an older query is dropped. */
  async search(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    const seq = ++this.seq;
    const text = this.query.trim();
    if (!text) {
      this.answer = null;
      this.error = null;
      this.searching = false;
      return;
    }
    this.searching = true;
    try {
      const answer = await ipc.searchLibrary({ query: text, mode: this.mode, kinds: [...this.kinds], limit: 40 });
      if (seq !== this.seq) return;
      this.answer = answer;
      this.error = null;
    } catch (e) {
      if (seq !== this.seq) return;
      this.error = e as IpcError;
    } finally {
      if (seq === this.seq) this.searching = false;
    }
  }
}

export const library = new LibraryStore();
