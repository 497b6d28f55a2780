/**
 * The `auto` sampler: for a pack and a step count (read as a budget of model evaluations), the
 * (sampler, grid) the solver lab measured best at that budget, or a robust default when the pack
 * has not been measured.
 *
 * A measured table is used at the largest measured budget not above the request (the smallest one
 * for fewer steps); the chosen pair then runs with the most steps that fit the request's budget —
 * measured exactly when the step count is one of the table's budgets — a tuned grid with the
 * (σ_hi, ρ) searched for that budget, searched orders stretched over the step count. Packs the lab
 * does not measure (LCM, inpainting, upscalers) run their own plan.
 *
 * The default, `DEFAULT_AUTO`, is DPM-Solver++(2M) (Lu et al. 2022, Alg. 2) on the tuned family
 * with σ_hi = 80, ρ = 7: Karras et al.'s grid (their σ_max = 80) below one first-order step from
 * the pack's σ_max. On packs whose σ_max is at most 80 (Stable Diffusion: 14.6) it is exactly
 * "DPM++ 2M Karras". On emoji-32 it beats the pack's own plan at 10 and 20 evaluations by 5× and
 * 40× on the images `test/samplers/robust-emoji32.test.ts` holds it to (0.094 vs 0.581, 0.009 vs
 * 0.38), and it has no step whose σ ratio is giant except the deliberate first one.
 */
import type { LabGrid, SolverTable } from '../../api/contract.js';
import type { PackInfo } from '../packs/types.js';
import type { SchedulerPlan } from '../scheduler-config/index.js';
import { samplerByName } from '../samplers/index.js';
import { isLabOnly, labOnlyLabel, labPlan, stepsWithin, USF, V3, V3_LABEL, type TunedGrid } from './grids.js';
import type { ModelStatistics } from '../samplers/ems.js';
import { labMeasures } from './lab.js';

export interface AutoChoice {
  sampler: string;
  grid: LabGrid;
  tuned?: TunedGrid;
  /** Steps that fit the request's budget. */
  steps: number;
  /** Why: the measurement it comes from, or that it is the default. */
  reason: string;
  plan: (steps: number) => SchedulerPlan;
}

export const DEFAULT_AUTO: { sampler: string; grid: LabGrid; tuned: TunedGrid } = { sampler: 'dpmpp_2m', grid: 'tuned', tuned: { sigmaHi: 80, rho: 7 } };

/**
 * The (sampler, grid) the table recommends for `budget` evaluations — its `best` entry, or the best
 * row that `usable` accepts when it refuses that one — or undefined without a usable entry.
 */
export function measuredChoice(table: SolverTable, budget: number, usable: (sampler: string) => boolean = () => true): { sampler: string; grid: LabGrid; tuned?: TunedGrid; orders?: number[]; nfe: number; rms: number; packRms: number } | undefined {
  const budgets = table.best.filter((b) => Number.isFinite(b.rms)).map((b) => b.nfe).sort((a, b) => a - b);
  if (!budgets.length) return undefined;
  const nfe = [...budgets].reverse().find((n) => n <= budget) ?? budgets[0];
  const entry = table.best.find((b) => b.nfe === nfe)!;
  const pick = usable(entry.sampler)
    ? entry
    : table.rows.filter((r) => r.nfe === nfe && Number.isFinite(r.rms) && usable(r.sampler)).reduce<SolverTable['rows'][number] | undefined>((b, r) => (!b || r.rms < b.rms ? r : b), undefined);
  if (!pick) return undefined;
  const t = pick.grid === 'tuned' ? table.tuned.find((x) => x.nfe === nfe) : undefined;
  if (pick.grid === 'tuned' && !t) return undefined;
  if (pick.sampler === USF && !t?.orders?.length) return undefined;
  return { sampler: pick.sampler, grid: pick.grid, tuned: t ? { sigmaHi: t.sigmaHi, rho: t.rho } : undefined, orders: pick.sampler === USF ? t!.orders : undefined, nfe, rms: pick.rms, packRms: entry.packRms };
}

