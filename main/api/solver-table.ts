/**
 * The solver lab's table as it crosses a boundary — read back from the user's data folder by the
 * engine, and received by the studio — checked by one schema. An error a run could not measure
 * (NaN or ±∞ over Electron's structured clone, null after JSON) reads as null; `auto` must only ever
 * run a measured row, so a best entry that is not among the rows, a row measured twice, or a row
 * past its budget is refused.
 */
import { z } from 'zod';
import { LAB_GRIDS } from './contract.js';

const count = z.number().int().min(0);
const budget = z.number().int().min(1);
const grid = z.enum(LAB_GRIDS);
/** An RMS error: ≥ 0 when measured; NaN, ±∞ or null (a broken run) become null. */
const error = z
  .union([z.number().min(0), z.null(), z.custom<number>((v) => typeof v === 'number' && !Number.isFinite(v))])
  .transform((v) => (v === null || !Number.isFinite(v) ? null : v));

const Row = z.object({
  sampler: z.string().min(1).max(64),
  grid,
  nfe: budget,
  steps: budget,
  evaluations: count,
  rms: error,
  images: z.array(error).max(10_000),
}).refine((r) => r.evaluations <= r.nfe, { message: 'a row took more model evaluations than its budget', path: ['evaluations'] });

export const SolverTableSchema = z.object({
  version: z.literal(1),
  pack: z.object({ name: z.string(), digest: z.string() }),
  date: z.string(),
  seconds: z.number().min(0),
  evaluations: count,
  prompts: z.array(z.string()),
  seeds: z.array(z.number()),
  cfgScale: z.number(),
  width: budget,
  height: budget,
  reference: z.object({ method: z.string(), check: z.string(), steps: count, agreement: error }),
  nfes: z.array(budget).min(1).max(64),
  rows: z.array(Row).max(100_000),
  tuned: z.array(z.object({ nfe: budget, sigmaHi: z.number().positive(), rho: z.number().positive(), seeds: z.array(z.number()), orders: z.array(z.number().int().min(1).max(3)).optional() })),
  best: z.array(z.object({ nfe: budget, sampler: z.string().min(1), grid, rms: z.number().min(0), packRms: error })),
  statistics: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), images: count }).optional(),
}).superRefine((t, ctx) => {
  const budgets = new Set(t.nfes);
  const seen = new Set<string>();
  t.rows.forEach((r, i) => {
    if (!budgets.has(r.nfe)) ctx.addIssue({ code: 'custom', message: `${r.nfe} is not one of the measured budgets`, path: ['rows', i, 'nfe'] });
    const key = rowKey(r);
    if (seen.has(key)) ctx.addIssue({ code: 'custom', message: `${r.sampler} on the ${r.grid} grid at ${r.nfe} is measured twice`, path: ['rows', i] });
    seen.add(key);
  });
  t.best.forEach((b, i) => {
    if (!seen.has(rowKey(b))) ctx.addIssue({ code: 'custom', message: `the best of budget ${b.nfe} (${b.sampler}, ${b.grid}) is not among the rows`, path: ['best', i] });
  });
});

export function rowKey(r: { sampler: string; grid: string; nfe: number }): string {
  return `${r.sampler}\u0000${r.grid}\u0000${r.nfe}`;
}

/** A table as read: the contract's, with null for errors a run could not measure. */
export type CheckedSolverTable = z.output<typeof SolverTableSchema>;
