/**
 * Derived attention-memory UNets (memory.ts), made once per source model and kept in the user's
 * data folder; the user's own files are only ever read.
 *
 *   <data>/cache/attention-memory/<first 32 hex of SHA-256(source model.onnx's SHA-256, its path)>/
 *     model.onnx   the derived graph. Weights stay as the source stores them: inline tensors inline,
 *                  external ones with the source's own location, offset and length —
 *     weights.pb … — which resolve to hard links of the source's data files placed here (a copy
 *                  where the file system cannot link), so a 3.4 GB UNet costs no second 3.4 GB.
 *     layers.json  the layer map (MemoryInterface) with the source's fingerprint and the derived
 *                  model's digest; written last, so its presence marks a finished build.
 *
 * Keyed by the source's bytes *and* where it lives: two packs whose model.onnx files are identical
 * but whose external weights differ get a build each instead of rebuilding over each other.
 * A cached build is used when layers.json parses, was made by this surgery version, names the same
 * source digest and path, the source's data files still have the size, modification time and identity they
 * had, and the derived model still has its digest; anything else (a changed source, an interrupted
 * build, a corrupt file) rebuilds it. Builds write every file atomically (io/atomic.ts), so two
 * processes building at once each leave a complete, identical result.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import onnxProto from 'onnx-proto';
import { OnnxModel } from '../builder.js';
import { digestFile, externalLocations, fingerprint, removeBuilds } from '../derived-files.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { dataDir } from '../../models/paths.js';
import { addAttentionMemory, AttentionMemoryUnavailable, type MemoryInterface } from './memory.js';

/** Bumped whenever the surgery's output changes, so older cached builds are rebuilt. */
export const SURGERY_VERSION = 1;
const MODEL_FILE = 'model.onnx';
const MAP_FILE = 'layers.json';

/** A source data file as it was when the derived model was built. */
export interface ExternalDataFingerprint {
  location: string;
  bytes: number;
  mtimeMs: number;
  /** Inode (device:inode) — a replaced file gets a new one even with the same size and time. */
  identity: string;
  linked: boolean;
}

/** layers.json. */
export interface LayerMapFile extends MemoryInterface {
  version: number;
  source: { file: string; sha256: string; bytes: number; externalData: ExternalDataFingerprint[] };
  model: { file: string; sha256: string; bytes: number };
  /** Milliseconds the surgery took (load, rewrite, encode, write). */
  buildMs: number;
}

export interface DerivedModel {
  /** The cache folder of this source. */
  dir: string;
  /** The derived model.onnx (load it by path, so its external data resolves). */
  file: string;
  map: LayerMapFile;
  /** Whether this call built it (false: taken from the cache). */
  rebuilt: boolean;
}

export interface CacheOptions {
  /** The app's data folder (default: models/paths.ts's dataDir()). */
  dataDir?: string;
}

export function attentionMemoryCacheRoot(opts: CacheOptions = {}): string {
  return join(opts.dataDir ?? dataDir(), 'cache', 'attention-memory');
}

/**
 * The attention-memory model derived from the UNet at `source`: from the cache, or built now.
 * Throws AttentionMemoryUnavailable where the UNet has no self-attention the surgery recognises.
 */
export async function attentionMemoryModel(source: string, opts: CacheOptions = {}): Promise<DerivedModel> {
  const file = resolve(source);
  const sha256 = await digestFile(file);
  const root = attentionMemoryCacheRoot(opts);
  const dir = join(root, createHash('sha256').update(`${sha256}\0${file}`).digest('hex').slice(0, 32));
  const cached = await readValidMap(dir, file, sha256);
  if (cached) return { dir, file: join(dir, MODEL_FILE), map: cached, rebuilt: false };
  const map = await build(file, sha256, dir);
  await removeBuilds<LayerMapFile>(root, MAP_FILE, (m) => m.source?.file === file, dir);
  return { dir, file: join(dir, MODEL_FILE), map, rebuilt: true };
}

