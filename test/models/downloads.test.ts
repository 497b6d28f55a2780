import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CatalogEntry, HubTreeEntry } from '../../main/engine/models/catalog.js';
import { catalogDownloadRequest, CATALOG, fetchHubTree, hubTreeUrl, resolveCatalogFiles } from '../../main/engine/models/catalog.js';
import type { DownloadProgress, DownloadRequest, PackFile } from '../../main/engine/models/downloads.js';
import { discardDownload, DownloadError, downloadDir, downloadPack } from '../../main/engine/models/downloads.js';
import { ModelRegistry } from '../../main/engine/models/registry.js';

// ---------------------------------------------------------------------------------------------
// A local file server on 127.0.0.1 with Range support and scripted misbehaviour.

interface Behaviour {
  /** Send this many body bytes of the next `cutTimes` responses, then destroy the socket. */
  cutAfter?: number;
  cutTimes?: number;
  /** Answer 200 with the whole file even when a Range is asked for. */
  ignoreRange?: boolean;
  /** Answer this status for the next `failTimes` requests. */
  failStatus?: number;
  failTimes?: number;
  /** Send headers and `stallAfter` bytes, then nothing (until the client gives up). */
  stallAfter?: number;
  /** Send the whole file without Content-Length (chunked): the size is unknown until the end. */
  noLength?: boolean;
}

const files = new Map<string, Buffer>();
const behaviour = new Map<string, Behaviour>();
const log: { path: string; range: string | undefined; status: number }[] = [];
let tree: HubTreeEntry[] = [];
let server: http.Server;
let origin = '';
const REPO = 'org/tiny';
const REV = 'main';
const PREFIX = `/${REPO}/resolve/${REV}/`;

function serve(req: http.IncomingMessage, res: http.ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === `/api/models/${REPO}/tree/${REV}`) {
    // Two pages, linked the way the hub paginates.
    const page = url.searchParams.get('cursor') === '2' ? 2 : 1;
    const half = Math.ceil(tree.length / 2);
    if (page === 1) res.setHeader('link', `<${origin}/api/models/${REPO}/tree/${REV}?recursive=1&cursor=2>; rel="next"`);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(page === 1 ? tree.slice(0, half) : tree.slice(half)));
    return;
  }
  const file = url.pathname.startsWith(PREFIX) ? decodeURIComponent(url.pathname.slice(PREFIX.length)) : '';
  const body = files.get(file);
  const range = req.headers.range;
  const b = behaviour.get(file) ?? {};
  const status = (s: number) => log.push({ path: file, range, status: s });
  if (!body) {
    status(404);
    res.writeHead(404).end('not found');
    return;
  }
  if (b.failStatus && (b.failTimes ?? 0) > 0) {
    b.failTimes!--;
    status(b.failStatus);
    res.writeHead(b.failStatus).end('try later');
    return;
  }
  let start = 0;
  const m = range && !b.ignoreRange ? /^bytes=(\d+)-$/.exec(range) : null;
  if (m) {
    start = Number(m[1]);
    if (start >= body.length) {
      status(416);
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    status(206);
    res.writeHead(206, {
      'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
      'content-length': body.length - start,
      'accept-ranges': 'bytes',
    });
  } else {
    status(200);
    res.writeHead(200, b.noLength ? {} : { 'content-length': body.length, 'accept-ranges': 'bytes' });
  }
  const rest = body.subarray(start);
  if (b.cutAfter !== undefined && (b.cutTimes ?? 1) > 0) {
    b.cutTimes = (b.cutTimes ?? 1) - 1;
    // Let the bytes reach the client before the socket dies.
    res.write(rest.subarray(0, b.cutAfter), () => setTimeout(() => res.destroy(), 60));
    return;
  }
  if (b.stallAfter !== undefined) {
    res.write(rest.subarray(0, b.stallAfter));
    return; // never ends; the client's stall timer fires
  }
  res.end(rest);
}

