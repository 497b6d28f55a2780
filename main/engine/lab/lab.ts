/**
 * The solver lab: every deterministic sampler × grid family × model-evaluation budget on one pack,
 * measured against a high-accuracy solution of the pack's probability-flow ODE (Song et al. 2021,
 * "Score-Based Generative Modeling through SDEs", eq. 13) from the same starting noise, for a few
 * prompts and seeds with classifier-free guidance — the error a user sees as "the image differs
 * from what this noise should give".
 *
 * The reference is DPM-Solver++(3M) with the Taylor weight of its third-order term (Lu et al. 2022,
 * "DPM-Solver++", §3.2, order 3) on a grid uniform in λ = −log σ over the whole training table, in
 * float64, and it is checked by a second method (DPM-Solver++(2M)) on the same grid: the steps
 * double (80 → 160 → 320) until the two agree within `AGREEMENT` RMS. The reported `agreement` is
 * an upper bound on the reference's own error at the order-2 method's rate.
 *
 * Errors are the RMS of the final image in [−1, 1] (decoded by the VAE for latent packs) over all
 * images, and per image. A sampler gets the most steps whose model evaluations fit the budget
 * (Heun costs two per step; the giant-step rule can make a step cheaper).
 *
 * The `tuned` grid's (σ_hi, ρ) are searched per budget on *other* seeds than the table's (the
 * calibration probe), with DPM-Solver++(2M), so the table measures the tuned grid on noise it was
 * not chosen on.
 */
import type { LabGrid, SolverLabRow } from '../../api/contract.js';
import { makeDenoiser, usesGuidance, type Network } from '../denoiser.js';
import type { LoadedPack, PackInfo } from '../packs/types.js';
import { decodeState, packNetwork } from '../pipelines/stages.js';
import { fillGaussian } from '../random.js';
import type { SchedulerPlan } from '../scheduler-config/index.js';
import type { Denoiser } from '../samplers/common.js';
import { SAMPLERS } from '../samplers/index.js';
import { isLabOnly, labOnlyGrid, labPlan, planEvaluations, sigmaRange, statisticsRange, stepsWithin, USF, V3, type LabExtras, type TunedGrid } from './grids.js';
import type { ModelStatistics } from '../samplers/ems.js';
import { packStatistics, statisticsGrid } from './statistics.js';

/** The reference and its check must agree within this RMS (images in [−1, 1]). */
export const AGREEMENT = 2e-3;
const REFERENCE_STEPS = [80, 160, 320];
/** What the `tuned` search tries: σ_hi (VE units; values at or above σ_max mean plain eq. 5) × ρ. */
const SIGMA_HI = [Infinity, 160, 80, 40, 20, 10, 5, 2.5];
const RHO = [3, 5, 7, 10];
const SEARCH_SAMPLER = 'dpmpp_2m';
/** Seeds of the calibration probe: the table's seeds shifted by this. */
const CALIBRATION_SHIFT = 1000;
/** Seeds of DPM-Solver-v3's statistics samples: batch k uses the table's seeds shifted by 2000 + 100·k. */
const STATISTICS_SHIFT = 2000;
/** Batches of samples (each all prompts × seeds) the statistics are estimated from. */
const STATISTICS_BATCHES = 4;
/** The plan that makes the statistics' clean samples: DPM++ 2M, 30 steps on the tuned family (σ_hi 80, ρ 7). */
const SAMPLE_PLAN = { sampler: 'dpmpp_2m', steps: 30, tuned: { sigmaHi: 80, rho: 7 } };

export const DEFAULT_LAB_PROMPTS = ['red heart', 'grinning face', 'cat face', 'rocket'];

export interface LabRequest {
  prompts: string[];
  seeds: number[];
  cfgScale: number;
  nfes: number[];
  /** Catalogue samplers (deterministic only); the pack's own plan is always measured. */
  samplers: string[];
  grids: LabGrid[];
  width: number;
  height: number;
}

export interface LabProgress {
  done: number;
  total: number;
  /** What is running: 'reference', 'statistics', 'tuned', 'orders', 'sampler @ grid' or 'done'. */
  stage: string;
}

export interface LabOutcome {
  reference: { method: string; check: string; steps: number; agreement: number };
  rows: SolverLabRow[];
  tuned: { nfe: number; sigmaHi: number; rho: number; seeds: number[]; orders?: number[] }[];
  best: { nfe: number; sampler: string; grid: LabGrid; rms: number; packRms: number }[];
  evaluations: number;
  /** DPM-Solver-v3's statistics, when it was measured, with the seeds of the images they come from. */
  statistics?: { stats: ModelStatistics; seeds: number[]; images: number };
}

