/**
 * DiffEditor's region-guidance energies on UNet decoder features (Mou et al. 2024, "DiffEditor",
 * §3.2 and eq. 4–7; DragonDiffusion, Mou et al. 2023, eq. 6–9), with their gradients with respect
 * to the features — the half of exact region guidance that needs no model: the other half carries
 * these gradients back through the UNet to the noisy state (a vector–Jacobian product).
 *
 * Features are [C, h, w] (one batch row); cells are indices j = y·w + x of the feature grid.
 * Similarities are cosines over channels, s = cos(a, b), with ∂s/∂a = b/(‖a‖‖b‖) − s·a/‖a‖².
 *   match:    E = w / (1 + 4·s̄),  s̄ the mean similarity of pairs (current cell, reference cell) —
 *             the edit term (target cells against the source they come from) and the content term
 *             (cells outside the edit against themselves in the reference);
 *   contrast: E = w · mean over cells of (1 + s)/2 — the vacated area pushed away from the object
 *             that was there;
 *   inpaint:  E = w / (1 + 4·cos(mean of the area, a target mean)) — the vacated area's mean
 *             feature pulled towards its surroundings'.
 * These share the `Energy` shape of `energies.ts`.
 */
import type { Vec } from '../tensor.js';
import type { Energy } from './energies.js';

/** The feature grid: channels and cells. */
export interface FeatureGrid {
  channels: number;
  width: number;
  height: number;
}

const EPS = 1e-8;

/** cos(a, b) over channels for cell i of `a` and cell j of `b`, adding w·∂cos/∂a into `grad` at cell i. */
function cosineAt(g: FeatureGrid, a: Vec, i: number, b: ArrayLike<number>, j: number, bCells: number, w: number, grad: Float64Array): number {
  const n = g.width * g.height;
  let aa = 0, bb = 0, ab = 0;
  for (let c = 0; c < g.channels; c++) {
    const x = a[c * n + i], y = b[c * bCells + j];
    aa += x * x; bb += y * y; ab += x * y;
  }
  const na = Math.sqrt(aa) + EPS, nb = Math.sqrt(bb) + EPS;
  const s = ab / (na * nb);
  if (w !== 0) for (let c = 0; c < g.channels; c++) grad[c * n + i] += w * (b[c * bCells + j] / (na * nb) - (s * a[c * n + i]) / (na * na));
  return s;
}

/**
 * Match: E = w/(1 + 4·s̄) over pairs (cells[k] of the current features, refCells[k] of `ref`, a
 * feature map of `refGrid`'s size — the reference's at the same step). No pairs: no energy.
 */
export function matchFeatures(g: FeatureGrid, w: number, cells: Int32Array, ref: Vec, refCells: Int32Array, refGrid: { width: number; height: number } = g): Energy {
  if (cells.length !== refCells.length) throw new RangeError(`${cells.length} cells paired with ${refCells.length}`);
  const m = refGrid.width * refGrid.height;
  return (x) => {
    const grad = new Float64Array(x.length);
    const count = cells.length;
    if (!count || !w) return { value: 0, grad };
    // Two passes: s̄ first, then the gradient scaled by dE/ds̄ = −4w/(1 + 4s̄)² and 1/count.
    let sum = 0;
    for (let k = 0; k < count; k++) sum += cosineAt(g, x, cells[k], ref, refCells[k], m, 0, grad);
    const mean = sum / count;
    const dE = (-4 * w) / (1 + 4 * mean) ** 2 / count;
    for (let k = 0; k < count; k++) cosineAt(g, x, cells[k], ref, refCells[k], m, dE, grad);
    return { value: w / (1 + 4 * mean), grad };
  };
}

/** Contrast: E = w·mean over `cells` of (1 + cos(x_j, ref_j))/2 (same grid). */
export function contrastFeatures(g: FeatureGrid, w: number, cells: Int32Array, ref: Vec): Energy {
  const n = g.width * g.height;
  return (x) => {
    const grad = new Float64Array(x.length);
    if (!cells.length || !w) return { value: 0, grad };
    let sum = 0;
    const dE = w / 2 / cells.length;
    for (const j of cells) sum += cosineAt(g, x, j, ref, j, n, dE, grad);
    return { value: (w * (cells.length + sum)) / 2 / cells.length, grad };
  };
}

/** Inpaint: E = w/(1 + 4·cos(mean of x over `cells`, target)), target a C-vector. */
export function inpaintFeatures(g: FeatureGrid, w: number, cells: Int32Array, target: ArrayLike<number>): Energy {
  const n = g.width * g.height;
  return (x) => {
    const grad = new Float64Array(x.length);
    if (!cells.length || !w) return { value: 0, grad };
    const mean = new Float64Array(g.channels);
    for (let c = 0; c < g.channels; c++) {
      let s = 0;
      for (const j of cells) s += x[c * n + j];
      mean[c] = s / cells.length;
    }
    // cos(mean, target) on a one-cell grid, its gradient w.r.t. the mean spread evenly over the cells.
    const one = { channels: g.channels, width: 1, height: 1 };
    const dMean = new Float64Array(g.channels);
    const s = cosineAt(one, mean, 0, target, 0, 1, 0, dMean);
    cosineAt(one, mean, 0, target, 0, 1, (-4 * w) / (1 + 4 * s) ** 2, dMean);
    for (let c = 0; c < g.channels; c++) for (const j of cells) grad[c * n + j] = dMean[c] / cells.length;
    return { value: w / (1 + 4 * s), grad };
  };
}

/** Cells of a mask (≥ 0.5) on the feature grid, in order. */
export function cellsOf(mask: Float32Array): Int32Array {
  const out: number[] = [];
  for (let j = 0; j < mask.length; j++) if (mask[j] >= 0.5) out.push(j);
  return Int32Array.from(out);
}

/** Per-channel mean of features over cells (the inpaint term's target: the surroundings' mean feature). */
export function meanFeature(g: FeatureGrid, x: Vec, cells: Int32Array): Float64Array {
  const n = g.width * g.height;
  const out = new Float64Array(g.channels);
  if (!cells.length) return out;
  for (let c = 0; c < g.channels; c++) {
    let s = 0;
    for (const j of cells) s += x[c * n + j];
    out[c] = s / cells.length;
  }
  return out;
}
