/** The gallery module against a fake engine gallery: loaded when the engine's connection opens, merged, deleted on disk, batches kept together. */
import { describe, expect, it, vi } from 'vitest';
import type { GalleryEntry, GeneratedImage } from '../../main/api/contract.js';
import { createAppState, type StatusMessage } from '../../renderer/src/ui/app-state.js';
import { GalleryModule, type NewGalleryItem } from '../../renderer/src/ui/gallery/gallery.js';
import { generationEntries } from '../../renderer/src/ui/generate/generation.js';

const PNG = new Uint8Array([137, 80, 78, 71]);

function entry(id: string, seed: number, createdAt: number, batch = { id, index: 0, size: 1 }): GalleryEntry {
  return { id, createdAt, width: 32, height: 32, parameters: `cat\nSteps: 4, Seed: ${seed}`, settings: { model: 'emoji-32', prompt: 'cat', sampler: 'euler', steps: 4, cfgScale: 2, seed }, batch };
}

const THUMB = new Uint8Array([137, 80, 78, 71, 1]);

function fakeEngine(entries: GalleryEntry[]) {
  const deleted: string[] = [];
  const calls = { list: [] as { offset: number; limit: number; thumbnails?: boolean }[], get: [] as string[], thumbs: [] as string[][] };
  const client = {
    galleryList: async ({ offset = 0, limit = 50, thumbnails }: { offset?: number; limit?: number; thumbnails?: boolean }) => {
      calls.list.push({ offset, limit, thumbnails });
      return { entries: entries.slice(offset, offset + limit).map((e) => (thumbnails === false ? e : { ...e, thumbnail: THUMB })), total: entries.length };
    },
    galleryGet: async ({ id }: { id: string }) => {
      calls.get.push(id);
      return { entry: entries.find((e) => e.id === id)!, png: PNG };
    },
    galleryThumbnails: async ({ ids }: { ids: string[] }) => {
      calls.thumbs.push(ids);
      return { thumbnails: ids.filter((id) => entries.some((e) => e.id === id)).map((id) => ({ id, png: THUMB })), missing: ids.filter((id) => !entries.some((e) => e.id === id)) };
    },
    galleryDelete: async ({ id }: { id: string }) => {
      deleted.push(id);
      const at = entries.findIndex((e) => e.id === id);
      if (at >= 0) entries.splice(at, 1);
      return { deleted: at >= 0 };
    },
  };
  return { client, deleted, calls };
}

const image = (seed: number, galleryId?: string): GeneratedImage => ({ png: PNG, seed, parameters: `p ${seed}`, ...(galleryId ? { galleryId } : {}) });

