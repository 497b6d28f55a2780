/**
 * Brush-stroke rasteriser: the coverage of a pixel is a function of the distance d from its centre
 * to the stroke's polyline. With radius r = size/2 and hardness h, coverage is 1 for d ≤ h·r, 0 for
 * d > r, and a smoothstep in between; hardness 1 gives a hard edge (a dot covers ≈ πr² pixels).
 * Within one stroke the segments combine by max, so joints do not build up.
 */
import type { MaskStroke } from '../types.js';

export function brushFalloff(d: number, radius: number, hardness: number): number {
  const inner = radius * Math.min(1, Math.max(0, hardness));
  if (d <= inner) return 1;
  if (d >= radius) return 0;
  const t = (radius - d) / (radius - inner);
  return t * t * (3 - 2 * t);
}

function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const vx = bx - ax, vy = by - ay;
  const len2 = vx * vx + vy * vy;
  let t = len2 > 0 ? ((px - ax) * vx + (py - ay) * vy) / len2 : 0;
  t = Math.min(1, Math.max(0, t));
  return Math.hypot(px - (ax + t * vx), py - (ay + t * vy));
}

/** Composite one stroke into `mask`: a brush raises pixels to its coverage, an eraser lowers them to 1 − coverage. */
export function applyStroke(mask: Float32Array, width: number, height: number, stroke: MaskStroke): void {
  const r = stroke.size / 2;
  const pts = stroke.points;
  if (pts.length < 2 || r <= 0) return;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i + 1 < pts.length; i += 2) {
    minX = Math.min(minX, pts[i]); maxX = Math.max(maxX, pts[i]);
    minY = Math.min(minY, pts[i + 1]); maxY = Math.max(maxY, pts[i + 1]);
  }
  const x0 = Math.max(0, Math.floor(minX - r)), x1 = Math.min(width - 1, Math.ceil(maxX + r));
  const y0 = Math.max(0, Math.floor(minY - r)), y1 = Math.min(height - 1, Math.ceil(maxY + r));
  if (x0 > x1 || y0 > y1) return;
  const bw = x1 - x0 + 1;
  const cover = new Float32Array(bw * (y1 - y0 + 1));
  const segments = Math.max(1, pts.length / 2 - 1);
  for (let s = 0; s < segments; s++) {
    const ax = pts[2 * s], ay = pts[2 * s + 1];
    const bx = pts.length >= 4 ? pts[2 * s + 2] : ax, by = pts.length >= 4 ? pts[2 * s + 3] : ay;
    const sx0 = Math.max(x0, Math.floor(Math.min(ax, bx) - r)), sx1 = Math.min(x1, Math.ceil(Math.max(ax, bx) + r));
    const sy0 = Math.max(y0, Math.floor(Math.min(ay, by) - r)), sy1 = Math.min(y1, Math.ceil(Math.max(ay, by) + r));
    for (let py = sy0; py <= sy1; py++) {
      for (let px = sx0; px <= sx1; px++) {
        const a = brushFalloff(segmentDistance(px + 0.5, py + 0.5, ax, ay, bx, by), r, stroke.hardness);
        const k = (py - y0) * bw + (px - x0);
        if (a > cover[k]) cover[k] = a;
      }
    }
  }
  for (let py = y0; py <= y1; py++) {
    for (let px = x0; px <= x1; px++) {
      const a = cover[(py - y0) * bw + (px - x0)];
      if (a === 0) continue;
      const i = py * width + px;
      mask[i] = stroke.mode === 'brush' ? Math.max(mask[i], a) : Math.min(mask[i], 1 - a);
    }
  }
}
