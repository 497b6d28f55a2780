/**
 * The `auto` sampler: for a pack and a step count (read as a budget of model evaluations), the
 * (sampler, grid) the solver lab measured best at that budget, or a robust default when the pack
 * has not been measured.
 *
 * A measured table is used at the largest measured budget not above the request (the smallest one
 * for fewer steps); the chosen pair then runs with the most steps that fit the request's budget,
 * and a tuned grid keeps the (σ_hi, ρ) searched for that budget.
 *
 * The default, `DEFAULT_AUTO`, is DPM-Solver++(2M) (Lu et al. 2022, Alg. 2) on the tuned family
 * with σ_hi = 80, ρ = 7: Karras et al.'s grid (their σ_max = 80) below one first-order step from
 * the pack's σ_max. On packs whose σ_max is at most 80 (Stable Diffusion: 14.6) it is exactly
 * "DPM++ 2M Karras". Measured on emoji-32 (README, "Solver lab") it beats the pack's own plan at
 * every budget from 5 to 30 evaluations, and it has no step whose σ ratio is giant except the
 * deliberate first one.
 */
import type { LabGrid, SolverTable } from '../../api/contract.js';
import type { PackInfo } from '../packs/types.js';
import type { SchedulerPlan } from '../scheduler-config/index.js';
import { samplerByName } from '../samplers/index.js';
import { labPlan, stepsWithin, type TunedGrid } from './grids.js';

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

/** The (sampler, grid) the table recommends for `budget` evaluations, or undefined without a usable entry. */
export function measuredChoice(table: SolverTable, budget: number): { sampler: string; grid: LabGrid; tuned?: TunedGrid; nfe: number; rms: number; packRms: number } | undefined {
  const usable = table.best.filter((b) => Number.isFinite(b.rms)).sort((a, b) => a.nfe - b.nfe);
  if (!usable.length) return undefined;
  const at = [...usable].reverse().find((b) => b.nfe <= budget) ?? usable[0];
  const t = at.grid === 'tuned' ? table.tuned.find((x) => x.nfe === at.nfe) : undefined;
  if (at.grid === 'tuned' && !t) return undefined;
  return { sampler: at.sampler, grid: at.grid, tuned: t ? { sigmaHi: t.sigmaHi, rho: t.rho } : undefined, nfe: at.nfe, rms: at.rms, packRms: at.packRms };
}

export async function autoChoice(info: PackInfo, budget: number, table: SolverTable | null): Promise<AutoChoice> {
  const measured = table ? measuredChoice(table, budget) : undefined;
  const pick = measured ?? DEFAULT_AUTO;
  if (pick.sampler !== 'pack') samplerByName(pick.sampler); // a table naming a sampler this build lacks is refused below
  let fit = await stepsWithin(info, pick.sampler, pick.grid, budget, pick.tuned);
  let chosen: { sampler: string; grid: LabGrid; tuned?: TunedGrid } = pick;
  let reason = measured
    ? `solver lab: best at ${measured.nfe} evaluations (RMS ${measured.rms.toFixed(3)} vs pack plan ${Number.isFinite(measured.packRms) ? measured.packRms.toFixed(3) : '—'})`
    : 'not measured: default DPM++ 2M on the tuned grid';
  if (!fit) {
    // A budget too small for the pick (e.g. Heun at 1 evaluation): the pack's own plan.
    chosen = { sampler: 'pack', grid: 'pack' };
    fit = await stepsWithin(info, 'pack', 'pack', budget);
    reason += `; ${budget} evaluations too few for it, pack plan instead`;
  }
  if (!fit) throw new RangeError(`no plan of this pack fits ${budget} model evaluations`);
  const { sampler, grid, tuned } = chosen;
  return { sampler, grid, tuned, steps: fit.steps, reason, plan: (steps) => labPlan(info, sampler, grid, steps, tuned) };
}
