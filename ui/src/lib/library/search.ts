// Pure helpers of the Library view: highlighted snippets, where a result leads, and the
// index's progress in words a person reads.
import type { IndexStatus } from '../bindings/IndexStatus';
import type { SearchResult } from '../bindings/SearchResult';

export type SnippetPart = { text: string; match: boolean };

/** Splits a snippet at the \u0002…\u0003 markers the backend puts around matched words. */
export function snippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let match = false;
  let text = '';
  for (const ch of snippet) {
    if (ch === '\u0002' || ch === '\u0003') {
      if (text) parts.push({ text, match });
      text = '';
      match = ch === '\u0002';
    } else {
      text += ch;
    }
  }
  if (text) parts.push({ text, match });
  return parts;
}

export type Target =
  | { kind: 'message'; conversationId: number; messageId: number }
  | { kind: 'image'; id: number; path: string | null }
  | { kind: 'video'; id: number }
  | { kind: 'clip'; id: number }
  | { kind: 'transcript'; id: number };

/** Where opening a result goes: the message in its conversation, or the generation. */
export function targetOf(r: SearchResult): Target | null {
  if (r.kind === 'message') {
    return r.conversation_id !== null && r.message_id !== null
      ? { kind: 'message', conversationId: r.conversation_id, messageId: r.message_id }
      : null;
  }
  if (!r.item) return null;
  switch (r.kind) {
    case 'image':
      return { kind: 'image', id: r.item.id, path: r.item.file_path };
    case 'video':
      return { kind: 'video', id: r.item.id };
    case 'speech':
      return { kind: 'clip', id: r.item.id };
    case 'transcript':
      return { kind: 'transcript', id: r.item.id };
  }
  return null;
}

/** The picture a result shows: its thumbnail, or a small image itself (no thumbnail is made for those). */
export function pictureOf(r: SearchResult): string | null {
  return r.item?.thumbnail_path ?? (r.kind === 'image' ? (r.item?.file_path ?? null) : null);
}

/** A stable key for a result in a keyed list. */
export function resultKey(r: SearchResult): string {
  return r.message_id !== null ? `m${r.message_id}` : `g${r.item?.id ?? r.title}`;
}

/** 0–100 while something is indexed; `null` when nothing waits. */
export function indexPercent(s: IndexStatus | null): number | null {
  if (!s || s.pending === 0) return null;
  const total = s.indexed + s.pending;
  return total === 0 ? null : Math.floor((s.indexed / total) * 100);
}

/** m:ss for a clip's length. */
export function clipLength(ms: number | null): string {
  if (ms === null || ms < 0) return '';
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
