import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDocument, createImageLayer, deserialize, PixelStore } from '../../renderer/src/document/index.js';
import { addLayer, addStroke, appendStrokePoint, DocumentStore, placeLayer, removeLayer } from '../../renderer/src/store/index.js';

function storeWithPixels() {
  const pixels = new PixelStore();
  const store = new DocumentStore({ document: createDocument(64, 64), pixels });
  const id = pixels.put({ width: 32, height: 32, bytes: new Uint8Array(32 * 32 * 4).fill(7) });
  return { pixels, store, id };
}

afterEach(() => vi.useRealTimers());

describe('patch history', () => {
  it('each undoable update is one step; undo and redo apply patches', () => {
    const { store } = storeWithPixels();
    const layer = createImageLayer({ id: 'l', pixelId: 'p', width: 8, height: 8 });
    store.update(addLayer(layer), { name: 'add layer' });
    store.update(placeLayer('l', { x: 5 }));
    expect(store.doc.layers[0].x).toBe(5);
    expect(store.store.getState().history).toMatchObject({ canUndo: true, canRedo: false });
    store.undo();
    expect(store.doc.layers[0].x).toBe(0);
    store.undo();
    expect(store.doc.layers).toHaveLength(0);
    expect(store.history.redoName).toBe('add layer');
    store.redo();
    store.redo();
    expect(store.doc.layers[0].x).toBe(5);
    store.undo();
    store.update(placeLayer('l', { y: 3 }));
    expect(store.history.canRedo).toBe(false);
  });

  it('a mark groups a gesture into one step; bail restores the mark', () => {
    const { store } = storeWithPixels();
    const before = store.doc;
    store.history.mark('brush');
    store.update(addStroke({ id: 's', mode: 'brush', size: 4, hardness: 1, points: [1, 1] }));
    for (let i = 2; i < 10; i++) store.update(appendStrokePoint('s', { x: i, y: i }));
    store.history.commit();
    expect(store.history.stacks.undo).toHaveLength(1);
    expect(store.history.undoName).toBe('brush');
    store.history.mark('brush');
    store.update(addStroke({ id: 't', mode: 'brush', size: 4, hardness: 1, points: [1, 1] }));
    store.history.bail();
    expect(store.doc.mask.strokes.map((s) => s.id)).toEqual(['s']);
    expect(store.history.stacks.undo).toHaveLength(1);
    store.undo();
    expect(store.doc).toEqual(before);
    store.redo();
    expect(store.doc.mask.strokes[0].points).toHaveLength(18);
  });

  it('nested marks fold into the outer one', () => {
    const { store } = storeWithPixels();
    store.history.mark('outer');
    store.update(addLayer(createImageLayer({ id: 'a', pixelId: 'p', width: 1, height: 1 })));
    store.history.mark('inner');
    store.update(placeLayer('a', { x: 9 }));
    store.history.commit();
    store.history.commit();
    expect(store.history.stacks.undo.map((e) => e.name)).toEqual(['outer']);
    store.undo();
    expect(store.doc.layers).toHaveLength(0);
  });

  it('non-undoable updates and viewport changes stay out of history', () => {
    const { store } = storeWithPixels();
    store.setViewport({ zoom: 2, panX: 10, panY: 20 });
    store.update(addLayer(createImageLayer({ id: 'a', pixelId: 'p', width: 1, height: 1 })), { undoable: false });
    expect(store.history.canUndo).toBe(false);
    expect(store.doc.layers).toHaveLength(1);
  });

  it('history holds patches, never pixel bytes', () => {
    const { store, pixels, id } = storeWithPixels();
    store.update(addLayer(createImageLayer({ id: 'a', pixelId: id, width: 32, height: 32 })));
    store.update(placeLayer('a', { x: 4, scaleX: 2 }));
    store.update(removeLayer('a'));
    store.undo();
    const all = [...store.history.values()];
    expect(all.length).toBeGreaterThan(0);
    const json = JSON.stringify([store.history.stacks, store.doc]);
    expect(json.length).toBeLessThan(2000);
    const hasBytes = (v: unknown): boolean => ArrayBuffer.isView(v) || (typeof v === 'object' && v !== null && Object.values(v).some(hasBytes));
    expect(all.some((p) => hasBytes(p.value))).toBe(false);
    expect(pixels.get(id)?.bytes).toHaveLength(32 * 32 * 4);
  });

  it('save collects pixels nothing references, keeping those undo could bring back', () => {
    const { store, pixels, id } = storeWithPixels();
    const orphan = pixels.put({ width: 1, height: 1, url: 'blob:x' });
    store.update(addLayer(createImageLayer({ id: 'a', pixelId: id, width: 32, height: 32 })));
    store.update(removeLayer('a'));
    const saved = store.save();
    expect(saved.pixelIds).toEqual([]);
    expect(pixels.has(orphan)).toBe(false);
    expect(pixels.has(id)).toBe(true); // undo of the removal still needs it
    store.undo();
    expect(store.save().pixelIds).toEqual([id]);
    expect(deserialize(saved.json).layers).toEqual([]);
    store.history.clear();
    store.update(removeLayer('a'), { undoable: false });
    store.save();
    expect(pixels.size).toBe(0);
  });

  it('onChange is debounced and ignores viewport changes', () => {
    vi.useFakeTimers();
    const { store } = storeWithPixels();
    const seen: number[] = [];
    const off = store.onChange((doc) => seen.push(doc.layers.length), 300);
    store.update(addLayer(createImageLayer({ id: 'a', pixelId: 'p', width: 1, height: 1 })));
    vi.advanceTimersByTime(200);
    store.update(addLayer(createImageLayer({ id: 'b', pixelId: 'p', width: 1, height: 1 })));
    vi.advanceTimersByTime(299);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual([2]);
    store.setViewport({ zoom: 3, panX: 0, panY: 0 });
    vi.advanceTimersByTime(1000);
    expect(seen).toEqual([2]);
    store.undo();
    off();
    vi.advanceTimersByTime(1000);
    expect(seen).toEqual([2]);
  });

  it('caps the number of undo steps', () => {
    const store = new DocumentStore({ document: createDocument(8, 8), historyLimit: 3 });
    store.update(addLayer(createImageLayer({ id: 'a', pixelId: 'p', width: 1, height: 1 })));
    for (let x = 1; x <= 5; x++) store.update(placeLayer('a', { x }));
    expect(store.history.stacks.undo).toHaveLength(3);
    while (store.undo());
    expect(store.doc.layers[0].x).toBe(2);
  });
});
