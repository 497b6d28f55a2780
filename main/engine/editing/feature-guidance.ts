/**
 * Exact region guidance (DiffEditor, Mou et al. 2024, §3.2 and eq. 4–8; DragonDiffusion, Mou et al.
 * 2023, §3.3): energies on the UNet's decoder features of the current state against the
 * reference's at the same step (`feature-energies.ts`), differentiated with respect to the noisy
 * state through the model (a vector–Jacobian product), applied to the noise prediction:
 *   ε̂ = ε + c·α·∇_z E   ⇔   x̂₀′ = x̂₀ − c·σ·α·∇_z E
 * with z = α·x the network's (variance-preserving) input, α = 1/√(1 + σ²), σ the engine's VE
 * level and x̂₀ = x − σ·ε. DiffEditor adds c·∇_z E to ε without the α: a step of the sampler then
 * moves the state by (σ_next − σ)·c·∇E, which SD's levels (σ ≤ 14.6) keep in range but a schedule
 * whose top level is far larger does not (emoji-32's first step leaves σ = 2·10⁴); with α the move
 * is at most about c·∇E at any level, and within 1 − 1/(2σ²) of DiffEditor's where σ is large.
 *
 * Per task, on each tap's grid (masks and placements resampled from the state grid):
 *   move, paste: edit — target cells against the placed reference features (match); content — the
 *                ring around the edit against the reference there (match); vacated area — contrast
 *                against the old object and inpaint towards the ring's mean feature;
 *   drag:        edit — the placed handle patches (match); content as above;
 *   appearance:  edit — the base region's mean feature towards the reference region's (inpaint form);
 *                content as above.
 */
import type { Vec } from '../tensor.js';
import { sumEnergies, type Energy } from './energies.js';
import { cellsOf, contrastFeatures, inpaintFeatures, matchFeatures, meanFeature, type FeatureGrid } from './feature-energies.js';
import { minus, placeRegions, type Grid, type RegionCopy } from './regions.js';
import { resampleMask } from '../pipelines/mask.js';

/** A tap's features for one state: [C, h, w] on its grid. */
export interface FeatureMap {
  grid: FeatureGrid;
  data: Float32Array;
}

/** The model half: features of a state, and the gradient that carries ∂E/∂F back to the state. */
export interface FeatureModel {
  /** Decoder features of the state x at level σ (the sampling prompt's conditional branch), per tap. */
  features(x: Vec, sigma: number): Promise<FeatureMap[]>;
  /** ∇_z Σ_t ⟨F_t(x, σ), cotangents[t]⟩, z the network's input for x (see the module docstring), as a state-shaped array. */
  gradient(x: Vec, sigma: number, cotangents: readonly Float64Array[]): Promise<Float64Array>;
}

/** The masks and placements of an edit, on the state grid. */
export interface FeatureTask {
  kind: 'move' | 'drag' | 'paste' | 'appearance';
  grid: Grid;
  source: Float32Array;
  target: Float32Array;
  vacated: Float32Array;
  /** The ring around the edit the content term holds. */
  ring: Float32Array;
  /** The edit's copies (what goes where), read from the state grid; `fromReference` copies read the reference image's features. */
  copies: readonly (Omit<RegionCopy, 'source'> & { fromReference: boolean })[];
  /** Appearance: the reference region on the reference's grid. */
  referenceRegion?: { mask: Float32Array; width: number; height: number };
}

export interface FeatureWeights {
  content: number;
  edit: number;
  contrast: number;
  inpaint: number;
}

/**
 * The energy of one tap for one step, from the reference features there (`ref`, the base image's;
 * `refOther`, the pasted or appearance image's): see the module docstring.
 */
export function tapEnergy(task: FeatureTask, w: FeatureWeights, ref: FeatureMap, refOther?: FeatureMap): Energy {
  const g = ref.grid, s = task.grid;
  const at = (m: Float32Array) => resampleMask(m, s, g);
  const terms: Energy[] = [];
  const ring = cellsOf(at(task.ring));
  if (w.content > 0 && ring.length) terms.push(matchFeatures(g, w.content, ring, ref.data, ring));
  if (task.kind === 'appearance') {
    const rr = task.referenceRegion;
    const other = refOther ?? ref;
    const refCells = rr ? cellsOf(resampleMask(rr.mask, rr, other.grid)) : new Int32Array(0);
    const base = cellsOf(at(task.target));
    if (w.edit > 0 && base.length && refCells.length) terms.push(inpaintFeatures(g, w.edit, base, meanFeature(other.grid, other.data, refCells)));
    return sumEnergies(terms);
  }
  const target = at(task.target);
  const r = g.width / s.width, ry = g.height / s.height;
  const copies: RegionCopy[] = task.copies.map((c) => {
    const src = c.fromReference && refOther ? refOther : ref;
    const cg = c.grid ?? s;
    const sg = { width: Math.max(1, Math.round(cg.width * r)), height: Math.max(1, Math.round(cg.height * ry)) };
    return {
      source: src.data,
      mask: resampleMask(c.mask, cg, sg),
      grid: sg,
      placement: {
        from: { x: c.placement.from.x * r, y: c.placement.from.y * ry },
        to: { x: c.placement.to.x * r, y: c.placement.to.y * ry },
        scale: c.placement.scale,
      },
    };
  });
  const placed = placeRegions(ref.data, { channels: g.channels, width: g.width, height: g.height }, copies).values;
  const targetCells = cellsOf(target);
  if (w.edit > 0 && targetCells.length) terms.push(matchFeatures(g, w.edit, targetCells, placed, targetCells));
  const vacated = cellsOf(minus(at(task.vacated), target));
  if (vacated.length && w.contrast > 0) terms.push(contrastFeatures(g, w.contrast, vacated, ref.data));
  if (vacated.length && w.inpaint > 0 && ring.length) terms.push(inpaintFeatures(g, w.inpaint, vacated, meanFeature(g, ref.data, ring)));
  return sumEnergies(terms);
}

/**
 * One guided step: x̂₀′ = x̂₀ − c·σ·α·∇_z E(F(x)), E summed over the taps. Returns x̂₀′ and E.
 */
export async function featureGuidanceStep<V extends Vec>(
  model: FeatureModel, x: Vec, sigma: number, x0: V, energies: readonly Energy[], c: number,
): Promise<{ x0: V; value: number }> {
  const features = await model.features(x, sigma);
  if (features.length !== energies.length) throw new RangeError(`${energies.length} tap energies for ${features.length} feature maps`);
  let value = 0;
  const cotangents = features.map((f, t) => {
    const e = energies[t](f.data);
    value += e.value;
    return e.grad;
  });
  const g = await model.gradient(x, sigma, cotangents);
  const out = x0.slice() as V;
  const k = c * sigma / Math.sqrt(1 + sigma * sigma);
  for (let j = 0; j < out.length; j++) out[j] -= k * g[j];
  return { x0: out, value };
}