async function build(file: string, sha256: string, dir: string): Promise<LayerMapFile> {
  const t0 = performance.now();
  const model = await OnnxModel.load(file);
  const iface = addAttentionMemory(model);
  await mkdir(dir, { recursive: true });
  const externalData: ExternalDataFingerprint[] = [];
  for (const location of externalLocations(model.graph)) {
    const src = insideFolder(dirname(file), location);
    const dst = insideFolder(dir, location);
    await mkdir(dirname(dst), { recursive: true });
    const linked = await linkOrCopy(src, dst);
    externalData.push({ location, ...(await fingerprint(src)), linked });
  }
  const bytes = onnxProto.onnx.ModelProto.encode(model.proto).finish();
  if (bytes.byteLength > 2 ** 31 - 1) throw new Error(`the derived model is ${bytes.byteLength} bytes, over protobuf's 2 GiB limit`);
  await writeFileAtomic(join(dir, MODEL_FILE), bytes);
  const map: LayerMapFile = {
    version: SURGERY_VERSION,
    source: { file, sha256, bytes: (await stat(file)).size, externalData },
    model: { file: MODEL_FILE, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength },
    buildMs: Math.round(performance.now() - t0),
    ...iface,
  };
  await writeFileAtomic(join(dir, MAP_FILE), `${JSON.stringify(map, null, 1)}\n`);
  return map;
}

/** The cached map if everything it describes still holds, else undefined (see the module docstring). */
async function readValidMap(dir: string, file: string, sha256: string): Promise<LayerMapFile | undefined> {
  try {
    const map = JSON.parse(await readFile(join(dir, MAP_FILE), 'utf8')) as LayerMapFile;
    if (map.version !== SURGERY_VERSION || map.source?.sha256 !== sha256 || map.source.file !== file || !Array.isArray(map.layers)) return undefined;
    for (const e of map.source.externalData ?? []) {
      const now = await fingerprint(insideFolder(dirname(file), e.location));
      if (now.bytes !== e.bytes || now.mtimeMs !== e.mtimeMs || now.identity !== e.identity) return undefined;
      const here = await fingerprint(insideFolder(dir, e.location));
      if (here.bytes !== e.bytes || (e.linked && here.identity !== e.identity)) return undefined;
    }
    const model = join(dir, map.model.file);
    if ((await stat(model)).size !== map.model.bytes || (await digestFile(model)) !== map.model.sha256) return undefined;
    return map;
  } catch {
    return undefined; // missing, unreadable or malformed: rebuild
  }
}

/**
 * Remove every cached build whose source lies inside `folder` (a pack the user removed): its
 * derived model, the links to the pack's weights and its layer map. Returns how many were removed.
 */
export async function forgetAttentionMemory(folder: string, opts: CacheOptions = {}): Promise<number> {
  const inside = resolve(folder) + sep;
  return removeBuilds<LayerMapFile>(attentionMemoryCacheRoot(opts), MAP_FILE, (m) => typeof m.source?.file === 'string' && resolve(m.source.file).startsWith(inside));
}

/** `location` resolved under `folder`; refuses absolute paths and paths that climb out (as ONNX Runtime does). */
function insideFolder(folder: string, location: string): string {
  const norm = normalize(location);
  if (isAbsolute(location) || norm === '..' || norm.startsWith(`..${sep}`) || norm.startsWith('../')) {
    throw new AttentionMemoryUnavailable(`external data location '${location}' is outside the model's folder`);
  }
  return resolve(folder, norm);
}

/** Hard-link `src` at `dst` (atomically replacing it), or copy where linking fails (another device, FAT). Returns whether it linked. */
async function linkOrCopy(src: string, dst: string): Promise<boolean> {
  const tmp = `${dst}.${randomBytes(8).toString('hex')}.tmp`;
  let linked = true;
  try {
    try {
      await link(src, tmp);
    } catch {
      linked = false;
      await copyFile(src, tmp);
    }
    await rename(tmp, dst);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
  return linked;
}
