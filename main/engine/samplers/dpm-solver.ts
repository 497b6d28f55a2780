/**
 * DPM-Solver (Lu, Zhou, Bao, Chen, Li & Zhu 2022, "DPM-Solver: A Fast ODE Solver for Diffusion
 * Probabilistic Model Sampling in Around 10 Steps") and the exponential-integrator machinery it
 * shares with DPM-Solver++ (`dpmpp.ts`).
 *
 * With λ = −log σ (eq. 3.1 in the σ view, see `schedules.ts`) the probability-flow ODE has the exact
 * solution (eq. 3.4, data form: DPM-Solver++ eq. 8)
 *   noise form  x_t = x_s − ∫_{λ_s}^{λ_t} e^{−λ} ε̂(x_λ, λ) dλ,                 ε̂ = (x − D)/σ,
 *   data form   x_t = (σ_t/σ_s)·x_s + ∫_{λ_s}^{λ_t} e^{−(λ_t−λ)} D(x_λ, λ) dλ,
 * and a k-th order solver replaces the model output by its Taylor polynomial in λ around λ_s
 * (eq. 3.6). With h = λ_t − λ_s every update in this family reads
 *   x_t = a·x_s − w·(g₀(z)·D₀ + g₁(z)·D₁ + g₂(z)·D₂) (+ n·ξ, ξ ~ N(0, I)),
 *   g₀(z) = e^z − 1,  g₁(z) = g₀(z)/z − 1,  g₂(z) = (g₀(z) − z)/z² − ½,
 * where D₀ is the model output at the base point and D₁, D₂ ≈ h·(d/dλ), h²·(d²/dλ²)/2-type
 * differences of model outputs (`multistepWeights`, `singlestepWeights`), and
 *   noise form (eqs. 3.7–3.9):  a = 1,              w = σ_t, z = h;
 *   data form (DPM-Solver++):   a = σ_t/σ_s,        w = 1,   z = −h;
 *   data-form SDE with η:       a = (σ_t/σ_s)e^{−ηh}, w = 1, z = −(1+η)h, n = σ_t·√(1 − e^{−2ηh})
 *                               (Gonzalez et al. 2023 / DPM-Solver++ App. / k-diffusion 2M SDE);
 *   noise-form SDE (diffusers "sde-dpmsolver"): a = 1, w = 2σ_t, z = h, n = √(σ_s² − σ_t²).
 * The VP factors α_t cancel in the σ view: these are diffusers' updates divided by α_t.
 *
 * Two ways to get the derivatives:
 * - singlestep (Lu et al. Algorithms 1–2, App. B; diffusers `DPMSolverSinglestepScheduler`):
 *   consecutive grid intervals are grouped by an order list ([1, 2, 3, 1, 2, 3, …]); a group of
 *   k intervals is one order-k step from the group's start, evaluated at the group's own grid
 *   points, and the states in between are the lower-order estimates. r₁, r₂ come from the grid; on
 *   a λ-uniform grid a group of 3 is DPM-Solver-3 with r₁ = 1/3, r₂ = 2/3.
 * - multistep (DPM-Solver++ §3.2, Algorithm 2; diffusers `DPMSolverMultistepScheduler`): the
 *   previous steps' outputs, one model call per step.
 *
 * A step that ends at σ = 0 (λ = ∞) is first order whatever was asked (the higher-order terms of
 * the data form diverge there) and returns the denoised estimate D(x, σ_i).
 *
 * Stability guards (departures from the references, engaged only on giant steps, σ_s/σ_t >
 * `GIANT_STEP_RATIO`, e.g. the first step of a cosine-capped schedule's `trailing` grid):
 * - singlestep, noise form: a group never spans a giant step. The update of a group from σ_s uses
 *   (ε̂_u − ε̂_s)/r₁ with ε̂_u − ε̂_s ≈ (D_s − D_u)/σ_u, so it multiplies the change of D by about
 *   e^{r₁h}/(2r₁) = σ_s/(2r₁σ_u) — 1,700× on that grid, which returned noise. A giant step is a group
 *   of its own (first order), and the step after it starts a new group. The data form's weights,
 *   (1 − e^{−h})/(2r₁), are bounded, and it keeps its groups.
 * - multistep, both forms: a giant step is first order. Its D₁ term extrapolates the last
 *   difference of model outputs over the whole step, with a weight that grows like h/(2h₋₁): a
 *   Taylor polynomial in λ carried over more than 4.6 units of λ is no model of D (DPM++ 2M/3M
 *   returned images 1–5 RMS away on Karras grids ending in such a step). The steps after it keep
 *   their history: a difference across the giant step enters with weight about h/(2h_giant), small.
 */
