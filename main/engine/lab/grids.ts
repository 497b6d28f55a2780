/**
 * The grid families the solver lab measures, and the plan a (sampler, grid) pair runs on a pack.
 *
 * - `pack`: the timesteps the pack's scheduler config lists (its class's `timestep_spacing` rules);
 *   with sampler `pack`, the pack's own plan (its scheduler class's solver).
 * - `karras`: Karras et al. 2022, "Elucidating the Design Space…", eq. 5 with ρ = 7, between the
 *   ends of the training table.
 * - `logsnr`: uniform in λ = −log σ (the log-SNR up to a factor 2) between the same ends — the grid
 *   DPM-Solver's analysis assumes (Lu et al. 2022, §3.3).
 * - `time`: uniform in the training time t (DDIM's `linspace` spacing, Song et al. 2021, §C.2).
 * - `tuned`: one step from σ_max down to σ_hi, then eq. 5 with exponent ρ from σ_hi to σ_min. On a
 *   schedule whose σ_max is huge (a cosine schedule with β capped at 0.999: σ_max ≈ 2·10⁴) the model
 *   barely changes its prediction above some σ_hi, and a fixed family spends steps there; the one
 *   step down to σ_hi is first order (the samplers' giant-step rule, `GIANT_STEP_RATIO`), which is
 *   nearly exact where D is nearly constant. (σ_hi, ρ) are searched per budget (`lab.ts`), as the
 *   timestep search of Liu et al. 2023 ("A Unified Sampling Framework for Solver Searching of
 *   Diffusion Probabilistic Models", §4) searches a schedule for a budget, here in two parameters.
 */
import type { LabGrid } from '../../api/contract.js';
import type { PackInfo } from '../packs/types.js';
import { planForSampler, planFromConfig, trainingTables, validateSchedulerConfig, type PlanGrid, type SchedulerPlan } from '../scheduler-config/index.js';
import type { Denoiser, Sampler } from '../samplers/common.js';
import { sampleDpmppMultistep } from '../samplers/dpmpp.js';
import { dpmSolverV3 } from '../samplers/dpm-solver-v3.js';
import type { ModelStatistics } from '../samplers/ems.js';

/**
 * DPM-Solver-v3 (Zheng et al. 2023): not a catalogue sampler — it needs the pack's empirical model
 * statistics, which the lab estimates (`statistics.ts`) and stores beside its table. Run at order 2
 * with its corrector, the paper's setting for guided sampling (§5).
 */
export const V3 = 'dpm_solver_v3';
export const V3_LABEL = 'DPM-Solver-v3';
const V3_ORDER = 2;

export interface TunedGrid {
  sigmaHi: number;
  rho: number;
}

/** What some lab samplers and grids need beyond their name: the tuned grid's parameters, v3's statistics, searched per-step orders. */
export interface LabExtras {
  tuned?: TunedGrid;
  stats?: ModelStatistics;
  orders?: readonly number[];
}

/**
 * DPM-Solver++ multistep (data prediction, the Taylor weight at third order) with the order of each
 * step searched per budget (Liu et al. 2023, "A Unified Sampling Framework for Solver Searching of
 * Diffusion Probabilistic Models", §3–4: the order is a per-step choice; here searched by one sweep
 * of coordinate descent on the tuned grid, `lab.ts`).
 */
export const USF = 'dpmpp_usf';
export const USF_LABEL = 'DPM++ searched orders';

/** The ends of a pack's training σ table: [σ_min, σ_max]. */
export function sigmaRange(info: PackInfo): [number, number] {
  const table = trainingTables(validateSchedulerConfig(info.schedulerConfig)).sigmas;
  return [table[0], table[table.length - 1]];
}

/**
 * The tuned grid's levels for `steps` steps (σ = 0 follows): σ_max, then `steps − 1` levels of
 * Karras spacing with exponent ρ from σ_hi to σ_min. σ_hi at or above σ_max, or a single step, is
 * plain eq. 5 from σ_max.
 */
export function tunedLevels(range: [number, number], steps: number, { sigmaHi, rho }: TunedGrid): number[] {
  const [lo, max] = range;
  if (!(rho > 0) || !(sigmaHi > lo)) throw new RangeError(`tuned grid needs ρ > 0 and σ_hi above σ_min ${lo}, got ρ = ${rho}, σ_hi = ${sigmaHi}`);
  // The ends exactly (the ρ-th power of a ρ-th root is not always the number back).
  const spaced = (n: number, hi: number) => Array.from({ length: n }, (_, i) => {
    if (i === 0) return hi;
    if (i === n - 1) return lo;
    const r = i / (n - 1);
    return (hi ** (1 / rho) + r * (lo ** (1 / rho) - hi ** (1 / rho))) ** rho;
  });
  if (sigmaHi >= max || steps === 1) return spaced(steps, max);
  return [max, ...spaced(steps - 1, sigmaHi)];
}

const PLAN_GRID: Record<Exclude<LabGrid, 'tuned'>, PlanGrid> = { pack: 'default', karras: 'karras', logsnr: 'exponential', time: 'linspace' };

/**
 * The samplers only the lab runs, because each needs something it measures for the pack: how they
 * are built from that, their display name, and what stands in for it when the lab only counts a
 * plan's evaluations (a free model, one value of state).
 */
