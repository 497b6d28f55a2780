/**
 * Known downloadable packs: public diffusers-layout ONNX exports on the Hugging Face hub.
 *
 * What is pinned here is only what was seen on the hub's own pages (each entry's `sources`):
 * repository, revision (a full commit id where one was shown), licence, the files and folders of
 * the export. Exact byte sizes and SHA-256s of the large files were not visible where we looked,
 * so `size` and `sha256` are null; `approxBytes` holds the hub's rounded display size, for
 * "about 5 GB" in the UI and never for verification.
 *
 * The exact list is fetched at download time from the hub's tree API,
 *   GET https://huggingface.co/api/models/<repo>/tree/<revision>?recursive=1
 * whose entries are `{ type: 'file' | 'directory', path, size, oid, lfs?: { oid, size, pointerSize } }`:
 * for files stored in LFS/Xet, `lfs.oid` is the SHA-256 of the content and `lfs.size` its size;
 * for small files `oid` is the git blob SHA-1, which the downloader also verifies.
 * `resolveCatalogFiles` merges that list with the pins here and fails if they disagree.
 */
import type { DownloadRequest, PackFile } from './downloads.js';

export const HF_ENDPOINT = 'https://huggingface.co';

export interface CatalogFile {
  path: string;
  /** Exact size in bytes, only where the exact number was seen. */
  size: number | null;
  /** SHA-256 (hex), only where it was seen. */
  sha256: string | null;
  /** The hub's rounded display size, for estimates. */
  approxBytes?: number;
}

export interface CatalogEntry {
  /** Stable id, also the default pack name. */
  id: string;
  title: string;
  /** What the pack layer should detect it as (see `PackFamily`). */
  family: 'sd1' | 'sd2' | 'turbo' | 'upscaler';
  repo: string;
  /** Commit id (pinned) or branch. */
  revision: string;
  /** The licence as the hub labels it, and the page that shows it. */
  licence: { name: string; url: string };
  /** Files known to be part of the export (from the hub's pages). */
  files: CatalogFile[];
  /**
   * Path prefixes (folders, or exact files) to take from the hub's tree at download time; any
   * file under them that `files` does not list is added with the tree's size and hash.
   */
  include: string[];
  /** The hub pages the facts above come from. */
  sources: string[];
  notes?: string;
}

const GB = 1e9;
const MB = 1e6;
const kB = 1e3;
const f = (path: string, approxBytes?: number): CatalogFile => ({ path, size: null, sha256: null, ...(approxBytes ? { approxBytes } : {}) });
const TOKENIZER = ['tokenizer/merges.txt', 'tokenizer/special_tokens_map.json', 'tokenizer/tokenizer_config.json', 'tokenizer/vocab.json'];