import { lin } from '../tensor.js';
import type { Denoiser, SamplerOptions, Vec } from './common.js';
import { afterStep, checkCancelled, checkSigmas, isGiantStep, noiseOf, sdeMix } from './common.js';

/** diffusers' `solver_type`: how the first-derivative term of second (and singlestep third) order is weighted. */
export type SolverType = 'midpoint' | 'heun';
/** Which model output the Taylor expansion is taken of: ε̂ (DPM-Solver) or D (DPM-Solver++). */
export type Prediction = 'noise' | 'data';
export type Order = 1 | 2 | 3;

/** [g₀(z), g₁(z), g₂(z)]: the φ-type integrals ∫ e^{…}(λ − λ_s)ᵏ of the expansion, normalised as in diffusers. */
function gs(z: number): [number, number, number] {
  const g0 = Math.expm1(z);
  return [g0, g0 / z - 1, (g0 - z) / (z * z) - 0.5];
}

/** The scalars a, w, z, n of the update above for one step σ_s → σ_t > 0. */
export function stepKernel(prediction: Prediction, sigmaS: number, sigmaT: number, eta = 0): { a: number; w: number; z: number; n: number } {
  const h = Math.log(sigmaS / sigmaT);
  if (prediction === 'data') {
    return { a: (sigmaT / sigmaS) * Math.exp(-eta * h), w: 1, z: -(1 + eta) * h, n: eta > 0 ? sigmaT * Math.sqrt(-Math.expm1(-2 * eta * h)) : 0 };
  }
  // Noise form; any η > 0 selects the reverse SDE (diffusers "sde-dpmsolver"): drift doubled.
  return eta > 0 ? { a: 1, w: 2 * sigmaT, z: h, n: Math.sqrt(sigmaS ** 2 - sigmaT ** 2) } : { a: 1, w: sigmaT, z: h, n: 0 };
}

/**
 * Weights on the outputs m₀ (newest, at λ₀ = λ_s), m₁, m₂ (older) of a multistep update of order
 * k (DPM-Solver++ Algorithm 2 and its third-order extension, diffusers `multistep_dpm_solver_*`):
 * r₀ = (λ₀ − λ₁)/h, r₁ = (λ₁ − λ₂)/h, D₁⁰ = (m₀ − m₁)/r₀, D₁¹ = (m₁ − m₂)/r₁;
 * order 2: D₁ = D₁⁰ with weight g₀/2 (midpoint) or g₁ (heun);
 * order 3: D₁ = D₁⁰ + r₀/(r₀ + r₁)·(D₁⁰ − D₁¹), D₂ = (D₁⁰ − D₁¹)/(r₀ + r₁), weights g₁ and c₂ (both
 * solver types). Here D₂ ≈ h²·D''/2, so the Taylor weight of D₂ is c₂ = 2g₂; the reference codes
 * use c₂ = g₂ (see `MultistepOptions.thirdOrderWeight`).
 */
export function multistepWeights(k: number, lams: readonly number[], h: number, g: readonly number[], solverType: SolverType, c2 = 2 * g[2]): number[] {
  if (k === 1) return [g[0]];
  const r0 = (lams[0] - lams[1]) / h;
  if (k === 2) {
    const c1 = solverType === 'midpoint' ? g[0] / 2 : g[1];
    return [g[0] + c1 / r0, -c1 / r0];
  }
  const r1 = (lams[1] - lams[2]) / h;
  const d10 = [1 / r0, -1 / r0, 0], d11 = [0, 1 / r1, -1 / r1];
  return [0, 1, 2].map((j) => {
    const diff = d10[j] - d11[j];
    return (j === 0 ? g[0] : 0) + g[1] * (d10[j] + (r0 / (r0 + r1)) * diff) + (c2 * diff) / (r0 + r1);
  });
}

