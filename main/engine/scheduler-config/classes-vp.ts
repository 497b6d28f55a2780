/**
 * One builder per scheduler class, part 1: the classes that step on the float32 ᾱ table itself
 * (DDIM, DDIMInverse, DDPM, PNDM, LCM). `classes.ts` maps each class to its builder.
 */
import { timestepLookup } from '../denoiser.js';
import { alphaOf, roundHalfEven } from '../schedules.js';
import { invertDdim, sampleDdim } from '../samplers/ddim.js';
import type { DdpmVarianceType } from '../samplers/ddpm.js';
import { sampleDdpm } from '../samplers/ddpm.js';
import { sampleLcm } from '../samplers/lcm.js';
import { samplePndm } from '../samplers/pndm.js';
import type { Builder, Grid } from './plan.js';
import { CLEAN_SIGMA, separate } from './plan.js';
import type { TrainingTables } from './tables.js';
import { checkTimesteps, ddimTimesteps, npArangeDown, npLinspace, sigmaToT } from './tables.js';
import type { SchedulerConfig } from './validate.js';
import { SchedulerConfigError } from './validate.js';

// ---------------------------------------------------------------------------------------------
// One builder per class.

/** σ at an integer training timestep, in double from the float32 ᾱ (the VP-state schedulers work with ᾱ itself). */
const sigmaAt = (tables: TrainingTables, t: number): number => {
  const a = tables.alphasCumprod[t];
  return Math.sqrt((1 - a) / a);
};

export const buildDdim: Builder = (cfg, n, tables) => {
  const ts = ddimTimesteps(cfg, n);
  const N = cfg.num_train_timesteps;
  const ratio = Math.floor(N / n);
  const finalAlpha = cfg.set_alpha_to_one ? 0 : sigmaAt(tables, 0);
  const levelOf = (t: number) => (t >= 0 ? sigmaAt(tables, t) : finalAlpha);
  checkTimesteps(cfg, ts);
  // The last step lands on ᾱ(t − ⌊N/n⌋) too: the final ᾱ only when that is negative.
  const raw = [...ts.map((t) => levelOf(t)), levelOf(ts[n - 1] - ratio)];
  const rawT = [...ts, NaN];
  const transforms = cfg.clip_sample || cfg.thresholding;
  const grid = separate(raw, rawT, () => transforms);
  // The reference lands on ᾱ(t − ⌊N/n⌋), which need not be the next listed level (NaN: it is).
  const land = landing(ts.map((t) => levelOf(t - ratio)), raw, grid);
  return {
    referenceTimesteps: ts,
    sigmas: grid.sigmas,
    timesteps: grid.timesteps,
    samplerName: 'ddim',
    make: () => ({ run: (model, x, sigmas, o = {}) => sampleDdim(model, x, sigmas, { ...o, eta: 0 }) }),
    land,
    ddimX0: true,
    notes: [],
  };
};

export const buildDdimInverse: Builder = (cfg, n, tables) => {
  const N = cfg.num_train_timesteps;
  const ratio = Math.floor(N / n);
  const ts = cfg.timestep_spacing === 'leading'
    ? Array.from({ length: n }, (_, i) => i * ratio + cfg.steps_offset)
    : npArangeDown(N, 0, -N / n).reverse().map((v) => roundHalfEven(v) - 1);
  checkTimesteps(cfg, ts);
  const initial = cfg.set_alpha_to_one ? CLEAN_SIGMA : sigmaAt(tables, 0);
  // Step i goes from the source ᾱ(min(tᵢ − ⌊N/n⌋, N − 1)) to the target ᾱ(tᵢ), evaluating the model at tᵢ.
  const src = ts.map((t) => {
    const s = Math.min(t - ratio, N - 1);
    return s >= 0 ? sigmaAt(tables, s) : initial;
  });
  const tgt = ts.map((t) => sigmaAt(tables, t));
  const raw = [...src, tgt[n - 1]];
  const rawT = [...ts, NaN];
  const grid = separate(raw, rawT, () => cfg.clip_sample, 'up');
  const land = landing(tgt, raw, grid);
  return {
    referenceTimesteps: ts,
    sigmas: grid.sigmas,
    timesteps: grid.timesteps,
    samplerName: 'ddim_inverse',
    make: () => ({ run: (model, x, sigmas, o = {}) => invertDdim(model, x, sigmas, o) }),
    land,
    ddimX0: true,
    float64: grid.sigmas[0] === CLEAN_SIGMA,
    notes: cfg.set_alpha_to_one
      ? ['the first inversion step starts from ᾱ = 1 (σ = 0), where D(x, 0) = x carries no ε; the model is evaluated at σ = 2⁻²⁷ instead (α = 1 exactly in double, ε recovered to float32 precision) and the run is in float64']
      : [],
  };
};

/** Per kept step: the reference's landing level where it is not the step's own end level, else NaN. */
function landing(land: number[], raw: number[], grid: Grid): number[] {
  return land.map((p, i) => (p === raw[i + 1] ? NaN : p)).filter((_, i) => !grid.dropped.includes(i));
}


export const buildDdpm: Builder = (cfg, n, tables) => {
  const ts = ddimTimesteps(cfg, n);
  checkTimesteps(cfg, ts);
  const sigmas = [...ts.map((t) => sigmaAt(tables, t)), 0];
  const varianceType: DdpmVarianceType = cfg.variance_type === 'fixed_large' ? 'fixed_large' : 'fixed_small';
  // The reference adds noise whenever t > 0, also on the step to ᾱ = 1; only fixed_large has variance there.
  const finalNoise = varianceType === 'fixed_large' && ts[n - 1] > 0;
  return {
    referenceTimesteps: ts,
    sigmas,
    timesteps: [...ts, NaN],
    samplerName: 'ddpm',
    // DDPM's previous_timestep is the next listed timestep once set_timesteps ran: no landing mismatch.
    make: () => ({ run: (model, x, s, o = {}) => sampleDdpm(model, x, s, { ...o, varianceType, finalNoise }) }),
    notes: [],
  };
};