export const CATALOG: readonly CatalogEntry[] = [
  {
    id: 'sd-turbo',
    title: 'SD-Turbo (ONNX Runtime export)',
    family: 'turbo',
    repo: 'onnxruntime/sd-turbo',
    // "Add model files"; the one later commit (80d4d2e) only edits README.md.
    revision: '6d0b4c16d1606606694b58681a91b0edf1415268',
    licence: { name: 'sai-nc-community (Stability AI Non-Commercial Research Community License)', url: 'https://huggingface.co/onnxruntime/sd-turbo/blob/main/LICENSE' },
    files: [f('model_index.json', 595), f('LICENSE', 7.49 * kB)],
    include: ['model_index.json', 'LICENSE', 'scheduler/', 'text_encoder/', 'tokenizer/', 'unet/', 'vae_decoder/', 'vae_encoder/'],
    sources: [
      'https://huggingface.co/onnxruntime/sd-turbo/tree/6d0b4c16d1606606694b58681a91b0edf1415268',
      'https://huggingface.co/onnxruntime/sd-turbo/tree/main',
    ],
    notes: 'Optimized by Olive for ONNX Runtime (the README describes fp16 models for DirectML/CUDA); the file names inside the component folders were not visible and come from the tree API.',
  },
  {
    id: 'sd-1.5',
    title: 'Stable Diffusion 1.5 (ONNX)',
    family: 'sd1',
    repo: 'onnx-community/stable-diffusion-v1-5-ONNX',
    revision: 'main', // last commit seen: 90ff1f1 "Upload 13 files" (full id not shown)
    licence: { name: 'creativeml-openrail-m', url: 'https://huggingface.co/onnx-community/stable-diffusion-v1-5-ONNX' },
    files: [
      f('model_index.json', 670),
      f('text_encoder/model.onnx', 493 * MB),
      f('unet/model.onnx', 1.09 * MB),
      f('unet/weights.pb', 3.44 * GB),
      f('vae_encoder/model.onnx', 137 * MB),
    ],
    // feature_extractor/ and safety_checker/ are left out: the studio does not run the safety checker.
    include: ['model_index.json', 'scheduler/', 'text_encoder/', 'tokenizer/', 'unet/', 'vae_decoder/', 'vae_encoder/'],
    sources: [
      'https://huggingface.co/onnx-community/stable-diffusion-v1-5-ONNX/tree/main',
      'https://huggingface.co/onnx-community/stable-diffusion-v1-5-ONNX/tree/main/unet',
      'https://huggingface.co/onnx-community/stable-diffusion-v1-5-ONNX/tree/main/text_encoder',
      'https://huggingface.co/onnx-community/stable-diffusion-v1-5-ONNX/tree/main/vae_encoder',
    ],
    notes: 'fp32 diffusers export with the UNet weights as external data (unet/weights.pb); stored with Xet (the tree API still reports lfs.oid).',
  },
  {
    id: 'sd-2.1',
    title: 'Stable Diffusion 2.1 (ONNX, 768 px)',
    family: 'sd2',
    repo: 'julienkay/stable-diffusion-2-1',
    revision: 'main', // last commit seen: b45e6c3 "Update README.md"; model files from 82e7924 "add model"
    licence: { name: 'openrail++', url: 'https://huggingface.co/julienkay/stable-diffusion-2-1' },
    files: [
      f('model_index.json', 592),
      f('text_encoder/model.onnx', 1.36 * GB),
      f('tokenizer/merges.txt', 525 * kB),
      f('unet/model.onnx', 1.2 * MB),
      f('unet/weights.pb', 3.46 * GB),
      f('vae_decoder/model.onnx', 198 * MB),
    ],
    include: ['model_index.json', 'scheduler/', 'text_encoder/', 'tokenizer/', 'unet/', 'vae_decoder/', 'vae_encoder/'],
    sources: [
      'https://huggingface.co/julienkay/stable-diffusion-2-1/tree/main',
      'https://huggingface.co/julienkay/stable-diffusion-2-1/tree/main/unet',
      'https://huggingface.co/julienkay/stable-diffusion-2-1/tree/main/text_encoder',
      'https://huggingface.co/julienkay/stable-diffusion-2-1/tree/main/vae_decoder',
      'https://huggingface.co/julienkay/stable-diffusion-2-1/blob/main/tokenizer/merges.txt',
    ],
    notes: 'A community ONNX export of stabilityai/stable-diffusion-2-1 (v-prediction); the hub marks one file of the repository "suspicious" (its text encoder), as it does for most ONNX exports with external data — review before shipping.',
  },
  {
    id: 'sd-x4-upscaler',
    title: 'Stable Diffusion x4 upscaler (ONNX)',
    family: 'upscaler',
    repo: 'ssube/stable-diffusion-x4-upscaler-onnx',
    revision: 'cc4d9dc5a0d94a8245f15e970ac6be642c7b63cc',
    licence: { name: 'openrail++', url: 'https://huggingface.co/ssube/stable-diffusion-x4-upscaler-onnx' },
    files: [
      f('model_index.json', 480),
      f('README.md', 819),
      f('low_res_scheduler/scheduler_config.json', 344),
      f('scheduler/scheduler_config.json'),
      f('text_encoder/model.onnx', 1.36 * GB),
      ...TOKENIZER.map((p) => f(p)),
      f('unet/model.onnx'),
      f('unet/weights.pb'),
      f('vae/model.onnx'),
    ],
    include: ['model_index.json', 'README.md', 'low_res_scheduler/', 'scheduler/', 'text_encoder/', 'tokenizer/', 'unet/', 'vae/'],
    sources: [
      'https://huggingface.co/ssube/stable-diffusion-x4-upscaler-onnx/tree/cc4d9dc5a0d94a8245f15e970ac6be642c7b63cc',
      'https://huggingface.co/ssube/stable-diffusion-x4-upscaler-onnx/commit/cc4d9dc5a0d94a8245f15e970ac6be642c7b63cc',
      'https://huggingface.co/ssube/stable-diffusion-x4-upscaler-onnx/blob/cc4d9dc5a0d94a8245f15e970ac6be642c7b63cc/model_index.json',
      'https://huggingface.co/ssube/stable-diffusion-x4-upscaler-onnx/tree/main/text_encoder',
    ],
    notes:
      'Converted by onnx-web from stabilityai/stable-diffusion-x4-upscaler@19b610c (diffusers 0.11.1, StableDiffusionUpscalePipeline, max_noise_level 350). Its VAE is one ONNX model in vae/ (a decoder; the pipeline never encodes), not vae_decoder/, and it has a low_res_scheduler/: the pack inspector must accept that layout.',
  },
];

export function catalogEntry(id: string): CatalogEntry | undefined {
  return CATALOG.find((e) => e.id === id);
}

/** Rounded estimate of a pack's download size, from the catalog alone. */
export function approxDownloadBytes(entry: CatalogEntry): number {
  return entry.files.reduce((a, x) => a + (x.size ?? x.approxBytes ?? 0), 0);
}

