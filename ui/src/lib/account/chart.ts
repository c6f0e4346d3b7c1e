// Geometry for the spending chart, kept apart from the SVG so it can be tested.

/** A round upper bound for the axis: 1, 2 or 5 times a power of ten, at least `max`. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= max) return step * power;
  }
  return 10 * power;
}

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Bars for `values` in a `width` × `height` plot, with `gap` between them. */
export function bars(values: number[], width: number, height: number, gap = 4): Bar[] {
  if (values.length === 0) return [];
  const top = niceMax(Math.max(...values));
  const slot = width / values.length;
  const barWidth = Math.max(1, slot - gap);
  return values.map((value, i) => {
    const h = value > 0 ? Math.max(1.5, (value / top) * height) : 0;
    return { x: i * slot + (slot - barWidth) / 2, y: height - h, width: barWidth, height: h };
  });
}

/** Which labels to show under `count` bars so they do not crowd: every n-th, last included. */
export function labelStride(count: number, width: number, labelWidth = 44): number {
  if (count === 0) return 1;
  const fit = Math.max(1, Math.floor(width / labelWidth));
  return Math.max(1, Math.ceil(count / fit));
}
