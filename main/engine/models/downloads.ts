/**
 * Download a model pack file by file into `<models>/.downloads/<name>/`, then hand the finished
 * folder to the registry — which adds it only after every file has been verified.
 *
 * Per file:
 * - bytes go to `<file>.part`, written at explicit offsets and hashed (SHA-256) as they arrive;
 * - an existing `.part` is resumed with `Range: bytes=N-`: a 206 whose `Content-Range` starts at
 *   N continues it, a 200 (the server ignored the range) or a 206 at another offset restarts the
 *   file from zero, a 416 means the part may already be whole;
 * - transient failures (connection errors, a body cut short, 408/425/429/5xx, a stalled stream)
 *   are retried with exponential backoff and jitter, resuming where the bytes on disk end; the
 *   retry counter restarts whenever an attempt made progress;
 * - when the bytes are all there: size check, SHA-256 (and, for small hub files that only have a
 *   git object id, the git blob SHA-1); a mismatch deletes the part file and fails with a message
 *   that names the file and both hashes; otherwise fsync and an atomic rename to the final name.
 * A finished file is never downloaded again (it was renamed only after it verified).
 *
 * Cancellation (AbortSignal) stops at once and keeps the `.part` files, so a later call resumes;
 * `discardDownload` deletes them. Uses Node's built-in fetch (undici) and nothing else.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { InstalledPack, ModelRegistry } from './registry.js';
import { assertPackName, DOWNLOADS_DIR, renameWithRetry } from './registry.js';

export interface PackFile {
  /** Path inside the pack, with `/` separators (e.g. `unet/model.onnx`). */
  path: string;
  /** Absolute URL; defaults to `baseUrl` + the path. */
  url?: string;
  /** Expected size in bytes, when known. */
  size?: number | null;
  /** Expected SHA-256 (hex), when known. On the Hugging Face hub: the LFS object id. */
  sha256?: string | null;
  /** Expected git blob SHA-1 (hex) — what the hub reports as `oid` for files not stored in LFS. */
  gitBlobSha1?: string | null;
}

export interface DownloadRequest {
  /** The pack's name in the registry (and its folder name). */
  name: string;
  /** Files are fetched from `baseUrl` + their path (the base gets a trailing `/`). */
  baseUrl: string;
  files: readonly PackFile[];
  /** Recorded in the registry entry (catalog id, repository@revision). */
  origin?: string;
}

export type DownloadPhase = 'starting' | 'downloading' | 'retrying' | 'verifying' | 'file-done' | 'done';

export interface DownloadProgress {
  name: string;
  phase: DownloadPhase;
  /** The current file's path and index (0-based) among `fileCount`. */
  file: string;
  fileIndex: number;
  fileCount: number;
  fileBytes: number;
  /** Null while the file's size is unknown. */
  fileTotal: number | null;
  /** Bytes on disk over the whole pack (finished files + parts). */
  bytes: number;
  /** Null while any file's size is unknown. */
  total: number | null;
  /** Network throughput over the last few seconds (bytes/s). */
  bytesPerSecond: number;
  /** For 'retrying': the failed attempt's reason, the retry number and the wait before it. */
  error?: string;
  retry?: number;
  retryInMs?: number;
}

