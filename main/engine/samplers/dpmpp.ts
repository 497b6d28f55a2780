/**
 * DPM-Solver++ (Lu, Zhou, Bao, Chen, Li & Zhu 2022b, "DPM-Solver++: Fast Solver for Guided Sampling
 * of Diffusion Probabilistic Models"): the exponential integrator of `dpm-solver.ts` applied to the
 * data prediction D (eq. 8), in the σ view (λ = −log σ, h = λ_t − λ_s):
 *   DPM-Solver++(1):  x_t = (σ_t/σ_s)·x_s − (e^{−h} − 1)·D_s,
 * its multistep (2M, Algorithm 2; 3M) and singlestep (2S, Algorithm 1; grid-grouped, diffusers'
 * `DPMSolverSinglestepScheduler`) extensions, and the SDE variants of k-diffusion / diffusers'
 * "sde-dpmsolver++": with η ≥ 0,
 *   x_t = (σ_t/σ_s)e^{−ηh}·x_s + (1 − e^{−(1+η)h})·D_s + … + σ_t√(1 − e^{−2ηh})·ξ,
 * the exact solution of the reverse SDE whose noise is η-scaled (η = 1: the full reverse SDE,
 * Lu et al. 2022b App. / Gonzalez et al. 2023, "SEEDS"; η = 0: the ODE).
 * Every stochastic update goes through `sdeMix` (the mixed ODE–SDE window and mask).
 */
import { lin } from '../tensor.js';
import type { Denoiser, SamplerOptions, Vec } from './common.js';
import { afterStep, ancestralStep, checkCancelled, checkSigmas, inSdeWindow, noiseOf, sdeMix, sdeMixAsync } from './common.js';
import type { MultistepOptions, SinglestepOptions } from './dpm-solver.js';
import { runMultistep, runSinglestep } from './dpm-solver.js';

export interface DpmppMultistepOptions extends MultistepOptions {
  /** SDE noise scale η (k-diffusion `eta`; diffusers "sde-dpmsolver++" is η = 1); default 0 (ODE). */
  eta?: number;
  /**
   * Reproduce diffusers' sde-dpmsolver++ third-order branches (multistep, and singlestep heun),
   * whose D₂ coefficient is (1 − e^{−2h} − 2h)/(2h)² − ½ where the exponential integrator and
   * k-diffusion's `sample_dpmpp_3m_sde` have … + ½: an extra −D₂ per stochastic step. Default false.
   */
  diffusersSdeD2?: boolean;
}

const flavour = (o: { eta?: number; diffusersSdeD2?: boolean }) => ({ prediction: 'data' as const, eta: o.eta ?? 0, diffusersSdeD2: o.diffusersSdeD2 });

/**
 * Multistep DPM-Solver++ of order 1–3 (Algorithm 2 and its third-order form; diffusers
 * `DPMSolverMultistepScheduler` with algorithm_type "dpmsolver++" / "sde-dpmsolver++"):
 * 2M midpoint  x_t = (σ_t/σ_s)x_s − (e^{−h} − 1)(D₀ + D₁/2),  D₁ = (D₀ − D₋₁)/r₀, r₀ = h₋₁/h;
 * 2M heun      x_t = (σ_t/σ_s)x_s − (e^{−h} − 1)D₀ + ((e^{−h} − 1)/h + 1)D₁;
 * 3M           adds −c₂·D₂, c₂ = (e^{−h} − 1 + h)/h² − ½ as in the references, or twice that with
 *              `thirdOrderWeight: 'taylor'` (`multistepWeights`; the reference weight is second order).
 */
export async function sampleDpmppMultistep(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: DpmppMultistepOptions = {}): Promise<Vec> {
  return runMultistep(model, x, sigmas, opts, flavour(opts));
}

