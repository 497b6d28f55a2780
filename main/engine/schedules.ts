/**
 * Noise schedules for variance-preserving (VP) diffusion, expressed through the one number every
 * sampler here works with: the noise level σ of the variance-exploding view x̃ = x₀ + σ·ε.
 *
 * A VP model sees x_t = α_t·x₀ + σ_t^{VP}·ε with α_t² + (σ_t^{VP})² = 1. Dividing by α_t gives
 * x̃ = x_t/α_t and σ = σ_t^{VP}/α_t, so α_t = 1/√(1+σ²) and the half log-SNR of DPM-Solver
 * (Lu et al. 2022, eq. 3.1) is λ_t = log α_t − log σ_t^{VP} = −log σ. Every VP sampler update
 * written with α, σ^{VP} and λ can be rewritten with σ alone (Karras et al. 2022, §3, eq. 4).
 */

/** α_t = 1/√(1+σ²): the VP signal scale at VE noise level σ. */
export const alphaOf = (sigma: number): number => 1 / Math.sqrt(1 + sigma * sigma);
/** σ_t^{VP} = σ/√(1+σ²). */
export const vpSigmaOf = (sigma: number): number => sigma / Math.sqrt(1 + sigma * sigma);
/** λ = log(α/σ^{VP}) = −log σ (DPM-Solver's half log-SNR). */
export const lambdaOf = (sigma: number): number => -Math.log(sigma);
/** σ = e^{−λ}, the inverse of `lambdaOf`. */
export const sigmaOfLambda = (lambda: number): number => Math.exp(-lambda);

export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';

/**
 * Arithmetic of the training tables: `float64` (the default: exact closed forms), or `float32`,
 * diffusers' semantics — its tables are torch float32 tensors, and a reference value computed
 * from them depends on their rounding (see `makeBetas`, `alphasCumprod`, `discreteSchedule`).
 */
export interface TableOptions {
  float32?: boolean;
}

const f32 = Math.fround;

/**
 * `torch.linspace(a, b, n, dtype=float32)` on the CPU, element for element: with A = f32(a),
 * B = f32(b) and step = f32(f32(B − A)/(n − 1)), the first ⌊n/2⌋ entries are f32(A + step·i) and
 * the rest f32(B − step·(n − 1 − i)), each rounded once (step·i is exact in double here).
 */
export function linspaceF32(a: number, b: number, n: number): Float64Array {
  const A = f32(a), B = f32(b);
  const step = n > 1 ? f32(f32(B - A) / (n - 1)) : 0;
  const half = Math.floor(n / 2);
  return Float64Array.from({ length: n }, (_, i) => (i < half ? f32(A + step * i) : f32(B - step * (n - 1 - i))));
}

/**
 * Training betas as diffusers defines them: `linear` (Ho et al. 2020, §4), `scaled_linear`
 * (linear in √β, Stable Diffusion), `squaredcos_cap_v2` (Nichol & Dhariwal 2021, eq. 17:
 * ᾱ(t) = cos²((t/T + s)/(1 + s)·π/2), s = 0.008, βᵢ = min(1 − ᾱ(i+1)/ᾱ(i), 0.999)).
 * With `float32` the values are those of diffusers' torch float32 tensors: `linspaceF32` for the
 * linear ones (√ taken in double before it, the square rounded to float32), and the cosine betas
 * computed in double and rounded, as `betas_for_alpha_bar` does.
 */