beforeAll(async () => {
  server = http.createServer(serve);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

// ---------------------------------------------------------------------------------------------

let tmp: string;
let registry: ModelRegistry;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const gitBlob = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const BIG = 'unet/model.onnx';
const N = 100_000;

beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'driftline-downloads-'));
  registry = new ModelRegistry({ root: path.join(tmp, 'models') });
  files.clear();
  behaviour.clear();
  log.length = 0;
  files.set('model_index.json', Buffer.from(JSON.stringify({ _class_name: 'StableDiffusionPipeline', _name_or_path: 'org/tiny' })));
  files.set('scheduler/scheduler_config.json', Buffer.from('{"num_train_timesteps":1000}'));
  files.set(BIG, randomBytes(300_000));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function request(name = 'tiny', over: Partial<Record<string, Partial<PackFile>>> = {}): DownloadRequest {
  return {
    name,
    baseUrl: `${origin}${PREFIX}`,
    origin: 'test',
    files: [...files.keys()].map((p) => ({ path: p, size: files.get(p)!.length, sha256: sha256(files.get(p)!), ...over[p] })),
  };
}

const fast = { retries: 0, backoffMs: 5, progressIntervalMs: 0 };
const partOf = (name: string, p: string) => path.join(downloadDir(registry, name), ...p.split('/')) + '.part';
const sizeOrNull = (p: string) => fsp.stat(p).then((s) => s.size, () => null);

async function expectInstalledIntact(name = 'tiny') {
  const pack = (await registry.list()).find((p) => p.name === name);
  expect(pack).toMatchObject({ source: 'downloaded', missing: false });
  for (const [p, body] of files) expect(sha256(await fsp.readFile(path.join(pack!.path, ...p.split('/'))))).toBe(sha256(body));
  await expect(fsp.stat(downloadDir(registry, name))).rejects.toThrow(); // staging moved into place
  return pack!;
}