/** DPM-Solver++(2M) (Lu et al. 2022b, Algorithm 2; k-diffusion `sample_dpmpp_2m`). */
export function sampleDpmpp2m(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: DpmppMultistepOptions = {}): Promise<Vec> {
  return sampleDpmppMultistep(model, x, sigmas, { ...opts, order: 2 });
}

/** DPM-Solver++(3M) (Lu et al. 2022b, App.; diffusers solver_order = 3). */
export function sampleDpmpp3m(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: DpmppMultistepOptions = {}): Promise<Vec> {
  return sampleDpmppMultistep(model, x, sigmas, { ...opts, order: 3 });
}

/** DPM-Solver++(2M) SDE (k-diffusion `sample_dpmpp_2m_sde`, η default 1; diffusers "sde-dpmsolver++", order 2). */
export function sampleDpmpp2mSde(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: DpmppMultistepOptions = {}): Promise<Vec> {
  return sampleDpmppMultistep(model, x, sigmas, { ...opts, order: 2, eta: opts.eta ?? 1 });
}

/** DPM-Solver++(3M) SDE (k-diffusion `sample_dpmpp_3m_sde`, η default 1; diffusers "sde-dpmsolver++", order 3). */
export function sampleDpmpp3mSde(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: DpmppMultistepOptions = {}): Promise<Vec> {
  return sampleDpmppMultistep(model, x, sigmas, { ...opts, order: 3, eta: opts.eta ?? 1 });
}

export interface DpmppSinglestepOptions extends SinglestepOptions {
  /** SDE noise scale η, as for the multistep solver; default 0. */
  eta?: number;
  /** See `DpmppMultistepOptions.diffusersSdeD2` (singlestep third order, heun). */
  diffusersSdeD2?: boolean;
}

/**
 * Singlestep DPM-Solver++ (Algorithm 1 with the grid grouping of diffusers'
 * `DPMSolverSinglestepScheduler`, algorithm_type "dpmsolver++" / "sde-dpmsolver++" with η): a group
 * of k grid intervals is one order-k step from its start, x_t = (σ_t/σ_s)x_s − (e^{−h} − 1)D_s −
 * (e^{−h} − 1)/(2r₁)·(D_u − D_s) for k = 2 (midpoint) — see `singlestepWeights`.
 */
export async function sampleDpmppSinglestep(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: DpmppSinglestepOptions = {}): Promise<Vec> {
  return runSinglestep(model, x, sigmas, opts, flavour(opts));
}

export interface Dpmpp2sAncestralOptions extends SamplerOptions {
  /** Ancestral noise η (0: the deterministic DPM-Solver++(2S)); default 1. */
  eta?: number;
  sNoise?: number;
  /** Position of the intermediate point, λ_u = λ_s + r·h; default ½ (k-diffusion). */
  r?: number;
}

/**
 * DPM-Solver++(2S) ancestral (Lu et al. 2022b, Algorithm 1; k-diffusion
 * `sample_dpmpp_2s_ancestral`): split σ_{i+1} into σ_down, σ_up (`ancestralStep`), then with
 * h = log(σ_i/σ_down), u at λ_i + r·h:
 *   x_u = (σ_u/σ_i)x − (e^{−rh} − 1)D_i,
 *   x ← (σ_down/σ_i)x − (e^{−h} − 1)((1 − 1/(2r))D_i + D(x_u, σ_u)/(2r)) + σ_up·ξ.
 * Two model calls a step (three where a soft SDE mask needs both candidates). Noise stream i.
 */
