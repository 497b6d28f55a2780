/**
 * DPM-Solver++(2M) with Polyak's heavy-ball momentum (Wizadwongsa, Chinchuthakun, Khungurn, Raj &
 * Suwajanakorn 2023, "Diffusion Sampling with Momentum for Mitigating Divergence Artifacts", §4,
 * "HB"): the second-order combination of DPM-Solver++(2M) (Lu et al. 2022b, Algorithm 2, midpoint
 * form) D̃ᵢ = D₀ + D₁/2, D₁ = (D₀ − D₋₁)/r₀, r₀ = h₋₁/h, is replaced by a velocity
 *   vᵢ = (1 − β)·vᵢ₋₁ + β·D̃ᵢ,   x_{i+1} = (σ_{i+1}/σᵢ)·xᵢ + (1 − σ_{i+1}/σᵢ)·vᵢ,
 * the data-prediction exponential-integrator step in the σ view (x_t = (σ_t/σ_s)x_s − (e^{−h} − 1)v).
 * β = 1 is DPM-Solver++(2M) exactly. β < 1 enlarges the region of absolute stability of the
 * multistep method (the paper's analysis, §4.2), which is what suppresses the divergence artifacts
 * high-order methods produce at few steps and large guidance; the price is order: the velocity lags
 * the current D̃ by O(h), so the method is first order for β < 1 (measured in
 * test/samplers/momentum.test.ts).
 *
 * As the paper's reference scheduler does: the first step (no history) is the first-order step with
 * D₀ and sets no velocity; the velocity starts as the first D̃ and is damped from then on; the last
 * step is first order when the run is short (< 15 steps, `lower_order_final`), and a step to σ = 0
 * returns D. A giant step (`isGiantStep`) is first order, like the first, and leaves the velocity as
 * it was (the engine's rule for every multistep family).
 */
import type { Denoiser, SamplerOptions, Vec } from './common.js';
import { afterStep, checkCancelled, checkSigmas, isGiantStep } from './common.js';

export interface MomentumOptions extends SamplerOptions {
  /** Heavy-ball weight β in (0, 1]; 1 is DPM-Solver++(2M). Default 0.8. */
  beta?: number;
  /** First-order last step for runs under 15 steps (diffusers' `lower_order_final`); default true. */
  lowerOrderFinal?: boolean;
}

export async function sampleDpmpp2mMomentum(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: MomentumOptions = {}): Promise<Vec> {
  checkSigmas(sigmas);
  const { beta = 0.8, lowerOrderFinal = true } = opts;
  if (!(beta > 0 && beta <= 1)) throw new RangeError(`momentum β must be in (0, 1], got ${beta}`);
  const steps = sigmas.length - 1;
  const short = lowerOrderFinal && steps < 15;
  let prev: { d: Vec; lam: number } | undefined;
  let v: Float64Array | undefined;
  for (let i = 0; i < steps; i++) {
    checkCancelled(opts.signal);
    const sigma = sigmas[i], next = sigmas[i + 1];
    const d = await model(x, sigma);
    const lam = -Math.log(sigma);
    const firstOrder = !prev || isGiantStep(sigma, next) || (short && i === steps - 1);
    let out: Vec;
    if (next === 0) {
      out = d;
    } else {
      const ratio = next / sigma;
      let dir: ArrayLike<number> = d;
      if (!firstOrder) {
        const h = Math.log(sigma / next);
        const r = (lam - prev!.lam) / h;
        const p = prev!.d;
        const tilde = Float64Array.from(d, (dj, j) => dj + (dj - p[j]) / (2 * r));
        if (!v) v = tilde;
        else for (let j = 0; j < v.length; j++) v[j] = (1 - beta) * v[j] + beta * tilde[j];
        dir = v;
      }
      out = x instanceof Float64Array ? new Float64Array(x.length) : new Float32Array(x.length);
      for (let j = 0; j < x.length; j++) out[j] = ratio * x[j] + (1 - ratio) * dir[j];
    }
    prev = { d, lam };
    x = await afterStep(opts, { i, x: out, denoised: d, t: sigma, tNext: next });
  }
  return x;
}