describe('downloadPack', () => {
  it('downloads every file, reports progress per file and overall, and installs the pack', async () => {
    const events: DownloadProgress[] = [];
    const pack = await downloadPack(request(), { registry, ...fast, onProgress: (e) => events.push({ ...e }) });
    expect(pack).toMatchObject({ name: 'tiny', source: 'downloaded', origin: 'test' });
    await expectInstalledIntact();

    const total = [...files.values()].reduce((a, b) => a + b.length, 0);
    expect(events[0].phase).toBe('starting');
    expect(events.at(-1)).toMatchObject({ phase: 'done', bytes: total, total });
    const bytes = events.map((e) => e.bytes);
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b)); // overall never goes back
    const big = events.filter((e) => e.file === BIG && e.phase === 'downloading');
    expect(big.length).toBeGreaterThan(1);
    expect(big.every((e) => e.fileTotal === 300_000 && e.fileBytes <= 300_000 && e.fileCount === 3)).toBe(true);
    expect(events.filter((e) => e.phase === 'file-done').map((e) => e.file)).toEqual([...files.keys()]);
    expect(events.every((e) => Number.isFinite(e.bytesPerSecond) && e.bytesPerSecond >= 0)).toBe(true);
    expect(log.every((r) => r.range === undefined && r.status === 200)).toBe(true);
  });

  it('resumes an interrupted file with a Range request from where the bytes on disk end', async () => {
    behaviour.set(BIG, { cutAfter: N });
    const err = await downloadPack(request(), { registry, ...fast }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/unet\/model\.onnx/);
    expect(await sizeOrNull(partOf('tiny', BIG))).toBe(N);
    expect(await registry.list()).toEqual([]); // nothing installed until every file verified

    log.length = 0;
    await downloadPack(request(), { registry, ...fast });
    // Finished files are not fetched again; the cut one continues at byte N.
    expect(log).toEqual([{ path: BIG, range: `bytes=${N}-`, status: 206 }]);
    await expectInstalledIntact();
  });

  it('retries transient failures itself, with backoff, resuming each time', async () => {
    behaviour.set(BIG, { cutAfter: 50_000, cutTimes: 2 });
    behaviour.set('model_index.json', { failStatus: 503, failTimes: 1 });
    const events: DownloadProgress[] = [];
    await downloadPack(request(), { registry, ...fast, retries: 3, onProgress: (e) => events.push({ ...e }) });
    await expectInstalledIntact();
    const retries = events.filter((e) => e.phase === 'retrying');
    expect(retries.length).toBe(3);
    expect(retries[0].error).toMatch(/503/);
    expect(log.filter((r) => r.path === BIG).map((r) => r.range)).toEqual([undefined, 'bytes=50000-', 'bytes=100000-']);
  });

  it('restarts from zero when the server ignores Range and answers 200', async () => {
    behaviour.set(BIG, { cutAfter: N });
    await expect(downloadPack(request(), { registry, ...fast })).rejects.toThrow();
    expect(await sizeOrNull(partOf('tiny', BIG))).toBe(N);

    behaviour.set(BIG, { ignoreRange: true });
    log.length = 0;
    const events: DownloadProgress[] = [];
    await downloadPack(request(), { registry, ...fast, onProgress: (e) => events.push({ ...e }) });
    expect(log).toEqual([{ path: BIG, range: `bytes=${N}-`, status: 200 }]);
    // The part was truncated rather than appended to: the result verifies.
    await expectInstalledIntact();
    // Progress shows the file starting over.
    const big = events.filter((e) => e.file === BIG && e.phase === 'downloading').map((e) => e.fileBytes);
    expect(big[0]).toBe(0);
    expect(big.at(-1)).toBe(300_000);
  });

  it('rejects a wrong checksum with a clear message and deletes the part file', async () => {
    const wrong = '0'.repeat(64);
    const err = await downloadPack(request('tiny', { [BIG]: { sha256: wrong } }), { registry, ...fast }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.code).toBe('checksum');
    expect(err.message).toContain(`expected SHA-256 ${wrong}, got ${sha256(files.get(BIG)!)}`);
    expect(err.message).toMatch(/deleted/);
    expect(await sizeOrNull(partOf('tiny', BIG))).toBeNull();
    expect(await sizeOrNull(partOf('tiny', BIG).replace(/\.part$/, ''))).toBeNull();
    expect(await registry.list()).toEqual([]);
  });

  it('verifies git blob ids of small files and files of unknown size', async () => {
    const req = request('tiny', {
      'model_index.json': { sha256: null, size: null, gitBlobSha1: gitBlob(files.get('model_index.json')!) },
      'scheduler/scheduler_config.json': { sha256: null, size: null, gitBlobSha1: 'f'.repeat(40) },
    });
    const err = await downloadPack(req, { registry, ...fast }).catch((e) => e);
    expect(err.code).toBe('checksum');
    expect(err.message).toMatch(/scheduler_config\.json.*git blob SHA-1/);
  });

  it('stops a file that neither the request nor the server sizes once it passes the cap', async () => {
    behaviour.set(BIG, { noLength: true });
    const req = request('tiny', { [BIG]: { sha256: null, size: null } });
    const err = await downloadPack(req, { registry, ...fast, maxUnsizedBytes: 4096 }).catch((e) => e);
    expect(err.code).toBe('size');
    expect(err.message).toMatch(/unet\/model\.onnx: the server gave no size and sent more than 4096 bytes/);
    expect(await registry.list()).toEqual([]);
    behaviour.delete(BIG);
  });

  it('cancels on abort, keeps the part for a later resume, and installs nothing', async () => {
    const ctrl = new AbortController();
    const err = await downloadPack(request(), {
      registry,
      ...fast,
      signal: ctrl.signal,
      onProgress: (e) => {
        if (e.file === BIG && e.phase === 'downloading' && e.fileBytes > 0) ctrl.abort();
      },
    }).catch((e) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(await registry.list()).toEqual([]);
    const kept = await sizeOrNull(partOf('tiny', BIG));
    expect(kept).toBeGreaterThan(0);

    log.length = 0;
    await downloadPack(request(), { registry, ...fast });
    expect(log).toEqual([{ path: BIG, range: `bytes=${kept}-`, status: 206 }]);
    await expectInstalledIntact();
  });

  it('abandons a stalled transfer and fails without endless waiting', async () => {
    behaviour.set(BIG, { stallAfter: 1000 });
    const err = await downloadPack(request(), { registry, ...fast, stallTimeoutMs: 150 }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/no data for 150 ms/);
  });

  it('fails fast on a permanent HTTP error', async () => {
    const req = request();
    req.files = [...req.files, { path: 'missing.bin' }];
    const err = await downloadPack(req, { registry, retries: 5, backoffMs: 5 }).catch((e) => e);
    expect(err).toMatchObject({ code: 'http' });
    expect(err.message).toMatch(/404/);
    expect(log.filter((r) => r.path === 'missing.bin')).toHaveLength(1);
  });

  it('refuses paths that leave the pack, and names already installed', async () => {
    for (const bad of ['../evil', '/abs', 'a/../../b', 'a\\b', 'C:/x', '']) {
      await expect(downloadPack({ ...request(), files: [{ path: bad }] }, { registry })).rejects.toMatchObject({ code: 'invalid-request' });
    }
    await expect(downloadPack({ ...request(), name: '../up' }, { registry })).rejects.toThrow(/Invalid pack name/);
    await downloadPack(request(), { registry, ...fast });
    await expect(downloadPack(request(), { registry, ...fast })).rejects.toMatchObject({ code: 'exists' });
  });

  it('discardDownload removes partial files', async () => {
    behaviour.set(BIG, { cutAfter: N });
    await expect(downloadPack(request(), { registry, ...fast })).rejects.toThrow();
    await discardDownload(registry, 'tiny');
    await expect(fsp.stat(downloadDir(registry, 'tiny'))).rejects.toThrow();
  });
});