describe('GalleryModule', () => {
  it('loads the kept images when the connection opens, with their settings and batch', async () => {
    const app = createAppState();
    const b = { id: 'b1', index: 0, size: 2 };
    const { client } = fakeEngine([entry('x1', 11, 2000, b), entry('x2', 12, 2000, { ...b, index: 1 }), entry('y', 5, 1000)]);
    const m = new GalleryModule(app, () => client as never);
    m.initialize();
    app.setState({ connection: 'open' });
    await m.load();
    const g = app.getState().gallery;
    expect(g.map((i) => i.id)).toEqual(['x1', 'x2', 'y']);
    expect(g[0]).toMatchObject({ seed: 11, stored: true, batch: b, width: 32, settings: { prompt: 'cat', seed: 11, seedLocked: true, steps: 4, cfgScale: 2, sampler: 'euler', model: 'emoji-32' } });
    // Opening again (a restarted engine) adds nothing twice.
    app.setState({ connection: 'closed' });
    app.setState({ connection: 'open' });
    await m.load();
    expect(app.getState().gallery.length).toBe(3);
    m.destroy();
  });

  it('a generation keeps the engine’s ids and batch; removing a kept item deletes it on disk, a session item only here', async () => {
    const app = createAppState();
    const { client, deleted } = fakeEngine([]);
    const said: StatusMessage[] = [];
    const m = new GalleryModule(app, () => client as never, (text, level = 'info') => void said.push({ text, level, at: 0 }));
    const result = { jobId: 'j', images: [image(1, 'a1'), image(2, 'a2')], width: 32, height: 32, providers: [], timings: { totalMs: 1, perStepMs: 1, evaluations: 1 }, gallery: { batch: 'bb' } };
    const items = m.add(generationEntries(result, app.getState().settings));
    expect(items.map((i) => [i.id, i.stored, i.batch])).toEqual([['a1', true, { id: 'bb', index: 0, size: 2 }], ['a2', true, { id: 'bb', index: 1, size: 2 }]]);
    const [session] = m.add([{ image: image(3), width: 32, height: 32, settings: app.getState().settings, model: 'm', providers: [] } satisfies NewGalleryItem]);
    expect(session.stored).toBeUndefined();
    await m.remove('a1');
    await m.remove(session.id);
    expect(deleted).toEqual(['a1']);
    expect(app.getState().gallery.map((i) => i.id)).toEqual(['a2']);
    expect(said).toEqual([]);
  });

  it('a kept item the engine cannot delete stays, with the reason', async () => {
    const app = createAppState();
    const said: string[] = [];
    const m = new GalleryModule(app, () => ({ galleryDelete: async () => { throw new Error('disk gone'); } }) as never, (t) => void said.push(t));
    m.add([{ image: image(1, 'k'), width: 8, height: 8, settings: app.getState().settings, model: 'm', providers: [] }]);
    await m.remove('k');
    expect(app.getState().gallery.map((i) => i.id)).toEqual(['k']);
    expect(said[0]).toMatch(/disk gone/);
  });

  it('lists every kept image, in pages and without thumbnails or PNGs, so a gallery of any size loads', async () => {
    const app = createAppState();
    const many = Array.from({ length: 450 }, (_, i) => entry(`e${i}`, i, 10_000 - i));
    const { client, calls } = fakeEngine(many);
    const m = new GalleryModule(app, () => client as never);
    await m.load();
    const g = app.getState().gallery;
    expect(g).toHaveLength(450);
    expect(g.every((i) => i.pending && i.png.length === 0 && i.url === '' && i.stored)).toBe(true);
    expect(calls.list).toEqual([{ offset: 0, limit: 200, thumbnails: false }, { offset: 200, limit: 200, thumbnails: false }, { offset: 400, limit: 200, thumbnails: false }]);
    expect(calls.get).toEqual([]);
    expect(calls.thumbs).toEqual([]);
  });

  it('fetches the thumbnails the grid shows, together, at most 100 a call, each once', async () => {
    const app = createAppState();
    const { client, calls } = fakeEngine(Array.from({ length: 150 }, (_, i) => entry(`t${i}`, i, 5000 - i)));
    const m = new GalleryModule(app, () => client as never);
    await m.load();
    for (let i = 0; i < 130; i++) m.wantThumbnail(`t${i}`);
    m.wantThumbnail('t0');
    await vi.waitFor(() => expect(app.getState().gallery.filter((g) => g.thumbUrl).length).toBe(130));
    expect(calls.thumbs.map((ids) => ids.length)).toEqual([100, 30]);
    m.wantThumbnail('t5');
    await Promise.resolve();
    expect(calls.thumbs).toHaveLength(2);
    // Still no full PNG fetched.
    expect(calls.get).toEqual([]);
    expect(app.getState().gallery.find((g) => g.id === 't140')!.thumbUrl).toBeUndefined();
  });

  it('fetches a kept image’s full PNG once, when it is needed (selecting it, or an action)', async () => {
    const app = createAppState();
    const { client, calls } = fakeEngine([entry('f1', 1, 1000)]);
    const m = new GalleryModule(app, () => client as never);
    await m.load();
    const [a, b] = await Promise.all([m.full('f1'), m.full('f1')]);
    expect(a).toBe(b);
    expect(a).toMatchObject({ id: 'f1', pending: undefined });
    expect(Array.from(a!.png)).toEqual(Array.from(PNG));
    expect(a!.url).not.toBe('');
    expect(calls.get).toEqual(['f1']);
    m.select('f1');
    await m.full('f1');
    expect(calls.get).toEqual(['f1']);
  });

  it('brings back what made a kept edit or upscale', async () => {
    const app = createAppState();
    const up = { ...entry('u1', 4, 1000), origin: { kind: 'upscale' as const, factor: 2, from: { width: 16, height: 16 }, steps: 3, boundary: 'searched' as const, tiles: 1 } };
    const ed = { ...entry('d1', 5, 900), origin: { kind: 'edit' as const, task: 'drag', preset: 'fast', steps: 8, evaluations: 30 } };
    const { client } = fakeEngine([up, ed]);
    const m = new GalleryModule(app, () => client as never);
    await m.load();
    const [u, d] = app.getState().gallery;
    expect(u.upscale).toEqual({ factor: 2, from: { width: 16, height: 16 }, steps: 3, boundary: { source: 'searched' }, tiles: 1 });
    expect(u.edit).toBeUndefined();
    expect(d.edit).toEqual({ task: 'drag', preset: 'fast', steps: 8, evaluations: 30 });
  });

  it('compares two or more picked items, a batch at once, and forgets a removed one', async () => {
    const app = createAppState();
    const b = { id: 'bb', index: 0, size: 3 };
    const { client } = fakeEngine([entry('c1', 1, 3000, b), entry('c2', 2, 3000, { ...b, index: 1 }), entry('c3', 3, 3000, { ...b, index: 2 }), entry('solo', 9, 1000)]);
    const said: string[] = [];
    const m = new GalleryModule(app, () => client as never, (t) => void said.push(t));
    await m.load();
    m.togglePick('solo');
    expect(await m.openCompare()).toBe(false);
    expect(said.at(-1)).toMatch(/two or more/);
    m.togglePick('c2');
    expect(await m.openCompare()).toBe(true);
    expect(m.compare.getState()).toEqual({ picked: ['solo', 'c2'], open: true });
    expect(app.getState().gallery.filter((g) => !g.pending).map((g) => g.id).sort()).toEqual(['c2', 'solo']);
    m.closeCompare();
    m.pickBatch('bb');
    expect(m.compare.getState().picked).toEqual(['c1', 'c2', 'c3']);
    await m.remove('c2');
    expect(m.compare.getState().picked).toEqual(['c1', 'c3']);
    m.togglePick('c1');
    expect(m.compare.getState().picked).toEqual(['c3']);
  });
});
