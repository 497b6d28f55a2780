/**
 * A solver lab table as it reaches the page (`solverLab`, `getSolverTable`): the engine reads it
 * from a JSON file in the user's data folder, so it is checked here before the panel draws it.
 * An error a run could not measure — NaN or ±∞ over Electron's structured clone, null after JSON —
 * is kept as null: the chart clips such a row to its top edge instead of dropping it.
 */
import { z } from 'zod';
import { LAB_GRIDS, type LabGrid, type SolverTable } from '../../../../main/api/contract.js';

/** The grid families in words ("auto → DPM++ 2M · tuned grid"). */
export const GRID_LABELS: Record<LabGrid, string> = {
  pack: 'pack grid',
  karras: 'Karras grid',
  logsnr: 'log-SNR grid',
  time: 'uniform-time grid',
  tuned: 'tuned grid',
};

/**
 * "tuned grid" for a lab grid; what follows a grid's name stays as its detail
 * ("tuned σ_hi 2.5 ρ 5" → "tuned grid (σ_hi 2.5 ρ 5)"); an unknown grid is named as it is.
 */
export function gridLabel(grid: string): string {
  const [head, ...rest] = grid.trim().split(/\s+/);
  const known = (GRID_LABELS as Record<string, string | undefined>)[head];
  if (!known) return `${grid.trim()} grid`;
  return rest.length ? `${known} (${rest.join(' ')})` : known;
}

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
  tuned: z.array(z.object({ nfe: budget, sigmaHi: z.number().positive(), rho: z.number(), seeds: z.array(z.number()) })),
  best: z.array(z.object({ nfe: budget, sampler: z.string().min(1), grid, rms: z.number().min(0), packRms: error })),
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

function rowKey(r: { sampler: string; grid: string; nfe: number }): string {
  return `${r.sampler}\u0000${r.grid}\u0000${r.nfe}`;
}

/** A table as the studio holds it: the contract's, with errors that may be missing (broken runs). */
export type StoredTable = z.output<typeof SolverTableSchema>;
export type StoredRow = StoredTable['rows'][number];
export type StoredBest = StoredTable['best'][number];

export type TableOutcome = { ok: true; table: StoredTable } | { ok: false; error: string };

/** Check a table from the engine; the error names the first wrong fields. */
export function readSolverTable(raw: SolverTable | unknown): TableOutcome {
  const r = SolverTableSchema.safeParse(raw);
  if (r.success) return { ok: true, table: r.data };
  const detail = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(table)'}: ${i.message}`).join('; ');
  return { ok: false, error: `the solver table could not be read (${detail})` };
}
