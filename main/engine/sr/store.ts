/**
 * Searched boundary conditions on disk, in the user's data folder (embedded packs are read-only
 * inside an installed app):
 *
 *   <data>/boundaries/<pack digest, 16 hex>/<sampler>-<steps>steps-<W>x<H>.json            the record
 *   <data>/boundaries/<pack digest, 16 hex>/<sampler>-<steps>steps-<W>x<H>.<sha, 16 hex>.f32 z, float32 LE
 *
 * keyed by what the x_T is a boundary condition *of*: the pack's weights and configs (its digest),
 * the sampler, the step count and the tile. The tensor is named by its own content and written
 * first, the record (which carries the tensor's sha256) replaces the old one atomically last, and
 * only then are older tensors of the key removed — so a process killed at any point leaves the
 * previous pair or the new one, whole, and a tensor that does not match its record is refused,
 * never used. (Records written before tensors were content-named point at `<…>.f32`; still read.)
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Tensor } from '../tensor.js';
import { numel } from '../tensor.js';
import { writeFileAtomic } from '../io/atomic.js';
import { dataDir } from '../models/paths.js';
import type { BoundaryRecord } from '../../api/contract.js';

/** Folders of a pack that do not change what it computes. */
const NOT_WEIGHTS = new Set(['test_vectors', 'calibration', '.git']);

const digestCache = new Map<string, { key: string; digest: string }>();

/**
 * sha256 over every file of the pack that shapes its output (weights, configs, tokenizer; not its
 * licences, readme or evaluation report), in path order, as (relative path, size, bytes). Cached
 * per folder while its files' sizes and times are unchanged — in memory and in
 * `<data>/boundaries/digests.json`, so a multi-gigabyte pack is read once, not at every upscale.
 */
export async function packDigest(dir: string, root?: string): Promise<string> {
  const files: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const e of (await readdir(path.join(dir, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) { if (!NOT_WEIGHTS.has(e.name)) await walk(r); }
      else if (e.isFile() && !/^(LICENSE|README)|^evaluation\.json$/i.test(e.name)) files.push(r);
    }
  };
  await walk('');
  const stats = await Promise.all(files.map((f) => stat(path.join(dir, f))));
  const key = files.map((f, i) => `${f}:${stats[i].size}:${stats[i].mtimeMs}`).join('|');
  const cached = digestCache.get(dir);
  if (cached?.key === key) return cached.digest;
  const file = path.join(boundariesDir(root), 'digests.json');
  const onDisk = await readFile(file, 'utf8').then((t) => JSON.parse(t) as Record<string, { key: string; digest: string }>).catch(() => ({} as Record<string, { key: string; digest: string }>));
  if (onDisk[dir]?.key === key && /^[0-9a-f]{64}$/.test(onDisk[dir].digest)) {
    digestCache.set(dir, onDisk[dir]);
    return onDisk[dir].digest;
  }
  const h = createHash('sha256');
  for (let i = 0; i < files.length; i++) {
    h.update(`${files[i]}\0${stats[i].size}\0`);
    for await (const chunk of createReadStream(path.join(dir, files[i]))) h.update(chunk as Buffer);
  }
  const digest = h.digest('hex');
  digestCache.set(dir, { key, digest });
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify({ ...onDisk, [dir]: { key, digest } }, null, 1) + '\n').catch(() => {}); // a cache: losing it costs one re-read
  return digest;
}

export interface BoundaryKey {
  digest: string;
  sampler: string;
  steps: number;
  tile: { width: number; height: number };
}

/** `<data>/boundaries`. */
export function boundariesDir(root?: string): string {
  return path.join(root ?? dataDir(), 'boundaries');
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');

/** Where a key's record lives, and its tensor for a given sha256 (the unnamed form: before tensors were content-named). */
export function boundaryPaths(key: BoundaryKey, root?: string, tensorSha256?: string): { tensor: string; record: string } {
  const base = path.join(boundariesDir(root), key.digest.slice(0, 16), `${safe(key.sampler)}-${key.steps}steps-${key.tile.width}x${key.tile.height}`);
  return { tensor: tensorSha256 ? `${base}.${tensorSha256.slice(0, 16)}.f32` : `${base}.f32`, record: `${base}.json` };
}

/** Remove the key's tensors other than `keep` (older searches'; a kill between writes leaves one behind). */
async function removeOtherTensors(recordPath: string, keep: string): Promise<void> {
  const dir = path.dirname(recordPath);
  const stem = path.basename(recordPath, '.json');
  const names = await readdir(dir).catch(() => [] as string[]);
  const others = names.filter((n) => n.startsWith(`${stem}.`) && /^([0-9a-f]{16}\.)?f32$/.test(n.slice(stem.length + 1)) && path.join(dir, n) !== keep);
  await Promise.all(others.map((n) => rm(path.join(dir, n), { force: true })));
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Store a search's result; returns the record's path. */
export async function saveBoundary(record: Omit<BoundaryRecord, 'tensorSha256'>, z: Tensor, root?: string): Promise<{ record: BoundaryRecord; path: string }> {
  if (numel(z.shape) !== z.data.length || z.shape.join() !== record.shape.join()) throw new RangeError('boundary tensor and record disagree on the shape');
  const key: BoundaryKey = { digest: record.pack.digest, sampler: record.sampler, steps: record.steps, tile: record.tile };
  const bytes = new Uint8Array(z.data.buffer, z.data.byteOffset, z.data.byteLength);
  const full: BoundaryRecord = { ...record, tensorSha256: sha256(bytes) };
  const paths = boundaryPaths(key, root, full.tensorSha256);
  await mkdir(path.dirname(paths.tensor), { recursive: true });
  await writeFileAtomic(paths.tensor, bytes);
  await writeFileAtomic(paths.record, JSON.stringify(full, null, 2) + '\n');
  await removeOtherTensors(paths.record, paths.tensor);
  return { record: full, path: paths.record };
}

/**
 * The stored boundary condition for a key, or undefined when none was searched. A record or
 * tensor that is damaged, or whose shape is not `shape`, is an error naming the file.
 */
export async function loadBoundary(key: BoundaryKey, shape: readonly number[], root?: string): Promise<{ record: BoundaryRecord; z: Tensor; path: string } | undefined> {
  const paths = boundaryPaths(key, root);
  let text: string;
  try {
    text = await readFile(paths.record, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let record: BoundaryRecord;
  try {
    record = JSON.parse(text) as BoundaryRecord;
  } catch {
    throw new RangeError(`the stored boundary condition ${paths.record} is damaged (not JSON); delete it or search again`);
  }
  if (!Array.isArray(record.shape) || record.shape.join() !== shape.join()) {
    throw new RangeError(`the stored boundary condition ${paths.record} has shape [${String(record.shape)}], not this model's tile [${shape.join(', ')}]; search again`);
  }
  const named = typeof record.tensorSha256 === 'string' && /^[0-9a-f]{64}$/.test(record.tensorSha256) ? boundaryPaths(key, root, record.tensorSha256).tensor : undefined;
  const tensorPath = named && (await stat(named).then(() => true, () => false)) ? named : paths.tensor;
  const bytes = await readFile(tensorPath).catch(() => undefined);
  if (!bytes || bytes.byteLength !== numel(shape) * 4 || sha256(bytes) !== record.tensorSha256) {
    throw new RangeError(`the stored boundary condition ${named ?? paths.tensor} is missing or does not match its record; search again`);
  }
  const data = new Float32Array(numel(shape));
  new Uint8Array(data.buffer).set(bytes);
  return { record, z: { data, shape: [...shape] }, path: paths.record };
}
