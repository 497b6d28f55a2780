/**
 * Solver-lab tables on disk, in the user's data folder, one per pack's weights and configs:
 *
 *   <data>/solvers/<pack digest, 16 hex>.json
 *
 * Written atomically (an interrupted lab leaves the previous table), read back through a schema so
 * a damaged or foreign file is an error naming it, never a wrong choice for `auto`.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { LAB_GRIDS, type SolverTable } from '../../api/contract.js';
import { writeFileAtomic } from '../io/atomic.js';
import { dataDir } from '../models/paths.js';

/** A number, or null where JSON could not hold it (∞ or NaN: a broken run). */
const numberOrNull = z.number().nullable();
const Row = z.object({
  sampler: z.string(), grid: z.enum(LAB_GRIDS), nfe: z.number().int().positive(), steps: z.number().int().positive(),
  evaluations: z.number().int().nonnegative(), rms: numberOrNull, images: z.array(numberOrNull),
});
const Table = z.object({
  version: z.literal(1),
  pack: z.object({ name: z.string(), digest: z.string().regex(/^[0-9a-f]{64}$/) }),
  date: z.string(), seconds: z.number(), evaluations: z.number(),
  prompts: z.array(z.string()), seeds: z.array(z.number()), cfgScale: z.number(), width: z.number(), height: z.number(),
  reference: z.object({ method: z.string(), check: z.string(), steps: z.number(), agreement: z.number() }),
  nfes: z.array(z.number().int().positive()),
  rows: z.array(Row),
  tuned: z.array(z.object({ nfe: z.number(), sigmaHi: z.number().positive(), rho: z.number().positive(), seeds: z.array(z.number()), orders: z.array(z.number().int().min(1).max(3)).optional() })),
  best: z.array(z.object({ nfe: z.number(), sampler: z.string(), grid: z.enum(LAB_GRIDS), rms: z.number(), packRms: numberOrNull })),
  statistics: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), images: z.number().int() }).optional(),
}).superRefine((t, ctx) => {
  // `auto` runs a best entry: it must be a measured row, and no row may be measured twice.
  const keys = t.rows.map((r) => `${r.sampler}@${r.grid}@${r.nfe}`);
  if (new Set(keys).size !== keys.length) ctx.addIssue({ code: 'custom', message: 'a row is measured twice' });
  for (const b of t.best) {
    if (!t.rows.some((r) => r.sampler === b.sampler && r.grid === b.grid && r.nfe === b.nfe && r.rms === b.rms)) ctx.addIssue({ code: 'custom', message: `best ${b.sampler} @ ${b.grid} at ${b.nfe} is not a measured row` });
  }
});

export function solversDir(root?: string): string {
  return path.join(root ?? dataDir(), 'solvers');
}

export function solverTablePath(digest: string, root?: string): string {
  return path.join(solversDir(root), `${digest.slice(0, 16)}.json`);
}

/** JSON has no ∞/NaN: a broken run's error is stored as null and read back as ∞. */
const revive = (v: number | null): number => (v === null ? Infinity : v);

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
  let parsed: z.infer<typeof Table>;
  try {
    parsed = Table.parse(JSON.parse(text));
  } catch {
    throw new RangeError(`the solver table ${file} is damaged; delete it or measure again`);
  }
  if (parsed.pack.digest !== digest) throw new RangeError(`the solver table ${file} belongs to another pack; delete it or measure again`);
  const table: SolverTable = {
    ...parsed,
    rows: parsed.rows.map((r) => ({ ...r, rms: revive(r.rms), images: r.images.map(revive) })),
    best: parsed.best.map((b) => ({ ...b, packRms: b.packRms === null ? NaN : b.packRms })),
  };
  return { table, path: file };
}