/** DPM-Solver-v3's statistics and what they were estimated for. */
export interface StoredStatistics {
  stats: ModelStatistics;
  cfgScale: number;
  dim: number;
  /** Of the stored bytes: v3 runs only with the statistics its table was measured with. */
  sha256: string;
}

/** What `auto` needs to know of the request to use DPM-Solver-v3: its guidance scale and the size of its state per image. */
export interface AutoRequest {
  cfgScale: number;
  dim: number;
}

/** Guidance scales this close to the statistics' count as theirs. */
const CFG_TOLERANCE = 0.5;

export async function autoChoice(info: PackInfo, budget: number, table: SolverTable | null, request?: AutoRequest, statistics?: StoredStatistics | null): Promise<AutoChoice> {
  const unmeasurable = labMeasures(info);
  if (unmeasurable) {
    const fit = await stepsWithin(info, 'pack', 'pack', budget);
    if (!fit) throw new RangeError(`no plan of this pack fits ${budget} model evaluations`);
    return { sampler: 'pack', grid: 'pack', steps: fit.steps, reason: `${unmeasurable}: the pack's own plan`, plan: (steps) => labPlan(info, 'pack', 'pack', steps) };
  }
  // DPM-Solver-v3 runs only with the statistics its table was measured with, estimated for this guidance scale and image size.
  const v3Fits = Boolean(statistics && request && table?.statistics?.sha256 === statistics.sha256
    && Math.abs(statistics.cfgScale - request.cfgScale) <= CFG_TOLERANCE && statistics.dim === request.dim);
  const first = table ? measuredChoice(table, budget) : undefined;
  const measured = first?.sampler === V3 && !v3Fits && table ? measuredChoice(table, budget, (s) => s !== V3) : first;
  const pick = measured ?? DEFAULT_AUTO;
  if (pick.sampler !== 'pack' && !isLabOnly(pick.sampler)) samplerByName(pick.sampler); // a table naming a sampler this build lacks is refused here
  const stats = pick.sampler === V3 ? statistics!.stats : undefined;
  const orders = measured?.orders;
  let fit = await stepsWithin(info, pick.sampler, pick.grid, budget, { tuned: pick.tuned, orders });
  let chosen: { sampler: string; grid: LabGrid; tuned?: TunedGrid } = pick;
  let reason = measured
    ? `solver lab: best at ${measured.nfe} evaluations (RMS ${measured.rms.toFixed(3)} vs pack plan ${Number.isFinite(measured.packRms) ? measured.packRms.toFixed(3) : '—'})`
    : 'not measured: default DPM++ 2M on the tuned grid';
  if (first?.sampler === V3 && measured !== first) {
    reason += statistics && table?.statistics?.sha256 === statistics.sha256
      ? `; ${V3_LABEL} was best but its statistics are for CFG ${statistics.cfgScale} at the lab's image size, so the next best`
      : `; ${V3_LABEL} was best but its statistics are missing or not the ones measured, so the next best`;
  }
  if (!fit) {
    // A budget too small for the pick (e.g. Heun at 1 evaluation): the pack's own plan.
    chosen = { sampler: 'pack', grid: 'pack' };
    fit = await stepsWithin(info, 'pack', 'pack', budget);
    reason += `; ${budget} evaluations too few for it, pack plan instead`;
  }
  if (!fit) throw new RangeError(`no plan of this pack fits ${budget} model evaluations`);
  const { sampler, grid, tuned } = chosen;
  return { sampler, grid, tuned, steps: fit.steps, reason, plan: (steps) => labPlan(info, sampler, grid, steps, { tuned, stats: sampler === V3 ? stats : undefined, orders }) };
}

/** A sampler's display name, DPM-Solver-v3 and the pack's own plan included. */
export function autoLabel(sampler: string): string {
  return sampler === 'pack' ? 'pack scheduler' : labOnlyLabel(sampler) ?? samplerByName(sampler).label;
}