/**
 * PNDM steps from t to t − ⌊N/n⌋ like DDIM, but its multistep history and PRK stages leave no
 * room for DDIM's landing correction: a note where that is not the next listed timestep.
 */
function pndmSpacingNote(cfg: SchedulerConfig, ts: number[]): string[] {
  const ratio = Math.floor(cfg.num_train_timesteps / ts.length);
  const off = ts.slice(0, -1).some((t, i) => t - ratio !== ts[i + 1]);
  return off
    ? [`PNDM with timestep_spacing "${cfg.timestep_spacing}" steps to t − ${ratio} but evaluates the next listed timestep as if it were there; the plan steps between the listed timesteps`]
    : [];
}

export const buildPndm: Builder = (cfg, n, tables) => {
  const N = cfg.num_train_timesteps;
  const ts = ddimTimesteps(cfg, n);
  checkTimesteps(cfg, ts);
  const finalAlpha = cfg.set_alpha_to_one ? 0 : sigmaAt(tables, 0);
  const last = ts[n - 1] - Math.floor(N / n);
  const grid = separate([...ts.map((t) => sigmaAt(tables, t)), last >= 0 ? sigmaAt(tables, last) : finalAlpha], [...ts, NaN], () => false);
  const half = Math.floor(Math.floor(N / n) / 2);
  const extra: [number, number][] = [];
  const mid = new Map<number, number>();
  if (!cfg.skip_prk_steps) {
    for (const t of ts.slice(0, 3)) {
      if (t - half < 0) continue;
      const s = sigmaAt(tables, t - half);
      extra.push([s, t - half]);
      mid.set(sigmaAt(tables, t), s);
    }
  }
  const reference = cfg.skip_prk_steps
    ? [ts[0], ...ts.slice(1, 2), ...ts.slice(1)]
    : [...prkTimesteps(ts, half), ...ts.slice(3)];
  return {
    referenceTimesteps: n > 1 ? reference : ts,
    sigmas: grid.sigmas,
    timesteps: grid.timesteps,
    extra,
    samplerName: cfg.skip_prk_steps ? 'plms' : 'pndm',
    make: (from) => ({
      run: (model, x, s, o = {}) => samplePndm(model, x, s, {
        ...o,
        warmup: cfg.skip_prk_steps ? 'heun' : 'prk',
        prkMidSigma: (sigma, next) => mid.get(sigma) ?? (sigma + next) / 2,
      }),
      notes: from > 0 ? ['PNDM entered mid-schedule: the reference continues its PRK/PLMS counters from the start of the list; the plan warms up afresh'] : [],
    }),
    notes: [
      ...pndmSpacingNote(cfg, ts),
      ...(!cfg.skip_prk_steps && 2 * half !== Math.floor(N / n) ? [`PNDM's Runge–Kutta steps end at t − ${2 * half}, one short of the next timestep t − ${Math.floor(N / n)}; the plan's steps end at the next timestep`] : []),
      ...(n > 1 && n < 4 && !cfg.skip_prk_steps ? ['PNDM with fewer than 4 steps: the reference\'s pseudo Runge–Kutta list is degenerate; the plan takes PRK steps until the last'] : []),
      ...(cfg.prediction_type === 'v_prediction'
        ? ['PNDMScheduler combines the raw v outputs and converts the combination to ε with the ᾱ and sample of the step\'s start; the plan converts each evaluation (as every other class does), which gives different results']
        : []),
    ],
  };
};

/** PNDM's `prk_timesteps` for the first three levels, for display. */
function prkTimesteps(ts: number[], half: number): number[] {
  const out: number[] = [];
  for (const t of ts.slice(0, 3)) out.push(t, t - half, t - half, t - 2 * half);
  return out;
}

export const buildLcm: Builder = (cfg, n, tables) => {
  const N = cfg.num_train_timesteps;
  const orig = cfg.original_inference_steps;
  if (orig > N) throw new SchedulerConfigError(`scheduler config (LCMScheduler): original_inference_steps ${orig} exceeds num_train_timesteps ${N}`);
  if (n > orig) throw new SchedulerConfigError(`LCMScheduler: ${n} inference steps exceed original_inference_steps ${orig}`);
  const k = Math.floor(N / orig);
  const origin = Array.from({ length: orig }, (_, i) => (orig - i) * k - 1);
  const ts = npLinspace(0, orig, n + 1).slice(0, n).map((v) => origin[Math.floor(v)]);
  const sigmas = [...ts.map((t) => sigmaAt(tables, t)), 0];
  const timesteps = [...ts, NaN];
  const lookup = timestepLookup(sigmas, timesteps, (s) => sigmaToT(tables, s));
  const s = cfg.timestep_scaling;
  // LCM eq. 7 boundary scalings at the model timestep, applied to the VP sample α·x.
  const boundary = (sigma: number) => {
    const st = lookup(sigma) * s;
    return { cSkip: (0.25 / (st * st + 0.25)) * alphaOf(sigma), cOut: st / Math.sqrt(st * st + 0.25) };
  };
  return {
    referenceTimesteps: ts,
    sigmas,
    timesteps,
    samplerName: 'lcm',
    make: () => ({ run: (model, x, sg, o = {}) => sampleLcm(model, x, sg, { ...o, boundary }) }),
    notes: [],
  };
};