interface LabOnlySampler {
  label: string;
  /** The engine sampler, given the lab's extras; a RangeError names what is missing. */
  build(extras: LabExtras, steps: number): Sampler;
  /** Extras that let a plan run on a one-value state for counting. */
  counting(info: PackInfo): LabExtras;
  /** The one grid family it is measured on, when it has one. */
  grid?: LabGrid;
}

const LAB_ONLY: Record<string, LabOnlySampler> = {
  [V3]: {
    label: V3_LABEL,
    build: ({ stats }) => {
      if (!stats) throw new RangeError(`${V3_LABEL} needs the pack's statistics (measure them with the solver lab)`);
      return dpmSolverV3(stats, { order: V3_ORDER });
    },
    counting: (info) => ({ stats: countingStatistics(info) }),
  },
  [USF]: {
    label: USF_LABEL,
    build: ({ orders }, steps) => {
      if (!orders?.length) throw new RangeError(`${USF_LABEL} needs its searched orders (measure them with the solver lab)`);
      // Orders searched for another step count are stretched over this one.
      const per = Array.from({ length: steps }, (_, i) => orders[Math.min(orders.length - 1, Math.floor((i * orders.length) / steps))]);
      return (model, x, sigmas, o) => sampleDpmppMultistep(model, x, sigmas, { ...o, order: 3, orders: per, thirdOrderWeight: 'taylor', lowerOrderFinal: false });
    },
    counting: () => ({ orders: [1] }),
    grid: 'tuned',
  },
};

/** Whether `name` is one of the lab-only samplers (DPM-Solver-v3, searched orders). */
export const isLabOnly = (name: string): boolean => Object.prototype.hasOwnProperty.call(LAB_ONLY, name);
/** A lab-only sampler's display name, else undefined. */
export const labOnlyLabel = (name: string): string | undefined => (isLabOnly(name) ? LAB_ONLY[name].label : undefined);
/** The grid family a lab-only sampler is confined to, if any. */
export const labOnlyGrid = (name: string): LabGrid | undefined => (isLabOnly(name) ? LAB_ONLY[name].grid : undefined);

/** The plan of `sampler` (a catalogue name, a lab-only sampler, or `pack` for the pack's own plan on its own grid) on a grid family. */
export function labPlan(info: PackInfo, sampler: string, grid: LabGrid, steps: number, extras: LabExtras = {}): SchedulerPlan {
  if (sampler === 'pack') {
    if (grid !== 'pack') throw new RangeError('the pack\'s own plan runs on its own grid only');
    return planFromConfig(info.schedulerConfig, steps);
  }
  const run = isLabOnly(sampler) ? LAB_ONLY[sampler].build(extras, steps) : undefined;
  const levels = grid === 'tuned' ? tunedOrThrow(info, steps, extras.tuned) : undefined;
  return planForSampler(info.schedulerConfig, sampler, steps, { ...(levels ? { levels } : { grid: PLAN_GRID[grid as Exclude<LabGrid, 'tuned'>] }), run });
}

/**
 * The λ = −log σ range a pack's statistics cover: the training table's, widened by 10⁻⁶ so that
 * grids computed through powers and roots (Karras) stay inside it.
 */
export function statisticsRange(info: PackInfo): [number, number] {
  const [lo, hi] = sigmaRange(info);
  return [-Math.log(hi) - 1e-6, -Math.log(lo) + 1e-6];
}

function tunedOrThrow(info: PackInfo, steps: number, tuned: TunedGrid | undefined): number[] {
  if (!tuned) throw new RangeError('the tuned grid needs its searched (σ_hi, ρ)');
  return tunedLevels(sigmaRange(info), steps, tuned);
}

/** Statistics of one dimension over the pack's λ range (degenerate: l = 1, s = b = 0), for counting a v3 plan's evaluations. */
function countingStatistics(info: PackInfo): ModelStatistics {
  const [a, b] = statisticsRange(info);
  return { lambdas: Float64Array.of(a, b), dim: 1, l: Float64Array.of(1, 1), s: new Float64Array(2), b: new Float64Array(2) };
}

/** Model evaluations a plan costs (run on a one-value state with a free model). */
export async function planEvaluations(plan: SchedulerPlan): Promise<number> {
  let n = 0;
  const free: Denoiser = async (x) => (n++, new Float64Array(x.length));
  await plan.run(free, new Float64Array(1).fill(plan.initialScale), { batch: 1 });
  return n;
}

/**
 * The most steps of (sampler, grid) whose evaluations fit `budget`, and what they cost; undefined
 * when even one step does not fit or no step count gives a valid grid.
 */
export async function stepsWithin(info: PackInfo, sampler: string, grid: LabGrid, budget: number, extras: LabExtras = {}): Promise<{ steps: number; evaluations: number } | undefined> {
  // From the top down: the first count that fits is the most steps (evaluations need not grow
  // monotonically with steps — the giant-step rule makes some steps cheaper); for one-call-per-step
  // samplers the first try fits.
  for (let steps = budget; steps >= 1; steps--) {
    let evaluations: number;
    try {
      evaluations = await planEvaluations(labPlan(info, sampler, grid, steps, isLabOnly(sampler) ? { ...extras, ...LAB_ONLY[sampler].counting(info) } : extras));
    } catch {
      continue; // e.g. a grid that repeats a level at this count
    }
    if (evaluations <= budget) return { steps, evaluations };
  }
  return undefined;
}
