// The waveform of a clip, computed in the webview: the parts' bytes come over IPC (the CSP
// keeps fetch to IPC), WebAudio decodes them, and the peaks are drawn on a canvas. Where
// decoding fails (a codec this WebKitGTK lacks), the player bar simply has no waveform.
import * as ipc from '../ipc';

export const BUCKETS = 180;

/** The loudest sample of each of `buckets` equal slices, scaled so the loudest is 1. */
export function peaks(samples: Float32Array, buckets = BUCKETS): number[] {
  const out = new Array<number>(buckets).fill(0);
  if (samples.length === 0) return out;
  const size = samples.length / buckets;
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * size);
    const to = Math.max(from + 1, Math.floor((b + 1) * size));
    let max = 0;
    for (let i = from; i < to && i < samples.length; i++) {
      const v = Math.abs(samples[i]);
      if (v > max) max = v;
    }
    out[b] = max;
  }
  const top = Math.max(...out);
  return top > 0 ? out.map((v) => v / top) : out;
}

/** The first channel of every part, end to end. */
function join(parts: Float32Array[]): Float32Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

type Decode = (bytes: ArrayBuffer) => Promise<Float32Array>;

function webAudioDecoder(): Decode | null {
  const Offline = (globalThis as { OfflineAudioContext?: typeof OfflineAudioContext }).OfflineAudioContext;
  if (!Offline) return null;
  return async (bytes) => {
    // An offline context decodes without opening a sound device.
    const context = new Offline(1, 1, 44_100);
    const buffer = await context.decodeAudioData(bytes);
    return buffer.getChannelData(0).slice();
  };
}

const cache = new Map<string, Promise<number[] | null>>();

/** The peaks of a finished clip of `parts` parts, or null when it cannot be decoded here. */
export function waveformOf(id: number, parts: number, decode: Decode | null = webAudioDecoder()): Promise<number[] | null> {
  const key = `${id}:${parts}`;
  let found = cache.get(key);
  if (!found) {
    found = (async () => {
      if (!decode || parts < 1) return null;
      try {
        const decoded: Float32Array[] = [];
        for (let part = 0; part < parts; part++) decoded.push(await decode(await ipc.audioFile(id, part)));
        return peaks(join(decoded));
      } catch {
        return null;
      }
    })();
    cache.set(key, found);
  }
  return found;
}

export function clearWaveforms(): void {
  cache.clear();
}

/** Draws bars for `values`; those left of `played` (0..1) in the accent colour. */
export function draw(canvas: HTMLCanvasElement, values: number[], played: number, colors: { played: string; rest: string }): void {
  const context = canvas.getContext('2d');
  if (!context) return;
  const ratio = globalThis.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (width === 0 || height === 0) return;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  const step = width / values.length;
  const bar = Math.max(1, step * 0.6);
  const middle = height / 2;
  values.forEach((value, i) => {
    const h = Math.max(2, value * (height - 4));
    const x = i * step + (step - bar) / 2;
    context.fillStyle = (i + 0.5) / values.length <= played ? colors.played : colors.rest;
    context.fillRect(x, middle - h / 2, bar, h);
  });
}
