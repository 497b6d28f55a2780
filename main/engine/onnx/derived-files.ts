/**
 * What the caches of models derived from a user's ONNX file share (attention memory:
 * surgery/cache.ts; generated VJP models: vjp/cache.ts): the source's digest, the fingerprint of a
 * file it references, the external-data files a model names, and the removal of finished builds
 * whose record matches (a pack removed, an older build of the same source replaced). Each build is
 * a folder whose record file, written last, marks it finished.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';
import { subgraphsOf } from './surgery/graph.js';

/** SHA-256 of a file, read in 1 MiB chunks. */
export async function digestFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** A file as it is now: size, modification time and identity (a replaced file gets a new device:inode). */
export async function fingerprint(file: string): Promise<{ bytes: number; mtimeMs: number; identity: string }> {
  const s = await stat(file);
  return { bytes: s.size, mtimeMs: s.mtimeMs, identity: `${s.dev}:${s.ino}` };
}

/** Every external-data location a model's tensors name (initializers and attribute tensors, subgraphs included). */
export function externalLocations(g: onnx.IGraphProto): Set<string> {
  const out = new Set<string>();
  const visit = (graph: onnx.IGraphProto) => {
    const tensors: onnx.ITensorProto[] = [...(graph.initializer ?? [])];
    for (const n of graph.node ?? []) {
      for (const a of n.attribute ?? []) { if (a.t) tensors.push(a.t); tensors.push(...(a.tensors ?? [])); }
      for (const sub of subgraphsOf(n)) visit(sub);
    }
    for (const t of tensors) {
      if (t.dataLocation !== onnxProto.onnx.TensorProto.DataLocation.EXTERNAL) continue;
      const loc = (t.externalData ?? []).find((e) => e.key === 'location')?.value;
      if (loc) out.add(loc);
    }
  };
  visit(g);
  return out;
}

/**
 * Remove the finished builds under `root` whose record (`recordFile`, JSON) satisfies `match`, except
 * `keep`; unreadable or unfinished ones (being written by another process) are left alone. Returns
 * how many were removed.
 */
export async function removeBuilds<R>(root: string, recordFile: string, match: (record: Partial<R>) => boolean, keep?: string): Promise<number> {
  let removed = 0;
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const dir = join(root, name);
    if (dir === keep) continue;
    try {
      if (!match(JSON.parse(await readFile(join(dir, recordFile), 'utf8')) as Partial<R>)) continue;
    } catch {
      continue;
    }
    await rm(dir, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
