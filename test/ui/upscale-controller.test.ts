import { describe, expect, it, vi } from 'vitest';
import type { ModelEntry, UpscaleRequest, UpscaleResult } from '../../main/api/contract.js';
import { createDocument, createImageLayer, PixelStore } from '../../renderer/src/document/index.js';
import { Editor } from '../../renderer/src/tools/index.js';
import { STUDIO_TOOLS } from '../../renderer/src/tools/tools.js';
import { createAppState, type GalleryItem, type StatusMessage } from '../../renderer/src/ui/app-state.js';
import { Jobs } from '../../renderer/src/ui/jobs.js';
import { UpscaleController, type UpscaleOrigin } from '../../renderer/src/ui/upscale/controller.js';
import { parseUpscaleForm } from '../../renderer/src/ui/upscale/form.js';

const MODELS: ModelEntry[] = [
  { name: 'emoji-32', path: '/p/emoji-32', source: 'embedded', family: 'pixel', recommended: { steps: 20 } },
  { name: 'emoji-sr-64', path: '/p/emoji-sr-64', source: 'embedded', family: 'pixel-sr', recommended: { steps: 10 } },
];

function deferred<T>() {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
}

const apiError = (code: string, message: string) => Object.assign(new Error(message), { code });

function result(jobId: string, width: number, height: number, source: 'searched' | 'random' = 'random'): UpscaleResult {
  return {
    jobId,
    image: { png: new Uint8Array([1, 2, 3]), seed: 0, parameters: 'Steps: 10, Upscale: 2x from 32x32' },
    width,
    height,
    boundary: source === 'searched' ? { source, metric: 'ssim', searchedOn: '2026-12-06T05:00:00.000Z', calibration: 'emoji-sr-64 calibration set' } : { source },
    tiles: { count: 1, size: [width, height], overlap: 0 },
    steps: 10,
    sampler: 'pack',
    providers: [{ component: 'unet', provider: 'cpu', skipped: [] }],
    timings: { totalMs: 300, evaluations: 10 },
  };
}

function setup(opts: { models?: ModelEntry[]; select?: boolean } = {}) {
  const doc = createDocument(32, 32);
  doc.layers.push(createImageLayer({ id: 'base', pixelId: 'px-base', width: 32, height: 32, name: 'scene' }));
  const editor = new Editor({ tools: STUDIO_TOOLS, document: doc, pixels: new PixelStore() });
  if (opts.select !== false) editor.select({ kind: 'layer', id: 'base' });
  const app = createAppState();
  const jobs = new Jobs(app, () => 0);
  const calls: UpscaleRequest[] = [];
  let pending = deferred<UpscaleResult>();
  const client = {
    upscale: vi.fn((req: UpscaleRequest) => {
      calls.push(req);
      return pending.promise;
    }),
    cancel: vi.fn(async () => ({ cancelled: true })),
  };
  const store = editor.store.pixels!;
  const said: StatusMessage[] = [];
  const gallery: { result: UpscaleResult; origin: UpscaleOrigin }[] = [];
  const upscales = new UpscaleController({
    app, editor, jobs,
    pixels: {
      layerPng: async (layer) => new TextEncoder().encode(`png:${layer.pixelId}`),
      addResult: async (png) => {
        store.put({ width: 64, height: 64, url: 'blob:up' }, 'px-up');
        store.pin('px-up');
        return { id: 'px-up', width: png.length === 3 ? 64 : 0, height: 64 };
      },
      settle: (id) => store.unpin(id),
    },
    client: () => client,
    say: (text, level = 'info') => said.push({ text, level, at: 0 }),
    addToGallery: (r, origin) => gallery.push({ result: r, origin }),
  });
  app.setState({ models: opts.models ?? MODELS });
  upscales.initialize();
  return {
    editor, app, jobs, client, calls, said, gallery, upscales, store,
    reachEngine: () => vi.waitFor(() => expect(calls.length).toBeGreaterThan(0)),
    respond: (r: UpscaleResult) => pending.resolve(r),
    fail: (e: unknown) => pending.reject(e),
    next: () => (pending = deferred<UpscaleResult>()),
  };
}

