/**
 * Scanline polygon fill at pixel centres, even-odd rule. A pixel (px, py) is inside when its centre
 * (px + ½, py + ½) is, with half-open edges so that shared edges are filled once: an axis-aligned
 * w×h rectangle on integer coordinates covers exactly w·h pixels.
 */

/** Set every covered pixel of the width×height `target` to max(its value, `value`); returns how many were covered. */
export function fillPolygon(target: Float32Array, width: number, height: number, points: readonly number[], value = 1): number {
  const n = Math.floor(points.length / 2);
  if (n < 3) return 0;
  let minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minY = Math.min(minY, points[2 * i + 1]);
    maxY = Math.max(maxY, points[2 * i + 1]);
  }
  const rowStart = Math.max(0, Math.ceil(minY - 0.5));
  const rowEnd = Math.min(height - 1, Math.ceil(maxY - 0.5) - 1);
  const xs: number[] = [];
  let covered = 0;
  for (let py = rowStart; py <= rowEnd; py++) {
    const yc = py + 0.5;
    xs.length = 0;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const x0 = points[2 * j], y0 = points[2 * j + 1], x1 = points[2 * i], y1 = points[2 * i + 1];
      // Half-open in y: an edge counts for rows with yc in [min(y0, y1), max(y0, y1)).
      if ((y0 <= yc && yc < y1) || (y1 <= yc && yc < y0)) xs.push(x0 + ((yc - y0) * (x1 - x0)) / (y1 - y0));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      // Centres xc = px + ½ with xs[k] ≤ xc < xs[k+1].
      const from = Math.max(0, Math.ceil(xs[k] - 0.5));
      const to = Math.min(width - 1, Math.ceil(xs[k + 1] - 0.5) - 1);
      const row = py * width;
      for (let px = from; px <= to; px++) {
        if (target[row + px] < value) target[row + px] = value;
        covered++;
      }
    }
  }
  return covered;
}

export function rasterizePolygon(points: readonly number[], width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  fillPolygon(out, width, height, points);
  return out;
}