export function makeBetas(kind: BetaSchedule, n = 1000, betaStart = 0.0001, betaEnd = 0.02, opts: TableOptions = {}): Float64Array {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`num_train_timesteps must be an integer ≥ 2, got ${n}`);
  const betas = new Float64Array(n);
  const round = opts.float32 ? f32 : (v: number) => v;
  switch (kind) {
    case 'linear':
      if (opts.float32) return linspaceF32(betaStart, betaEnd, n);
      for (let i = 0; i < n; i++) betas[i] = betaStart + ((betaEnd - betaStart) * i) / (n - 1);
      break;
    case 'scaled_linear': {
      const a = Math.sqrt(betaStart), b = Math.sqrt(betaEnd);
      if (opts.float32) return linspaceF32(a, b, n).map((r) => f32(r * r));
      for (let i = 0; i < n; i++) betas[i] = (a + ((b - a) * i) / (n - 1)) ** 2;
      break;
    }
    case 'squaredcos_cap_v2': {
      const abar = (t: number) => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
      for (let i = 0; i < n; i++) betas[i] = round(Math.min(1 - abar((i + 1) / n) / abar(i / n), 0.999));
      break;
    }
    default:
      throw new RangeError(`unknown beta_schedule "${kind as string}" (expected linear, scaled_linear or squaredcos_cap_v2)`);
  }
  return betas;
}

/**
 * ᾱᵢ = Π_{j≤i}(1 − βⱼ). With `float32`, as `torch.cumprod` computes it on a float32 tensor on the
 * CPU: αⱼ = f32(1 − βⱼ), the running product kept in double and each output rounded to float32.
 */
export function alphasCumprod(betas: ArrayLike<number>, opts: TableOptions = {}): Float64Array {
  const out = new Float64Array(betas.length);
  let p = 1;
  if (opts.float32) {
    for (let i = 0; i < betas.length; i++) out[i] = f32(p *= f32(1 - betas[i]));
    return out;
  }
  for (let i = 0; i < betas.length; i++) out[i] = p *= 1 - betas[i];
  return out;
}

/** A VP schedule seen through σ: σ(t), its inverse, and the range of t. */
export interface NoiseSchedule {
  readonly kind: 'discrete' | 'continuous';
  /** σ at model time t. */
  sigma(t: number): number;
  /** Model time t at noise level σ (inverse of `sigma`). */
  t(sigma: number): number;
  readonly tMin: number;
  readonly tMax: number;
  readonly sigmaMin: number;
  readonly sigmaMax: number;
}

export interface DiscreteSchedule extends NoiseSchedule {
  readonly kind: 'discrete';
  readonly alphasCumprod: Float64Array;
  /** σᵢ = √((1 − ᾱᵢ)/ᾱᵢ) for i = 0 … N−1, increasing. */
  readonly sigmas: Float64Array;
  /** t for σ by interpolating linearly in log σ (diffusers' `_sigma_to_t`, k-diffusion's `sigma_to_t`). */
  tFromLogSigma(sigma: number): number;
}

