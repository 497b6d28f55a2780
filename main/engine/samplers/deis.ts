/**
 * DEIS (Zhang & Chen 2023, "Fast Sampling of Diffusion Models with Exponential Integrator"):
 * the multistep tAB-DEIS of §4 (eq. 14/15) in the form diffusers' `DEISMultistepScheduler` runs
 * (algorithm_type "deis", solver_type "logrho"): the noise prediction ε is extrapolated by a
 * Lagrange polynomial in log ρ and integrated exactly against the exponential integrator.
 *
 * In the variance-exploding view ρ = σ^{VP}/α = σ, and the VP update
 * x_t = α_t·(x_s/α_s + Σⱼ Cⱼ·ε̂ⱼ) of eq. 14 becomes, after dividing by α_t,
 *   x_{σ'} = x_σ + Σⱼ Cⱼ·ε̂ⱼ,  Cⱼ = ∫_σ^{σ'} ℓⱼ(log ρ) dρ,  ε̂ⱼ = (xⱼ − D(xⱼ, σⱼ))/σⱼ,
 * where ℓⱼ is the Lagrange basis on the nodes log σⱼ of the current and the previous one or two
 * levels — the probability-flow ODE dx/dσ = ε̂ with ε̂ interpolated in log σ.
 */
import { lin } from '../tensor.js';
import type { Denoiser, SamplerOptions, Vec } from './common.js';
import { afterStep, checkCancelled, checkSigmas, isGiantStep } from './common.js';

export interface DeisOptions extends SamplerOptions {
  /** Multistep order 1–3 (diffusers `solver_order`; default 2). Order 1 is DDIM. */
  order?: number;
  /**
   * diffusers `lower_order_final` (default true): when there are fewer than 15 steps, the last
   * step is first order and the one before it at most second order.
   */
  lowerOrderFinal?: boolean;
  /**
   * Explicit order of each step, replacing `order` and `lowerOrderFinal` (each is still capped by
   * the history available, i + 1 at step i, as diffusers' warm-up does).
   */
  orders?: ArrayLike<number>;
}

/**
 * The order of step i of `steps`: the requested order, lowered for the warm-up (i + 1 values of
 * history), for diffusers' `lower_order_final` (< 15 steps), and to 1 on a step to σ = 0.
 */
function deisOrder(i: number, steps: number, next: number, o: DeisOptions): number {
  let p: number;
  if (o.orders) p = o.orders[i];
  else {
    p = o.order ?? 2;
    if ((o.lowerOrderFinal ?? true) && steps < 15) p = Math.min(p, steps - i);
  }
  if (!Number.isInteger(p) || p < 1 || p > 3) throw new RangeError(`DEIS order must be 1, 2 or 3, got ${p}`);
  return next === 0 ? 1 : Math.min(p, i + 1);
}

/**
 * The weights wⱼ = Cⱼ/σ₀ of the step from σ₀ to σ' = `next` on the nodes `sigmas` = [σ₀, σ₁, σ₂]
 * (the current level first, then the earlier, higher ones; 1–3 of them). With v = log(ρ/σ₀),
 * L = log(σ'/σ₀) and dⱼ = log(σⱼ/σ₀), wⱼ = ∫₀^L ℓⱼ(v)·eᵛ dv, and the moments Iₖ = ∫₀^L vᵏeᵛ dv
 * follow from I₀ = e^L − 1, Iₖ = Lᵏe^L − k·Iₖ₋₁ (diffusers' `ind_fn` antiderivatives in these
 * variables):
 *   order 1: w₀ = I₀ (DDIM);
 *   order 2: w₀ = I₀ − I₁/d₁,  w₁ = I₁/d₁;
 *   order 3: w₀ = (I₂ − (d₁+d₂)I₁ + d₁d₂I₀)/(d₁d₂),  w₁ = (I₂ − d₂I₁)/(d₁(d₁−d₂)),
 *            w₂ = (I₂ − d₁I₁)/(d₂(d₂−d₁)).
 */
export function deisWeights(next: number, sigmas: readonly number[]): number[] {
  const s0 = sigmas[0];
  const L = Math.log(next / s0);
  const eL = next / s0;
  const i0 = Math.expm1(L);
  if (sigmas.length === 1) return [i0];
  const i1 = L * eL - i0;
  const d1 = Math.log(sigmas[1] / s0);
  if (sigmas.length === 2) return [i0 - i1 / d1, i1 / d1];
  const i2 = L * L * eL - 2 * i1;
  const d2 = Math.log(sigmas[2] / s0);
  return [(i2 - (d1 + d2) * i1 + d1 * d2 * i0) / (d1 * d2), (i2 - d2 * i1) / (d1 * (d1 - d2)), (i2 - d1 * i1) / (d2 * (d2 - d1))];
}

/**
 * Multistep DEIS of order 1–3 (Zhang & Chen 2023, eq. 14/15, ρ-AB-DEIS in log ρ as diffusers
 * implements it): x_{σ'} = x + σ·Σⱼ wⱼ·ε̂ⱼ with the weights of `deisWeights`; the first steps warm
 * up with lower orders and a final step to σ = 0 is first order (then x_{σ'} = D).
 *
 * Departure (stability guard): a giant step (σ/σ' > `GIANT_STEP_RATIO`) is first order (DDIM): the
 * Lagrange polynomial in log ρ would be extrapolated over more than 4.6 units of log σ — as for the
 * multistep DPM-Solver family (`dpm-solver.ts`). Later steps keep the history.
 */
export async function sampleDeis(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: DeisOptions = {}): Promise<Vec> {
  checkSigmas(sigmas);
  const steps = sigmas.length - 1;
  const eps: Vec[] = []; // ε̂ at σᵢ, σᵢ₋₁, σᵢ₋₂ (newest first)
  for (let i = 0; i < steps; i++) {
    checkCancelled(opts.signal);
    const sigma = sigmas[i], next = sigmas[i + 1];
    const denoised = await model(x, sigma);
    eps.unshift(lin(1 / sigma, x, -1 / sigma, denoised));
    eps.length = Math.min(eps.length, 3);
    const giant = isGiantStep(sigma, next);
    const p = giant ? 1 : Math.min(deisOrder(i, steps, next, opts), eps.length);
    const w = deisWeights(next, Array.from({ length: p }, (_, j) => sigmas[i - j]));
    x = lin(1, x, ...w.flatMap((wj, j) => [sigma * wj, eps[j]]));
    x = await afterStep(opts, { i, x, denoised, t: sigma, tNext: next });
  }
  return x;
}
