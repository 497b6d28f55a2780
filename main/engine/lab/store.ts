/**
 * Solver-lab tables on disk, in the user's data folder, one per pack's weights and configs:
 *
 *   <data>/solvers/<pack digest, 16 hex>.json
 *
 * Written atomically (an interrupted lab leaves the previous table), read back through the
 * contract's schema (`api/solver-table.ts`) so a damaged or foreign file is an error naming it,
 * never a wrong choice for `auto`.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SolverTable } from '../../api/contract.js';
import { SolverTableSchema, type CheckedSolverTable } from '../../api/solver-table.js';
import { writeFileAtomic } from '../io/atomic.js';
import { dataDir } from '../models/paths.js';

export function solversDir(root?: string): string {
  return path.join(root ?? dataDir(), 'solvers');
}

export function solverTablePath(digest: string, root?: string): string {
  return path.join(solversDir(root), `${digest.slice(0, 16)}.json`);
}

/** JSON has no ∞/NaN: a broken run's error is stored as null and read back as ∞. */
const revive = (v: number | null): number => (v === null ? Infinity : v);
const nanIfNull = (v: number | null): number => (v === null ? NaN : v);

export async function saveSolverTable(table: SolverTable, root?: string): Promise<string> {
  const file = solverTablePath(table.pack.digest, root);
  await mkdir(path.dirname(file), { recursive: true });
  const json = JSON.stringify(table, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1);
  await writeFileAtomic(file, json + '\n');
  return file;
}

/** The stored table of a pack, or null when it was never measured. A damaged file is an error naming it. */
export async function loadSolverTable(digest: string, root?: string): Promise<{ table: SolverTable; path: string } | null> {
  const file = solverTablePath(digest, root);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let parsed: CheckedSolverTable;
  try {
    parsed = SolverTableSchema.parse(JSON.parse(text));
  } catch {
    throw new RangeError(`the solver table ${file} is damaged; delete it or measure again`);
  }
  if (parsed.pack.digest !== digest) throw new RangeError(`the solver table ${file} belongs to another pack; delete it or measure again`);
  const table: SolverTable = {
    ...parsed,
    reference: { ...parsed.reference, agreement: nanIfNull(parsed.reference.agreement) },
    rows: parsed.rows.map((r) => ({ ...r, rms: revive(r.rms), images: r.images.map(revive) })),
    best: parsed.best.map((b) => ({ ...b, packRms: nanIfNull(b.packRms) })),
  };
  return { table, path: file };
}