/** Index of the table segment [i, i+1] holding v in an increasing table (clamped to the ends). */
function segment(table: ArrayLike<number>, v: number): number {
  let lo = 0, hi = table.length - 2;
  if (v <= table[0]) return 0;
  if (v >= table[table.length - 1]) return table.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (table[mid] <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The discrete schedule of a model trained on N timesteps. Between integer timesteps σ(t) is
 * linear in t, as diffusers interpolates `np.interp(timesteps, arange(N), sigmas)`; `t(σ)` is its
 * exact inverse, so a σ produced from a timestep maps back to that timestep. With `float32` the σ
 * table is the one diffusers keeps (`TableOptions`), to within one float32 ulp: each operation is
 * correctly rounded here, while torch's vectorised float32 square root is not always (≈ 20% of
 * entries differ by one ulp).
 */
export function discreteSchedule(alphasCumprodIn: ArrayLike<number>, opts: TableOptions = {}): DiscreteSchedule {
  const ac = Float64Array.from(alphasCumprodIn);
  const n = ac.length;
  // float32: diffusers' `((1 − ᾱ)/ᾱ) ** 0.5` on a float32 tensor, each operation rounded.
  const sigmas = opts.float32 ? ac.map((a) => f32(Math.sqrt(f32(f32(1 - a) / a)))) : ac.map((a) => Math.sqrt((1 - a) / a));
  for (let i = 1; i < n; i++) {
    if (!(sigmas[i] > sigmas[i - 1])) throw new RangeError('alphas_cumprod must be strictly decreasing');
  }
  const logs = sigmas.map(Math.log);
  return {
    kind: 'discrete',
    alphasCumprod: ac,
    sigmas,
    tMin: 0,
    tMax: n - 1,
    sigmaMin: sigmas[0],
    sigmaMax: sigmas[n - 1],
    sigma(t: number): number {
      if (t <= 0) return sigmas[0];
      if (t >= n - 1) return sigmas[n - 1];
      const i = Math.floor(t);
      const w = t - i;
      return w === 0 ? sigmas[i] : sigmas[i] + w * (sigmas[i + 1] - sigmas[i]);
    },
    t(sigma: number): number {
      const i = segment(sigmas, sigma);
      const w = (sigma - sigmas[i]) / (sigmas[i + 1] - sigmas[i]);
      return i + Math.min(1, Math.max(0, w));
    },
    tFromLogSigma(sigma: number): number {
      const l = Math.log(sigma);
      const i = segment(logs, l);
      const w = (logs[i] - l) / (logs[i] - logs[i + 1]);
      return i + Math.min(1, Math.max(0, w));
    },
  };
}

/** Convenience: the discrete schedule from diffusers-style beta settings. */
export function discreteFromBetas(kind: BetaSchedule, n = 1000, betaStart = 0.0001, betaEnd = 0.02, opts: TableOptions = {}): DiscreteSchedule {
  return discreteSchedule(alphasCumprod(makeBetas(kind, n, betaStart, betaEnd, opts), opts), opts);
}

/**
 * Continuous-time VP schedules of DPM-Solver's `NoiseScheduleVP` (Lu et al. 2022, App. D):
 * `linear` is the VP-SDE of Song et al. 2021 (eq. 33), log α_t = −(β₁−β₀)t²/4 − β₀t/2 on
 * t ∈ [ε, 1]; `cosine` is log α_t = log cos((t+s)/(1+s)·π/2) − log cos(s/(1+s)·π/2) on
 * t ∈ [ε, 0.9946]. Both have a closed-form inverse t(λ).
 */
export function continuousSchedule(
  kind: 'linear' | 'cosine',
  opts: { betaMin?: number; betaMax?: number; cosineS?: number; tMin?: number } = {},
): NoiseSchedule {
  const tMinIn = opts.tMin ?? 1e-3;
  const logAlphaToSigma = (la: number) => Math.sqrt(Math.expm1(-2 * la));
  const sigmaToLogAlpha = (s: number) => -0.5 * Math.log1p(s * s);
  let logAlpha: (t: number) => number;
  let tOfLogAlpha: (la: number) => number;
  let tMax: number;
  if (kind === 'linear') {
    const b0 = opts.betaMin ?? 0.1, b1 = opts.betaMax ?? 20;
    tMax = 1;
    logAlpha = (t) => (-(b1 - b0) * t * t) / 4 - (b0 * t) / 2;
    // Root of (b1−b0)/4·t² + b0/2·t + la = 0, in the cancellation-free form 2c/(−b − √(b²−4ac)).
    tOfLogAlpha = (la) => (-2 * la) / (b0 / 2 + Math.sqrt((b0 * b0) / 4 - (b1 - b0) * la));
  } else {
    const s = opts.cosineS ?? 0.008;
    const c0 = Math.log(Math.cos((s / (1 + s)) * Math.PI / 2));
    tMax = 0.9946;
    logAlpha = (t) => Math.log(Math.cos(((t + s) / (1 + s)) * Math.PI / 2)) - c0;
    tOfLogAlpha = (la) => ((2 * (1 + s)) / Math.PI) * Math.acos(Math.exp(la + c0)) - s;
  }
  return {
    kind: 'continuous',
    tMin: tMinIn,
    tMax,
    sigmaMin: logAlphaToSigma(logAlpha(tMinIn)),
    sigmaMax: logAlphaToSigma(logAlpha(tMax)),
    sigma: (t) => logAlphaToSigma(logAlpha(t)),
    t: (sigma) => tOfLogAlpha(sigmaToLogAlpha(sigma)),
  };
}

// ---------------------------------------------------------------------------------------------
// σ grids. Each returns the noise levels a sampler visits, from the highest down, ending in 0:
// n steps → n + 1 entries.

function withZero(levels: number[]): Float64Array {
  return Float64Array.from([...levels, 0]);
}

/** Karras et al. 2022, eq. 5: σᵢ = (σmax^{1/ρ} + i/(n−1)·(σmin^{1/ρ} − σmax^{1/ρ}))^ρ. */
export function karrasSigmas(n: number, sigmaMin: number, sigmaMax: number, rho = 7): Float64Array {
  checkSteps(n);
  const a = sigmaMax ** (1 / rho), b = sigmaMin ** (1 / rho);
  return withZero(Array.from({ length: n }, (_, i) => (a + (n === 1 ? 0 : i / (n - 1)) * (b - a)) ** rho));
}

/** Uniform in λ = −log σ (DPM-Solver's `logSNR` skip, Lu et al. 2022 §3.3). */
export function lambdaSigmas(n: number, sigmaMin: number, sigmaMax: number): Float64Array {
  checkSteps(n);
  const a = Math.log(sigmaMax), b = Math.log(sigmaMin);
  return withZero(Array.from({ length: n }, (_, i) => Math.exp(a + (n === 1 ? 0 : i / (n - 1)) * (b - a))));
}

/** Uniform in the model time t of a schedule, from tMax down to tEnd (DPM-Solver's `time_uniform`). */
export function timeUniformSigmas(schedule: NoiseSchedule, n: number, tEnd = schedule.tMin, tStart = schedule.tMax): Float64Array {
  checkSteps(n);
  return withZero(Array.from({ length: n }, (_, i) => schedule.sigma(tStart + (n === 1 ? 0 : i / (n - 1)) * (tEnd - tStart))));
}

function checkSteps(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`number of steps must be a positive integer, got ${n}`);
}

