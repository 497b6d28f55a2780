/**
 * Region operations on a [C, h, w] state (a latent, or pixels for pixel-space packs), the edits of
 * DiffEditor / DragonDiffusion (Mou et al. 2024, §3.1; Mou et al. 2023, §3.2) applied to inverted
 * states: an object's region resampled at a new place and scale (move, resize, paste from a
 * second image), small patches carried from handles to targets (drag), and region statistics
 * carried from a reference region (appearance).
 *
 * Every placement is one map: a target cell p reads the source at  q = from + (p − to) / scale
 * (cell centres, bilinear), i.e. the source region's anchor `from` lands on `to`, scaled about it.
 * Moving by (dx, dy) with scale s about the box's top-left b is { from: b, to: b + (dx, dy), scale: s }.
 */
import type { Vec } from '../tensor.js';

export interface Grid {
  channels: number;
  width: number;
  height: number;
}

export interface Placement {
  from: { x: number; y: number };
  to: { x: number; y: number };
  scale: { x: number; y: number };
}

/** One piece of an edit: the source state and its region, placed on the target. */
export interface RegionCopy {
  /** [C, h, w] values to read (the base state, or a pasted image's state). */
  source: Vec;
  /** h × w region of the source to carry, 1 inside (soft values allowed). */
  mask: Float32Array;
  placement: Placement;
  /** The source's grid when it differs from the target's (a pasted image of another size). */
  grid?: { width: number; height: number };
}

/** Sample a [C, h, w] array bilinearly at (x, y) in cell coordinates; outside the grid gives NaN. */
function sampleAt(src: Vec, g: Grid, c: number, x: number, y: number): number {
  if (x < -0.5 || y < -0.5 || x > g.width - 0.5 || y > g.height - 0.5) return NaN;
  const cx = Math.min(g.width - 1, Math.max(0, x)), cy = Math.min(g.height - 1, Math.max(0, y));
  const x0 = Math.floor(cx), y0 = Math.floor(cy);
  const x1 = Math.min(g.width - 1, x0 + 1), y1 = Math.min(g.height - 1, y0 + 1);
  const fx = cx - x0, fy = cy - y0;
  const base = c * g.width * g.height;
  const at = (xx: number, yy: number) => src[base + yy * g.width + xx];
  return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x1, y0)) + fy * ((1 - fx) * at(x0, y1) + fx * at(x1, y1));
}

/** Where a target cell reads its source (cell centres at integer coordinates). */
export function sourceOf(p: Placement, x: number, y: number): { x: number; y: number } {
  return { x: p.from.x + (x - p.to.x) / p.scale.x, y: p.from.y + (y - p.to.y) / p.scale.y };
}

/**
 * Apply region copies to a target: where a copy's placed mask is ≥ ½ its values replace the
 * target's (later copies win). Returns the new values and the placed mask (h × w, the union).
 */
export function placeRegions(target: Vec, g: Grid, copies: readonly RegionCopy[]): { values: Vec; mask: Float32Array } {
  const values = target.slice() as Vec;
  const mask = new Float32Array(g.width * g.height);
  const n = g.width * g.height;
  for (const copy of copies) {
    const sg: Grid = { channels: g.channels, ...(copy.grid ?? g) };
    const maskGrid: Grid = { ...sg, channels: 1 };
    if (copy.source.length !== g.channels * sg.width * sg.height) throw new RangeError(`region source has ${copy.source.length} values, expected ${g.channels * sg.width * sg.height}`);
    for (let y = 0; y < g.height; y++) {
      for (let x = 0; x < g.width; x++) {
        const q = sourceOf(copy.placement, x, y);
        const m = sampleAt(copy.mask, maskGrid, 0, q.x, q.y);
        if (!(m >= 0.5)) continue;
        const j = y * g.width + x;
        mask[j] = 1;
        for (let c = 0; c < g.channels; c++) values[c * n + j] = sampleAt(copy.source, sg, c, q.x, q.y);
      }
    }
  }
  return { values, mask };
}

/** The cells a placement covers (placed mask ≥ ½) without reading values: the target mask of an edit. */
export function placedMask(g: Grid, copies: readonly Pick<RegionCopy, 'mask' | 'placement' | 'grid'>[]): Float32Array {
  const mask = new Float32Array(g.width * g.height);
  for (const copy of copies) {
    const maskGrid: Grid = { ...(copy.grid ?? g), channels: 1 };
    for (let y = 0; y < g.height; y++) {
      for (let x = 0; x < g.width; x++) {
        const q = sourceOf(copy.placement, x, y);
        if (sampleAt(copy.mask, maskGrid, 0, q.x, q.y) >= 0.5) mask[y * g.width + x] = 1;
      }
    }
  }
  return mask;
}

/** Binary dilation by a (2r+1)² square. */
export function dilate(mask: Float32Array, width: number, height: number, r: number): Float32Array {
  if (r <= 0) return Float32Array.from(mask, (v) => (v >= 0.5 ? 1 : 0));
  const out = new Float32Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let on = 0;
      for (let dy = -r; dy <= r && !on; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -r; dx <= r; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < width && mask[yy * width + xx] >= 0.5) { on = 1; break; }
        }
      }
      out[y * width + x] = on;
    }
  }
  return out;
}

/** Elementwise set operations on binary masks (values ≥ ½ count as inside). */
export const union = (a: Float32Array, b: Float32Array): Float32Array => a.map((v, j) => (v >= 0.5 || b[j] >= 0.5 ? 1 : 0));
export const minus = (a: Float32Array, b: Float32Array): Float32Array => a.map((v, j) => (v >= 0.5 && !(b[j] >= 0.5) ? 1 : 0));
export const area = (m: Float32Array): number => m.reduce((s, v) => s + (v >= 0.5 ? 1 : 0), 0);

/** Per-channel mean and standard deviation of a [C, h, w] array over a mask (weights = mask values). */
export function regionStats(x: Vec, g: Grid, mask: Float32Array): { mean: Float64Array; std: Float64Array } {
  const n = g.width * g.height;
  const mean = new Float64Array(g.channels), std = new Float64Array(g.channels);
  let wsum = 0;
  for (let j = 0; j < n; j++) wsum += mask[j];
  if (!(wsum > 0)) throw new RangeError('region statistics of an empty region');
  for (let c = 0; c < g.channels; c++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += mask[j] * x[c * n + j];
    const mu = s / wsum;
    let v = 0;
    for (let j = 0; j < n; j++) v += mask[j] * (x[c * n + j] - mu) ** 2;
    mean[c] = mu;
    std[c] = Math.sqrt(v / wsum);
  }
  return { mean, std };
}

/**
 * Adaptive instance normalisation inside a region (Huang & Belongie 2017, eq. 8): the region's
 * per-channel statistics replaced by the given ones, x ← σ*·(x − μ)/σ + μ*; outside unchanged.
 */
export function matchStats(x: Vec, g: Grid, mask: Float32Array, target: { mean: Float64Array; std: Float64Array }): Vec {
  const { mean, std } = regionStats(x, g, mask);
  const out = x.slice() as Vec;
  const n = g.width * g.height;
  for (let c = 0; c < g.channels; c++) {
    const k = target.std[c] / Math.max(std[c], 1e-6);
    for (let j = 0; j < n; j++) {
      const m = mask[j];
      if (m <= 0) continue;
      const v = target.mean[c] + k * (x[c * n + j] - mean[c]);
      out[c * n + j] = m * v + (1 - m) * x[c * n + j];
    }
  }
  return out;
}
