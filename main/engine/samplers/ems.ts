/**
 * Empirical model statistics (EMS) of DPM-Solver-v3 (Zheng, Lu, Chen & Zhu 2023, "DPM-Solver-v3:
 * Improved Diffusion ODE Solver with Empirical Model Statistics", NeurIPS, arXiv:2310.13268, §3.1–3.2
 * and App. C.1.1): the per-dimension coefficients l_λ, s_λ, b_λ on a grid of λ = −log σ, what
 * `dpm-solver-v3.ts` needs to integrate the probability-flow ODE.
 *
 * The paper in this engine's view. It writes the ODE for the VP state x^VP = α·x with the noise
 * prediction ε_θ; here x is the variance-exploding state, D(x, σ) the denoiser, ε̂ = (x − D)/σ,
 * λ = log(α/σ^VP) = −log σ, and the ODE is dx/dλ = D − x. Its rewritten ODE (§3.1)
 *   dx^VP/dλ = (d log α/dλ − l_λ)·x^VP − N_θ,   N_θ = σ^VP·ε_θ − l_λ·x^VP,
 * divided by α reads
 *   dx/dλ = −l_λ·x − F(x, λ),   F = N_θ/α = (1 − l_λ)·x − D(x, σ)            (EMS-linear part −l·x),
 * and every statistic is the same number in both views (l and s are dimensionless, b has the
 * units of F = N_θ/α, which is itself view-independent), so statistics files of the official code
 * (thu-ml/DPM-Solver-v3, `l.npz`, `sb.npz`, on a λ-uniform grid) carry over unchanged.
 *
 * - l_λ = argmin E‖∇ₓN_θ‖²_F over diagonal l (§3.1): per dimension k,
 *     l_k = E[σ^VP ∂ε_θ,k/∂x^VP_k] = 1 − E[∂D_k/∂x_k],
 *   the diagonal of the denoiser's Jacobian, estimated by Hutchinson's probe E_v[v ⊙ J v] with
 *   J v from central differences of forward calls. With Rademacher v (default) a diagonal
 *   Jacobian is recovered exactly and the variance is Σ_{j≠k} J_kj² alone.
 * - s_λ, b_λ = argmin E‖f^{(1)}‖² (§3.1), where f = e^{−∫s}F − ∫e^{−∫s}b (the paper's f_θ) has
 *   f^{(1)} = e^{−∫s}(F′ − s·F − b), F′ = dF/dλ along the ODE: a per-dimension least-squares fit
 *   of F′ on F,
 *     s = Cov(F, F′)/Var(F),   b = E[F′] − s·E[F],
 *   with F′ = −l′·x + (1 − l)·(D − x) − dD/dλ|ODE, the total derivative of D taken by a central
 *   difference along the ODE tangent (x ± δ(D − x), λ ± δ) and l′ the λ-derivative of the estimated
 *   l curve (a five-point Lagrange derivative on the grid: fourth order in the spacing; the same
 *   clean samples, noises and probes serve every λ, so the estimated curve is smooth in λ).
 *
 * Degenerate statistics (App. A.2 / the official `degenerated=True`): l = 1, s = 0, b = 0 makes
 * f = −D (data prediction: DPM-Solver++ / UniPC); l = 0, s = −1, b = 0 makes f = e^{−λ_s}·ε̂ (noise
 * prediction: DPM-Solver).
 */
import type { Denoiser, Vec } from './common.js';
import { checkCancelled } from './common.js';
import { fillGaussian } from '../random.js';

/**
 * EMS on a λ grid. Row-major [K × dim] arrays: the value at grid node k for dimension m is at
 * k·dim + m. A state of n·dim values (a batch of n samples) uses dimension j mod dim for element j.
 */
export interface ModelStatistics {
  /** Strictly increasing λ = −log σ, K ≥ 2 nodes (σ from e^{−λ₀} down to e^{−λ_{K−1}}). */
  readonly lambdas: Float64Array;
  /** Values per sample (the latent's size). */
  readonly dim: number;
  /** l_λ: 1 − E[∂D/∂x] per dimension (paper §3.1), K·dim values. */
  readonly l: Float64Array;
  /** s_λ: the slope of F′ on F (paper §3.1), K·dim values. */
  readonly s: Float64Array;
  /** b_λ: the intercept of F′ on F (paper §3.1), K·dim values. */
  readonly b: Float64Array;
}