export interface DownloadOptions {
  registry: ModelRegistry;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Retries per file after transient failures without progress (default 5). */
  retries?: number;
  /** First backoff delay (default 1000 ms), doubled per retry, capped at `maxBackoffMs` (default 30 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** An attempt that receives nothing for this long is abandoned and retried (default 60 s). */
  stallTimeoutMs?: number;
  /** Minimum time between 'downloading' events (default 250 ms). */
  progressIntervalMs?: number;
  /** Extra request headers (e.g. an `Authorization` bearer token for gated repositories). */
  headers?: Record<string, string>;
  /** Refuse to start when the file system has less free space than what is left (default true). */
  checkDiskSpace?: boolean;
  /**
   * The most bytes one file may bring when neither the request nor the server says its size
   * (default `MAX_UNSIZED_FILE_BYTES`): a server that streams without end must not fill the disk.
   */
  maxUnsizedBytes?: number;
  /** Validate the finished folder with the registry's validator before installing (default true). */
  validate?: boolean;
  /** Injectable for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** 32 GiB: above the largest single file of any pack the studio runs (an SDXL UNet in fp32 is about 10 GB). */
export const MAX_UNSIZED_FILE_BYTES = 32 * 1024 ** 3;

export type DownloadErrorCode = 'checksum' | 'size' | 'http' | 'network' | 'disk' | 'busy' | 'exists' | 'invalid-request';

export class DownloadError extends Error {
  override readonly name = 'DownloadError';
  constructor(
    readonly code: DownloadErrorCode,
    message: string,
    readonly transient = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Where a download's files are kept until the pack is installed. */
export function downloadDir(registry: ModelRegistry, name: string): string {
  assertPackName(name);
  return path.join(registry.root, DOWNLOADS_DIR, name);
}

/** Forget a download: delete its finished and partial files. */
export async function discardDownload(registry: ModelRegistry, name: string): Promise<void> {
  if (active.has(key(registry, name))) throw new DownloadError('busy', `"${name}" is still downloading; cancel it first.`);
  await fsp.rm(downloadDir(registry, name), { recursive: true, force: true });
}

const active = new Set<string>();
const key = (registry: ModelRegistry, name: string) => `${registry.root}\0${name.toLowerCase()}`;

/** Download every file of a pack, verify each, then install the pack in the registry. */
export async function downloadPack(req: DownloadRequest, opts: DownloadOptions): Promise<InstalledPack> {
  const { registry } = opts;
  assertPackName(req.name);
  const files = checkFiles(req.files);
  if (await registry.get(req.name)) {
    throw new DownloadError('exists', `A pack named "${req.name}" is already installed; remove it or download under another name.`);
  }
  const k = key(registry, req.name);
  if (active.has(k)) throw new DownloadError('busy', `"${req.name}" is already being downloaded.`);
  active.add(k);
  try {
    const dir = downloadDir(registry, req.name);
    await fsp.mkdir(dir, { recursive: true });
    const run = new Run(req, files, dir, opts);
    await run.start();
    for (let i = 0; i < files.length; i++) await run.file(i);
    run.emit('done', files.length - 1, true);
    return await registry.installStaged(req.name, dir, { source: 'downloaded', origin: req.origin, validate: opts.validate ?? true });
  } finally {
    active.delete(k);
  }
}

/** Paths must stay inside the pack: relative, `/`-separated, no `.`/`..`/empty segments, unique. */
function checkFiles(files: readonly PackFile[]): PackFile[] {
  if (!files.length) throw new DownloadError('invalid-request', 'The download lists no files.');
  const seen = new Set<string>();
  for (const f of files) {
    const segs = f.path.split('/');
    const bad =
      !f.path ||
      f.path.includes('\\') ||
      f.path.includes('\0') ||
      path.posix.isAbsolute(f.path) ||
      /^[A-Za-z]:/.test(f.path) ||
      segs.some((s) => s === '' || s === '.' || s === '..') ||
      f.path.endsWith('.part');
    if (bad) throw new DownloadError('invalid-request', `Refusing file path ${JSON.stringify(f.path)}: it must be a plain relative path inside the pack.`);
    if (seen.has(f.path.toLowerCase())) throw new DownloadError('invalid-request', `File ${f.path} is listed twice.`);
    seen.add(f.path.toLowerCase());
    if (f.sha256 && !/^[0-9a-fA-F]{64}$/.test(f.sha256)) throw new DownloadError('invalid-request', `${f.path}: sha256 must be 64 hex digits.`);
    if (f.gitBlobSha1 && !/^[0-9a-fA-F]{40}$/.test(f.gitBlobSha1)) throw new DownloadError('invalid-request', `${f.path}: gitBlobSha1 must be 40 hex digits.`);
    if (f.size != null && !(Number.isSafeInteger(f.size) && f.size >= 0)) throw new DownloadError('invalid-request', `${f.path}: bad size ${f.size}.`);
  }
  return [...files];
}

const TRANSIENT_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Errors from the file system (disk full, permissions) are not worth retrying; network ones are. */
function isTransient(e: unknown): boolean {
  if (e instanceof DownloadError) return e.transient;
  const err = e as NodeJS.ErrnoException | undefined;
  if (err && typeof err.syscall === 'string' && ['open', 'write', 'read', 'rename', 'fsync', 'ftruncate', 'mkdir', 'close'].includes(err.syscall)) return false;
  return true;
}

function describe(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const cause = err?.cause ? ` (${err.cause.code ?? err.cause.message ?? String(err.cause)})` : '';
  return `${err?.message ?? String(e)}${cause}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function sizeOf(p: string): Promise<number | null> {
  try {
    return (await fsp.stat(p)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

async function hashFile(file: string, hash: Hash, signal?: AbortSignal): Promise<void> {
  for await (const chunk of createReadStream(file, { signal })) hash.update(chunk as Buffer);
}

/** Parse `Content-Range: bytes a-b/total`, or the unsatisfied-range form `bytes *\/total`. */
function parseContentRange(h: string | null): { start: number | null; total: number | null } | null {
  if (!h) return null;
  const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(h.trim());
  if (!m) return null;
  return { start: m[1] !== undefined ? Number(m[1]) : null, total: m[3] === '*' ? null : Number(m[3]) };
}

/** One call of `downloadPack`: the progress bookkeeping and the per-file state machine. */
class Run {
  private readonly fetchImpl: typeof fetch;
  /** Bytes on disk per file; known sizes per file (from the request, else the server). */
  private readonly have: number[];
  private readonly sizes: (number | null)[];
  private readonly samples: { t: number; n: number }[] = [];
  private netBytes = 0;
  private lastEmit = 0;
  /** SHA-256 of the current file's part, always over exactly its bytes on disk. */
  private hash: Hash = createHash('sha256');

  constructor(
    private readonly req: DownloadRequest,
    private readonly files: PackFile[],
    private readonly dir: string,
    private readonly opts: DownloadOptions,
  ) {
    this.fetchImpl = opts.fetch ?? fetch;
    this.have = files.map(() => 0);
    this.sizes = files.map((f) => f.size ?? null);
  }

  private final(i: number) {
    return path.join(this.dir, ...this.files[i].path.split('/'));
  }

  /** Take stock of what earlier runs left, and check there is room for the rest. */
  async start(): Promise<void> {
    for (let i = 0; i < this.files.length; i++) {
      const done = await sizeOf(this.final(i));
      if (done !== null && (this.sizes[i] === null || done === this.sizes[i])) {
        this.have[i] = done;
        this.sizes[i] = done;
      } else {
        if (done !== null) await fsp.rm(this.final(i), { force: true }); // wrong size: not ours
        this.have[i] = Math.min((await sizeOf(this.final(i) + '.part')) ?? 0, this.sizes[i] ?? Infinity);
      }
    }
    const total = this.total();
    if (total !== null && (this.opts.checkDiskSpace ?? true)) {
      const need = total - this.have.reduce((a, b) => a + b, 0);
      const fs = await fsp.statfs(this.dir).catch(() => null);
      if (fs && need > fs.bavail * fs.bsize) {
        const gb = (n: number) => (n / 1e9).toFixed(2);
        throw new DownloadError('disk', `Not enough disk space for "${this.req.name}": ${gb(need)} GB to download, ${gb(fs.bavail * fs.bsize)} GB free at ${this.dir}.`);
      }
    }
    this.emit('starting', 0, true);
  }

  private total(): number | null {
    return this.sizes.every((s) => s !== null) ? (this.sizes as number[]).reduce((a, b) => a + b, 0) : null;
  }

  private speed(now: number): number {
    while (this.samples.length > 1 && now - this.samples[0].t > 3000) this.samples.shift();
    const first = this.samples[0];
    if (!first || now - first.t < 1) return 0;
    return ((this.netBytes - first.n) * 1000) / (now - first.t);
  }

  emit(phase: DownloadPhase, i: number, force = false, extra: Partial<DownloadProgress> = {}): void {
    const now = performance.now();
    if (!this.samples.length || now - this.samples[this.samples.length - 1].t >= 100) this.samples.push({ t: now, n: this.netBytes });
    if (!this.opts.onProgress) return;
    if (!force && now - this.lastEmit < (this.opts.progressIntervalMs ?? 250)) return;
    this.lastEmit = now;
    this.opts.onProgress({
      name: this.req.name,
      phase,
      file: this.files[i].path,
      fileIndex: i,
      fileCount: this.files.length,
      fileBytes: this.have[i],
      fileTotal: this.sizes[i],
      bytes: this.have.reduce((a, b) => a + b, 0),
      total: this.total(),
      bytesPerSecond: this.speed(now),
      ...extra,
    });
  }

  private url(f: PackFile): string {
    if (f.url) return f.url;
    const base = this.req.baseUrl.endsWith('/') ? this.req.baseUrl : this.req.baseUrl + '/';
    return new URL(f.path.split('/').map(encodeURIComponent).join('/'), base).toString();
  }

  /** Fetch, verify and rename one file (skipped when an earlier run finished it). */
  async file(i: number): Promise<void> {
    const f = this.files[i];
    const final = this.final(i);
    if ((await sizeOf(final)) !== null) {
      this.emit('file-done', i, true);
      return;
    }
    const part = final + '.part';
    await fsp.mkdir(path.dirname(final), { recursive: true });
    const signal = this.opts.signal;
    signal?.throwIfAborted();

    // The hash always covers exactly the bytes of the part file; rebuild it from what is on disk.
    this.hash = createHash('sha256');
    let offset = this.have[i];
    if (offset > 0) {
      await fsp.truncate(part, offset); // a part longer than the expected size is cut back
      await hashFile(part, this.hash, signal);
    }

    const retries = this.opts.retries ?? 5;
    let failures = 0;
    let restarts = 0;
    for (;;) {
      const size = this.sizes[i];
      if (size !== null && offset === size) break; // whole; nothing left to fetch
      const before = offset;
      try {
        const r = await this.attempt(i, part, offset);
        offset = r.offset;
        if (r.restarted) {
          if (++restarts > 3) throw new DownloadError('network', `${f.path}: the server keeps answering with byte ranges that were not asked for.`);
          continue;
        }
        break;
      } catch (e) {
        offset = this.have[i]; // bytes on disk, hashed
        if (signal?.aborted) throw signal.reason;
        if (!isTransient(e)) throw e;
        if (offset > before) failures = 0;
        failures++;
        if (failures > retries) {
          throw new DownloadError('network', `Downloading ${f.path} failed after ${retries} ${retries === 1 ? 'retry' : 'retries'}: ${describe(e)}`, false, { cause: e });
        }
        const base = this.opts.backoffMs ?? 1000;
        const wait = Math.min(this.opts.maxBackoffMs ?? 30_000, base * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
        this.emit('retrying', i, true, { error: describe(e), retry: failures, retryInMs: Math.round(wait) });
        await sleep(wait, signal);
      }
    }

    this.emit('verifying', i, true);
    const size = this.sizes[i];
    if (f.size != null && offset !== f.size) {
      await fsp.rm(part, { force: true });
      this.have[i] = 0;
      throw new DownloadError('size', `${f.path}: expected ${f.size} bytes, received ${offset}. The partial file was deleted; try again.`);
    }
    const digest = this.hash.digest('hex');
    if (f.sha256 && digest !== f.sha256.toLowerCase()) {
      await fsp.rm(part, { force: true });
      this.have[i] = 0;
      throw new DownloadError(
        'checksum',
        `${f.path}: checksum mismatch — expected SHA-256 ${f.sha256.toLowerCase()}, got ${digest}. The partial file was deleted; try again (if it fails again, the source has changed).`,
      );
    }
    if (f.gitBlobSha1) {
      const git = createHash('sha1').update(`blob ${size ?? offset}\0`);
      await hashFile(part, git, signal);
      const got = git.digest('hex');
      if (got !== f.gitBlobSha1.toLowerCase()) {
        await fsp.rm(part, { force: true });
        this.have[i] = 0;
        throw new DownloadError('checksum', `${f.path}: checksum mismatch — expected git blob SHA-1 ${f.gitBlobSha1.toLowerCase()}, got ${got}. The partial file was deleted; try again.`);
      }
    }
    if (offset === 0) await fsp.writeFile(part, new Uint8Array(0), { flag: 'a' }); // empty files have no part yet
    const fh = await fsp.open(part, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await renameWithRetry(part, final);
    this.sizes[i] = offset;
    this.emit('file-done', i, true);
  }

  /**
   * One HTTP request for the rest of file i, appended to the part file from `offset`.
   * Returns the new offset, or `restarted` with a fresh hash when the server sent the whole file
   * (or a range that does not start at `offset`) and the part must start over.
   */
  private async attempt(i: number, part: string, offset: number): Promise<{ offset: number; restarted?: boolean }> {
    const f = this.files[i];
    const url = this.url(f);
    const stall = new AbortController();
    const stallMs = this.opts.stallTimeoutMs ?? 60_000;
    let timer = setTimeout(() => stall.abort(new DownloadError('network', `no data for ${stallMs} ms`, true)), stallMs);
    const kick = () => {
      clearTimeout(timer);
      timer = setTimeout(() => stall.abort(new DownloadError('network', `no data for ${stallMs} ms`, true)), stallMs);
    };
    const signal = this.opts.signal ? AbortSignal.any([this.opts.signal, stall.signal]) : stall.signal;
    const headers: Record<string, string> = { ...this.opts.headers, 'accept-encoding': 'identity' };
    if (offset > 0) headers.range = `bytes=${offset}-`;

    let res: Response | undefined;
    let fh: fsp.FileHandle | undefined;
    try {
      try {
        res = await this.fetchImpl(url, { headers, signal, redirect: 'follow' });
      } catch (e) {
        throw stall.signal.aborted && !this.opts.signal?.aborted ? stall.signal.reason : e;
      }
      kick();
      let start = 0;
      let total: number | null = null;
      if (res.status === 206) {
        const cr = parseContentRange(res.headers.get('content-range'));
        if (!cr || cr.start !== offset) {
          // A range we did not ask for: start the file over rather than splice mismatched bytes.
          await res.body?.cancel().catch(() => {});
          return this.restart(i, part);
        }
        start = offset;
        total = cr.total;
      } else if (res.status === 200) {
        if (offset > 0) {
          // The server ignored the Range header and sends the whole file: start over from zero.
          await fsp.truncate(part, 0);
          this.have[i] = 0;
          this.hash = createHash('sha256');
          offset = 0;
          this.emit('downloading', i, true); // shows the file starting over
        }
        const len = res.headers.get('content-length');
        total = len !== null && /^\d+$/.test(len) ? Number(len) : null;
      } else if (res.status === 416 && offset > 0) {
        await res.body?.cancel().catch(() => {});
        const cr = parseContentRange(res.headers.get('content-range'));
        if (cr?.total === offset) {
          this.sizes[i] = offset; // the part is already whole
          return { offset };
        }
        return this.restart(i, part);
      } else {
        await res.body?.cancel().catch(() => {});
        throw new DownloadError('http', `${f.path}: the server answered HTTP ${res.status} ${res.statusText} for ${url}`, TRANSIENT_STATUS.has(res.status));
      }
      if (total !== null) {
        if (f.size != null && total !== f.size) {
          await res.body?.cancel().catch(() => {});
          throw new DownloadError('size', `${f.path}: the server has ${total} bytes, the catalog expects ${f.size}; the source has changed.`);
        }
        this.sizes[i] = total;
      }
      if (!res.body) throw new DownloadError('network', `${f.path}: the response has no body`, true);

      fh = await fsp.open(part, offset === 0 ? 'w' : 'r+');
      let pos = start;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        kick();
        const limit = this.sizes[i];
        if (limit !== null && pos + chunk.byteLength > limit) {
          throw new DownloadError('size', `${f.path}: the server sent more than the expected ${limit} bytes.`);
        }
        const cap = this.opts.maxUnsizedBytes ?? MAX_UNSIZED_FILE_BYTES;
        if (limit === null && pos + chunk.byteLength > cap) {
          throw new DownloadError('size', `${f.path}: the server gave no size and sent more than ${cap} bytes, the most one file of a pack may have; the download was stopped.`);
        }
        await fh.write(chunk, 0, chunk.byteLength, pos);
        this.hash.update(chunk);
        pos += chunk.byteLength;
        this.have[i] = pos;
        this.netBytes += chunk.byteLength;
        this.emit('downloading', i);
      }
      const size = this.sizes[i];
      if (size !== null && pos < size) throw new DownloadError('network', `${f.path}: the connection closed after ${pos} of ${size} bytes`, true);
      return { offset: pos };
    } catch (e) {
      if (stall.signal.aborted && !this.opts.signal?.aborted) throw stall.signal.reason;
      throw e;
    } finally {
      clearTimeout(timer);
      await fh?.close().catch(() => {});
    }
  }

  private async restart(i: number, part: string): Promise<{ offset: number; restarted: true }> {
    await fsp.rm(part, { force: true });
    this.have[i] = 0;
    this.hash = createHash('sha256');
    return { offset: 0, restarted: true };
  }
}