/**
 * Weights on the outputs m₀ (group start, λ₀ = λ_s), m₁, m₂ (later grid points of the group) of a
 * singlestep update of order k (Lu et al. Algorithms 1–2 / App. B with r from the grid;
 * diffusers `singlestep_dpm_solver_*`): rⱼ = (λⱼ − λ₀)/h, Aⱼ = (mⱼ − m₀)/rⱼ;
 * order 2: D₁ = A₁ with weight g₀/2 (midpoint, DPM-Solver-2) or g₁ (heun);
 * order 3 midpoint: D₁ = A₂ with weight g₁ (DPM-Solver-3's last stage);
 * order 3 heun: D₁ = (r₂A₁ − r₁A₂)/(r₂ − r₁), D₂ = 2(A₂ − A₁)/(r₂ − r₁) ≈ h²·D'', weights g₁, c₂ = g₂.
 */
export function singlestepWeights(k: number, lams: readonly number[], h: number, g: readonly number[], solverType: SolverType, c2 = g[2]): number[] {
  if (k === 1) return [g[0]];
  const r1 = (lams[1] - lams[0]) / h;
  if (k === 2) {
    const c1 = solverType === 'midpoint' ? g[0] / 2 : g[1];
    return [g[0] - c1 / r1, c1 / r1];
  }
  const r2 = (lams[2] - lams[0]) / h;
  if (solverType === 'midpoint') return [g[0] - g[1] / r2, 0, g[1] / r2];
  const a1 = [-1 / r1, 1 / r1, 0], a2 = [-1 / r2, 0, 1 / r2];
  return [0, 1, 2].map((j) => (j === 0 ? g[0] : 0) + (g[1] * (r2 * a1[j] - r1 * a2[j])) / (r2 - r1) + (2 * c2 * (a2[j] - a1[j])) / (r2 - r1));
}

/** Assemble x_t = a·x − w·Σⱼ weightⱼ·mⱼ (+ n·ξ) in one rounding. */
function combine(x: Vec, a: number, w: number, weights: readonly number[], outs: readonly Vec[], n = 0, xi?: Vec): Vec {
  const terms: (number | Vec)[] = [];
  weights.forEach((c, j) => terms.push(-w * c, outs[j]));
  if (n > 0 && xi) terms.push(n, xi);
  return lin(a, x, ...terms);
}

/**
 * diffusers' `DPMSolverSinglestepScheduler.get_order_list`, with the coercions its `set_timesteps`
 * applies first: `lowerOrderFinal` is forced on when `steps` is not a multiple of `order` or the
 * schedule ends at σ = 0 (`finalSigmaZero`, default true: diffusers' `final_sigmas_type="zero"`),
 * and then the last entry is 1. (diffusers makes that coercion sticky in its config; a caller
 * mirroring a reused scheduler object must pass lowerOrderFinal itself.)
 * lowerOrderFinal: order 3 → [1,2,3]…[1,2][1] (steps ≡ 0), …[1] (≡ 1), …[1,2] (≡ 2);
 * order 2 → [1,2]…[1,1] (even), …[1] (odd). Otherwise [1,2,3]… / [1,2]… / [1]….
 */
export function dpmSolverOrderList(steps: number, order: Order, opts: { lowerOrderFinal?: boolean; finalSigmaZero?: boolean } = {}): Order[] {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  if (order !== 1 && order !== 2 && order !== 3) throw new RangeError(`order must be 1, 2 or 3, got ${order as number}`);
  const finalZero = opts.finalSigmaZero ?? true;
  const lowerFinal = (opts.lowerOrderFinal ?? false) || steps % order !== 0 || finalZero;
  const cycle = (n: number): Order[] => Array.from({ length: n * order }, (_, j) => ((j % order) + 1) as Order);
  let orders: Order[];
  if (order === 1 || !lowerFinal) orders = cycle(Math.floor(steps / order));
  else if (order === 3) {
    const q = Math.floor(steps / 3), rem = steps % 3;
    orders = rem === 0 ? [...cycle(q - 1), 1, 2, 1] : rem === 1 ? [...cycle(q), 1] : [...cycle(q), 1, 2];
  } else {
    orders = steps % 2 === 0 ? [...cycle(steps / 2 - 1), 1, 1] : [...cycle((steps - 1) / 2), 1];
  }
  if (finalZero) orders[orders.length - 1] = 1;
  return orders;
}