/** Throw a RangeError naming the first problem of a statistics object (shape, grid, non-finite values). */
export function checkStatistics(stats: ModelStatistics): void {
  const { lambdas, dim } = stats;
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`statistics dim must be a positive integer, got ${dim}`);
  if (!lambdas || lambdas.length < 2) throw new RangeError(`statistics need at least 2 λ grid nodes, got ${lambdas?.length ?? 0}`);
  for (let k = 0; k < lambdas.length; k++) {
    if (!Number.isFinite(lambdas[k])) throw new RangeError(`statistics lambdas[${k}] = ${lambdas[k]} is not finite`);
    if (k > 0 && !(lambdas[k] > lambdas[k - 1])) {
      throw new RangeError(`statistics lambdas must increase strictly (lambdas[${k - 1}] = ${lambdas[k - 1]}, lambdas[${k}] = ${lambdas[k]})`);
    }
  }
  const want = lambdas.length * dim;
  for (const name of ['l', 's', 'b'] as const) {
    const a = stats[name];
    if (!a || a.length !== want) throw new RangeError(`statistics ${name} has ${a?.length ?? 0} values; ${lambdas.length} nodes × dim ${dim} need ${want}`);
    for (let j = 0; j < a.length; j++) {
      if (!Number.isFinite(a[j])) {
        throw new RangeError(`statistics ${name}[${j}] = ${a[j]} (λ node ${Math.floor(j / dim)}, dimension ${j % dim}) is not finite`);
      }
    }
  }
}

function checkLambdaGrid(lambdas: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(lambdas);
  if (out.length < 2) throw new RangeError(`the λ grid needs at least 2 nodes, got ${out.length}`);
  out.forEach((v, k) => {
    if (!Number.isFinite(v)) throw new RangeError(`lambdas[${k}] = ${v} is not finite`);
    if (k > 0 && !(v > out[k - 1])) throw new RangeError(`lambdas must increase strictly (lambdas[${k - 1}] = ${out[k - 1]}, lambdas[${k}] = ${v})`);
  });
  return out;
}

/**
 * The exact EMS of the Gaussian data model x₀ ~ N(μ, diag std²) (`gaussianOracle`).
 *
 * Derivation. At σ = e^{−λ} the denoiser is affine, D = μ + a·(x − μ) with a = std²/(std² + σ²),
 * so ∂D/∂x = a·I and
 *   l = 1 − a = σ²/(std² + σ²) = 1/(1 + std²·e^{2λ}).
 * Then F = (1 − l)x − D = a·x − μ − a·(x − μ) = −l·μ does not depend on x: F is deterministic,
 * Var(F) = 0, and F′ = dF/dλ = −l′μ with l′ = −2l(1 − l). The least-squares problem for (s, b) is
 * then degenerate — every s with b = F′ − s·F gives f^{(1)} = 0 — and its minimum-norm solution is
 *   s = 0,   b = F′ = 2μ·l(1 − l).
 * With these, f = F(λ) − ∫_{λ_s}^{λ} b = F(λ_s) is constant in λ: the solver's local
 * approximation is exact, and only the discretisation of the statistics themselves is left.
 */
export function gaussianStatistics(mu: ArrayLike<number>, std: ArrayLike<number>, lambdas: ArrayLike<number>): ModelStatistics {
  const dim = mu.length;
  if (dim < 1 || std.length !== dim) throw new RangeError(`mu and std must have the same positive length (got ${mu.length} and ${std.length})`);
  const grid = checkLambdaGrid(lambdas);
  const K = grid.length;
  const l = new Float64Array(K * dim), s = new Float64Array(K * dim), b = new Float64Array(K * dim);
  for (let k = 0; k < K; k++) {
    for (let m = 0; m < dim; m++) {
      // 1/(1 + std²e^{2λ}) without overflow at large λ.
      const t = 2 * (Math.log(Math.abs(std[m])) + grid[k]);
      const lk = t > 0 ? Math.exp(-t) / (1 + Math.exp(-t)) : 1 / (1 + Math.exp(t));
      l[k * dim + m] = lk;
      b[k * dim + m] = 2 * mu[m] * lk * (1 - lk);
    }
  }
  const stats = { lambdas: grid, dim, l, s, b };
  checkStatistics(stats);
  return stats;
}

