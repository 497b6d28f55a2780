/**
 * One builder per scheduler class, part 2: the classes that step on σ levels interpolated from
 * the training table (Euler, Euler ancestral, Heun, LMS, DPM-Solver multi/single, DEIS, UniPC).
 * `classes.ts` maps each class to its builder.
 */
import { roundHalfEven } from '../schedules.js';
import type { Sampler } from '../samplers/common.js';
import { sampleDeis } from '../samplers/deis.js';
import type { Order, SolverType } from '../samplers/dpm-solver.js';
import { dpmSolverOrderList, sampleDpmSolver, sampleDpmSolverMultistep } from '../samplers/dpm-solver.js';
import { sampleDpmppMultistep, sampleDpmppSinglestep } from '../samplers/dpmpp.js';
import { sampleEuler, sampleEulerAncestral, sampleHeun } from '../samplers/euler.js';
import { sampleLms } from '../samplers/lms.js';
import { sampleUniPc } from '../samplers/unipc.js';
import type { Builder, SamplerFactory } from './plan.js';
import { separate } from './plan.js';
import type { TrainingTables } from './tables.js';
import { checkTimesteps, clippedIndex, dpmTimesteps, eulerTimesteps, f32, interp, karras, npLinspace, sigmaToT } from './tables.js';
import type { SchedulerConfig } from './validate.js';

/** Euler-family levels: float timesteps, σ by `np.interp`, optional Karras, then the final level (float32). */
function eulerLevels(cfg: SchedulerConfig, n: number, tables: TrainingTables, opts: { configBounds: boolean }): { ts: number[]; sigmas: number[] } {
  let ts = eulerTimesteps(cfg, n);
  checkTimesteps(cfg, ts);
  let sigmas = ts.map((t) => interp(tables.sigmas, t));
  if (cfg.use_karras_sigmas) {
    const lo = (opts.configBounds ? cfg.sigma_min : null) ?? sigmas[n - 1];
    const hi = (opts.configBounds ? cfg.sigma_max : null) ?? sigmas[0];
    sigmas = karras(n, lo, hi);
    ts = sigmas.map((sg) => f32(sigmaToT(tables, sg)));
  }
  return { ts, sigmas: sigmas.map(f32) };
}

export const buildEuler: Builder = (cfg, n, tables) => {
  const { ts, sigmas } = eulerLevels(cfg, n, tables, { configBounds: true });
  const final = cfg.final_sigmas_type === 'sigma_min' ? f32(tables.sigmas[0]) : 0;
  const grid = separate([...sigmas, final], [...ts, NaN], () => false);
  return {
    referenceTimesteps: ts,
    sigmas: grid.sigmas,
    timesteps: grid.timesteps,
    samplerName: 'euler',
    make: () => ({ run: (model, x, s, o = {}) => sampleEuler(model, x, s, o) }),
    notes: [],
  };
};

export const buildEulerAncestral: Builder = (cfg, n, tables) => {
  const { ts, sigmas } = eulerLevels({ ...cfg, use_karras_sigmas: false }, n, tables, { configBounds: false });
  return {
    referenceTimesteps: ts,
    sigmas: [...sigmas, 0],
    timesteps: [...ts, NaN],
    samplerName: 'euler_a',
    make: () => ({ run: (model, x, s, o = {}) => sampleEulerAncestral(model, x, s, { ...o, eta: 1 }) }),
    notes: [],
  };
};

export const buildHeun: Builder = (cfg, n, tables) => {
  const { ts, sigmas } = eulerLevels(cfg, n, tables, { configBounds: false });
  return {
    referenceTimesteps: [ts[0], ...ts.slice(1).flatMap((t) => [t, t])],
    sigmas: [...sigmas, 0],
    timesteps: [...ts, NaN],
    samplerName: 'heun',
    make: () => ({ run: (model, x, s, o = {}) => sampleHeun(model, x, s, o) }),
    notes: [],
  };
};

