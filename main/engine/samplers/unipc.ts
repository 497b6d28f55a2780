/**
 * UniPC (Zhao et al. 2023, "UniPC: A Unified Predictor-Corrector Framework for Fast Sampling of
 * Diffusion Models", §3, Algorithms 1–3): the multistep predictor UniP-p and the corrector UniC-p
 * in their B(h) forms, as diffusers' `UniPCMultistepScheduler` runs them.
 *
 * With h = λ' − λ = log(σ/σ') and z = −h (data prediction, m = D) or z = h (noise prediction,
 * m = ε̂ = (x − D)/σ), the VP updates divided by α' read, in the variance-exploding view,
 *   data:  x' = (σ'/σ)·x − (e^z − 1)·m₀ − B(z)·Σₖ ρₖ·Dₖ,
 *   noise: x' = x − σ'·(e^z − 1)·m₀ − σ'·B(z)·Σₖ ρₖ·Dₖ,
 * with Dₖ = (mₖ − m₀)/rₖ, rₖ = (λₖ − λ)/h for the earlier levels σₖ, B(z) = z (bh1) or e^z − 1
 * (bh2), and ρ solving R·ρ = b, Rⱼₖ = rₖ^{j−1}, bⱼ = z·φⱼ₊₁(z)·j!/B(z) (φ the exponential
 * integrator functions, z·φⱼ₊₁(z) = (e^z − Σ_{k≤j} zᵏ/k!)/zʲ).
 *
 * The corrector of step i uses the model evaluation at the predicted point xᵢ₊₁ that step i + 1
 * makes anyway (Dₚ = m(xᵢ₊₁) − m₀ with r = 1), and that evaluation, not one at the corrected
 * point, enters the history: one model call per step, and the last step is not corrected.
 * diffusers' `solver_p` (an arbitrary other predictor under UniC) is not provided.
 */
import { lin } from '../tensor.js';
import type { Denoiser, SamplerOptions, Vec } from './common.js';
import { afterStep, checkCancelled, checkSigmas, isGiantStep } from './common.js';

export interface UniPcOptions extends SamplerOptions {
  /** Predictor order p ≥ 1 (diffusers `solver_order`; default 2). With the corrector the order is p + 1. */
  order?: number;
  /** B(h) = h (`bh1`) or e^h − 1 (`bh2`, default) — diffusers `solver_type`. */
  variant?: 'bh1' | 'bh2';
  /** Data prediction (default true) or noise prediction — diffusers `predict_x0`. */
  predictX0?: boolean;
  /** Apply UniC (default true); false is UniP alone. */
  corrector?: boolean;
  /** Steps whose corrector is skipped (diffusers `disable_corrector`, same indices). */
  disableCorrector?: readonly number[];
  /**
   * diffusers `lower_order_final` (default true): step i has order ≤ steps − i, so the last steps
   * fall to orders …, 2, 1 (unlike DEIS and DPM-Solver, for any number of steps).
   */
  lowerOrderFinal?: boolean;
  /** Explicit order of each step, replacing `order` and `lowerOrderFinal` (capped at i + 1). */
  orders?: ArrayLike<number>;
  /**
   * Evaluate the model once more at the last (positive) σ to correct the last step — what
   * diffusers does when its σ list repeats the final level (`final_sigmas_type: "sigma_min"` with
   * Karras / exponential / beta sigmas): steps + 1 model calls.
   */
  finalCorrector?: boolean;
}

interface Entry {
  sigma: number;
  m: Vec;
}

/** Solve the small dense system A·y = b by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, j) => [...row, b[j]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
    [m[c], m[piv]] = [m[piv], m[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const y = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let k = r + 1; k < n; k++) s -= m[r][k] * y[k];
    y[r] = s / m[r][r];
  }
  return y;
}

/**
 * z·φⱼ₊₁(z) = Σₖ z^{k+1}/(k+j+1)! for j = 1 … n: by the series for |z| < 1 (no cancellation),
 * else by diffusers' recursion gⱼ₊₁ = gⱼ/z − 1/(j+1)!.
 */
function hPhis(z: number, n: number): number[] {
  const out: number[] = [];
  let fact = 1;
  if (Math.abs(z) < 1) {
    for (let j = 1; j <= n; j++) {
      fact *= j + 1;
      let term = z / fact, s = 0;
      for (let k = 1; k < 30; k++, term *= z / (k + j)) s += term;
      out.push(s);
    }
    return out;
  }
  for (let j = 1, g = Math.expm1(z) / z - 1; j <= n; j++) {
    out.push(g);
    fact *= j + 1;
    g = g / z - 1 / fact;
  }
  return out;
}

/**
 * ρ of UniC-p (R·ρ = b on the nodes r₁ … r_{p−1}, 1) or of UniP-p (the same system on r₁ … r_{p−1}
 * alone), with bⱼ = z·φⱼ₊₁(z)·j!/B(z); UniC-1 and UniP-2 take diffusers' simplified ρ = ½.
 */
function rhos(z: number, B: number, r: readonly number[], p: number, corrector: boolean): number[] {
  if (corrector ? p === 1 : p === 2) return [0.5];
  const nodes = corrector ? [...r, 1] : r;
  let fact = 1;
  const b = hPhis(z, nodes.length).map((g, j) => (g * (fact *= j + 1)) / B);
  return solve(b.map((_, j) => nodes.map((rk) => rk ** j)), b);
}