describe('catalog', () => {
  it('lists the four known packs with repositories, licences and sources', () => {
    expect(CATALOG.map((e) => e.id)).toEqual(['sd-turbo', 'sd-1.5', 'sd-2.1', 'sd-x4-upscaler']);
    for (const e of CATALOG) {
      expect(e.repo).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(e.licence.name).toBeTruthy();
      expect(e.sources.length).toBeGreaterThan(0);
      expect(e.files.some((f) => f.path === 'model_index.json')).toBe(true);
      // Hashes are only claimed where seen; none were.
      for (const f of e.files) expect(f.sha256 === null || /^[0-9a-f]{64}$/.test(f.sha256)).toBe(true);
    }
    expect(hubTreeUrl('onnxruntime/sd-turbo', 'main')).toBe('https://huggingface.co/api/models/onnxruntime/sd-turbo/tree/main?recursive=1');
  });

  it('resolves sizes and hashes from the hub tree API (paginated) and downloads with them', async () => {
    const lfsBody = files.get(BIG)!;
    tree = [
      { type: 'directory', path: 'unet', size: 0, oid: 'a'.repeat(40) },
      ...[...files].map(([p, b]): HubTreeEntry =>
        p === BIG
          ? { type: 'file', path: p, size: 134, oid: 'b'.repeat(40), lfs: { oid: sha256(lfsBody), size: lfsBody.length, pointerSize: 134 } }
          : { type: 'file', path: p, size: b.length, oid: gitBlob(b) },
      ),
      { type: 'file', path: 'safety_checker/model.onnx', size: 10, oid: 'c'.repeat(40) },
    ];
    expect((await fetchHubTree(REPO, REV, { endpoint: origin })).length).toBe(tree.length);

    const entry: CatalogEntry = {
      id: 'tiny',
      title: 'Tiny',
      family: 'sd1',
      repo: REPO,
      revision: REV,
      licence: { name: 'test', url: origin },
      files: [{ path: 'model_index.json', size: null, sha256: null }],
      include: ['model_index.json', 'scheduler/', 'unet/'],
      sources: [origin],
    };
    const req = await catalogDownloadRequest(entry, { endpoint: origin });
    expect(req.files).toEqual([
      { path: 'model_index.json', size: files.get('model_index.json')!.length, sha256: null, gitBlobSha1: gitBlob(files.get('model_index.json')!) },
      expect.objectContaining({ path: 'scheduler/scheduler_config.json', sha256: null }),
      { path: BIG, size: lfsBody.length, sha256: sha256(lfsBody), gitBlobSha1: null },
    ]);
    await downloadPack(req, { registry, ...fast });
    await expectInstalledIntact('tiny');

    // A pin that disagrees with the hub, or a pinned file that vanished, is an error.
    expect(() => resolveCatalogFiles({ ...entry, files: [{ path: BIG, size: 1, sha256: null }] }, tree)).toThrow(/pins 1/);
    expect(() => resolveCatalogFiles({ ...entry, files: [{ path: 'gone.onnx', size: null, sha256: null }] }, tree)).toThrow(/no longer has/);
  });
});
