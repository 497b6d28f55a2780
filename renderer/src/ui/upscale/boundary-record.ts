/**
 * A stored boundary-condition search as it reaches the page (`bcSearch`, `getBoundary`): the
 * engine reads it from a JSON file in the user's data folder, so it is checked here before the
 * panel draws it. A score that JSON could not carry (an infinite PSNR becomes null) is kept as
 * null and left out of the chart.
 */
import { z } from 'zod';
import { BC_METRICS, type BoundaryRecord } from '../../../../main/api/contract.js';

const score = z.number().nullable();
const count = z.number().int().min(0);

export const BoundaryRecordSchema = z.object({
  version: z.literal(1),
  pack: z.object({ name: z.string(), digest: z.string() }),
  sampler: z.string(),
  steps: count,
  tile: z.object({ width: count, height: count }),
  shape: z.array(count),
  metric: z.enum(BC_METRICS),
  seed: z.number(),
  calibration: z.object({ source: z.string(), digest: z.string(), count }),
  candidates: z.array(z.object({ index: count, scores: z.object({ psnr: score, ssim: score, gmsd: score }) })).min(1).max(100_000),
  best: count,
  evaluations: count,
  seconds: z.number().min(0),
  date: z.string(),
  tensorSha256: z.string(),
}).refine((r) => r.candidates.some((c) => c.index === r.best), { message: 'the chosen candidate is not among the candidates', path: ['best'] });

/** A record as the studio holds it: the contract's, with scores that may be missing. */
export type StoredSearch = z.output<typeof BoundaryRecordSchema>;

export type RecordOutcome = { ok: true; record: StoredSearch } | { ok: false; error: string };

/** Check a record from the engine; the error names the first wrong fields. */
export function readBoundaryRecord(raw: BoundaryRecord | unknown): RecordOutcome {
  const r = BoundaryRecordSchema.safeParse(raw);
  if (r.success) return { ok: true, record: r.data };
  const detail = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; ');
  return { ok: false, error: `the stored search could not be read (${detail})` };
}
