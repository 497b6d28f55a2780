import { describe, expect, it, vi } from 'vitest';
import type { EditRequest, EditResult } from '../../main/api/contract.js';
import { createDocument, createImageLayer, PixelStore, type CanvasDocument, type ImageLayer } from '../../renderer/src/document/index.js';
import { comparisonActive, shownOriginal } from '../../renderer/src/store/state.js';
import { Editor } from '../../renderer/src/tools/index.js';
import { STUDIO_TOOLS } from '../../renderer/src/tools/tools.js';
import { createAppState, type StatusMessage } from '../../renderer/src/ui/app-state.js';
import { EditController, editFailure, memoryWords, type EditPixels } from '../../renderer/src/ui/edit/controller.js';
import { Jobs } from '../../renderer/src/ui/jobs.js';

const W = 32, H = 32;

function deferred<T>() {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
}

const apiError = (code: string, message: string) => Object.assign(new Error(message), { code });

function result(jobId: string): EditResult {
  return {
    jobId,
    image: { png: new Uint8Array([9, 9]), seed: 5, parameters: 'a face\nSteps: 10, Edit: move' },
    width: W,
    height: H,
    settings: {},
    providers: [],
    timings: { totalMs: 100, invertMs: 40, sampleMs: 60, evaluations: 24 },
    memory: { used: false, reason: 'turned off', layers: [], steps: 0, bytesPerStep: 0, peakBytes: 0, spilledBytes: 0 },
    guidance: { kind: 'x0' },
  };
}

function setup(change: (d: CanvasDocument) => void) {
  const doc = createDocument(W, H);
  doc.layers.push({ ...createImageLayer({ id: 'base', pixelId: 'px-base', width: 16, height: 16, at: { x: 2, y: 3 } }), scaleX: 2, scaleY: 2 });
  change(doc);
  const editor = new Editor({ tools: STUDIO_TOOLS, document: doc, pixels: new PixelStore() });
  const app = createAppState();
  app.setState({ settings: { ...app.getState().settings, model: 'emoji-32', prompt: 'a face' } });
  const jobs = new Jobs(app, () => 0);
  const calls: EditRequest[] = [];
  let pending = deferred<EditResult>();
  const client = {
    edit: vi.fn((req: EditRequest) => {
      calls.push(req);
      return pending.promise;
    }),
    cancel: vi.fn(async () => ({ cancelled: true })),
  };
  const masks: Float32Array[] = [];
  const store = editor.store.pixels!;
  const pixels: EditPixels = {
    layerOnCanvas: async (layer: ImageLayer) => new TextEncoder().encode(`canvas:${layer.pixelId}`),
    mask: async (m) => {
      masks.push(m);
      return new Uint8Array([masks.length]);
    },
    layerAsReference: async (layer, factor, width, height) => ({ image: new TextEncoder().encode(`ref:${layer.pixelId}@${factor}:${width}x${height}`), mask: new Uint8Array([200]), box: { x: 1, y: 1, width: 4, height: 4 } }),
    addResult: async () => {
      store.put({ width: W, height: H, url: 'blob:result' }, 'px-result');
      store.pin('px-result');
      return { id: 'px-result', width: W, height: H };
    },
    settle: (id) => store.unpin(id),
  };
  const said: StatusMessage[] = [];
  const gallery: EditResult[] = [];
  const tasks: string[] = [];
  let previewCleared = 0;
  const edits = new EditController({
    app, editor, jobs, pixels,
    client: () => client,
    say: (text, level = 'info') => said.push({ text, level, at: 0 }),
    addToGallery: (r, task) => {
      gallery.push(r);
      tasks.push(task);
    },
    clearPreview: () => previewCleared++,
  });
  return {
    editor, app, jobs, client, calls, masks, said, gallery, tasks, edits,
    previewCleared: () => previewCleared,
    /** Let the controller reach the engine call (pixels are encoded asynchronously). */
    reachEngine: () => vi.waitFor(() => expect(calls.length).toBeGreaterThan(0)),
    respond: (r: EditResult) => pending.resolve(r),
    fail: (e: unknown) => pending.reject(e),
    nextCall: () => (pending = deferred<EditResult>()),
  };
}

