// What each image model accepts: sizes, how many images per request, quality and style.
// OpenAI's models take fixed lists; any other model gets a free WxH size and only what
// the user puts in the advanced JSON.

export type ModelFamily = 'dall-e-3' | 'dall-e-2' | 'gpt-image' | 'other';

export interface ImageOptions {
  family: ModelFamily;
  /** The sizes to choose from; null: a free "WxH" text. */
  sizes: readonly string[] | null;
  /** The most images one request may ask for. */
  maxCount: number;
  qualities: readonly string[];
  styles: readonly string[];
}

export const MAX_COUNT = 4;

const OPTIONS: Record<ModelFamily, ImageOptions> = {
  'dall-e-3': {
    family: 'dall-e-3',
    sizes: ['1024x1024', '1792x1024', '1024x1792'],
    maxCount: 1,
    qualities: ['standard', 'hd'],
    styles: ['vivid', 'natural'],
  },
  'gpt-image': {
    family: 'gpt-image',
    sizes: ['auto', '1024x1024', '1536x1024', '1024x1536'],
    maxCount: MAX_COUNT,
    qualities: ['auto', 'low', 'medium', 'high'],
    styles: [],
  },
  'dall-e-2': {
    family: 'dall-e-2',
    sizes: ['256x256', '512x512', '1024x1024'],
    maxCount: MAX_COUNT,
    qualities: [],
    styles: [],
  },
  other: { family: 'other', sizes: null, maxCount: MAX_COUNT, qualities: [], styles: [] },
};

/** Gateways may prefix a model with its vendor ("openai/dall-e-3"); the name decides. */
export function modelFamily(model: string | null): ModelFamily {
  const id = (model ?? '').toLowerCase();
  if (id.includes('dall-e-3')) return 'dall-e-3';
  if (id.includes('dall-e-2')) return 'dall-e-2';
  if (id.includes('gpt-image')) return 'gpt-image';
  return 'other';
}

export function imageOptions(model: string | null): ImageOptions {
  return OPTIONS[modelFamily(model)];
}

const SIZE = /^(\d{1,5})\s*[x×]\s*(\d{1,5})$/i;

/** A free size as the API wants it ("1024x768"), or null when it is not WxH. */
export function normalizeSize(text: string): string | null {
  const match = SIZE.exec(text.trim());
  if (!match) return null;
  const width = Number(match[1]);
  const height = Number(match[2]);
  if (width < 1 || height < 1) return null;
  return `${width}x${height}`;
}

export type Orientation = 'square' | 'landscape' | 'portrait';

export function orientation(size: string): Orientation | null {
  const match = SIZE.exec(size);
  if (!match) return null;
  const width = Number(match[1]);
  const height = Number(match[2]);
  if (width === height) return 'square';
  return width > height ? 'landscape' : 'portrait';
}

export type ExtraResult = { ok: true; value: Record<string, unknown> | null } | { ok: false };

/** The advanced parameters: empty means none; otherwise they must be one JSON object. */
export function parseExtra(text: string): ExtraResult {
  if (text.trim() === '') return { ok: true, value: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false };
  const object = value as Record<string, unknown>;
  return { ok: true, value: Object.keys(object).length > 0 ? object : null };
}
