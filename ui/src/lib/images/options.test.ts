import { describe, expect, it } from 'vitest';
import { imageOptions, modelFamily, normalizeSize, orientation, parseExtra } from './options';
import { sinceFor } from '../gallery/gallery.svelte';

describe('image options', () => {
  it('know each model family by its name, vendor prefix or not', () => {
    expect(modelFamily('dall-e-3')).toBe('dall-e-3');
    expect(modelFamily('openai/DALL-E-2')).toBe('dall-e-2');
    expect(modelFamily('gpt-image-1-mini')).toBe('gpt-image');
    expect(modelFamily('flux-schnell')).toBe('other');
    expect(modelFamily(null)).toBe('other');
  });

  it('offer what each family accepts', () => {
    expect(imageOptions('dall-e-3')).toMatchObject({ maxCount: 1, qualities: ['standard', 'hd'], styles: ['vivid', 'natural'] });
    expect(imageOptions('gpt-image-1').sizes).toEqual(['auto', '1024x1024', '1536x1024', '1024x1536']);
    expect(imageOptions('dall-e-2')).toMatchObject({ sizes: ['256x256', '512x512', '1024x1024'], qualities: [], styles: [] });
    expect(imageOptions('flux-schnell').sizes).toBeNull();
  });

  it('read a free size as WxH', () => {
    expect(normalizeSize('1280x720')).toBe('1280x720');
    expect(normalizeSize(' 1280 × 720 ')).toBe('1280x720');
    expect(normalizeSize('1280X720')).toBe('1280x720');
    expect(normalizeSize('0x720')).toBeNull();
    expect(normalizeSize('big')).toBeNull();
    expect(orientation('1792x1024')).toBe('landscape');
    expect(orientation('1024x1792')).toBe('portrait');
    expect(orientation('512x512')).toBe('square');
    expect(orientation('auto')).toBeNull();
  });

  it('take only a JSON object as extra parameters', () => {
    expect(parseExtra('')).toEqual({ ok: true, value: null });
    expect(parseExtra('{}')).toEqual({ ok: true, value: null });
    expect(parseExtra('{"seed": 1}')).toEqual({ ok: true, value: { seed: 1 } });
    for (const bad of ['[]', 'null', '1', '"x"', '{', 'seed=1']) expect(parseExtra(bad)).toEqual({ ok: false });
  });
});

describe('date ranges', () => {
  it('start at local midnight for today and count days back otherwise', () => {
    const now = new Date(2026, 4, 9, 15, 30);
    expect(sinceFor('all', now)).toBeNull();
    expect(sinceFor('today', now)).toBe(new Date(2026, 4, 9).getTime());
    expect(sinceFor('7d', now)).toBe(now.getTime() - 7 * 86_400_000);
    expect(sinceFor('30d', now)).toBe(now.getTime() - 30 * 86_400_000);
  });
});
