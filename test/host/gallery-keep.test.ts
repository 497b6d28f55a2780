/**
 * The engine host keeps edits and upscales in the gallery on disk as it keeps generations — unless
 * the request says not to, as the CLI does — and serves the gallery's thumbnails by id, validated
 * at the contract's boundary. Real embedded packs, a temporary data folder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { ApiError, parseParams, type EditResult, type GalleryPage, type UpscaleResult } from '../../main/api/contract.js';
import { readPngText } from '../../main/api/png-text.js';
import { createEngineService } from '../../main/host/service.js';
import { NO_CALL_CONTEXT, type Handlers } from '../../main/host/protocol.js';
import { THUMB_SIDE } from '../../main/engine/gallery/store.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const packs = path.join(root, 'models', 'packs');
let home: string;
let service: Handlers;

beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'driftline-gallery-keep-'));
  service = createEngineService(() => {}, { dataRoot: home, modelsRoot: path.join(home, 'models') });
});
afterAll(async () => { await rm(home, { recursive: true, force: true }); });

/** Call a method as the dispatcher does: parameters validated first. */
async function call<T>(method: Parameters<typeof parseParams>[0], params: unknown): Promise<T> {
  const handler = service[method] as (p: unknown, c: typeof NO_CALL_CONTEXT) => Promise<unknown>;
  return handler(parseParams(method, params), NO_CALL_CONTEXT) as Promise<T>;
}
const list = () => call<GalleryPage>('galleryList', { thumbnails: false });
const square = (side: number, colour: string) => sharp({ create: { width: side, height: side, channels: 3, background: colour } }).png().toBuffer().then((b) => new Uint8Array(b));

describe('gallery keeping for edits and upscales', () => {
  it('keeps an upscale with its origin, and not when keep is false', async () => {
    const image = await square(32, '#c08040');
    const before = (await list()).total;
    const kept = await call<UpscaleResult>('upscale', { jobId: 'up-1', model: path.join(packs, 'emoji-sr-64'), image, steps: 2, bc: 'random', seed: 3 });
    expect(kept.gallery).toMatchObject({ batch: expect.any(String) });
    expect(kept.image.galleryId).toMatch(/^[A-Za-z0-9_-]+$/);
    const page = await list();
    expect(page.total).toBe(before + 1);
    const entry = page.entries.find((e) => e.id === kept.image.galleryId)!;
    expect(entry.origin).toEqual({ kind: 'upscale', factor: 2, from: { width: 32, height: 32 }, steps: 2, boundary: 'random', tiles: 1 });
    expect([entry.width, entry.height]).toEqual([64, 64]);
    expect(entry.settings).toMatchObject({ seed: 3, steps: 2, model: 'emoji-sr-64' });
    const stored = await call<{ png: Uint8Array }>('galleryGet', { id: entry.id });
    expect(readPngText(Buffer.from(stored.png)).get('parameters')).toMatch(/Upscale: 2x from 32x32/);

    const unkept = await call<UpscaleResult>('upscale', { jobId: 'up-2', model: path.join(packs, 'emoji-sr-64'), image, steps: 2, bc: 'random', seed: 4, keep: false });
    expect(unkept.gallery).toBeUndefined();
    expect(unkept.image.galleryId).toBeUndefined();
    expect((await list()).total).toBe(before + 1);
  });

  it('keeps an edit with its task and preset, and not when keep is false', async () => {
    const image = await square(32, '#f0d020');
    const mask = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#000' } })
      .composite([{ input: await sharp({ create: { width: 12, height: 12, channels: 3, background: '#fff' } }).png().toBuffer(), left: 10, top: 10 }]).png().toBuffer();
    const req = { model: path.join(packs, 'emoji-32'), kind: 'move', image, mask: new Uint8Array(mask), offset: { x: 4, y: 0 }, prompt: 'grinning face', seed: 2, steps: 4, preset: 'fast' };
    const before = (await list()).total;
    const kept = await call<EditResult>('edit', { jobId: 'ed-1', ...req });
    expect(kept.image.galleryId).toBeDefined();
    const page = await list();
    expect(page.total).toBe(before + 1);
    const entry = page.entries.find((e) => e.id === kept.image.galleryId)!;
    expect(entry.origin).toMatchObject({ kind: 'edit', task: 'move', preset: 'fast', evaluations: kept.timings.evaluations });
    expect(entry.settings).toMatchObject({ prompt: 'grinning face', seed: 2, model: 'emoji-32' });

    const unkept = await call<EditResult>('edit', { jobId: 'ed-2', ...req, keep: false });
    expect(unkept.image.galleryId).toBeUndefined();
    expect((await list()).total).toBe(before + 1);
  });
});

describe('galleryThumbnails', () => {
  it('serves small thumbnails by id and names the ids it does not hold', async () => {
    const ids = (await list()).entries.map((e) => e.id);
    expect(ids.length).toBeGreaterThan(0);
    const got = await call<{ thumbnails: { id: string; png: Uint8Array }[]; missing: string[] }>('galleryThumbnails', { ids: [...ids, 'nothing-here'] });
    expect(got.thumbnails.map((t) => t.id)).toEqual(ids);
    expect(got.missing).toEqual(['nothing-here']);
    for (const t of got.thumbnails) {
      const meta = await sharp(Buffer.from(t.png)).metadata();
      expect(meta.format).toBe('png');
      expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(THUMB_SIDE);
    }
  });

  it('refuses ids that could name a path, an empty list and more than 100 ids, saying which', () => {
    const refused = (params: unknown): string => {
      try {
        parseParams('galleryThumbnails', params);
      } catch (e) {
        expect(e).toBeInstanceOf(ApiError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused({ ids: ['../index'] })).toMatch(/ids\.0.*not a gallery id/);
    expect(refused({ ids: [] })).toMatch(/ids/);
    expect(refused({ ids: Array.from({ length: 101 }, (_, i) => `a${i}`) })).toMatch(/ids/);
    expect(refused({ ids: ['a'], extra: 1 })).toMatch(/extra/);
  });
});