export const buildLms: Builder = (cfg, n, tables) => {
  const { ts, sigmas } = eulerLevels(cfg, n, tables, { configBounds: false });
  return {
    referenceTimesteps: ts,
    sigmas: [...sigmas, 0],
    timesteps: [...ts, NaN],
    samplerName: 'lms',
    make: (from) => ({
      run: (model, x, s, o = {}) => sampleLms(model, x, s, { ...o, order: 4 }),
      notes: from > 0
        ? ['LMS entered mid-schedule: the reference applies 4th-order weights to a derivative history padded with zeros; the plan warms up from first order']
        : [],
    }),
    notes: [],
  };
};

/** Levels of DPM-Solver (multi/single), DEIS and UniPC before the final level. */
export function dpmLevels(cfg: SchedulerConfig, n: number, tables: TrainingTables, opts: { lastTimestep: number; configBounds: boolean; roundKarras: boolean }): { ts: number[]; sigmas: number[] } {
  let ts = cfg._class_name === 'DPMSolverSinglestepScheduler'
    ? npLinspace(0, opts.lastTimestep - 1, n + 1).map(roundHalfEven).reverse().slice(0, n)
    : dpmTimesteps(cfg, n, opts.lastTimestep);
  checkTimesteps(cfg, ts);
  let sigmas: number[];
  const toT = (s: number) => {
    const t = sigmaToT(tables, s);
    // Karras / Lu timesteps are rounded, except for the cosine schedule, where the int64 cast truncates.
    return opts.roundKarras ? roundHalfEven(t) : Math.trunc(t);
  };
  const table = tables.sigmas;
  const N = table.length;
  if (cfg.use_karras_sigmas) {
    const lo = (opts.configBounds ? cfg.sigma_min : null) ?? table[0];
    const hi = (opts.configBounds ? cfg.sigma_max : null) ?? table[N - 1];
    sigmas = karras(n, lo, hi);
    ts = sigmas.map(toT);
  } else if (cfg.use_lu_lambdas) {
    // `_convert_to_lu`: uniform in log σ between the ends of the table (ρ = 1).
    const hi = tables.logSigmas[N - 1], lo = tables.logSigmas[0];
    sigmas = npLinspace(0, 1, n).map((r) => Math.exp(hi + r * (lo - hi)));
    ts = sigmas.map(toT);
  } else {
    sigmas = ts.map((t) => interp(table, t));
  }
  return { ts, sigmas };
}

/** diffusers' DPMSolverMultistep / DEIS order of step j of n (`lower_order_nums` warm-up from the first step run). */
function multistepOrder(j: number, local: number, n: number, order: number, o: { lowerOrderFinal: boolean; eulerAtFinal?: boolean; finalZero?: boolean }): number {
  const lof = j === n - 1 && (!!o.eulerAtFinal || (o.lowerOrderFinal && n < 15) || !!o.finalZero);
  const los = j === n - 2 && o.lowerOrderFinal && n < 15;
  const nums = Math.min(local, order);
  if (order === 1 || nums < 1 || lof) return 1;
  if (order === 2 || nums < 2 || los) return 2;
  return 3;
}

