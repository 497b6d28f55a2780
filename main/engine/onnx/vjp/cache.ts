/**
 * Generated VJP models, made once per source model and request and kept in the user's data folder
 * beside the derived attention-memory models (surgery/cache.ts, whose pattern this follows); the
 * user's own files are only ever read.
 *
 *   <data>/cache/vjp/<first 32 hex of SHA-256(source digest, its path, output, inputs, version)>/
 *     model.onnx        the VJP model (vjp.ts), float32 where the source was float16;
 *     model.onnx_data   its weights when they are large (≥ 1 GiB: protobuf's 2 GiB limit; weights
 *                       that are widened from float16 or reordered cannot be linked from the source);
 *     vjp.json          the interface (input and output names), the source's fingerprint and the
 *                       model's digest; written last, so its presence marks a finished build.
 *
 * A cached build is used when vjp.json parses, was made by this generator version for the same
 * source digest, path and request, the source's external data files still have the size,
 * modification time and identity they had, and model.onnx still has its digest (and its data file
 * its size); anything else rebuilds it, and the builds of earlier versions of the same source file
 * for the same request are removed. `forgetVjpModels` removes every build made from a pack's folder
 * (when the pack is removed). Files are written atomically (model.onnx after its data,
 * vjp.json last), so two processes building at once each leave a complete, identical result.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { OnnxModel } from '../builder.js';
import { digestFile, externalLocations, fingerprint, removeBuilds } from '../derived-files.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { dataDir } from '../../models/paths.js';
import { vjpModel, type VjpModelInfo } from './index.js';
import type { VjpOptions } from './vjp.js';

/** Bumped whenever the generated graphs change, so older cached builds are rebuilt. */
export const VJP_VERSION = 3;
const MODEL_FILE = 'model.onnx';
const DATA_FILE = 'model.onnx_data';
const INFO_FILE = 'vjp.json';
const EXTERNAL_OVER = 2 ** 30;

interface FileFingerprint { location: string; bytes: number; mtimeMs: number; identity: string }

/** vjp.json. */
export interface VjpCacheFile extends VjpModelInfo {
  version: number;
  wrt: string[];
  source: { file: string; sha256: string; externalData: FileFingerprint[] };
  model: { file: string; sha256: string; bytes: number; dataBytes: number | null };
  buildMs: number;
}

export interface CachedVjp {
  dir: string;
  /** The VJP model (load it by path, so its external data resolves). */
  file: string;
  info: VjpCacheFile;
  rebuilt: boolean;
}

export function vjpCacheRoot(opts: { dataDir?: string } = {}): string {
  return join(opts.dataDir ?? dataDir(), 'cache', 'vjp');
}

/** The VJP model of the model at `source` for `request`: from the cache, or generated now (VjpUnsupported where it cannot be). */
export async function cachedVjpModel(source: string, request: VjpOptions, opts: { dataDir?: string } = {}): Promise<CachedVjp> {
  const file = resolve(source);
  const sha256 = await digestFile(file);
  const wrt = [...request.wrt];
  const outputs = typeof request.output === 'string' ? [request.output] : [...request.output];
  const key = JSON.stringify([sha256, file, outputs, wrt, VJP_VERSION]);
  const dir = join(vjpCacheRoot(opts), createHash('sha256').update(key).digest('hex').slice(0, 32));
  const cached = await readValid(dir, file, sha256);
  if (cached) return { dir, file: join(dir, MODEL_FILE), info: cached, rebuilt: false };
  const info = await build(file, sha256, wrt, outputs, dir);
  await removeBuilds<VjpCacheFile>(vjpCacheRoot(opts), INFO_FILE, (i) => i.source?.file === file && sameRequest(i, wrt, outputs), dir);
  return { dir, file: join(dir, MODEL_FILE), info, rebuilt: true };
}

/** Remove every cached VJP model made from a model inside `folder` (a pack being removed). Returns how many. */
export async function forgetVjpModels(folder: string, opts: { dataDir?: string } = {}): Promise<number> {
  const inside = resolve(folder) + sep;
  return removeBuilds<VjpCacheFile>(vjpCacheRoot(opts), INFO_FILE, (i) => typeof i.source?.file === 'string' && resolve(i.source.file).startsWith(inside));
}

const sameRequest = (i: Partial<VjpCacheFile>, wrt: readonly string[], outputs: readonly string[]) =>
  JSON.stringify(i.wrt) === JSON.stringify(wrt) && JSON.stringify(i.outputs) === JSON.stringify(outputs);

async function build(file: string, sha256: string, wrt: string[], output: string[], dir: string): Promise<VjpCacheFile> {
  const t0 = performance.now();
  const model = await OnnxModel.load(file);
  const externalData = await Promise.all([...externalLocations(model.graph)].map(async (location) => ({ location, ...(await fingerprint(join(dirname(file), location))) })));
  const iface = await vjpModel(model, { wrt, output });
  await mkdir(dir, { recursive: true });
  const target = join(dir, MODEL_FILE);
  const weightBytes = model.initializerNames().reduce((s, n) => {
    const { type, dims } = model.initializerInfo(n);
    return s + dims.reduce((a, b) => a * b, 1) * (type === 'float64' || type === 'int64' ? 8 : type === 'float16' ? 2 : 4);
  }, 0);
  const external = weightBytes >= EXTERNAL_OVER;
  if (external) await model.save(target, { externalData: { location: DATA_FILE } });
  else {
    await rm(join(dir, DATA_FILE), { force: true });
    await writeFileAtomic(target, await model.toBytes());
  }
  const info: VjpCacheFile = {
    ...iface, version: VJP_VERSION, wrt,
    source: { file, sha256, externalData },
    model: { file: MODEL_FILE, sha256: await digestFile(target), bytes: (await stat(target)).size, dataBytes: external ? (await stat(join(dir, DATA_FILE))).size : null },
    buildMs: Math.round(performance.now() - t0),
  };
  await writeFileAtomic(join(dir, INFO_FILE), `${JSON.stringify(info, null, 1)}\n`);
  return info;
}

async function readValid(dir: string, file: string, sha256: string): Promise<VjpCacheFile | undefined> {
  try {
    const info = JSON.parse(await readFile(join(dir, INFO_FILE), 'utf8')) as VjpCacheFile;
    if (info.version !== VJP_VERSION || info.source?.sha256 !== sha256 || info.source.file !== file) return undefined;
    for (const e of info.source.externalData ?? []) {
      const now = await fingerprint(join(dirname(file), e.location));
      if (now.bytes !== e.bytes || now.mtimeMs !== e.mtimeMs || now.identity !== e.identity) return undefined;
    }
    const model = join(dir, info.model.file);
    if ((await stat(model)).size !== info.model.bytes || (await digestFile(model)) !== info.model.sha256) return undefined;
    if (info.model.dataBytes !== null && (await stat(join(dir, DATA_FILE))).size !== info.model.dataBytes) return undefined;
    return info;
  } catch {
    return undefined; // missing, unreadable or malformed: rebuild
  }
}