const moved = (d: CanvasDocument) => {
  d.selection = { shape: { kind: 'rect', x: 4, y: 4, width: 8, height: 8 }, dx: 10, dy: 6, scaleX: 1, scaleY: 1 };
};

describe('Apply edit', () => {
  it('the canvas is untouched while the edit runs; the result lands as one undo step that undo reverses exactly', async () => {
    const t = setup(moved);
    const start = t.editor.doc;
    const applying = t.edits.apply();
    await t.reachEngine();
    const req = t.calls[0];
    expect(req).toMatchObject({ kind: 'move', model: 'emoji-32', prompt: 'a face', preset: 'fast', offset: { x: 10, y: 6 }, scale: { x: 1, y: 1 }, seed: 0, options: {} });
    expect(new TextDecoder().decode(req.image)).toBe('canvas:px-base');
    expect(t.masks[0].reduce((a, v) => a + v, 0)).toBe(64);
    const job = t.app.getState().job!;
    expect(job).toMatchObject({ kind: 'edit', cancelling: false });
    expect(req.jobId).toBe(job.id);

    expect(t.jobs.progress({ jobId: job.id, phase: 'invert', step: 2, total: 10 })).toBe(true);
    expect(t.app.getState().job).toMatchObject({ phase: 'invert', progress: { step: 2, total: 10 } });
    t.jobs.progress({ jobId: job.id, phase: 'sample', step: 1, total: 10 });
    expect(t.app.getState().job?.phase).toBe('sample');
    expect(t.editor.doc).toBe(start);
    expect(t.editor.store.history.canUndo).toBe(false);

    t.respond(result(job.id));
    await applying;
    const doc = t.editor.doc;
    expect(doc.layers).toHaveLength(1);
    expect(doc.layers[0]).toMatchObject({ id: 'base', pixelId: 'px-result', x: 0, y: 0, width: W, height: H, scaleX: 1, scaleY: 1 });
    expect(doc.selection).toBeNull();
    expect(t.editor.store.history.stacks.undo).toHaveLength(1);
    expect(t.editor.store.history.undoName).toBe('edit: move / resize');
    expect(t.app.getState().job).toBeNull();
    expect(t.gallery).toHaveLength(1);
    expect(t.tasks).toEqual(['move / resize']);
    expect(t.previewCleared()).toBe(1);
    expect(t.said.at(-1)).toMatchObject({ level: 'info', text: expect.stringMatching(/^Edited \(move \/ resize\).*24 model evaluations, attention memory off\./) });

    // Before/after: the UI shows the old pixels where they were; the document does not change.
    expect(comparisonActive(doc, t.editor.ui)).toBe(true);
    t.edits.showOriginal(true);
    expect(shownOriginal(doc.layers[0], t.editor.ui)).toEqual({ pixelId: 'px-base', x: 2, y: 3, width: 32, height: 32 });
    expect(t.editor.doc).toBe(doc);
    t.edits.showOriginal(false);
    expect(shownOriginal(doc.layers[0], t.editor.ui)).toBeNull();

    t.editor.undo();
    expect(t.editor.doc).toEqual(start);
    expect(comparisonActive(t.editor.doc, t.editor.ui)).toBe(false);
    expect(t.editor.store.historyPixelIds()).toContain('px-result');
    t.editor.redo();
    expect(t.editor.doc).toEqual(doc);
  });

  it('cancel mid-edit leaves the canvas exactly as it was', async () => {
    const t = setup(moved);
    const start = t.editor.doc;
    const applying = t.edits.apply();
    await t.reachEngine();
    const id = t.app.getState().job!.id;
    await t.jobs.cancel(t.client, () => {});
    expect(t.client.cancel).toHaveBeenCalledWith({ jobId: id });
    expect(t.app.getState().job?.cancelling).toBe(true);
    expect(t.jobs.progress({ jobId: id, step: 3, total: 10, preview: { width: 1, height: 1, rgb: new Uint8Array(3) } }), 'no previews after cancel').toBe(false);
    t.fail(apiError('CANCELLED', 'cancelled'));
    await applying;
    expect(t.editor.doc).toBe(start);
    expect(t.editor.store.history.canUndo).toBe(false);
    expect(t.app.getState().job).toBeNull();
    expect(t.gallery).toHaveLength(0);
    expect(t.said.at(-1)).toMatchObject({ text: 'Cancelled. The canvas is unchanged.', level: 'info' });
  });

  it('a result that arrives after Cancel is dropped', async () => {
    const t = setup(moved);
    const start = t.editor.doc;
    const applying = t.edits.apply();
    await t.reachEngine();
    const id = t.app.getState().job!.id;
    t.client.cancel.mockResolvedValueOnce({ cancelled: false });
    const cancelling = t.jobs.cancel(t.client, () => {}, 1);
    t.respond(result(id));
    await applying;
    await cancelling;
    expect(t.editor.doc).toBe(start);
    expect(t.gallery).toHaveLength(0);
    expect(t.said.at(-1)?.text).toBe('Cancelled. The canvas is unchanged.');
  });

  it('an engine error is said in plain words and nothing changes', async () => {
    const t = setup(moved);
    const start = t.editor.doc;
    const applying = t.edits.apply();
    await t.reachEngine();
    t.fail(apiError('BAD_REQUEST', 'offset: the target leaves the canvas'));
    await applying;
    expect(t.editor.doc).toBe(start);
    expect(t.app.getState().job).toBeNull();
    expect(t.said.at(-1)).toEqual({ level: 'error', at: 0, text: 'The engine could not run this edit: offset: the target leaves the canvas. The canvas is unchanged.' });
    expect(editFailure(apiError('NOT_IMPLEMENTED', 'not yet'))).toMatch(/cannot edit images yet/);
    expect(editFailure(new Error('boom'))).toBe('The edit failed: boom. The canvas is unchanged.');
  });

  it('refuses before calling the engine when there is nothing to edit, no model, a bad field, or a job running', async () => {
    const t = setup(() => {});
    await t.edits.apply();
    expect(t.said.at(-1)).toMatchObject({ level: 'error', text: expect.stringMatching(/^Nothing to edit yet/) });

    const u = setup(moved);
    u.edits.updateForm({ steps: '1' });
    await u.edits.apply();
    expect(u.said.at(-1)?.text).toMatch(/^Steps must be/);
    u.app.setState({ settings: { ...u.app.getState().settings, model: '' } });
    await u.edits.apply();
    expect(u.said.at(-1)?.text).toMatch(/Pick a model/);
    u.app.setState({ settings: { ...u.app.getState().settings, model: 'emoji-32' } });
    u.jobs.begin('generate', 'g1', 1);
    await u.edits.apply();
    expect(u.said.at(-1)).toMatchObject({ level: 'warn', text: expect.stringMatching(/A generation is already running/) });
    expect(t.client.edit).not.toHaveBeenCalled();
    expect(u.client.edit).not.toHaveBeenCalled();
  });

  it('what the user changed while the edit ran is kept; a stroke in progress is finished first, as its own step', async () => {
    const t = setup(moved);
    const applying = t.edits.apply();
    await t.reachEngine();
    const id = t.app.getState().job!.id;
    // A new selection, then a brush stroke still held down when the result arrives.
    t.editor.setTool('marquee');
    t.editor.pointerDown({ x: 20, y: 20 });
    t.editor.pointerMove({ x: 28, y: 28 });
    t.editor.pointerUp({ x: 28, y: 28 });
    const newSelection = t.editor.doc.selection;
    t.editor.setTool('brush');
    t.editor.pointerDown({ x: 5, y: 5 });
    t.editor.pointerMove({ x: 9, y: 5 });
    t.respond(result(id));
    await new Promise((r) => setTimeout(r, 10));
    expect(t.editor.doc.layers[0].pixelId, 'waits for the stroke').toBe('px-base');
    // An autosave meanwhile must not collect the result that nothing references yet.
    t.editor.store.save();
    expect(t.editor.store.pixels!.has('px-result')).toBe(true);
    t.editor.pointerUp({ x: 9, y: 5 });
    await applying;
    const doc = t.editor.doc;
    expect(doc.layers[0].pixelId).toBe('px-result');
    expect(doc.selection).toEqual(newSelection);
    expect(doc.mask.strokes).toHaveLength(1);
    expect(t.editor.store.history.stacks.undo.map((e) => e.name)).toEqual(['select', 'brush', 'edit: move / resize']);
    t.editor.undo();
    expect(t.editor.doc.layers[0].pixelId).toBe('px-base');
    expect(t.editor.doc.mask.strokes).toHaveLength(1);
    // Landed, the result is kept because history references it, not because it is pinned.
    t.editor.store.history.clear();
    t.editor.store.save();
    expect(t.editor.store.pixels!.has('px-result')).toBe(false);
  });

  it('paste: the pasted layer is the reference, placed by its opaque box, and is removed with the same undo step', async () => {
    const t = setup((d) => d.layers.push(createImageLayer({ id: 'obj', pixelId: 'px-obj', width: 8, height: 8, at: { x: 20, y: 10 } })));
    const start = t.editor.doc;
    const applying = t.edits.apply();
    await t.reachEngine();
    const req = t.calls[0];
    expect(req.kind).toBe('paste');
    expect(req.offset).toEqual({ x: 21, y: 11 });
    expect(req.scale).toEqual({ x: 1, y: 1 });
    expect(new TextDecoder().decode(req.reference!.image)).toBe('ref:px-obj@1:32x32');
    expect(req.reference!.mask).toEqual(new Uint8Array([200]));
    expect(t.masks[0].reduce((a, v) => a + v, 0)).toBe(16);
    t.respond(result(t.app.getState().job!.id));
    await applying;
    expect(t.editor.doc.layers.map((l) => l.id)).toEqual(['base']);
    expect(t.editor.store.history.stacks.undo).toHaveLength(1);
    t.editor.undo();
    expect(t.editor.doc).toEqual(start);
  });

  it('appearance: the reference region over the base image; the region is consumed', async () => {
    const t = setup((d) => {
      d.mask.strokes.push({ id: 's', mode: 'brush', size: 4, hardness: 1, points: [6, 6, 10, 6] });
      d.reference = { kind: 'rect', x: 20, y: 20, width: 6, height: 5 };
      d.selection = { shape: { kind: 'rect', x: 4, y: 4, width: 8, height: 8 }, dx: 3, dy: 0, scaleX: 1, scaleY: 1 };
    });
    t.edits.updateForm({ kind: 'appearance', preset: 'diffeditor', steps: '20', prompt: 'a blue face' });
    const applying = t.edits.apply();
    await t.reachEngine();
    const req = t.calls[0];
    expect(req).toMatchObject({ kind: 'appearance', preset: 'diffeditor', steps: 20, prompt: 'a blue face' });
    expect(new TextDecoder().decode(req.reference!.image)).toBe('canvas:px-base');
    expect(t.masks[1].reduce((a, v) => a + v, 0)).toBe(30);
    t.respond(result(t.app.getState().job!.id));
    await applying;
    expect(t.editor.doc.reference).toBeNull();
    // The selection described a move, not this edit: it stays.
    expect(t.editor.doc.selection).not.toBeNull();
  });
});

describe('the status line on attention memory', () => {
  it('says what the memory held, that it was off, or why the model has none', () => {
    const base = { layers: [], steps: 0, bytesPerStep: 0, peakBytes: 0, spilledBytes: 0 };
    expect(memoryWords({ ...base, used: true, layers: ['a', 'b', 'c', 'd'], steps: 7, bytesPerStep: 352 * 1024 })).toBe('attention memory on 4 layers (352 KiB per step)');
    expect(memoryWords({ ...base, used: false, reason: 'turned off' })).toBe('attention memory off');
    expect(memoryWords({ ...base, used: false, reason: 'attention memory is not available for this model: no self-attention' })).toBe('attention memory is not available for this model: no self-attention');
  });
});