/**
 * One UniP-p (no `mt`) or UniC-p (`mt` = model output at the predicted point) update from x at
 * hist[0].sigma to σ' = next, with hist newest first (at least p entries):
 * x' = a·x − c·((e^z − 1)·m₀ + B·Σₖ ρₖ(mₖ − m₀)/rₖ [+ B·ρₚ(mₜ − m₀)]), (a, c) = (σ'/σ, 1) or (1, σ').
 */
function uniUpdate(x: Vec, hist: readonly Entry[], next: number, p: number, o: UniPcOptions, mt?: Vec): Vec {
  const { sigma, m: m0 } = hist[0];
  const h = Math.log(sigma / next);
  const dataPred = o.predictX0 ?? true;
  const z = dataPred ? -h : h;
  const ez1 = Math.expm1(z);
  const B = (o.variant ?? 'bh2') === 'bh1' ? z : ez1;
  const r = hist.slice(1, p).map((e) => Math.log(sigma / e.sigma) / h); // rₖ = (λₖ − λ)/h < 0
  const rho = rhos(z, B, r, p, mt !== undefined);
  const [a, c] = dataPred ? [next / sigma, 1] : [1, next];
  const terms: (number | Vec)[] = [];
  let c0 = ez1;
  r.forEach((rk, k) => {
    terms.push((-c * B * rho[k]) / rk, hist[k + 1].m);
    c0 -= (B * rho[k]) / rk;
  });
  if (mt) {
    terms.push(-c * B * rho[p - 1], mt);
    c0 -= B * rho[p - 1];
  }
  return lin(a, x, -c * c0, m0, ...terms);
}

/**
 * Multistep UniPC-p (Zhao et al. 2023, Algorithm 3 with UniP-p and UniC-p of Algorithms 1–2):
 * at step i, evaluate m at xᵢ, correct the previous step with it (UniC, unless disabled), then
 * predict xᵢ₊₁ (UniP). A step to σ = 0 is first order, x' = D (the limit of both forms).
 *
 * Departure (stability guard): a giant step (σ/σ' > `GIANT_STEP_RATIO`) is UniP-1 (DDIM) — a
 * predictor history would be extrapolated over more than 4.6 units of λ — and is corrected only by
 * bh2 with data prediction. UniC-1 adds B(h)·ρ·(mₜ − m₀) with ρ = ½: with bh1 that is h/2 times the
 * change of D across the step (4× on the first step of a cosine-capped `trailing` grid, where the
 * exact weight 1 − (1 − e^{−h})/h is below 1; UniPC bh1 returned images 1–2 RMS away there), with
 * noise prediction σ'(e^h − 1)/2 times a change of ε̂, about e^h/2 times the change of D; with bh2
 * and data prediction (1 − e^{−h})/2 < 1, which helps. Later steps keep the history.
 */
export async function sampleUniPc(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: UniPcOptions = {}): Promise<Vec> {
  checkSigmas(sigmas);
  const steps = sigmas.length - 1;
  const dataPred = opts.predictX0 ?? true;
  const corrects = (i: number) => (opts.corrector ?? true) && !opts.disableCorrector?.includes(i);
  // UniC's weight B(h)·ρ on a giant step's change of m stays below 1 only for bh2 with data prediction.
  const boundedCorrector = (opts.variant ?? 'bh2') === 'bh2' && dataPred;
  const hist: Entry[] = [];
  let last: { x: Vec; p: number; giant: boolean } | undefined; // the state a step started from, its order, whether it was giant
  // Evaluate at x (the prediction of step i − 1), correct step i − 1 with it, record it.
  const evaluate = async (i: number, sigma: number): Promise<Vec> => {
    const denoised = await model(x, sigma);
    const m = dataPred ? denoised : lin(1 / sigma, x, -1 / sigma, denoised);
    if (last && corrects(i - 1) && (!last.giant || boundedCorrector)) x = uniUpdate(last.x, hist, sigma, last.p, opts, m);
    hist.unshift({ sigma, m });
    hist.length = Math.min(hist.length, maxOrder(opts));
    return denoised;
  };
  for (let i = 0; i < steps; i++) {
    checkCancelled(opts.signal);
    const sigma = sigmas[i], next = sigmas[i + 1];
    const denoised = await evaluate(i, sigma);
    const giant = isGiantStep(sigma, next);
    const p = giant ? 1 : Math.min(uniOrder(i, steps, opts), hist.length);
    last = { x, p, giant };
    x = next === 0 ? lin(1, denoised) : uniUpdate(x, hist, next, p, opts);
    x = await afterStep(opts, { i, x, denoised, t: sigma, tNext: next });
  }
  if (opts.finalCorrector && sigmas[steps] > 0) {
    checkCancelled(opts.signal);
    await evaluate(steps, sigmas[steps]);
  }
  return x;
}

/** Order of step i: `orders[i]` or `order` (lowered to steps − i under `lowerOrderFinal`), capped at i + 1. */
function uniOrder(i: number, steps: number, o: UniPcOptions): number {
  let p = o.orders ? o.orders[i] : o.order ?? 2;
  if (!Number.isInteger(p) || p < 1) throw new RangeError(`UniPC order must be a positive integer, got ${p}`);
  if (!o.orders && (o.lowerOrderFinal ?? true)) p = Math.min(p, steps - i);
  return Math.min(p, i + 1);
}

function maxOrder(o: UniPcOptions): number {
  return o.orders ? Math.max(1, ...Array.from(o.orders)) : o.order ?? 2;
}