/**
 * The orders DPM-Solver++ multistep can run at each of n steps ending at σ = 0: the first step has
 * no history (order 1), step i at most i + 1, the step to σ = 0 returns D (order 1); second order
 * elsewhere to start from.
 */
export function effectiveOrders(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i === 0 || i === n - 1 ? 1 : 2));
}

/** The (step, order) trials of one sweep: every order but the starting 2 that step i can run (1 … min(3, i + 1)), last step excluded. */
export function orderTrials(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 1; i < n - 1; i++) for (let o = 1; o <= Math.min(3, i + 1); o++) if (o !== 2) out.push([i, o]);
  return out;
}

/** Deterministic catalogue samplers (the ones an ODE solution measures), DPM-Solver-v3 and the per-step order search. */
export const labSamplers = (): string[] => [...SAMPLERS.filter((s) => !s.stochastic).map((s) => s.name), V3, USF];

/** A set of prompts × seeds on the pack: its starting noise, network and ODE solution. */
interface Probe {
  seeds: number[];
  rows: number;
  /** Values per image in sampler space. */
  dim: number;
  /** The plan's final state in sampler space (a VP sample). */
  sample(plan: SchedulerPlan, state?: 'f32' | 'f64', onStep?: () => void): Promise<Float32Array>;
  /** The plan's final image in [−1, 1]. */
  run(plan: SchedulerPlan, state?: 'f32' | 'f64', onStep?: () => void): Promise<Float32Array>;
  /** The guided denoiser over the probe's rows, with the network time of `plan`'s schedule. */
  denoiser(plan: SchedulerPlan): Denoiser;
  reference: Float32Array;
}

/** Images one probe may hold (prompts × seeds): each is a row of every network call, doubled by guidance. */
export const MAX_LAB_IMAGES = 16;

/** Image-evaluations (model calls × images per call) one lab may make. */
export const MAX_LAB_EVALUATIONS = 2_000_000;

/** Whether the lab (and so `auto`'s measured choice) applies to a pack: text-to-image with guidance, not LCM, inpainting or upscalers. */
export function labMeasures(info: PackInfo): string | undefined {
  if (!info.hasTextEncoder) return 'the solver lab measures text-to-image packs; this pack has no text encoder';
  if (info.family === 'inpaint' || info.family === 'lcm' || info.upscaleFactor > 1) return `the solver lab measures text-to-image packs, not ${info.family} packs`;
  return undefined;
}

/** The seeds of the table, the tuned search and the statistics: they must not meet, and all must be valid seeds. */
function seedSets(seeds: readonly number[]): { table: number[]; calibration: number[]; statistics: number[][] } {
  return {
    table: [...seeds],
    calibration: seeds.map((s) => s + CALIBRATION_SHIFT),
    statistics: Array.from({ length: STATISTICS_BATCHES }, (_, k) => seeds.map((s) => s + STATISTICS_SHIFT + 100 * k)),
  };
}

export function checkLabRequest(info: PackInfo, req: LabRequest): void {
  const images = req.prompts.length * req.seeds.length;
  if (images > MAX_LAB_IMAGES) throw new RangeError(`${req.prompts.length} prompts × ${req.seeds.length} seeds = ${images} images per model call; the lab takes at most ${MAX_LAB_IMAGES}`);
  const sets = seedSets(req.seeds);
  const all = [...sets.table, ...sets.calibration, ...sets.statistics.flat()];
  if (all.some((s) => !Number.isSafeInteger(s) || s < 0)) throw new RangeError(`seeds must be at most ${Number.MAX_SAFE_INTEGER - STATISTICS_SHIFT - 100 * STATISTICS_BATCHES} (the lab also uses them shifted by up to ${STATISTICS_SHIFT + 100 * (STATISTICS_BATCHES - 1)})`);
  if (new Set(all).size !== all.length) {
    throw new RangeError(`seeds ${req.seeds.join(', ')} meet the lab's own calibration seeds (each + ${CALIBRATION_SHIFT}) or statistics seeds (each + ${STATISTICS_SHIFT} + 100·k): give seeds that differ by other amounts`);
  }
  const why = labMeasures(info);
  if (why) throw new RangeError(why);
  for (const name of req.samplers) {
    const only = labOnlyGrid(name);
    if (only && !req.grids.includes(only)) throw new RangeError(`${name} is measured on the ${only} grid only: add the ${only} grid`);
    if (isLabOnly(name)) continue;
    const s = SAMPLERS.find((x) => x.name === name);
    if (!s) throw new RangeError(`unknown sampler "${name}"`);
    if (s.stochastic) throw new RangeError(`"${name}" injects noise: it has no ODE solution to be measured against`);
  }
}