const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');

/** `<endpoint>/<repo>/resolve/<revision>/` — the base URL a file's path is appended to. */
export function hubResolveBase(repo: string, revision: string, endpoint = HF_ENDPOINT): string {
  return `${endpoint.replace(/\/+$/, '')}/${encodePath(repo)}/resolve/${encodeURIComponent(revision)}/`;
}

/** The tree API listing every file of a revision. */
export function hubTreeUrl(repo: string, revision: string, endpoint = HF_ENDPOINT): string {
  return `${endpoint.replace(/\/+$/, '')}/api/models/${encodePath(repo)}/tree/${encodeURIComponent(revision)}?recursive=1`;
}

export interface HubTreeEntry {
  type: 'file' | 'directory';
  path: string;
  size: number;
  /** Git object id (SHA-1 of the blob for files). */
  oid: string;
  lfs?: { oid: string; size: number; pointerSize?: number };
}

export interface HubOptions {
  endpoint?: string;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

/** Every entry of `repo@revision`, following the API's `Link: <…>; rel="next"` pagination. */
export async function fetchHubTree(repo: string, revision: string, opts: HubOptions = {}): Promise<HubTreeEntry[]> {
  const fetchImpl = opts.fetch ?? fetch;
  const out: HubTreeEntry[] = [];
  let url: string | null = hubTreeUrl(repo, revision, opts.endpoint);
  for (let page = 0; url && page < 100; page++) {
    const res: Response = await fetchImpl(url, { headers: { accept: 'application/json', ...opts.headers }, signal: opts.signal });
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`Listing ${repo}@${revision} failed: HTTP ${res.status} ${res.statusText}`);
    }
    const body: unknown = await res.json();
    if (!Array.isArray(body)) throw new Error(`Listing ${repo}@${revision}: the hub answered something other than a list.`);
    for (const e of body as HubTreeEntry[]) {
      if (e && (e.type === 'file' || e.type === 'directory') && typeof e.path === 'string') out.push(e);
    }
    const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '');
    url = next ? new URL(next[1], url).toString() : null;
  }
  return out;
}

const under = (p: string, prefixes: readonly string[]) => prefixes.some((x) => (x.endsWith('/') ? p.startsWith(x) : p === x));

/**
 * The exact file list of a catalog pack: the hub's tree (sizes, SHA-256 from `lfs.oid`, git blob
 * SHA-1 from `oid`) restricted to the entry's `include`, checked against the entry's own pins.
 */
export function resolveCatalogFiles(entry: CatalogEntry, tree: readonly HubTreeEntry[]): PackFile[] {
  const files = new Map<string, HubTreeEntry>();
  for (const e of tree) if (e.type === 'file') files.set(e.path, e);
  const out: PackFile[] = [];
  for (const pinned of entry.files) {
    if (!files.has(pinned.path)) throw new Error(`${entry.repo}@${entry.revision} no longer has ${pinned.path}; the catalog entry "${entry.id}" is out of date.`);
  }
  const paths = [...files.keys()].filter((p) => under(p, entry.include)).sort();
  for (const p of paths) {
    const e = files.get(p)!;
    const pin = entry.files.find((x) => x.path === p);
    const size = e.lfs?.size ?? e.size;
    const sha256 = e.lfs?.oid ?? null;
    if (pin?.size != null && pin.size !== size) throw new Error(`${entry.repo}: ${p} is ${size} bytes on the hub, the catalog pins ${pin.size}.`);
    if (pin?.sha256 && sha256 && pin.sha256.toLowerCase() !== sha256.toLowerCase()) {
      throw new Error(`${entry.repo}: ${p} has SHA-256 ${sha256} on the hub, the catalog pins ${pin.sha256}.`);
    }
    out.push({
      path: p,
      size,
      sha256: pin?.sha256 ?? sha256,
      // Only non-LFS files have the content's git blob id as `oid`.
      gitBlobSha1: !e.lfs && /^[0-9a-f]{40}$/i.test(e.oid) ? e.oid : null,
    });
  }
  if (!out.length) throw new Error(`${entry.repo}@${entry.revision}: no files matched the catalog entry "${entry.id}".`);
  return out;
}

/** Everything `downloadPack` needs for a catalog entry: the tree fetched now, merged with the pins. */
export async function catalogDownloadRequest(entry: CatalogEntry, opts: HubOptions & { name?: string } = {}): Promise<DownloadRequest> {
  const tree = await fetchHubTree(entry.repo, entry.revision, opts);
  return {
    name: opts.name ?? entry.id,
    baseUrl: hubResolveBase(entry.repo, entry.revision, opts.endpoint),
    files: resolveCatalogFiles(entry, tree),
    origin: `${entry.id} (${entry.repo}@${entry.revision})`,
  };
}
