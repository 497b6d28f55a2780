/**
 * Fault suite: a process killed with SIGKILL while it writes — at whatever moment the kill lands —
 * leaves the previous version or the new one, whole, for every kind of file the project writes:
 * the one atomic write (CLI outputs, packs the builder writes), JSON indexes (the model registry)
 * searched boundary conditions (a tensor and its record, which must stay a matching pair) and the
 * gallery (images, thumbnails and the index that names them, which must agree).
 * Each kind is killed at random moments (seeded) across many writes; after each kill the file is
 * read back through the product's own loader and checked against its content hash.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBoundary } from '../../main/engine/sr/store.js';
import { GalleryStore } from '../../main/engine/gallery/store.js';
import { readPngText } from '../../main/api/png-text.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'writer-child.mjs');
const KEY = { digest: 'ab'.repeat(32), sampler: 'pack', steps: 4, tile: { width: 64, height: 64 } };
const SHAPE = [1, 3, 128, 128];
const KILLS = 12;

/** Run the writer until it has finished `after` writes, then kill it `delayMs` later; returns the last write it reported done. */
function runAndKill(kind: string, dir: string, after: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, kind, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let done = 0, err = '', killed = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      for (const m of s.matchAll(/done (\d+)/g)) done = Math.max(done, Number(m[1]));
      if (!killed && done >= after) {
        killed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { err += s; });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(done) : reject(new Error(`writer exited ${code}: ${err}`))));
  });
}

/** A small seeded generator for the kill moments (the suite must be reproducible). */
function moments(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

async function readVersion(kind: string, dir: string): Promise<number> {
  if (kind === 'atomic') {
    const bytes = await readFile(path.join(dir, 'out.bin'));
    const nl = bytes.indexOf(10);
    const head = JSON.parse(bytes.subarray(0, nl).toString('utf8')) as { n: number; sha: string };
    expect(createHash('sha256').update(bytes.subarray(nl + 1)).digest('hex')).toBe(head.sha);
    return head.n;
  }
  if (kind === 'json') {
    const v = JSON.parse(await readFile(path.join(dir, 'registry.json'), 'utf8')) as { n: number; packs: { n: number }[] };
    expect(v.packs.length).toBe(2000);
    expect(v.packs.every((p) => p.n === v.n)).toBe(true);
    return v.n;
  }
  if (kind === 'gallery') {
    // A fresh store, as the next start opens it: every entry it lists has its image, whose own
    // parameters agree with the entry; every image on disk is listed; versions are consecutive.
    const store = new GalleryStore(dir);
    const page = await store.list(0, 1000);
    expect(page.damaged).toBeUndefined();
    const seeds = page.entries.map((e) => e.settings.seed);
    for (const e of page.entries) {
      const got = await store.get(e.id);
      expect(got).toBeDefined();
      expect(readPngText(Buffer.from(got!.png)).get('parameters')).toBe(e.parameters);
      expect(e.parameters).toContain(`Seed: ${e.settings.seed},`);
      expect(e.thumbnail?.length ?? 0).toBeGreaterThan(0);
    }
    const images = await readdir(path.join(dir, 'gallery', 'images'));
    expect(images.filter((n) => n.endsWith('.png')).length).toBe(page.total);
    const n = Math.max(...seeds);
    // The newest three or four (a kill between an add and its delete leaves four), nothing older.
    expect(seeds.every((s) => s > n - 4)).toBe(true);
    expect(new Set(seeds).size).toBe(seeds.length);
    return n;
  }
  const loaded = await loadBoundary(KEY, SHAPE, dir);
  expect(loaded).toBeDefined();
  const n = loaded!.record.seed;
  expect(loaded!.z.data.every((v) => v === n)).toBe(true);
  return n;
}

describe('SIGKILL during a write leaves a whole version', () => {
  for (const kind of ['atomic', 'json', 'boundary', 'gallery']) {
    it(`${kind}: ${KILLS} kills at random moments, each leaving the last finished version or a newer one, whole`, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), `driftline-kill-${kind}-`));
      const rand = moments(kind.length * 7919);
      try {
        let floor = 0;
        for (let k = 0; k < KILLS; k++) {
          const reported = await runAndKill(kind, dir, 1 + Math.floor(rand() * 3), rand() * 25);
          const n = await readVersion(kind, dir);
          // The kill may land after a write finished but before it was reported: never older than reported.
          expect(n).toBeGreaterThanOrEqual(reported);
          expect(n).toBeGreaterThanOrEqual(1);
          floor = Math.max(floor, n);
        }
        expect(floor).toBeGreaterThan(0);
        // What a kill can leave besides the file: only the helper's own temporary names, which nothing reads,
        // and for boundaries at most one tensor beside the pair the record names (removed by the next save).
        const names = await readdir(dir, { recursive: true });
        const stray = names.filter((n) => path.basename(n).endsWith('.tmp') && !/^\..+\.[0-9a-f]{16}\.tmp$/.test(path.basename(n)));
        expect(stray).toEqual([]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