describe('Upscale a layer', () => {
  it('sends the layer\'s own PNG with the upscaler\'s defaults; the result lands as one undoable new layer twice the size', async () => {
    const t = setup();
    expect(t.upscales.form.model, 'the first upscaler is picked, not the first model').toBe('emoji-sr-64');
    const start = t.editor.doc;
    const running = t.upscales.upscaleLayer();
    await t.reachEngine();
    const req = t.calls[0];
    expect(req).toMatchObject({ model: 'emoji-sr-64', sampler: 'pack', steps: 10, bc: 'auto', seed: 0, previewEvery: 0 });
    expect(new TextDecoder().decode(req.image)).toBe('png:px-base');
    const job = t.app.getState().job!;
    expect(job).toMatchObject({ kind: 'upscale', id: req.jobId, cancelling: false });
    t.jobs.progress({ jobId: job.id, phase: 'sample', step: 4, total: 10, etaMs: 1500 });
    expect(t.app.getState().job?.progress).toMatchObject({ step: 4, total: 10, etaMs: 1500 });
    expect(t.editor.doc, 'nothing changes while it runs').toBe(start);

    t.respond(result(job.id, 64, 64, 'searched'));
    await running;
    const doc = t.editor.doc;
    expect(doc.layers).toHaveLength(2);
    expect(doc.layers[1]).toMatchObject({ pixelId: 'px-up', width: 64, height: 64, x: 0, y: 0, scaleX: 1, scaleY: 1, name: 'scene ×2' });
    expect(doc.canvas).toEqual({ width: 64, height: 64 });
    expect(t.editor.ui.selected).toEqual({ kind: 'layer', id: doc.layers[1].id });
    expect(t.app.getState().job).toBeNull();
    expect(t.gallery).toHaveLength(1);
    expect(t.gallery[0].origin).toEqual({ model: 'emoji-sr-64', factor: 2, from: { width: 32, height: 32 }, steps: 10 });
    expect(t.said.at(-1)).toMatchObject({ level: 'info', text: expect.stringMatching(/^Upscaled "scene" 2× to 64×64 .*searched boundary condition \(ssim, 2026-12-06 on emoji-sr-64 calibration set\).*Ctrl\+Z removes it/) });

    expect(t.editor.store.history.undoName).toBe('upscale layer');
    t.editor.undo();
    expect(t.editor.doc).toEqual(start);
    expect(t.editor.store.history.canUndo).toBe(false);
    // Landed and settled: the result's pixels are no longer pinned (redo keeps them through the history).
    expect(t.store.gc(['px-base'])).toContain('px-up');
  });

  it('keep: the canvas stays and the layer is drawn at half scale; the status says the boundary was random', async () => {
    const t = setup();
    t.upscales.updateForm({ placement: 'keep', bc: 'random', seed: '7', steps: '3' });
    const running = t.upscales.upscaleLayer('base');
    await t.reachEngine();
    expect(t.calls[0]).toMatchObject({ bc: 'random', seed: 7, steps: 3 });
    t.respond(result(t.calls[0].jobId, 64, 64));
    await running;
    expect(t.editor.doc.canvas).toEqual({ width: 32, height: 32 });
    expect(t.editor.doc.layers[1]).toMatchObject({ width: 64, height: 64, scaleX: 0.5, scaleY: 0.5 });
    expect(t.said.at(-1)?.text).toMatch(/random boundary condition \(seed 7\)/);
  });

  it('Cancel leaves the canvas as it was', async () => {
    const t = setup();
    const start = t.editor.doc;
    const running = t.upscales.upscaleLayer();
    await t.reachEngine();
    await t.jobs.cancel(t.client, () => {});
    t.fail(apiError('CANCELLED', 'cancelled'));
    await running;
    expect(t.editor.doc).toBe(start);
    expect(t.editor.store.history.canUndo).toBe(false);
    expect(t.gallery).toHaveLength(0);
    expect(t.app.getState().job).toBeNull();
    expect(t.said.at(-1)).toMatchObject({ level: 'info', text: 'Cancelled. Nothing was changed.' });
  });

  it('an engine error names its limit in the status line and nothing is lost', async () => {
    const t = setup();
    t.upscales.updateForm({ steps: '4' });
    const start = t.editor.doc;
    const running = t.upscales.upscaleLayer();
    await t.reachEngine();
    t.fail(apiError('BAD_REQUEST', 'size 320x320 is larger than this model can make (at most 256x256 output, i.e. a smaller low-resolution image)'));
    await running;
    expect(t.editor.doc).toBe(start);
    expect(t.app.getState().job).toBeNull();
    expect(t.said.at(-1)).toMatchObject({ level: 'error', text: expect.stringContaining('at most 256x256') });
    expect(t.upscales.form.steps, 'the form is kept').toBe('4');
  });

  it('a layer removed while it was upscaled: the result goes to the gallery only', async () => {
    const t = setup();
    const running = t.upscales.upscaleLayer();
    await t.reachEngine();
    t.editor.update((d) => {
      d.layers = [];
    });
    const before = t.editor.doc;
    t.respond(result(t.calls[0].jobId, 64, 64));
    await running;
    expect(t.editor.doc).toBe(before);
    expect(t.gallery).toHaveLength(1);
    expect(t.said.at(-1)).toMatchObject({ level: 'warn', text: expect.stringContaining('only in the gallery') });
  });

  it('refuses before calling the engine: no layer selected, no upscaler installed, a bad field, a job running', async () => {
    const none = setup({ select: false });
    await none.upscales.upscaleLayer();
    expect(none.said.at(-1)).toMatchObject({ level: 'error', text: expect.stringMatching(/^Select an image layer/) });

    const noModel = setup({ models: [MODELS[0]] });
    expect(noModel.upscales.form.model).toBe('');
    await noModel.upscales.upscaleLayer();
    expect(noModel.said.at(-1)?.text).toMatch(/Pick an upscaling model/);

    const t = setup();
    t.upscales.updateForm({ seed: '-1' });
    await t.upscales.upscaleLayer();
    expect(t.said.at(-1)?.text).toMatch(/^Seed must be a whole number/);
    t.upscales.updateForm({ seed: '' });
    t.jobs.begin('search', 's1', 0);
    await t.upscales.upscaleLayer();
    expect(t.said.at(-1)).toMatchObject({ level: 'warn', text: expect.stringMatching(/^A boundary search is already running/) });
    for (const x of [none, noModel, t]) expect(x.client.upscale).not.toHaveBeenCalled();
  });

  it('follows the model list: a removed upscaler is replaced by one still installed', () => {
    const t = setup();
    t.upscales.updateForm({ model: 'emoji-sr-64' });
    t.app.setState({ models: [MODELS[0], { ...MODELS[1], name: 'emoji-sr-x4', family: 'upscaler' }] });
    expect(t.upscales.form.model).toBe('emoji-sr-x4');
    t.upscales.destroy();
    t.app.setState({ models: MODELS });
    expect(t.upscales.form.model, 'no longer listening after destroy').toBe('emoji-sr-x4');
  });
});

