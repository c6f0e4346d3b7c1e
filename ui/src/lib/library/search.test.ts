import { describe, expect, it } from 'vitest';
import type { SearchResult } from '../bindings/SearchResult';
import type { GalleryItem } from '../bindings/GalleryItem';
import { clipLength, indexPercent, pictureOf, resultKey, snippetParts, targetOf } from './search';

const item = (id: number, kind: GalleryItem['kind']): GalleryItem => ({
  id,
  kind,
  model: 'm',
  prompt: 'p',
  status: 'complete',
  progress: 100,
  error: null,
  favourite: false,
  rating: null,
  outputs: 1,
  thumbnail_path: null,
  file_path: '/media/a.png',
  width: null,
  height: null,
  created_at: 1,
  duration_ms: null,
});

const result = (over: Partial<SearchResult>): SearchResult => ({
  kind: 'message',
  message_id: null,
  conversation_id: null,
  role: null,
  title: 't',
  snippet: '',
  item: null,
  created_at: 1,
  score: 1,
  by_words: false,
  by_meaning: true,
  ...over,
});

describe('library search helpers', () => {
  it('splits snippets at the match markers', () => {
    expect(snippetParts('a \u0002harbour\u0003 at \u0002dusk\u0003.')).toEqual([
      { text: 'a ', match: false },
      { text: 'harbour', match: true },
      { text: ' at ', match: false },
      { text: 'dusk', match: true },
      { text: '.', match: false },
    ]);
    expect(snippetParts('plain')).toEqual([{ text: 'plain', match: false }]);
    expect(snippetParts('')).toEqual([]);
  });

  it('sends a message result to its message and a generation to its item', () => {
    expect(targetOf(result({ message_id: 5, conversation_id: 2 }))).toEqual({
      kind: 'message',
      conversationId: 2,
      messageId: 5,
    });
    expect(targetOf(result({ kind: 'image', item: item(9, 'image') }))).toEqual({
      kind: 'image',
      id: 9,
      path: '/media/a.png',
    });
    expect(targetOf(result({ kind: 'speech', item: item(3, 'speech') }))).toEqual({ kind: 'clip', id: 3 });
    expect(targetOf(result({ kind: 'video' }))).toBeNull();
    expect(resultKey(result({ message_id: 5 }))).toBe('m5');
    expect(resultKey(result({ kind: 'image', item: item(9, 'image') }))).toBe('g9');
    const small = { ...item(9, 'image'), thumbnail_path: null, file_path: '/m/ab.png' };
    expect(pictureOf(result({ kind: 'image', item: small }))).toBe('/m/ab.png');
    expect(pictureOf(result({ kind: 'video', item: { ...item(3, 'video'), thumbnail_path: null, file_path: '/m/c.mp4' } }))).toBeNull();
    expect(pictureOf(result({ message_id: 5 }))).toBeNull();
  });

  it('reports index progress only while something waits', () => {
    const s = { model: 'm', dims: 3, indexed: 25, pending: 75, building: true, error: null, error_code: null };
    expect(indexPercent(s)).toBe(25);
    expect(indexPercent({ ...s, pending: 0 })).toBeNull();
    expect(indexPercent(null)).toBeNull();
    expect(clipLength(65_400)).toBe('1:05');
    expect(clipLength(null)).toBe('');
  });
});
