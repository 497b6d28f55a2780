/** The gallery on disk: round trip, paging, delete, ids that would leave the folder, a damaged index, images the index lost. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { GalleryIdError, GalleryStore, THUMB_SIDE, type NewGalleryImage } from '../../main/engine/gallery/store.js';
import { formatParameters } from '../../main/api/parameters.js';
import { readPngText, withPngText } from '../../main/api/png-text.js';

let root: string;
beforeEach(async () => { root = await mkdtemp(path.join(tmpdir(), 'driftline-gallery-')); });
afterEach(async () => { await rm(root, { recursive: true, force: true }); });

async function image(seed: number, side = 200): Promise<NewGalleryImage> {
  const parameters = formatParameters({ prompt: `a cat ${seed}`, steps: 4, sampler: 'Euler', cfgScale: 7, seed, width: side, height: side, model: 'emoji-32' });
  const raw = await sharp({ create: { width: side, height: side, channels: 3, background: { r: seed % 256, g: 40, b: 90 } } }).png().toBuffer();
  return { png: new Uint8Array(withPngText(raw, { parameters })), parameters, width: side, height: side, settings: { model: 'emoji-32', prompt: `a cat ${seed}`, sampler: 'euler', steps: 4, cfgScale: 7, seed } };
}

describe('GalleryStore', () => {
  it('keeps a batch across a reopen: the PNG as given, its parameters, a thumbnail, one batch id', async () => {
    const store = new GalleryStore(root);
    const imgs = [await image(1), await image(2)];
    const added = await store.add(imgs);
    expect(added.map((e) => e.batch)).toEqual([{ id: added[0].batch.id, index: 0, size: 2 }, { id: added[0].batch.id, index: 1, size: 2 }]);
    const again = new GalleryStore(root);
    const page = await again.list();
    expect(page.total).toBe(2);
    expect(page.damaged).toBeUndefined();
    expect(page.entries.map((e) => e.settings.seed)).toEqual([1, 2]);
    const meta = await sharp(Buffer.from(page.entries[0].thumbnail!)).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(THUMB_SIDE);
    const got = await again.get(added[1].id);
    expect(Buffer.from(got!.png).equals(Buffer.from(imgs[1].png))).toBe(true);
    expect(readPngText(Buffer.from(got!.png)).get('parameters')).toBe(imgs[1].parameters);
    expect(got!.entry).toMatchObject({ width: 200, height: 200, parameters: imgs[1].parameters });
  });

  it('pages newest first', async () => {
    const store = new GalleryStore(root);
    for (let i = 0; i < 5; i++) await store.add([await image(i, 16)], 1000 + i);
    const seeds = async (offset: number, limit: number) => (await store.list(offset, limit)).entries.map((e) => e.settings.seed);
    expect(await seeds(0, 2)).toEqual([4, 3]);
    expect(await seeds(2, 2)).toEqual([2, 1]);
    expect(await seeds(4, 2)).toEqual([0]);
    expect((await store.list(0, 2)).total).toBe(5);
  });

  it('deletes an entry and its files, and only that', async () => {
    const store = new GalleryStore(root);
    const [a] = await store.add([await image(1, 16)]);
    const [b] = await store.add([await image(2, 16)]);
    expect(await store.delete(a.id)).toBe(true);
    expect(await store.delete(a.id)).toBe(false);
    expect(await store.get(a.id)).toBeUndefined();
    expect((await readdir(path.join(root, 'gallery', 'images'))).sort()).toEqual([`${b.id}.png`]);
    expect((await new GalleryStore(root).list()).entries.map((e) => e.id)).toEqual([b.id]);
  });

  it('refuses ids that name anything outside the gallery', async () => {
    const store = new GalleryStore(root);
    await writeFile(path.join(root, 'secret.png'), 'x');
    for (const id of ['../secret', '..', 'a/b', 'a\\b', '', '.hidden', 'x'.repeat(65), 'a\0b']) {
      await expect(store.get(id)).rejects.toThrow(/not a gallery id/);
      await expect(store.delete(id)).rejects.toThrow(/not a gallery id/);
    }
    expect(await readFile(path.join(root, 'secret.png'), 'utf8')).toBe('x');
  });

  it('a damaged index is reported by name, kept aside, and the gallery rebuilt from the images’ own parameters', async () => {
    const store = new GalleryStore(root);
    const added = await store.add([await image(7, 16), await image(8, 16)]);
    await writeFile(path.join(root, 'gallery', 'index.json'), '{"version":1,"entries":[{"id":');
    const page = await new GalleryStore(root).list();
    expect(page.damaged).toMatch(/index\.json was damaged/);
    expect(page.damaged).toMatch(/index\.json\.damaged-\d+/);
    expect(page.entries.map((e) => e.id).sort()).toEqual(added.map((e) => e.id).sort());
    const seven = page.entries.find((e) => e.id === added[0].id)!;
    expect(seven.settings).toMatchObject({ prompt: 'a cat 7', seed: 7, steps: 4, sampler: 'Euler', cfgScale: 7, model: 'emoji-32' });
    expect(seven.recovered).toBe(true);
    expect((await readdir(path.join(root, 'gallery'))).some((n) => n.startsWith('index.json.damaged-'))).toBe(true);
    // The rebuilt index is whole: the next open reports nothing.
    expect((await new GalleryStore(root).list()).damaged).toBeUndefined();
  });

  it('an index of the wrong shape is damaged too', async () => {
    const store = new GalleryStore(root);
    await store.add([await image(3, 16)]);
    await writeFile(path.join(root, 'gallery', 'index.json'), JSON.stringify({ version: 1, entries: [{ id: '../../etc/passwd' }] }));
    const page = await new GalleryStore(root).list();
    expect(page.damaged).toMatch(/damaged/);
    expect(page.entries.map((e) => e.settings.seed)).toEqual([3]);
  });

  it('takes back an image the index does not name, and drops an entry whose image is gone', async () => {
    const store = new GalleryStore(root);
    const [a] = await store.add([await image(1, 16)]);
    const [b] = await store.add([await image(2, 16)]);
    const index = await readFile(path.join(root, 'gallery', 'index.json'), 'utf8');
    // As if killed after b's image was written but before the index named it …
    const before = JSON.parse(index) as { entries: { id: string }[] };
    await writeFile(path.join(root, 'gallery', 'index.json'), JSON.stringify({ ...before, entries: before.entries.filter((e) => e.id !== b.id) }));
    // … and after a's image was deleted but before the index forgot it.
    await rm(path.join(root, 'gallery', 'images', `${a.id}.png`));
    const page = await new GalleryStore(root).list();
    expect(page.entries.map((e) => e.id)).toEqual([b.id]);
    expect(page.damaged).toBeUndefined();
  });

  it('serves thumbnails by id without the full images, at most THUMB_SIDE a side, in the order asked', async () => {
    const store = new GalleryStore(root);
    const [wide] = await store.add([{ ...(await image(1, 16)), png: await sharp({ create: { width: 400, height: 100, channels: 3, background: '#204060' } }).png().toBuffer(), width: 400, height: 100 }]);
    const [small] = await store.add([await image(2, 16)]);
    const got = await store.thumbnails([small.id, wide.id, 'zz-not-there']);
    expect(got.thumbnails.map((t) => t.id)).toEqual([small.id, wide.id]);
    expect(got.missing).toEqual(['zz-not-there']);
    const wideMeta = await sharp(Buffer.from(got.thumbnails[1].png)).metadata();
    expect([wideMeta.width, wideMeta.height]).toEqual([THUMB_SIDE, THUMB_SIDE / 4]);
    // A small image is not enlarged.
    const smallMeta = await sharp(Buffer.from(got.thumbnails[0].png)).metadata();
    expect([smallMeta.width, smallMeta.height]).toEqual([16, 16]);
    await expect(store.thumbnails(['../index'])).rejects.toBeInstanceOf(GalleryIdError);
  });

  it('lists entries without thumbnails when asked for none', async () => {
    const store = new GalleryStore(root);
    await store.add([await image(1, 16), await image(2, 16)]);
    const page = await store.list(0, 10, { thumbnails: false });
    expect(page.total).toBe(2);
    expect(page.entries.every((e) => !('thumbnail' in e))).toBe(true);
    expect((await store.list(0, 10)).entries.every((e) => (e.thumbnail?.length ?? 0) > 0)).toBe(true);
  });

  it('makes the thumbnail of an entry that has none (kept before thumbnails, or lost) on first asking, and keeps it', async () => {
    const store = new GalleryStore(root);
    const [a] = await store.add([await image(5, 300)]);
    await rm(path.join(root, 'gallery', 'thumbs'), { recursive: true });
    const reopened = new GalleryStore(root);
    const { thumbnails } = await reopened.thumbnails([a.id]);
    const meta = await sharp(Buffer.from(thumbnails[0].png)).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(THUMB_SIDE);
    const onDisk = await readFile(path.join(root, 'gallery', 'thumbs', `${a.id}.png`));
    expect(onDisk.equals(Buffer.from(thumbnails[0].png))).toBe(true);
  });

  it('keeps a batch together: one id, its order, newest batch first, a single image its own batch of one', async () => {
    const store = new GalleryStore(root);
    const [single] = await store.add([await image(9, 16)], 1000);
    const batch = await store.add([await image(1, 16), await image(2, 16), await image(3, 16)], 2000);
    const page = await new GalleryStore(root).list(0, 10, { thumbnails: false });
    expect(page.entries.map((e) => e.id)).toEqual([...batch.map((e) => e.id), single.id]);
    expect(new Set(page.entries.slice(0, 3).map((e) => e.batch.id)).size).toBe(1);
    expect(page.entries.slice(0, 3).map((e) => [e.batch.index, e.batch.size])).toEqual([[0, 3], [1, 3], [2, 3]]);
    expect(page.entries[3].batch).toEqual({ id: single.batch.id, index: 0, size: 1 });
    expect(single.batch.id).not.toBe(batch[0].batch.id);
  });

  it('keeps what made an edit or an upscale across a reopen', async () => {
    const store = new GalleryStore(root);
    const origin = { kind: 'upscale' as const, factor: 2, from: { width: 8, height: 8 }, steps: 4, boundary: 'searched' as const, tiles: 1 };
    const [up] = await store.add([{ ...(await image(4, 16)), origin }]);
    const [gen] = await store.add([await image(5, 16)]);
    const page = await new GalleryStore(root).list(0, 10, { thumbnails: false });
    expect(page.entries.find((e) => e.id === up.id)?.origin).toEqual(origin);
    expect(page.entries.find((e) => e.id === gen.id)?.origin).toBeUndefined();
  });
});
