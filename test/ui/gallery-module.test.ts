/** The gallery module against a fake engine gallery: loaded when the engine's connection opens, merged, deleted on disk, batches kept together. */
import { describe, expect, it } from 'vitest';
import type { GalleryEntry, GeneratedImage } from '../../main/api/contract.js';
import { createAppState, type StatusMessage } from '../../renderer/src/ui/app-state.js';
import { GalleryModule, type NewGalleryItem } from '../../renderer/src/ui/gallery/gallery.js';
import { generationEntries } from '../../renderer/src/ui/generate/generation.js';

const PNG = new Uint8Array([137, 80, 78, 71]);

function entry(id: string, seed: number, createdAt: number, batch = { id, index: 0, size: 1 }): GalleryEntry {
  return { id, createdAt, width: 32, height: 32, parameters: `cat\nSteps: 4, Seed: ${seed}`, settings: { model: 'emoji-32', prompt: 'cat', sampler: 'euler', steps: 4, cfgScale: 2, seed }, batch };
}

function fakeEngine(entries: GalleryEntry[]) {
  const deleted: string[] = [];
  const client = {
    galleryList: async ({ offset = 0, limit = 50 }: { offset?: number; limit?: number }) => ({ entries: entries.slice(offset, offset + limit).map((e) => ({ ...e, thumbnail: PNG })), total: entries.length }),
    galleryGet: async ({ id }: { id: string }) => ({ entry: entries.find((e) => e.id === id)!, png: PNG }),
    galleryDelete: async ({ id }: { id: string }) => {
      deleted.push(id);
      const at = entries.findIndex((e) => e.id === id);
      if (at >= 0) entries.splice(at, 1);
      return { deleted: at >= 0 };
    },
  };
  return { client, deleted };
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
});