export interface EstimateOptions {
  /** Seed of the noises ξ and probes v (Philox streams 2n and 2n + 1 for sample n); default 0. */
  seed?: number;
  /** Hutchinson probe: 'rademacher' (default, exact for a diagonal Jacobian) or 'gaussian'. */
  probe?: 'rademacher' | 'gaussian';
  /**
   * Step of the Jacobian–vector product in x, relative to the state's scale: J v ≈ (D(x + δv) −
   * D(x − δv))/(2δ) with δ = fdStep·√(1 + σ²), i.e. a fixed step fdStep in the unit-scale VP state
   * x^VP = x/√(1 + σ²). Default 1e-3: truncation O(δ²·D‴), rounding O(ε_mach·|D|/δ) — about 1e-13
   * in float64. A float32 model needs ~1e-2 (rounding 6e-8/δ).
   */
  fdStep?: number;
  /** Step δ in λ of the total derivative dD/dλ along the ODE (central, states x ± δ(D − x)); default 1e-3. */
  lambdaStep?: number;
  /**
   * Tikhonov term of the slope fit, relative to Var(x) per dimension: s = Cov(F, F′)/(Var(F) +
   * ridge·Var(x)). Default 1e-12: negligible wherever F varies at all, and it selects the
   * minimum-norm solution s = 0 where F does not (the Gaussian model, whose F is deterministic).
   */
  ridge?: number;
  /** Cancellation, checked between grid nodes. */
  signal?: AbortSignal;
  /**
   * Values per image when each sample is a batch of images (a conditional model evaluates all its
   * rows — one prompt each — in one call): the statistics are per image dimension, pooled over rows
   * and samples. Default: the sample's length (one image per sample).
   */
  dim?: number;
  /** Called after each model call (progress). */
  onCall?: () => void;
  /**
   * Share the statistics within this many equal, contiguous groups of an image's dimensions (the
   * channels of a [C, h, w] image: `groups` = C) instead of one per dimension: every statistic then
   * pools h·w times more samples. A UNet is translation-equivariant away from the borders, so its
   * statistics vary far less across positions than across channels; with the tens of images a
   * user's machine can afford (the paper uses ~1,000) per-dimension slopes s are mostly noise.
   * Default: `dim` (per dimension, the paper's definition).
   */
  groups?: number;
}

/**
 * Estimate the EMS of `model` (App. C.1.1) from clean data samples x₀ (each of `dim` values) at
 * the grid `lambdas` (strictly increasing λ = −log σ), with denoiser calls only: at each node and
 * sample, x = x₀ + σξ (the forward marginal, which the ODE transports), then
 * - pass 1, l (2 calls): Jv by central differences, l = 1 − mean(v ⊙ Jv);
 * - l′ by a five-point Lagrange derivative of the l curve over the grid;
 * - pass 2, s and b (3 calls): D(x), dD/dλ|ODE = (D(x + δu, e^{−λ−δ}) − D(x − δu, e^{−λ+δ}))/(2δ)
 *   with u = D − x, F = (1 − l)x − D, F′ = −l′x + (1 − l)u − dD/dλ, then the per-dimension slope
 *   and intercept of F′ on F (centred moments accumulated in one pass, Welford).
 * 5·K·n model calls for K nodes and n samples (each a batch of images when `opts.dim` says so);
 * memory O(K·dim).
 */