export const buildDpmMultistep: Builder = (cfg, n, tables) => {
  const last = cfg.num_train_timesteps - clippedIndex(cfg, tables);
  const { ts, sigmas } = dpmLevels(cfg, n, tables, { lastTimestep: last, configBounds: false, roundKarras: cfg.beta_schedule !== 'squaredcos_cap_v2' });
  const finalZero = cfg.final_sigmas_type === 'zero';
  const final = finalZero ? 0 : tables.sigmas[0];
  // A repeated final level (Karras / Lu with sigma_min) is an identity step: dropped.
  const grid = separate([...sigmas, final].map(f32), [...ts, NaN], () => false);
  const order = cfg.solver_order as Order;
  const algo = cfg.algorithm_type;
  const solverType = cfg.solver_type as SolverType;
  const make: SamplerFactory = (from) => {
    const m = grid.sigmas.length - 1 - from;
    const want = Array.from({ length: m }, (_, i) => multistepOrder(from + i, i, n, order, { lowerOrderFinal: cfg.lower_order_final, eulerAtFinal: cfg.euler_at_final, finalZero }));
    const flags = multistepFlags(want, order, grid.sigmas[grid.sigmas.length - 1] === 0);
    const notes = flags ? [] : [`the reference's step orders ${want.join(',')} cannot be expressed with the multistep sampler's lowerOrderFinal/eulerAtFinal (it takes no per-step order list); its default lowering is used`];
    const o = { order, solverType, lowerOrderFinal: flags?.lowerOrderFinal ?? cfg.lower_order_final, eulerAtFinal: flags?.eulerAtFinal ?? cfg.euler_at_final };
    const run: Sampler = algo === 'dpmsolver' || algo === 'sde-dpmsolver'
      ? (model, x, s, so = {}) => sampleDpmSolverMultistep(model, x, s, { ...so, ...o, stochastic: algo === 'sde-dpmsolver' })
      : (model, x, s, so = {}) => sampleDpmppMultistep(model, x, s, { ...so, ...o, eta: algo === 'sde-dpmsolver++' ? 1 : 0, diffusersSdeD2: true });
    return { run, notes };
  };
  const lastOrder = multistepOrder(n - 1, n - 1, n, order, { lowerOrderFinal: cfg.lower_order_final, eulerAtFinal: cfg.euler_at_final, finalZero });
  const nanFinal = grid.dropped.includes(n - 1) && (lastOrder === 3 || (lastOrder === 2 && solverType === 'heun'));
  return {
    referenceTimesteps: ts,
    sigmas: grid.sigmas,
    timesteps: grid.timesteps,
    samplerName: dpmName(algo, order, 'm'),
    make,
    notes: nanFinal ? [`the reference's last step (order ${lastOrder}, ${solverType}) spans the repeated final level with h = 0 and returns NaN; the plan drops that identity step`] : [],
  };
};

function dpmName(algo: string, order: number, kind: 'm' | 's'): string {
  const pp = algo.endsWith('++');
  const sde = algo.startsWith('sde');
  return `${pp ? 'dpmpp' : 'dpm_solver'}_${order}${kind}${sde ? '_sde' : ''}`;
}

/**
 * Flags of `runMultistep` that give the order list `want` over m steps (the sampler: order
 * min(order, i + 1), lowered at the end by eulerAtFinal / lowerOrderFinal; a step to σ = 0 is
 * first order whatever the list says).
 */
function multistepFlags(want: number[], order: number, endsAtZero: boolean): { lowerOrderFinal: boolean; eulerAtFinal: boolean } | undefined {
  const m = want.length;
  for (const lowerOrderFinal of [false, true]) {
    for (const eulerAtFinal of [false, true]) {
      const got = want.map((_, i) => {
        let k = Math.min(order, i + 1);
        const short = lowerOrderFinal && m < 15;
        if (i === m - 1 && (eulerAtFinal || short)) k = 1;
        if (i === m - 2 && short) k = Math.min(k, 2);
        return k;
      });
      if (got.every((k, i) => k === want[i] || (endsAtZero && i === m - 1))) return { lowerOrderFinal, eulerAtFinal };
    }
  }
  return undefined;
}

export const buildDpmSinglestep: Builder = (cfg, n, tables) => {
  const last = cfg.num_train_timesteps - clippedIndex(cfg, tables);
  const { ts, sigmas } = dpmLevels(cfg, n, tables, { lastTimestep: last, configBounds: false, roundKarras: true });
  const finalZero = cfg.final_sigmas_type === 'zero';
  const final = finalZero ? 0 : tables.sigmas[0];
  const order = cfg.solver_order as Order;
  // get_order_list after set_timesteps' coercion of lower_order_final (odd step counts, final zero).
  const list = dpmSolverOrderList(n, order, { lowerOrderFinal: cfg.lower_order_final, finalSigmaZero: finalZero });
  const raw = [...sigmas, final].map(f32);
  // A repeated final level is the identity for a first-order step, but the end point of a
  // second/third-order group whose last node sits on it: kept, with the end moved by REPEAT_SHIFT.
  const grid = separate(raw, [...ts, NaN], (i) => list[i] > 1);
  const orders = list.filter((_, i) => !grid.dropped.includes(i));
  const algo = cfg.algorithm_type;
  const solverType = cfg.solver_type as SolverType;
  const make: SamplerFactory = (from) => {
    const sub = orders.slice(from).map((k, i) => Math.min(k, i + 1));
    const run: Sampler = algo === 'dpmsolver'
      ? (model, x, s, o = {}) => sampleDpmSolver(model, x, s, { ...o, order, solverType, orders: sub })
      : (model, x, s, o = {}) => sampleDpmppSinglestep(model, x, s, { ...o, order, solverType, orders: sub, eta: algo === 'sde-dpmsolver++' ? 1 : 0, diffusersSdeD2: true });
    return { run };
  };
  return {
    referenceTimesteps: ts,
    sigmas: grid.sigmas,
    timesteps: grid.timesteps,
    samplerName: dpmName(algo, order, 's'),
    make,
    notes: [],
  };
};