export async function sampleDpmpp2sAncestral(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: Dpmpp2sAncestralOptions = {}): Promise<Vec> {
  checkSigmas(sigmas);
  const { eta = 1, sNoise = 1, r = 0.5 } = opts;
  const noise = noiseOf(opts);
  for (let i = 0; i + 1 < sigmas.length; i++) {
    checkCancelled(opts.signal);
    const sigma = sigmas[i], next = sigmas[i + 1];
    const denoised = await model(x, sigma);
    const step = async (e: number): Promise<Vec> => {
      const { down, up } = ancestralStep(sigma, next, e);
      const xi = up > 0 ? noise(i, x) : x;
      if (down === 0) return lin(1, denoised, up * sNoise, xi);
      const h = Math.log(sigma / down), su = sigma * Math.exp(-r * h);
      const du = await model(lin(su / sigma, x, -Math.expm1(-r * h), denoised), su);
      const c = -Math.expm1(-h);
      return lin(down / sigma, x, c * (1 - 1 / (2 * r)), denoised, c / (2 * r), du, up * sNoise, xi);
    };
    x = next === 0 ? denoised : await sdeMixAsync(opts, sigma, () => step(0), () => step(eta));
    x = await afterStep(opts, { i, x, denoised, t: sigma, tNext: next });
  }
  return x;
}

/**
 * DPM-Solver++ SDE (k-diffusion `sample_dpmpp_sde`): a stochastic singlestep second-order solver
 * with r = ½. With h = λ_{i+1} − λ_i and u at λ_i + r·h, each half is an ancestral exponential
 * step (`ancestralStep` with η):
 *   x_u = (σ_d/σ_i)x + (1 − σ_d/σ_i)D_i + σ_up·ξ₁                    (σ_d, σ_up split of σ_i → σ_u),
 *   x ← (σ_d'/σ_i)x + (1 − σ_d'/σ_i)((1 − 1/(2r))D_i + D(x_u, σ_u)/(2r)) + σ_up'·ξ₂   (σ_i → σ_{i+1}).
 * As in k-diffusion, whose Brownian tree is indexed by σ, ξ₁ and ξ₂ are the normalised increments
 * of one Brownian path over [σ_u, σ_i] and [σ_{i+1}, σ_i]: ξ₂ = ρξ₁ + √(1 − ρ²)ξ′ with
 * ρ = √((σ_i − σ_u)/(σ_i − σ_{i+1})), ξ₁ and ξ′ from noise streams 2i and 2i + 1. (Independent
 * ξ₁, ξ₂ leave a variance bias of ~7% at 200 steps on the Gaussian oracle.)
 */
export async function sampleDpmppSde(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: Dpmpp2sAncestralOptions = {}): Promise<Vec> {
  checkSigmas(sigmas);
  const { eta = 1, sNoise = 1, r = 0.5 } = opts;
  const noise = noiseOf(opts);
  const ancestral = (x0: Vec, d: Vec, sigma: number, to: number, e: number, xi: () => Vec): Vec => {
    const { down, up } = ancestralStep(sigma, to, e);
    return up > 0 ? lin(down / sigma, x0, 1 - down / sigma, d, up * sNoise, xi()) : lin(down / sigma, x0, 1 - down / sigma, d);
  };
  for (let i = 0; i + 1 < sigmas.length; i++) {
    checkCancelled(opts.signal);
    const sigma = sigmas[i], next = sigmas[i + 1];
    const denoised = await model(x, sigma);
    const step = async (e: number): Promise<Vec> => {
      const su = sigma * Math.pow(next / sigma, r);
      const rho = Math.sqrt((sigma - su) / (sigma - next));
      const xi1 = e > 0 ? noise(2 * i, x) : x; // x: a placeholder the η = 0 step never reads
      const du = await model(ancestral(x, denoised, sigma, su, e, () => xi1), su);
      const xi2 = () => lin(rho, xi1, Math.sqrt(1 - rho * rho), noise(2 * i + 1, x));
      return ancestral(x, lin(1 - 1 / (2 * r), denoised, 1 / (2 * r), du), sigma, next, e, xi2);
    };
    x = next === 0 ? denoised : await sdeMixAsync(opts, sigma, () => step(0), () => step(eta));
    x = await afterStep(opts, { i, x, denoised, t: sigma, tNext: next });
  }
  return x;
}