function checkOrderList(orders: readonly number[], steps: number): void {
  if (orders.length !== steps) throw new RangeError(`orders has ${orders.length} entries for ${steps} steps`);
  orders.forEach((k, i) => {
    if (!(k === 1 || (i > 0 && k === orders[i - 1] + 1 && k <= 3))) {
      throw new RangeError(`orders[${i}] = ${k}: each entry must be 1 (a new group) or the previous entry + 1, at most 3`);
    }
  });
}

/** What the singlestep and multistep loops share. */
export interface ExpIntegratorOptions extends SamplerOptions {
  /** Solver order, 1–3 (diffusers `solver_order`); default 2. */
  order?: Order;
  /** diffusers `solver_type`; default 'midpoint'. */
  solverType?: SolverType;
  /** Scale of the injected noise (k-diffusion `s_noise`); default 1. */
  sNoise?: number;
}

export interface SinglestepOptions extends ExpIntegratorOptions {
  /** The per-step order list (diffusers `order_list`); default `dpmSolverOrderList(steps, order, …)`. */
  orders?: readonly number[];
  /**
   * Weight of the first difference in the middle stage of a third-order group — the state at the
   * group's second level, u₂, that the third-order step evaluates — with solverType 'midpoint':
   * - 'midpoint' (default): diffusers' `DPMSolverSinglestepScheduler`, which takes that stage as an
   *   ordinary second-order midpoint step, weight g₀(z)/2 = (e^z − 1)/2;
   * - 'phi': Lu et al. 2022, Algorithm 2 (and the official DPM-Solver code's `phi_22`): weight
   *   g₁(z) = (e^z − 1)/z − 1, the exact integral for a model output linear in λ, i.e.
   *   u₂ = (α₂/α_s)x − σ₂(e^{r₂h} − 1)ε̂_s − σ₂(r₂/r₁)((e^{r₂h} − 1)/(r₂h) − 1)(ε̂_{u₁} − ε̂_s)
   *   in the noise form (z = r₂h). Both are second order locally; the group's last stage is the same.
   */
  middleStage?: 'midpoint' | 'phi';
  /** diffusers `lower_order_final` for the default order list; default false (diffusers' singlestep default). */
  lowerOrderFinal?: boolean;
}

export interface MultistepOptions extends ExpIntegratorOptions {
  /**
   * Weight of the second difference D₂ ≈ h²·D''/2 in third-order multistep steps. 'reference'
   * (default) is g₂, as diffusers, k-diffusion (`sample_dpmpp_3m_sde`) and the official DPM-Solver
   * code have it — half the Taylor weight, which leaves an O(h³) local error, so the scheme
   * converges at second order (measured in the tests). 'taylor' uses 2g₂: third order.
   */
  thirdOrderWeight?: 'reference' | 'taylor';
  /** diffusers `lower_order_final`: with fewer than 15 steps, the last two steps use orders ≤ 1 and ≤ 2; default true. */
  lowerOrderFinal?: boolean;
  /** diffusers `euler_at_final`: the last step is first order; default false. */
  eulerAtFinal?: boolean;
  /**
   * The order of each step (1–3), as a per-step solver search chooses it (Liu et al. 2023, "A
   * Unified Sampling Framework for Solver Searching of Diffusion Probabilistic Models", §3: the
   * order is a per-step decision); steps beyond the list, and the cap from the history available,
   * the giant-step rule and `lowerOrderFinal`, apply as usual. Replaces `order` where given.
   */
  orders?: readonly number[];
}

/** Internal knobs the two families pass to the loops. */
export interface Flavour {
  prediction: Prediction;
  /** η > 0 selects the SDE update (see `stepKernel`), routed through `sdeMix`. */
  eta: number;
  /** Add 1 to the D₂ weight of stochastic steps: diffusers' sde-dpmsolver++ third-order coefficient (see `dpmpp.ts`). */
  diffusersSdeD2?: boolean;
}