export async function estimateStatistics(model: Denoiser, samples: readonly Vec[], lambdas: ArrayLike<number>, opts: EstimateOptions = {}): Promise<ModelStatistics> {
  const { seed = 0, probe = 'rademacher', fdStep = 1e-3, lambdaStep = 1e-3, ridge = 1e-12 } = opts;
  const width = samples[0]?.length ?? 0;
  const dim = opts.dim ?? width;
  if (!Number.isInteger(dim) || dim < 1 || width % dim !== 0) throw new RangeError(`a sample of ${width} values is not a whole number of images of ${dim} values`);
  const rows = width / dim;
  if (samples.length * rows < 2) throw new RangeError(`estimateStatistics needs at least 2 images, got ${samples.length * rows}`);
  samples.forEach((x0, n) => {
    if (x0.length !== width) throw new RangeError(`samples[${n}] has ${x0.length} values, samples[0] has ${width}`);
    x0.forEach((v, j) => {
      if (!Number.isFinite(v)) throw new RangeError(`samples[${n}][${j}] = ${v} is not finite`);
    });
  });
  for (const [name, v] of [['fdStep', fdStep], ['lambdaStep', lambdaStep]] as const) {
    if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`${name} must be a positive finite number, got ${v}`);
  }
  if (!(ridge >= 0)) throw new RangeError(`ridge must be non-negative, got ${ridge}`);
  const grid = checkLambdaGrid(lambdas);
  const K = grid.length, N = samples.length;
  // Common random numbers: sample n keeps its noise ξ and probe v at every λ.
  const xi = samples.map((_, n) => fillGaussian(new Float64Array(width), seed, 2 * n));
  const probes = samples.map((_, n) => {
    const z = fillGaussian(new Float64Array(width), seed, 2 * n + 1);
    return probe === 'gaussian' ? z : z.map((v) => (v < 0 ? -1 : 1));
  });
  const noisy = (n: number, sigma: number) => Float64Array.from(samples[n], (v, j) => v + sigma * xi[n][j]);
  const call = (x: Float64Array, sigma: number) => model(x, sigma).then((d) => (opts.onCall?.(), Float64Array.from(d)));
  const G = opts.groups ?? dim;
  if (!Number.isInteger(G) || G < 1 || dim % G !== 0) throw new RangeError(`groups must divide the ${dim} values of an image, got ${G}`);
  const span = dim / G;
  const group = (m: number) => Math.floor(m / span);
  const count = N * rows * span;

  const l = new Float64Array(K * dim);
  for (let k = 0; k < K; k++) {
    checkCancelled(opts.signal);
    const sigma = Math.exp(-grid[k]);
    const delta = fdStep * Math.sqrt(1 + sigma * sigma);
    const acc = new Float64Array(G);
    for (let n = 0; n < N; n++) {
      const x = noisy(n, sigma), v = probes[n];
      const plus = await call(x.map((xj, j) => xj + delta * v[j]), sigma);
      const minus = await call(x.map((xj, j) => xj - delta * v[j]), sigma);
      for (let j = 0; j < width; j++) acc[group(j % dim)] += (v[j] * (plus[j] - minus[j])) / (2 * delta);
    }
    for (let m = 0; m < dim; m++) l[k * dim + m] = 1 - acc[group(m)] / count;
  }
  const dl = gridDerivative(grid, l, dim);

  const s = new Float64Array(K * dim), b = new Float64Array(K * dim);
  for (let k = 0; k < K; k++) {
    checkCancelled(opts.signal);
    const lam = grid[k], sigma = Math.exp(-lam);
    // Welford accumulators per group: means of F, F′ and x; co-moments F·F, F·F′, x·x.
    const mF = new Float64Array(G), mG = new Float64Array(G), mX = new Float64Array(G);
    const cFF = new Float64Array(G), cFG = new Float64Array(G), cXX = new Float64Array(G);
    const seen = new Float64Array(G);
    for (let n = 0; n < N; n++) {
      const x = noisy(n, sigma);
      const d = await call(x, sigma);
      const u = x.map((xj, j) => d[j] - xj);
      const fwd = await call(x.map((xj, j) => xj + lambdaStep * u[j]), Math.exp(-(lam + lambdaStep)));
      const bwd = await call(x.map((xj, j) => xj - lambdaStep * u[j]), Math.exp(-(lam - lambdaStep)));
      for (let r = 0; r < rows; r++) {
        for (let m = 0; m < dim; m++) {
          const j = r * dim + m, g = group(m);
          const lm = l[k * dim + m], dlm = dl[k * dim + m];
          const F = (1 - lm) * x[j] - d[j];
          const Gp = -dlm * x[j] + (1 - lm) * u[j] - (fwd[j] - bwd[j]) / (2 * lambdaStep);
          const c = ++seen[g];
          const dF = F - mF[g], dX = x[j] - mX[g];
          mF[g] += dF / c;
          mG[g] += (Gp - mG[g]) / c;
          mX[g] += dX / c;
          cFF[g] += dF * (F - mF[g]);
          cFG[g] += dF * (Gp - mG[g]);
          cXX[g] += dX * (x[j] - mX[g]);
        }
      }
    }
    for (let m = 0; m < dim; m++) {
      const g = group(m);
      const slope = cFG[g] / (cFF[g] + ridge * cXX[g]);
      const sm = Number.isFinite(slope) ? slope : 0; // 0/0: F and x both constant
      s[k * dim + m] = sm;
      b[k * dim + m] = mG[g] - sm * mF[g];
    }
  }
  const stats = { lambdas: grid, dim, l, s, b };
  checkStatistics(stats);
  return stats;
}

/**
 * d/dλ of each dimension's curve `v` (K × dim) at every node: the derivative of the Lagrange
 * polynomial through the five nearest nodes (all of them when K < 5), fourth order in the spacing.
 */
export function gridDerivative(grid: Float64Array, v: Float64Array, dim: number): Float64Array {
  const K = grid.length, width = Math.min(5, K);
  const out = new Float64Array(K * dim);
  for (let k = 0; k < K; k++) {
    const start = Math.min(Math.max(0, k - 2), K - width);
    const nodes = Array.from({ length: width }, (_, i) => grid[start + i]);
    const w = lagrangeDerivativeWeights(nodes, grid[k]);
    for (let i = 0; i < width; i++) {
      for (let m = 0; m < dim; m++) out[k * dim + m] += w[i] * v[(start + i) * dim + m];
    }
  }
  return out;
}

/** wᵢ = ℓᵢ′(t) for the Lagrange basis ℓᵢ on `nodes`: ℓᵢ′(t) = Σ_{m≠i} 1/(xᵢ − x_m)·Π_{q≠i,m}(t − x_q)/(xᵢ − x_q). */
function lagrangeDerivativeWeights(nodes: readonly number[], t: number): number[] {
  return nodes.map((xi, i) => {
    let sum = 0;
    nodes.forEach((xm, m) => {
      if (m === i) return;
      let p = 1 / (xi - xm);
      nodes.forEach((xq, q) => {
        if (q !== i && q !== m) p *= (t - xq) / (xi - xq);
      });
      sum += p;
    });
    return sum;
  });
}
