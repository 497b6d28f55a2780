/**
 * diffusers' float32 training tables and numpy's grid helpers, reproduced exactly, and the
 * timestep lists each family of classes builds in `set_timesteps`. See `index.ts`.
 */
import type { DiscreteSchedule } from '../schedules.js';
import { alphasCumprod, discreteSchedule, makeBetas, roundHalfEven } from '../schedules.js';
import type { SchedulerConfig } from './validate.js';
import { SchedulerConfigError } from './validate.js';

// ---------------------------------------------------------------------------------------------
// diffusers' numerics: the float32 training tables and numpy's grid helpers, reproduced exactly.

export const f32 = Math.fround;

/** The training tables a diffusers scheduler builds in `__init__` (torch float32). */
export interface TrainingTables {
  /** ᾱ_t, t = 0 … N−1 (float32 values). */
  readonly alphasCumprod: Float64Array;
  /** σ_t = √((1 − ᾱ_t)/ᾱ_t) as the float32 tensor holds it. */
  readonly sigmas: Float64Array;
  /** log σ_t in float32 (numpy's `np.log` of the float32 table), as `_sigma_to_t` uses it. */
  readonly logSigmas: Float64Array;
  readonly schedule: DiscreteSchedule;
}

export function trainingTables(cfg: SchedulerConfig): TrainingTables {
  const n = cfg.num_train_timesteps;
  const betas = cfg.trained_betas ? Float64Array.from(cfg.trained_betas, f32) : makeBetas(cfg.beta_schedule, n, cfg.beta_start, cfg.beta_end, { float32: true });
  const ac = alphasCumprod(betas, { float32: true });
  if (!(ac[n - 1] > 0)) throw new SchedulerConfigError(`scheduler config (${cfg._class_name}): the betas drive ᾱ to 0 (zero terminal SNR), which a σ schedule cannot represent`);
  const schedule = discreteSchedule(ac, { float32: true });
  return { alphasCumprod: ac, sigmas: schedule.sigmas, logSigmas: schedule.sigmas.map((s) => f32(Math.log(s))), schedule };
}

/** `np.linspace(start, stop, num)`: y = i·step + start with step = (stop − start)/(num − 1), the last entry exactly stop. */
export function npLinspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : i * step + start));
}

/** `np.arange(start, stop, step)` for a negative float step: start + i·δ with δ = (start + step) − start. */
export function npArangeDown(start: number, stop: number, step: number): number[] {
  const len = Math.ceil((stop - start) / step);
  const delta = start + step - start;
  return Array.from({ length: Math.max(0, len) }, (_, i) => start + i * delta);
}

/** `np.interp(t, arange(N), table)`. */
export function interp(table: ArrayLike<number>, t: number): number {
  const n = table.length;
  if (t <= 0) return table[0];
  if (t >= n - 1) return table[n - 1];
  const i = Math.floor(t);
  const slope = table[i + 1] - table[i];
  return slope * (t - i) + table[i];
}

/** diffusers' `_sigma_to_t`: t for σ by linear interpolation in log σ over the float32 table. */
export function sigmaToT(tables: TrainingTables, sigma: number): number {
  const logs = tables.logSigmas;
  const ls = Math.log(Math.max(sigma, 1e-10));
  let low = 0;
  for (let j = 0; j < logs.length; j++) if (ls - logs[j] >= 0) low = j;
  low = Math.min(low, logs.length - 2);
  const w = Math.min(1, Math.max(0, (logs[low] - ls) / (logs[low] - logs[low + 1])));
  return (1 - w) * low + w * (low + 1);
}

/** diffusers' `_convert_to_karras` (Karras et al. 2022, eq. 5, ρ = 7), in double. */
export function karras(n: number, sigmaMin: number, sigmaMax: number): number[] {
  const rho = 7;
  const lo = sigmaMin ** (1 / rho), hi = sigmaMax ** (1 / rho);
  return npLinspace(0, 1, n).map((r) => (hi + r * (lo - hi)) ** rho);
}

/** Timesteps of DDIM / DDPM / PNDM / DDIMInverse (`set_timesteps`), descending. */
export function ddimTimesteps(cfg: SchedulerConfig, n: number): number[] {
  const N = cfg.num_train_timesteps;
  switch (cfg.timestep_spacing) {
    case 'linspace':
      return npLinspace(0, N - 1, n).map(roundHalfEven).reverse();
    case 'leading': {
      const ratio = Math.floor(N / n);
      return Array.from({ length: n }, (_, i) => (n - 1 - i) * ratio + cfg.steps_offset);
    }
    case 'trailing':
      return npArangeDown(N, 0, -N / n).map((v) => roundHalfEven(v) - 1);
  }
}

/** Timesteps of DPM-Solver (multi/single), DEIS and UniPC: n + 1 points with the last dropped, descending. */
export function dpmTimesteps(cfg: SchedulerConfig, n: number, lastTimestep: number): number[] {
  const N = cfg.num_train_timesteps;
  switch (cfg.timestep_spacing) {
    case 'linspace':
      return npLinspace(0, lastTimestep - 1, n + 1).map(roundHalfEven).reverse().slice(0, n);
    case 'leading': {
      const ratio = Math.floor(lastTimestep / (n + 1));
      return Array.from({ length: n }, (_, i) => (n - i) * ratio + cfg.steps_offset);
    }
    case 'trailing':
      return npArangeDown(lastTimestep, 0, -N / n).map((v) => roundHalfEven(v) - 1);
  }
}

/** Float timesteps of Euler / Euler ancestral / Heun / LMS, descending, as float32 values. */
export function eulerTimesteps(cfg: SchedulerConfig, n: number): number[] {
  const N = cfg.num_train_timesteps;
  switch (cfg.timestep_spacing) {
    case 'linspace':
      return npLinspace(0, N - 1, n).map(f32).reverse();
    case 'leading': {
      const ratio = Math.floor(N / n);
      return Array.from({ length: n }, (_, i) => f32(f32((n - 1 - i) * ratio) + cfg.steps_offset));
    }
    case 'trailing':
      return npArangeDown(N, 0, -N / n).map((v) => f32(f32(roundHalfEven(v)) - 1));
  }
}

/** `DPMSolver*`'s `lambda_min_clipped`: the number of the largest timesteps whose λ_t falls below it. */
export function clippedIndex(cfg: SchedulerConfig, tables: TrainingTables): number {
  if (cfg.lambda_min_clipped === -Infinity) return 0;
  let count = 0;
  for (const a of tables.alphasCumprod) {
    const lambda = f32(f32(Math.log(f32(Math.sqrt(a)))) - f32(Math.log(f32(Math.sqrt(f32(1 - a))))));
    if (lambda < cfg.lambda_min_clipped) count++;
  }
  return count;
}

export function checkTimesteps(cfg: SchedulerConfig, ts: number[]): void {
  const N = cfg.num_train_timesteps;
  const bad = ts.find((t) => !(t >= 0 && t <= N - 1));
  if (bad !== undefined) {
    throw new SchedulerConfigError(`scheduler config (${cfg._class_name}): timestep ${bad} (from timestep_spacing "${cfg.timestep_spacing}", steps_offset ${cfg.steps_offset}) is outside 0 … ${N - 1}`);
  }
}