export type TimestepSpacing = 'linspace' | 'leading' | 'trailing';

/**
 * Discrete timesteps for n inference steps out of N training steps, descending, with diffusers'
 * spacings (Lin et al. 2024, "Common Diffusion Noise Schedules and Sample Steps are Flawed",
 * Table 2): `linspace` = linspace(0, N−1, n) (rounded when `round`), `leading` =
 * ⌊N/n⌋·(0…n−1) + steps_offset, `trailing` = round(N, N − N/n, …) − 1.
 */
export function spacedTimesteps(
  n: number,
  opts: { numTrainTimesteps?: number; spacing?: TimestepSpacing; stepsOffset?: number; round?: boolean } = {},
): Float64Array {
  checkSteps(n);
  const N = opts.numTrainTimesteps ?? 1000;
  const spacing = opts.spacing ?? 'leading';
  if (n > N) throw new RangeError(`cannot take ${n} steps from a model trained on ${N} timesteps`);
  const out = new Float64Array(n);
  switch (spacing) {
    case 'linspace':
      for (let i = 0; i < n; i++) {
        const v = n === 1 ? 0 : ((N - 1) * (n - 1 - i)) / (n - 1);
        out[i] = opts.round === false ? v : roundHalfEven(v);
      }
      break;
    case 'leading': {
      const ratio = Math.floor(N / n);
      for (let i = 0; i < n; i++) out[i] = (n - 1 - i) * ratio + (opts.stepsOffset ?? 0);
      break;
    }
    case 'trailing': {
      const ratio = N / n;
      for (let i = 0; i < n; i++) out[i] = roundHalfEven(N - i * ratio) - 1;
      break;
    }
    default:
      throw new RangeError(`unknown timestep_spacing "${spacing as string}" (expected linspace, leading or trailing)`);
  }
  return out;
}

/** Round half to even, as numpy's `round` does. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