describe('Upscale a gallery item', () => {
  it('sends the item\'s PNG and adds the result to the gallery; the canvas is untouched', async () => {
    const t = setup();
    const item = { id: 'g1', png: new Uint8Array([7, 7]), width: 32, height: 32, seed: 42 } as unknown as GalleryItem;
    t.app.setState({ gallery: [item] });
    const start = t.editor.doc;
    const running = t.upscales.upscaleGalleryItem('g1');
    await t.reachEngine();
    expect([...t.calls[0].image]).toEqual([7, 7]);
    t.respond(result(t.calls[0].jobId, 64, 64));
    await running;
    expect(t.editor.doc).toBe(start);
    expect(t.gallery[0].origin).toMatchObject({ galleryId: 'g1', factor: 2, from: { width: 32, height: 32 } });
    expect(t.said.at(-1)?.text).toMatch(/^Upscaled the gallery image \(seed 42\) 2× to 64×64 .*added to the gallery\.$/);
  });
});

describe('the upscale form', () => {
  it('empty steps take the model\'s recommended count; the contract\'s ranges are checked', () => {
    const base = { model: 'emoji-sr-64', sampler: 'pack', steps: '', bc: 'auto', seed: '', placement: 'grow' } as const;
    expect(parseUpscaleForm(base, MODELS)).toEqual({ ok: true, value: { model: 'emoji-sr-64', sampler: 'pack', bc: 'auto', seed: 0, steps: 10, previewEvery: 0 } });
    const noRec = parseUpscaleForm(base, [{ ...MODELS[1], recommended: undefined }]);
    expect(noRec.ok && 'steps' in noRec.value).toBe(false);
    expect(parseUpscaleForm({ ...base, steps: '1001' }, MODELS)).toMatchObject({ ok: false, errors: [expect.stringMatching(/^Steps must be a whole number from 1 to 1000/)] });
    expect(parseUpscaleForm({ ...base, steps: '2.5' }, MODELS).ok).toBe(false);
    expect(parseUpscaleForm({ ...base, model: 'emoji-32' }, MODELS)).toMatchObject({ ok: false, errors: ['emoji-32 is not an upscaling model.'] });
  });
});
