/**
 * A solver lab table as it reaches the page (`solverLab`, `getSolverTable`), checked with the
 * contract's schema (`main/api/solver-table.ts`) before the panel draws it. An error a run could
 * not measure is kept as null: the chart clips such a row to its top edge instead of dropping it.
 */
import type { LabGrid, SolverTable } from '../../../../main/api/contract.js';
import { SolverTableSchema, type CheckedSolverTable } from '../../../../main/api/solver-table.js';

export { SolverTableSchema };

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

/** A table as the studio holds it: the contract's, with errors that may be missing (broken runs). */
export type StoredTable = CheckedSolverTable;
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
