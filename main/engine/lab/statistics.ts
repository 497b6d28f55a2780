/**
 * A pack's empirical model statistics for DPM-Solver-v3 (Zheng et al. 2023, "DPM-Solver-v3", §3.1,
 * App. C.1.1), estimated by the solver lab with forward calls only (`samplers/ems.ts`: Jacobian–
 * vector products by central differences), and stored beside its table:
 *
 *   <data>/solvers/<pack digest, 16 hex>.ems    one JSON header line, then l, s, b as float64 LE
 *
 * The samples x₀ are the pack's own images for the lab's prompts (seeds apart from the table's and
 * the tuned search's), made with a fine deterministic plan; the statistics are those of the guided
 * denoiser at the lab's guidance scale and image size, which the header records — `auto` uses v3
 * only where a request matches them.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../io/atomic.js';
import { checkStatistics, estimateStatistics, type ModelStatistics } from '../samplers/ems.js';
import type { Denoiser, Vec } from '../samplers/common.js';
import { solversDir } from './store.js';

/** Grid nodes per unit of λ (Δλ = 0.25: the solver's interpolation error is O(Δλ⁴), ~10⁻⁶ on the Gaussian model). */
export const NODES_PER_LAMBDA = 4;

export interface StatisticsMeta {
  version: 1;
  digest: string;
  cfgScale: number;
  width: number;
  height: number;
  prompts: string[];
  seeds: number[];
  images: number;
  nodes: number;
  dim: number;
  sha256: string;
}

const Meta = z.object({
  version: z.literal(1), digest: z.string().regex(/^[0-9a-f]{64}$/), cfgScale: z.number(), width: z.number().int(), height: z.number().int(),
  prompts: z.array(z.string()), seeds: z.array(z.number()), images: z.number().int(), nodes: z.number().int().min(2), dim: z.number().int().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export function statisticsPath(digest: string, root?: string): string {
  return path.join(solversDir(root), `${digest.slice(0, 16)}.ems`);
}

/** The λ nodes over a range, `NODES_PER_LAMBDA` per unit (at least 8). */
export function statisticsGrid([a, b]: [number, number]): Float64Array {
  const K = Math.max(8, Math.ceil((b - a) * NODES_PER_LAMBDA) + 1);
  return Float64Array.from({ length: K }, (_, k) => (k === K - 1 ? b : a + ((b - a) * k) / (K - 1)));
}

/**
 * Estimate the statistics of `model` (a guided denoiser over batches of `dim`-value images) from
 * batches of clean samples, shared per channel when `groups` is the channel count (see
 * `EstimateOptions.groups`). 5 model calls per batch and node.
 */
export function packStatistics(model: Denoiser, batches: readonly Vec[], dim: number, range: [number, number], opts: { groups?: number; signal?: AbortSignal; onCall?: () => void } = {}): Promise<ModelStatistics> {
  return estimateStatistics(model, batches, statisticsGrid(range), { dim, groups: opts.groups, fdStep: 1e-2, signal: opts.signal, onCall: opts.onCall });
}

const bytesOf = (stats: ModelStatistics): Buffer => Buffer.concat([stats.lambdas, stats.l, stats.s, stats.b].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));

export async function saveStatistics(stats: ModelStatistics, meta: Omit<StatisticsMeta, 'version' | 'sha256' | 'nodes' | 'dim'>, root?: string): Promise<{ path: string; sha256: string }> {
  const file = statisticsPath(meta.digest, root);
  const body = bytesOf(stats);
  const header: StatisticsMeta = { version: 1, ...meta, nodes: stats.lambdas.length, dim: stats.dim, sha256: createHash('sha256').update(body).digest('hex') };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, Buffer.concat([Buffer.from(JSON.stringify(header) + '\n'), body]));
  return { path: file, sha256: header.sha256 };
}

/** The stored statistics of a pack, or null when none were estimated. A damaged file is an error naming it. */
export async function loadStatistics(digest: string, root?: string): Promise<{ stats: ModelStatistics; meta: StatisticsMeta } | null> {
  const file = statisticsPath(digest, root);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const damaged = () => new RangeError(`the DPM-Solver-v3 statistics ${file} are damaged; delete them or measure again`);
  const nl = bytes.indexOf(10);
  let meta: StatisticsMeta;
  try {
    meta = Meta.parse(JSON.parse(bytes.subarray(0, nl).toString('utf8'))) as StatisticsMeta;
  } catch {
    throw damaged();
  }
  const body = bytes.subarray(nl + 1);
  const { nodes: K, dim } = meta;
  if (meta.digest !== digest || body.byteLength !== 8 * (K + 3 * K * dim) || createHash('sha256').update(body).digest('hex') !== meta.sha256) throw damaged();
  const all = new Float64Array(body.byteLength / 8);
  new Uint8Array(all.buffer).set(body);
  const stats: ModelStatistics = { lambdas: all.subarray(0, K), dim, l: all.subarray(K, K + K * dim), s: all.subarray(K + K * dim, K + 2 * K * dim), b: all.subarray(K + 2 * K * dim) };
  try {
    checkStatistics(stats);
  } catch {
    throw damaged();
  }
  return { stats, meta };
}
