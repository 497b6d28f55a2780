/**
 * Region-guidance energies on the predicted clean state x̂₀, with analytic gradients — the terms
 * of DiffEditor's and DragonDiffusion's energy guidance (Mou et al. 2024, eq. 4–7; Mou et al.
 * 2023, eq. 6–9) written on x̂₀ itself instead of on UNet features, so no backward pass through
 * the model is needed. They are applied as manifold-preserving guidance does (He et al. 2024,
 * "Manifold Preserving Guided Diffusion", §4, Alg. 1 without the model Jacobian):
 *   x̂₀′ = x̂₀ − λ·∇E(x̂₀),
 * and the sampler's update is then taken from x̂₀′ (the guided denoiser of `runEdit` in
 * `edit.ts`, where appearance is a match term against the base region with the reference
 * region's statistics carried in by AdaIN).
 *
 * All arrays are [C, h, w]; masks are h × w (soft values weight each cell). Quadratic terms are
 * sums, E = (w/2)·Σ m·‖x̂₀ − r‖², so λ·w is the fraction of the way to the target one guided step
 * moves a cell.
 */
import type { Vec } from '../tensor.js';
import type { Grid } from './regions.js';

export interface EnergyValue {
  value: number;
  grad: Float64Array;
}

export type Energy = (x: Vec) => EnergyValue;

/**
 * Content and edit terms: (w/2)·Σ_j m_j Σ_c (x_cj − r_cj)², gradient w·m·(x − r). Content keeps the
 * area around the edit on the reference's x̂₀; edit pulls the target region towards the moved
 * source (DiffEditor's w_content and w_edit, here as squared distances).
 */
export function matchEnergy(g: Grid, w: number, mask: Float32Array, target: Vec): Energy {
  const n = g.width * g.height;
  return (x) => {
    const grad = new Float64Array(x.length);
    let value = 0;
    for (let c = 0; c < g.channels; c++) {
      for (let j = 0; j < n; j++) {
        const m = mask[j];
        if (!m) continue;
        const d = x[c * n + j] - target[c * n + j];
        value += 0.5 * w * m * d * d;
        grad[c * n + j] = w * m * d;
      }
    }
    return { value, grad };
  };
}

/**
 * Fill term: (w/2)·Σ_j m_j ‖x_j − μ‖², pulling the vacated area towards the colour μ (per channel)
 * of its surroundings — DiffEditor's w_inpaint, which matches the vacated area's mean feature to its
 * neighbourhood's, here cell by cell.
 */
export function fillEnergy(g: Grid, w: number, mask: Float32Array, colour: ArrayLike<number>): Energy {
  const n = g.width * g.height;
  const target = new Float32Array(g.channels * n);
  for (let c = 0; c < g.channels; c++) target.fill(colour[c], c * n, (c + 1) * n);
  return matchEnergy(g, w, mask, target);
}

/**
 * Contrast term: w·Σ_j m_j (1 + cos(x_j − μ, r_j − μ))/2, cosine over channels: the vacated area
 * pushed away from the object that was there (r), measured from the surroundings' colour μ —
 * DiffEditor's w_contrast on (cos + 1)/2. ∂cos(a, b)/∂a = b/(‖a‖‖b‖) − cos·a/‖a‖².
 */
export function contrastEnergy(g: Grid, w: number, mask: Float32Array, old: Vec, colour: ArrayLike<number>): Energy {
  const n = g.width * g.height;
  const eps = 1e-6;
  return (x) => {
    const grad = new Float64Array(x.length);
    let value = 0;
    const a = new Float64Array(g.channels), b = new Float64Array(g.channels);
    for (let j = 0; j < n; j++) {
      const m = mask[j];
      if (!m) continue;
      let aa = 0, bb = 0, ab = 0;
      for (let c = 0; c < g.channels; c++) {
        a[c] = x[c * n + j] - colour[c];
        b[c] = old[c * n + j] - colour[c];
        aa += a[c] * a[c];
        bb += b[c] * b[c];
        ab += a[c] * b[c];
      }
      const na = Math.sqrt(aa + eps), nb = Math.sqrt(bb + eps);
      const cos = ab / (na * nb);
      value += (w * m * (1 + cos)) / 2;
      for (let c = 0; c < g.channels; c++) grad[c * n + j] = ((w * m) / 2) * (b[c] / (na * nb) - (cos * a[c]) / (na * na));
    }
    return { value, grad };
  };
}

/** The sum of several energies. */
export function sumEnergies(terms: readonly Energy[]): Energy {
  return (x) => {
    const grad = new Float64Array(x.length);
    let value = 0;
    for (const term of terms) {
      const e = term(x);
      value += e.value;
      for (let j = 0; j < grad.length; j++) grad[j] += e.grad[j];
    }
    return { value, grad };
  };
}

/** One guidance step on x̂₀: x̂₀ − λ·∇E(x̂₀) (He et al. 2024, Alg. 1 line 6 with the Jacobian dropped). */
export function guidanceStep<V extends Vec>(x0: V, energy: Energy, lambda: number): { x0: V; value: number } {
  const e = energy(x0);
  const out = x0.slice() as V;
  for (let j = 0; j < out.length; j++) out[j] -= lambda * e.grad[j];
  return { x0: out, value: e.value };
}