/** The RMS difference of each image (rows of `size` values), and over all of them. */
export function imageErrors(a: ArrayLike<number>, b: ArrayLike<number>, rows: number): { rms: number; images: number[] } {
  const size = a.length / rows;
  const images = Array.from({ length: rows }, (_, k) => {
    let e = 0;
    for (let j = k * size; j < (k + 1) * size; j++) e += (a[j] - b[j]) ** 2;
    return Math.sqrt(e / size);
  });
  const rms = Math.sqrt(images.reduce((s, v) => s + v * v, 0) / rows);
  return { rms: Number.isFinite(rms) ? rms : Infinity, images: images.map((v) => (Number.isFinite(v) ? v : Infinity)) };
}

/**
 * The network every probe of a lab calls: the prompts encoded once for the rows (each prompt once
 * per seed; every probe has as many seeds as the request), [negatives; prompts] as classifier-free
 * guidance expects.
 */
async function probeNetwork(pack: LoadedPack, req: LabRequest, counter: { evaluations: number }): Promise<Network> {
  const rowsPrompts = req.prompts.flatMap((p) => req.seeds.map(() => p));
  const context = await pack.encodePrompt(usesGuidance(req.cfgScale) ? [...rowsPrompts.map(() => ''), ...rowsPrompts] : rowsPrompts);
  return packNetwork(pack, { context, counter });
}

async function makeProbe(pack: LoadedPack, req: LabRequest, seeds: number[], network: Network, signal?: AbortSignal): Promise<Omit<Probe, 'reference'>> {
  const { info } = pack;
  const rowsSeeds = req.prompts.flatMap(() => seeds);
  const rows = rowsSeeds.length;
  const guided = usesGuidance(req.cfgScale);
  const C = info.latentChannels, h = req.height / info.vaeScale, w = req.width / info.vaeScale;
  const shape = [rows, C, h, w];
  const size = C * h * w;
  const z = new Float32Array(rows * size);
  rowsSeeds.forEach((seed, k) => fillGaussian(z.subarray(k * size, (k + 1) * size), seed, 0));
  const denoiser = (plan: SchedulerPlan) => makeDenoiser(network, { ...plan.denoiser, shape, guidanceScale: guided ? req.cfgScale : undefined });
  const sample = async (plan: SchedulerPlan, state: 'f32' | 'f64' = 'f32', onStep?: () => void) => {
    const s0 = plan.sigmas[0];
    const scale = Math.sqrt(1 + s0 * s0);
    const x0 = state === 'f64' ? Float64Array.from(z, (v) => v * scale) : z.map((v) => v * scale);
    const out = plan.toVp(await plan.run(denoiser(plan), x0, { batch: rows, signal, callback: () => { onStep?.(); } }));
    return out instanceof Float32Array ? out : Float32Array.from(out);
  };
  return {
    seeds, rows, dim: size, sample, denoiser,
    async run(plan, state = 'f32', onStep) {
      return (await decodeState(pack, { data: await sample(plan, state, onStep), shape })).data;
    },
  };
}

/**
 * Run the lab. `onProgress` reports model evaluations done of the total sized before anything runs.
 * Throws the signal's reason when cancelled.
 */