export const buildDeis: Builder = (cfg, n, tables) => {
  const { ts, sigmas } = dpmLevels(cfg, n, tables, { lastTimestep: cfg.num_train_timesteps, configBounds: false, roundKarras: true });
  // DEIS always ends at σ_min; Karras repeats its last level there (an identity step, dropped).
  const final = cfg.use_karras_sigmas ? sigmas[n - 1] : tables.sigmas[0];
  const grid = separate([...sigmas, final].map(f32), [...ts, NaN], () => false);
  const order = cfg.solver_order;
  const make: SamplerFactory = (from) => {
    const m = grid.sigmas.length - 1 - from;
    const orders = Array.from({ length: m }, (_, i) => multistepOrder(from + i, i, n, order, { lowerOrderFinal: cfg.lower_order_final }));
    return { run: (model, x, s, o = {}) => sampleDeis(model, x, s, { ...o, orders }) };
  };
  return { referenceTimesteps: ts, sigmas: grid.sigmas, timesteps: grid.timesteps, samplerName: `deis_${order}`, make, notes: [] };
};

export const buildUniPc: Builder = (cfg, n, tables) => {
  const { ts, sigmas } = dpmLevels(cfg, n, tables, { lastTimestep: cfg.num_train_timesteps, configBounds: true, roundKarras: true });
  const zero = cfg.final_sigmas_type === 'zero';
  const final = zero ? 0 : cfg.use_karras_sigmas ? sigmas[n - 1] : tables.sigmas[0];
  // A repeated final level: the reference's last step corrects the step before it and then
  // predicts over h = 0 (the identity). Dropped, with `finalCorrector` making that evaluation.
  const raw = [...sigmas, final].map(f32);
  const grid = separate(raw, [...ts, NaN], () => false);
  const finalCorrector = grid.dropped.length > 0;
  const order = cfg.solver_order;
  const make: SamplerFactory = (from) => {
    const m = grid.sigmas.length - 1 - from;
    const orders = Array.from({ length: m }, (_, i) => {
      const j = from + i;
      const p = cfg.lower_order_final ? Math.min(order, n - j) : order;
      return Math.min(p, Math.min(i, order) + 1);
    });
    const disableCorrector = cfg.disable_corrector.map((d) => d - from).filter((d) => d >= 0);
    return {
      run: (model, x, s, o = {}) => sampleUniPc(model, x, s, {
        ...o, order, orders, variant: cfg.solver_type as 'bh1' | 'bh2', predictX0: cfg.predict_x0, disableCorrector, finalCorrector,
      }),
    };
  };
  return {
    referenceTimesteps: ts,
    sigmas: grid.sigmas,
    timesteps: grid.timesteps,
    samplerName: `unipc_${cfg.solver_type}`,
    make,
    notes: zero && (cfg.solver_type === 'bh1' || !cfg.predict_x0 || !cfg.lower_order_final)
      ? ['with final_sigmas_type "zero" the reference\'s last step (bh1, predict_x0 false or lower_order_final false) computes 0·∞ and returns NaN; the plan\'s last step returns D, its limit']
      : [],
  };
};