/** The output a solver of this prediction expands: ε̂ = (x − D)/σ or D itself. */
function outputOf(prediction: Prediction, x: Vec, denoised: Vec, sigma: number): Vec {
  return prediction === 'noise' ? lin(1 / sigma, x, -1 / sigma, denoised) : denoised;
}

/**
 * The order each step of the singlestep loop runs at: `orders`, 1 on a step to σ = 0, and — with
 * `cutGiant` (the noise form's guard, see the module comment) — groups cut at giant steps: a giant
 * step and the step after it start new groups, and the rest of a cut group continues at the orders
 * its outputs allow.
 */
export function singlestepOrders(orders: readonly number[], sigmas: ArrayLike<number>, cutGiant: boolean): number[] {
  let start = 0;
  return orders.map((k, i) => {
    if (sigmas[i + 1] === 0) return 1;
    const cut = cutGiant && (isGiantStep(sigmas[i], sigmas[i + 1]) || (i > 0 && isGiantStep(sigmas[i - 1], sigmas[i])));
    if (k === 1 || cut) start = i;
    return Math.min(k, i - start + 1);
  });
}

/**
 * The singlestep loop (see the module comment): step i has order kᵢ (`singlestepOrders`); kᵢ = 1
 * starts a group at (x_i, σ_i); the step lands on σ_{i+1} from the group start using the kᵢ outputs
 * of the group. Stochastic updates draw noise stream i.
 */
export async function runSinglestep(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: SinglestepOptions, fl: Flavour): Promise<Vec> {
  checkSigmas(sigmas);
  const steps = sigmas.length - 1;
  const { order = 2, solverType = 'midpoint', sNoise = 1, middleStage = 'midpoint' } = opts;
  const listed = opts.orders ?? dpmSolverOrderList(steps, order, { lowerOrderFinal: opts.lowerOrderFinal, finalSigmaZero: sigmas[steps] === 0 });
  checkOrderList(listed, steps);
  const orders = singlestepOrders(listed, sigmas, fl.prediction === 'noise');
  const noise = noiseOf(opts);
  let start = x, outs: Vec[] = [], lams: number[] = [];
  for (let i = 0; i < steps; i++) {
    checkCancelled(opts.signal);
    const sigma = sigmas[i], next = sigmas[i + 1];
    const k = orders[i];
    // The middle stage of a third-order group (Algorithm 2's u₂) may take Algorithm 2's own weight.
    const type = k === 2 && orders[i + 1] === 3 && middleStage === 'phi' ? 'heun' : solverType;
    if (k === 1) [start, outs, lams] = [x, [], []];
    const denoised = await model(x, sigma);
    outs.push(outputOf(fl.prediction, x, denoised, sigma));
    lams.push(-Math.log(sigma));
    const sigmaS = sigmas[i + 1 - k];
    const update = (eta: number): Vec => {
      const { a, w, z, n } = stepKernel(fl.prediction, sigmaS, next, eta);
      const g = gs(z);
      const c2 = g[2] + (eta > 0 && fl.diffusersSdeD2 ? 1 : 0);
      const weights = singlestepWeights(k, lams, Math.log(sigmaS / next), g, type, c2);
      return combine(start, a, w, weights, outs, n * sNoise, n > 0 ? noise(i, x) : undefined);
    };
    x = next === 0 ? denoised : fl.eta > 0 ? sdeMix(opts, sigma, () => update(0), () => update(fl.eta)) : update(0);
    x = await afterStep(opts, { i, x, denoised, t: sigma, tNext: next });
  }
  return x;
}

/**
 * The multistep loop (DPM-Solver++ Algorithm 2, diffusers `DPMSolverMultistepScheduler.step`):
 * step i uses order min(order, i + 1), lowered at the end by `eulerAtFinal` / `lowerOrderFinal`
 * exactly as diffusers does, and to 1 on a giant step (see the module comment); history in locals.
 * Stochastic updates draw noise stream i.
 */