export async function runLab(pack: LoadedPack, req: LabRequest, opts: { signal?: AbortSignal; onProgress?: (p: LabProgress) => void } = {}): Promise<LabOutcome> {
  const { info } = pack;
  checkLabRequest(info, req);
  const counter = { evaluations: 0 };
  const range = sigmaRange(info);
  const tunedCandidates: TunedGrid[] = SIGMA_HI.filter((s) => s > range[0] * 10).flatMap((s) => RHO.map((rho) => ({ sigmaHi: Math.min(s, range[1]), rho })))
    .filter((c, i, all) => all.findIndex((d) => d.sigmaHi === c.sigmaHi && d.rho === c.rho) === i);
  const withTuned = req.grids.includes('tuned');

  // Size the job: every run's evaluations, counted on a free model before the pack runs.
  type Cell = { sampler: string; grid: LabGrid; nfe: number; steps: number; evaluations: number };
  const cells: Cell[] = [];
  const fixedGrids = req.grids.filter((g) => g !== 'tuned');
  for (const nfe of req.nfes) {
    const fit = await stepsWithin(info, 'pack', 'pack', nfe);
    if (fit) cells.push({ sampler: 'pack', grid: 'pack', nfe, ...fit });
    for (const sampler of req.samplers) {
      for (const grid of fixedGrids.filter((g) => (labOnlyGrid(sampler) ?? g) === g)) {
        const f = await stepsWithin(info, sampler, grid, nfe);
        if (f) cells.push({ sampler, grid, nfe, ...f });
      }
    }
  }
  const refCost = async (steps: number) => (await planEvaluations(labPlan(info, 'dpmpp_3m_exact', 'logsnr', steps))) + (await planEvaluations(labPlan(info, 'dpmpp_2m', 'logsnr', steps)));
  const firstRef = await refCost(REFERENCE_STEPS[0]);
  let tunedCost = 0;
  const tunedEstimate = new Map<string, number>();
  if (withTuned) {
    for (const nfe of req.nfes) {
      for (const c of tunedCandidates) tunedCost += (await stepsWithin(info, SEARCH_SAMPLER, 'tuned', nfe, { tuned: c }))?.evaluations ?? 0;
      // The per-step order search: one sweep over the steps whose order can matter (see below), each trial a run of nfe steps.
      if (req.samplers.includes(USF)) tunedCost += (orderTrials(nfe).length + 1) * nfe;
      // The tuned grid for every sampler, once its parameters are known: sized with the default
      // parameters and corrected when the searched ones cost otherwise.
      for (const sampler of req.samplers) {
        const est = sampler === USF ? nfe : (await stepsWithin(info, sampler, 'tuned', nfe, { tuned: SAMPLE_PLAN.tuned }))?.evaluations ?? 0;
        tunedEstimate.set(`${sampler}@${nfe}`, est);
        tunedCost += est;
      }
    }
  }
  const withV3 = req.samplers.includes(V3);
  const statisticsCost = withV3 ? STATISTICS_BATCHES * (SAMPLE_PLAN.steps + 5 * statisticsGrid(statisticsRange(info)).length) : 0;
  let total = cells.reduce((s, c) => s + c.evaluations, 0) + firstRef * (withTuned ? 2 : 1) + tunedCost + statisticsCost;
  if (total * req.prompts.length * req.seeds.length > MAX_LAB_EVALUATIONS) {
    throw new RangeError(`this lab needs about ${total} model calls × ${req.prompts.length * req.seeds.length} images; the most one lab may make is ${MAX_LAB_EVALUATIONS} image-evaluations: fewer budgets, samplers or images`);
  }
  let stage = 'reference';
  const report = () => opts.onProgress?.({ done: counter.evaluations, total: Math.max(total, counter.evaluations), stage });

  // The reference of a probe, refined until two methods agree.
  const solve = async (probe: Omit<Probe, 'reference'>): Promise<{ reference: Float32Array; steps: number; agreement: number }> => {
    let last: { reference: Float32Array; steps: number; agreement: number } | undefined;
    for (const steps of REFERENCE_STEPS) {
      if (last) total += await refCost(steps);
      const reference = await probe.run(labPlan(info, 'dpmpp_3m_exact', 'logsnr', steps), 'f64', report);
      const check = await probe.run(labPlan(info, 'dpmpp_2m', 'logsnr', steps), 'f64', report);
      last = { reference, steps, agreement: imageErrors(reference, check, probe.rows).rms };
      if (last.agreement <= AGREEMENT) break;
    }
    if (!(last!.agreement <= AGREEMENT)) {
      throw new RangeError(`the reference solution did not converge: two methods are ${last!.agreement} apart after ${last!.steps} steps (at most ${AGREEMENT} needed); the pack's ODE is too stiff to measure against`);
    }
    return last!;
  };

  const network = await probeNetwork(pack, req, counter);
  const probe = await makeProbe(pack, req, req.seeds, network, opts.signal);
  const solved = await solve(probe);
  const measured: Probe = { ...probe, reference: solved.reference };
  const reference = { method: 'DPM-Solver++(3M), Taylor weight, λ-uniform, float64', check: 'DPM-Solver++(2M), same grid', steps: solved.steps, agreement: solved.agreement };

  // DPM-Solver-v3's statistics, from the pack's own images on seeds apart from the table's and the tuned search's.
  let statistics: LabOutcome['statistics'];
  if (withV3) {
    stage = 'statistics';
    const batches: Float32Array[] = [];
    let first: Omit<Probe, 'reference'> | undefined;
    const seeds: number[] = [];
    for (let k = 0; k < STATISTICS_BATCHES; k++) {
      const p = await makeProbe(pack, req, seedSets(req.seeds).statistics[k], network, opts.signal);
      first ??= p;
      seeds.push(...p.seeds);
      batches.push(await p.sample(labPlan(info, SAMPLE_PLAN.sampler, 'tuned', SAMPLE_PLAN.steps, { tuned: SAMPLE_PLAN.tuned }), 'f32', report));
    }
    const stats = await packStatistics(first!.denoiser(labPlan(info, 'dpmpp_2m', 'logsnr', 8)), batches, first!.dim, statisticsRange(info), { groups: info.latentChannels, signal: opts.signal, onCall: report });
    statistics = { stats, seeds, images: batches.length * first!.rows };
  }
  const plan = (sampler: string, grid: LabGrid, steps: number, extras: LabExtras = {}) => labPlan(info, sampler, grid, steps, { ...extras, stats: statistics?.stats });

  const rows: SolverLabRow[] = [];
  const measure = async (cell: Cell, cellPlan: SchedulerPlan) => {
    stage = `${cell.sampler} @ ${cell.grid}`;
    const out = await measured.run(cellPlan, 'f32', report);
    rows.push({ ...cell, ...imageErrors(out, measured.reference, measured.rows) });
  };
  for (const cell of cells) await measure(cell, plan(cell.sampler, cell.grid, cell.steps));

  const tuned: LabOutcome['tuned'] = [];
  if (withTuned) {
    stage = 'tuned';
    const calibration = await makeProbe(pack, req, seedSets(req.seeds).calibration, network, opts.signal);
    const calib: Probe = { ...calibration, reference: (await solve(calibration)).reference };
    const score = async (sampler: string, steps: number, extras: LabExtras) => {
      const out = await calib.run(labPlan(info, sampler, 'tuned', steps, extras), 'f32', report);
      return imageErrors(out, calib.reference, calib.rows).rms;
    };
    for (const nfe of req.nfes) {
      let best: { c: TunedGrid; rms: number } | undefined;
      for (const c of tunedCandidates) {
        const fit = await stepsWithin(info, SEARCH_SAMPLER, 'tuned', nfe, { tuned: c });
        if (!fit) continue;
        const rms = await score(SEARCH_SAMPLER, fit.steps, { tuned: c });
        if (!best || rms < best.rms) best = { c, rms };
      }
      if (!best) {
        // Nothing to measure on the tuned grid at this budget: drop what was counted for it.
        for (const sampler of req.samplers) total -= tunedEstimate.get(`${sampler}@${nfe}`) ?? 0;
        if (req.samplers.includes(USF)) total -= (orderTrials(nfe).length + 1) * nfe;
        continue;
      }
      // Per-step orders on that grid (Liu et al. 2023): from second order wherever it can act, one
      // sweep of coordinate descent over the steps whose order can matter, each trying every order
      // the history allows and keeping the best on the calibration probe. Stored as they run.
      let orders: number[] | undefined;
      if (req.samplers.includes(USF)) {
        stage = 'orders';
        let found = effectiveOrders(nfe);
        let current = await score(USF, nfe, { tuned: best.c, orders: found });
        for (const [i, choices] of orderTrials(nfe)) {
          const trial = found.map((v, j) => (j === i ? choices : v));
          const rms = await score(USF, nfe, { tuned: best.c, orders: trial });
          if (rms < current) [current, found] = [rms, trial];
        }
        orders = found;
      }
      tuned.push({ nfe, ...best.c, seeds: calibration.seeds, ...(orders ? { orders } : {}) });
      for (const sampler of req.samplers) {
        const extras = { tuned: best.c, orders };
        const fit = sampler === USF ? { steps: nfe, evaluations: nfe } : await stepsWithin(info, sampler, 'tuned', nfe, extras);
        total += (fit?.evaluations ?? 0) - (tunedEstimate.get(`${sampler}@${nfe}`) ?? 0);
        if (fit) await measure({ sampler, grid: 'tuned', nfe, ...fit }, plan(sampler, 'tuned', fit.steps, extras));
      }
    }
  }

  const best = req.nfes.flatMap((nfe) => {
    const at = rows.filter((r) => r.nfe === nfe && Number.isFinite(r.rms));
    const pick = at.reduce<SolverLabRow | undefined>((b, r) => (!b || r.rms < b.rms ? r : b), undefined);
    const packRow = at.find((r) => r.sampler === 'pack');
    return pick ? [{ nfe, sampler: pick.sampler, grid: pick.grid, rms: pick.rms, packRms: packRow?.rms ?? NaN }] : [];
  });
  stage = 'done';
  report();
  return { reference, rows, tuned, best, evaluations: counter.evaluations, statistics };
}