export async function runMultistep(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: MultistepOptions, fl: Flavour): Promise<Vec> {
  checkSigmas(sigmas);
  const steps = sigmas.length - 1;
  const { order = 2, solverType = 'midpoint', sNoise = 1, lowerOrderFinal = true, eulerAtFinal = false } = opts;
  if (order !== 1 && order !== 2 && order !== 3) throw new RangeError(`order must be 1, 2 or 3, got ${order as number}`);
  opts.orders?.forEach((o, i) => {
    if (o !== 1 && o !== 2 && o !== 3) throw new RangeError(`orders[${i}] must be 1, 2 or 3, got ${o}`);
  });
  const short = lowerOrderFinal && steps < 15;
  const noise = noiseOf(opts);
  const outs: Vec[] = [], lams: number[] = [];
  for (let i = 0; i < steps; i++) {
    checkCancelled(opts.signal);
    const sigma = sigmas[i], next = sigmas[i + 1];
    const denoised = await model(x, sigma);
    outs.unshift(outputOf(fl.prediction, x, denoised, sigma));
    lams.unshift(-Math.log(sigma));
    outs.length = lams.length = Math.min(outs.length, 3);
    const giant = isGiantStep(sigma, next);
    let k = giant ? 1 : Math.min(opts.orders?.[i] ?? order, outs.length);
    if (i === steps - 1 && (eulerAtFinal || short)) k = 1;
    if (i === steps - 2 && short) k = Math.min(k, 2);
    const update = (eta: number): Vec => {
      const { a, w, z, n } = stepKernel(fl.prediction, sigma, next, eta);
      const g = gs(z);
      const c2 = (opts.thirdOrderWeight === 'taylor' ? 2 : 1) * g[2] + (eta > 0 && fl.diffusersSdeD2 ? 1 : 0);
      const weights = multistepWeights(k, lams, Math.log(sigma / next), g, solverType, c2);
      return combine(x, a, w, weights, outs, n * sNoise, n > 0 ? noise(i, x) : undefined);
    };
    x = next === 0 ? denoised : fl.eta > 0 ? sdeMix(opts, sigma, () => update(0), () => update(fl.eta)) : update(0);
    x = await afterStep(opts, { i, x, denoised, t: sigma, tNext: next });
  }
  return x;
}

export type DpmSolverOptions = SinglestepOptions;

/**
 * Singlestep DPM-Solver-1/2/3 in noise-prediction form (Lu et al. 2022, eqs. 3.7–3.9, Algorithms
 * 1–2, App. B), grid-grouped as diffusers' `DPMSolverSinglestepScheduler` with
 * `algorithm_type="dpmsolver"`: order 1 is x_t = x_s − σ_t(e^h − 1)·ε̂_s (= DDIM); order 2
 * (midpoint) adds −σ_t(e^h − 1)/(2r₁)·(ε̂_{u} − ε̂_s); order 3 (midpoint) is
 * x_t = x_s − σ_t(e^h − 1)ε̂_s − σ_t((e^h − 1)/h − 1)/r₂·(ε̂_{u₂} − ε̂_s).
 */
export async function sampleDpmSolver(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: DpmSolverOptions = {}): Promise<Vec> {
  return runSinglestep(model, x, sigmas, opts, { prediction: 'noise', eta: 0 });
}

export interface DpmSolverMultistepOptions extends MultistepOptions {
  /** diffusers `algorithm_type="sde-dpmsolver"`: the reverse SDE in noise form (drift doubled, noise √(σ_s² − σ_t²)). */
  stochastic?: boolean;
}

/**
 * Multistep DPM-Solver in noise-prediction form (diffusers `DPMSolverMultistepScheduler`,
 * `algorithm_type="dpmsolver"`, or "sde-dpmsolver" with `stochastic`; the multistep scheme of
 * DPM-Solver++ §3.2 applied to ε̂): x_t = x_s − σ_t[(e^h − 1)D₀ + c₁D₁ (+ g₂(h)D₂)] with D from
 * the previous outputs (`multistepWeights`).
 */
export async function sampleDpmSolverMultistep(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: DpmSolverMultistepOptions = {}): Promise<Vec> {
  return runMultistep(model, x, sigmas, opts, { prediction: 'noise', eta: opts.stochastic ? 1 : 0 });
}
