import { describe, expect, it } from 'vitest';
import { GenerateRequest, type GenerateResult } from '../../main/api/contract.js';
import { createDocument, createImageLayer, type CanvasDocument, type Rect } from '../../renderer/src/document/index.js';
import type { FrameRules } from '../../renderer/src/document/frame.js';
import { setFrame } from '../../renderer/src/store/actions/frame.js';
import { addStroke } from '../../renderer/src/store/actions/mask.js';
import { Editor } from '../../renderer/src/tools/index.js';
import { STUDIO_TOOLS } from '../../renderer/src/tools/tools.js';
import { createAppState, type GalleryItem, type StatusMessage } from '../../renderer/src/ui/app-state.js';
import { FrameModule } from '../../renderer/src/ui/frame/frame.js';
import { frameRulesFromEntry, frameRulesFromInfo, frameSizeChoices } from '../../renderer/src/ui/frame/rules.js';
import { GenerateModule, type GenerateHost, type GeneratePixels } from '../../renderer/src/ui/generate/generation.js';
import { DEFAULT_SETTINGS } from '../../renderer/src/ui/generate/settings.js';
import { fillUncovered, forInpaintingModel, frameSource, type Rgba } from '../../renderer/src/ui/generate/source.js';
import { Jobs } from '../../renderer/src/ui/jobs.js';

const EMOJI_INFO = { name: 'emoji-32', family: 'pixel', defaultSize: 32, vaeScale: 1, unetMultiple: 4, upscaleFactor: 1, latentChannels: 3, hasVaeDecoder: false, hasVaeEncoder: false };
const EMOJI: FrameRules = { size: 32, multiple: 4, maxSide: 128 };
/** A latent model trained at 64 (its VAE 4×, its UNet 2×: sides multiples of 8). */
const BIG_INFO = { name: 'big', family: 'sd1', defaultSize: 64, vaeScale: 4, unetMultiple: 2, upscaleFactor: 1, latentChannels: 4, hasVaeDecoder: true, hasVaeEncoder: true };

/** An image whose left `cols` columns are opaque `colour`, the rest transparent. */
function halfImage(w: number, h: number, cols: number, colour: [number, number, number]): Rgba {
  const data = new Uint8ClampedArray(4 * w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < cols; x++) data.set([...colour, 255], 4 * (y * w + x));
  return { width: w, height: h, data };
}

describe('the image Generate starts from', () => {
  it('keeps covered pixels exactly and fills the rest from the nearest ones, never black', () => {
    const src = halfImage(16, 8, 8, [200, 40, 10]);
    src.data.set([10, 200, 40, 255], 4 * (3 * 16 + 7)); // one green pixel on the edge
    const out = fillUncovered(src);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect([...out.data.subarray(4 * (y * 16 + x), 4 * (y * 16 + x) + 4)]).toEqual(y === 3 && x === 7 ? [10, 200, 40, 255] : [200, 40, 10, 255]);
    for (let y = 0; y < 8; y++) {
      for (let x = 8; x < 16; x++) {
        const [r, g, b, a] = out.data.subarray(4 * (y * 16 + x), 4 * (y * 16 + x) + 4);
        expect(a).toBe(255);
        // The edge's red, a little of the green blurred in near row 3, nowhere black.
        expect(r, `(${x}, ${y})`).toBeGreaterThan(150);
        expect(r + g + b).toBeGreaterThan(200);
      }
    }
    const nearGreen = out.data[4 * (3 * 16 + 8) + 1], farGreen = out.data[4 * (7 * 16 + 15) + 1];
    expect(nearGreen).toBeGreaterThan(farGreen);
  });

  it('a half-transparent pixel is its colour over the fill; nothing covered fills grey', () => {
    const src = halfImage(4, 1, 1, [255, 255, 255]);
    src.data.set([0, 0, 0, 100], 4); // too faint to count as covered: over the white fill
    expect([...fillUncovered(src, 1).data.subarray(4, 8)]).toEqual([155, 155, 155, 255]);
    expect([...fillUncovered(halfImage(4, 4, 0, [0, 0, 0])).data.subarray(0, 4)]).toEqual([128, 128, 128, 255]);
  });

  it('frameSource: txt2img sends nothing, img2img the image, inpaint the painted mask, outpaint both areas', () => {
    const none = new Float32Array(64);
    const painted = new Float32Array(64).map((_, i) => (i === 9 ? 1 : 0));
    expect(frameSource(halfImage(8, 8, 0, [1, 2, 3]), painted)).toEqual({ mode: 'txt2img', init: null, mask: null });
    const full = frameSource(halfImage(8, 8, 8, [1, 2, 3]), none);
    expect(full.mode).toBe('img2img');
    expect(full.mask).toBeNull();
    expect([...full.init!.data.subarray(0, 4)]).toEqual([1, 2, 3, 255]);
    expect(frameSource(halfImage(8, 8, 8, [1, 2, 3]), painted)).toMatchObject({ mode: 'inpaint', mask: painted });
    const out = frameSource(halfImage(8, 8, 4, [1, 2, 3]), painted);
    expect(out.mode).toBe('outpaint');
    expect(Array.from({ length: 8 }, (_, x) => out.mask![8 + x])).toEqual([0, 1, 0, 0, 1, 1, 1, 1]);
  });
});

describe('for an inpainting model (it always takes an image and a mask)', () => {
  it('an empty frame is all mask over mid grey; an image without a mask is all mask over the image; a mask is kept', () => {
    const empty = forInpaintingModel(frameSource(halfImage(4, 4, 0, [0, 0, 0]), new Float32Array(16)), 4, 4);
    expect(empty.mode).toBe('txt2img');
    expect([...empty.mask!]).toEqual(Array(16).fill(1));
    expect([...empty.init!.data.subarray(0, 4)]).toEqual([128, 128, 128, 255]);
    const image = forInpaintingModel(frameSource(halfImage(4, 4, 4, [9, 8, 7]), new Float32Array(16)), 4, 4);
    expect(image.mode).toBe('img2img');
    expect([...image.mask!]).toEqual(Array(16).fill(1));
    expect([...image.init!.data.subarray(0, 4)]).toEqual([9, 8, 7, 255]);
    const painted = new Float32Array(16).fill(0.5);
    const inpaint = frameSource(halfImage(4, 4, 4, [9, 8, 7]), painted);
    expect(forInpaintingModel(inpaint, 4, 4)).toBe(inpaint);
  });
});

describe("a model's frame rules", () => {
  it("follow the engine's sizes: the multiple of the VAE and UNet, the pack's or the pixel-space ceiling", () => {
    expect(frameRulesFromInfo(EMOJI_INFO)).toEqual(EMOJI);
    expect(frameRulesFromInfo({ ...EMOJI_INFO, family: 'sd1', defaultSize: 512, vaeScale: 8, unetMultiple: 8, latentChannels: 4, hasVaeDecoder: true })).toEqual({ size: 512, multiple: 64, maxSide: 4096 });
    expect(frameRulesFromInfo({ ...EMOJI_INFO, maxSide: 64 })).toEqual({ size: 32, multiple: 4, maxSide: 64 });
    expect(frameRulesFromInfo({ ...EMOJI_INFO, family: 'pixel-sr', upscaleFactor: 2, unetMultiple: 4 })?.multiple).toBe(4);
    expect(frameRulesFromInfo({ ...EMOJI_INFO, defaultSize: -1 })).toBeNull();
    expect(frameRulesFromInfo('not a pack')).toBeNull();
  });

  it('are taken from the model list when the engine states them there, validated', () => {
    expect(frameRulesFromEntry({ size: { default: 32, multiple: 4, maxSide: 128 } })).toEqual(EMOJI);
    expect(frameRulesFromEntry({ size: { default: 32, multiple: 4, maxSide: 2 } })).toEqual({ size: 32, multiple: 4, maxSide: 4 });
    for (const size of [undefined, null, { default: 32 }, { default: 32, multiple: 0, maxSide: 64 }, { default: 1e9, multiple: 4, maxSide: 64 }, 'big']) {
      expect(frameRulesFromEntry({ size })).toBeNull();
    }
    expect(frameRulesFromEntry(undefined)).toBeNull();
  });

  it('offer the trained size and sensible multiples the model can make', () => {
    expect(frameSizeChoices(EMOJI).map((c) => c.label)).toEqual(['32 × 32 (trained size)', '16 × 16', '48 × 48', '64 × 64', '40 × 28 (landscape)', '28 × 40 (portrait)']);
    expect(frameSizeChoices({ size: 64, multiple: 8, maxSide: 96 }).map((c) => c.label)).toEqual(['64 × 64 (trained size)', '32 × 32', '96 × 96', '80 × 56 (landscape)', '56 × 80 (portrait)']);
  });
});

/** Colours the fake page paints for each pixel id. */
const COLOURS: Record<string, [number, number, number]> = { base: [200, 40, 10] };

/** The page's pixels faked: layers composited as their boxes in their colour, PNGs kept as their source. */
function fakePixels() {
  const sent = { images: [] as Rgba[], masks: [] as Float32Array[], results: 0, settled: [] as string[] };
  const pixels: GeneratePixels = {
    async composite(doc: CanvasDocument, rect: Rect) {
      const data = new Uint8ClampedArray(4 * rect.width * rect.height);
      for (const l of doc.layers.filter((x) => x.visible)) {
        for (let y = 0; y < rect.height; y++) {
          for (let x = 0; x < rect.width; x++) {
            const dx = rect.x + x, dy = rect.y + y;
            if (dx >= l.x && dx < l.x + l.width * l.scaleX && dy >= l.y && dy < l.y + l.height * l.scaleY) data.set([...(COLOURS[l.pixelId] ?? [9, 9, 9]), 255], 4 * (y * rect.width + x));
          }
        }
      }
      return { width: rect.width, height: rect.height, data };
    },
    async png(image) {
      sent.images.push(image);
      return new Uint8Array([sent.images.length]);
    },
    async mask(mask) {
      sent.masks.push(mask);
      return new Uint8Array([100 + sent.masks.length]);
    },
    async addResult() {
      sent.results++;
      return { id: `result-${sent.results}`, width: 32, height: 32 };
    },
    settle: (id) => void sent.settled.push(id),
  };
  return { pixels, sent };
}

function setup(doc: CanvasDocument = createDocument(512, 512)) {
  const app = createAppState();
  app.setState({ connection: 'open', settings: { ...DEFAULT_SETTINGS, model: 'emoji-32', prompt: 'a red heart', steps: 4, seedLocked: true, seed: 7, strength: 0.3 } });
  const editor = new Editor({ tools: STUDIO_TOOLS, document: doc });
  editor.setScreenSize(800, 600);
  const jobs = new Jobs(app, () => 0);
  const requests: GenerateRequest[] = [];
  const inspected: string[] = [];
  let answer: (r: GenerateResult) => GenerateResult = (r) => r;
  const client = {
    async inspectModel({ model }: { model: string }) {
      inspected.push(model);
      return { info: model === 'big' ? BIG_INFO : EMOJI_INFO, providers: [] };
    },
    async generate(req: GenerateRequest): Promise<GenerateResult> {
      requests.push(req);
      return answer({ jobId: req.jobId, images: [{ png: new Uint8Array([1]), seed: req.seed, parameters: 'p' }], width: req.width!, height: req.height!, providers: [], timings: { totalMs: 1000, perStepMs: 10, evaluations: 4 } });
    },
  };
  const frame = new FrameModule({ app, editor, client: () => client });
  const { pixels, sent } = fakePixels();
  const said: StatusMessage[] = [];
  const rects: (Rect | null)[] = [];
  const gallery = { add: (entries: unknown[]) => entries.map((_, i) => ({ id: `g${i}` }) as GalleryItem), item: () => undefined };
  const host: GenerateHost = {
    app, editor, jobs, gallery, frame, pixels, client: () => client, storage: () => null,
    progress: { setGenerationRect: (r) => void rects.push(r), clear: () => {} },
    say: (text, level = 'info') => void said.push({ text, level, at: 0 }),
  };
  const generation = new GenerateModule(host);
  frame.initialize();
  return { app, editor, jobs, frame, generation, host, requests, inspected, sent, said, rects, respond: (f: typeof answer) => (answer = f) };
}

/** A 32×32 canvas holding one opaque 32×32 image at the origin. */
function withImage(): CanvasDocument {
  const doc = createDocument(32, 32);
  doc.layers.push(createImageLayer({ id: 'base', pixelId: 'base', width: 32, height: 32, name: 'scene' }));
  return doc;
}

const names = (e: Editor) => e.store.history.stacks.undo.map((s) => s.name);

describe('Generate works on what is under the frame', () => {
  it("learns the model's rules once, and the frame takes its trained size", async () => {
    const t = setup();
    await t.frame.rules();
    expect(t.editor.ui.frameRules).toEqual(EMOJI);
    expect(t.frame.current()).toEqual({ x: 240, y: 240, width: 32, height: 32 });
    await t.frame.rules();
    expect(t.inspected).toEqual(['emoji-32']);
    t.frame.destroy();
  });

  it('takes the rules from the model list without opening the pack when the engine states them', async () => {
    const t = setup();
    await t.frame.rules();
    expect(t.inspected).toEqual(['emoji-32']); // the list has not arrived yet
    t.app.setState({ models: [{ name: 'big', path: '/p', source: 'imported', size: { default: 64, multiple: 8, maxSide: 512 } }] });
    t.app.setState({ settings: { ...t.app.getState().settings, model: 'big' } });
    await t.frame.rules();
    expect(t.editor.ui.frameRules).toEqual({ size: 64, multiple: 8, maxSide: 512 });
    expect(t.inspected).toEqual(['emoji-32']);
    t.frame.destroy();
  });

  it('an empty canvas: text to image at the frame size; the canvas takes the frame and the result fills it', async () => {
    const t = setup();
    await t.generation.generate();
    expect(t.requests).toHaveLength(1);
    const req = t.requests[0];
    expect(req).toMatchObject({ width: 32, height: 32, seed: 7 });
    expect(req.init).toBeUndefined();
    expect(req.mask).toBeUndefined();
    expect(GenerateRequest.safeParse(req).success).toBe(true);
    expect(t.editor.doc.canvas).toEqual({ width: 32, height: 32 });
    expect(t.editor.doc.layers.map((l) => [l.name, l.pixelId, l.x, l.y])).toEqual([['Seed 7', 'result-1', 0, 0]]);
    // The layer keeps the generation's settings (what the canvas exports with).
    expect(t.editor.doc.layers[0].parameters).toBe('p');
    expect(t.rects).toEqual([{ x: 0, y: 0, width: 32, height: 32 }]);
    expect(names(t.editor)).toEqual(['generate']);
    expect(t.sent.settled).toEqual(['result-1']);
    expect(t.said.at(-1)?.text).toMatch(/^Generated 1 image 32×32 in 1\.0 s/);
  });

  it('an image under the whole frame: image to image at the panel’s strength, the result a new layer over the frame', async () => {
    const t = setup(withImage());
    await t.generation.generate();
    const req = t.requests[0];
    expect(req.init?.strength).toBe(0.3);
    expect(req.init?.image).toEqual(new Uint8Array([1]));
    expect(req.mask).toBeUndefined();
    expect(GenerateRequest.safeParse(req).success).toBe(true);
    expect([...t.sent.images[0].data.subarray(0, 4)]).toEqual([200, 40, 10, 255]);
    expect(t.editor.doc.layers.map((l) => [l.name, l.x, l.y])).toEqual([['scene', 0, 0], ['Seed 7 (image to image)', 0, 0]]);
    expect(names(t.editor)).toEqual(['image to image']);
    expect(t.said.at(-1)?.text).toMatch(/^Generated 1 image 32×32 \(image to image, strength 0\.30\)/);
    t.editor.undo();
    expect(t.editor.doc.layers.map((l) => l.name)).toEqual(['scene']);
  });

  it('a painted mask inside the frame: inpainting, the mask sent with the image', async () => {
    const t = setup(withImage());
    t.editor.update(addStroke({ id: 's', mode: 'brush', size: 8, hardness: 1, points: [16, 16] }));
    await t.generation.generate();
    const req = t.requests[0];
    expect(req.mask).toEqual(new Uint8Array([101]));
    expect(req.init?.strength).toBe(0.3);
    expect(GenerateRequest.safeParse(req).success).toBe(true);
    const mask = t.sent.masks[0];
    expect(mask[16 * 32 + 16]).toBe(1);
    expect(mask[0]).toBe(0);
    expect(names(t.editor)).toEqual(['edit', 'inpaint']);
    expect(t.editor.doc.mask.strokes).toHaveLength(1);
  });

  it('the frame half off the image: outpainting, the uncovered half masked and filled, the canvas grown in one undo step', async () => {
    const t = setup(withImage());
    await t.frame.rules();
    t.editor.update(setFrame({ x: 16, y: 0, width: 32, height: 32 }), { name: 'move frame' });
    await t.generation.generate();
    const req = t.requests[0];
    expect(req).toMatchObject({ width: 32, height: 32 });
    expect(req.init && req.mask).toBeTruthy();
    const mask = t.sent.masks[0];
    expect(Array.from({ length: 32 }, (_, x) => mask[5 * 32 + x])).toEqual([...Array(16).fill(0), ...Array(16).fill(1)]);
    // The start image's right half is the image's edge colour, not black.
    expect([...t.sent.images[0].data.subarray(4 * (5 * 32 + 30), 4 * (5 * 32 + 30) + 4)]).toEqual([200, 40, 10, 255]);
    expect(t.editor.doc.canvas).toEqual({ width: 48, height: 32 });
    expect(t.editor.doc.layers.map((l) => [l.name, l.x, l.y])).toEqual([['scene', 0, 0], ['Seed 7 (outpaint)', 16, 0]]);
    expect(names(t.editor)).toEqual(['move frame', 'outpaint']);
    expect(t.said.at(-1)?.text).toMatch(/\(outpainting 50 % of the frame, strength 0\.30\)/);
    t.editor.undo();
    expect(t.editor.doc.canvas).toEqual({ width: 32, height: 32 });
    expect(t.editor.doc.layers).toHaveLength(1);
  });

  it('outpainting off the left edge shifts the document right, and the view with it', async () => {
    const t = setup(withImage());
    await t.frame.rules();
    t.editor.update(setFrame({ x: -16, y: 0, width: 32, height: 32 }));
    const pan = t.editor.viewport.panX;
    await t.generation.generate();
    expect(t.editor.doc.canvas).toEqual({ width: 48, height: 32 });
    expect(t.editor.doc.layers.map((l) => [l.name, l.x])).toEqual([['scene', 16], ['Seed 7 (outpaint)', 0]]);
    expect(t.editor.doc.frame).toEqual({ x: 0, y: 0, width: 32, height: 32 });
    expect(t.editor.viewport.panX).toBe(pan - 16 * t.editor.viewport.zoom);
  });

  it('the result lands in the frame the generation started with, even if the frame moved meanwhile', async () => {
    const t = setup(withImage());
    await t.frame.rules();
    t.respond((r) => {
      t.editor.update(setFrame({ x: 8, y: 8, width: 16, height: 16 }));
      return r;
    });
    await t.generation.generate();
    expect(t.editor.doc.layers[1]).toMatchObject({ x: 0, y: 0, scaleX: 1 });
  });

  it('cancelled: nothing lands and the canvas keeps its content', async () => {
    const t = setup(withImage());
    t.respond((r) => {
      const job = t.app.getState().job!;
      t.app.setState({ job: { ...job, cancelling: true } });
      return r;
    });
    await t.generation.generate();
    expect(t.editor.doc.layers).toHaveLength(1);
    expect(t.said.at(-1)?.text).toBe('Cancelled.');
    expect(t.app.getState().job).toBeNull();
  });

  it('with an inpainting model an empty frame is sent as all mask, so text to image works there too', async () => {
    const t = setup();
    t.app.setState({ models: [{ name: 'emoji-32', path: '/p', source: 'imported', family: 'inpaint' }] });
    await t.generation.generate();
    const req = t.requests[0];
    expect(req.init && req.mask).toBeTruthy();
    expect(GenerateRequest.safeParse(req).success).toBe(true);
    expect(t.sent.masks[0].every((v) => v === 1)).toBe(true);
    expect(t.editor.doc.layers.map((l) => l.name)).toEqual(['Seed 7']);
  });

  it('"use these settings again" gives the frame the size the image was made at', () => {
    const t = setup(withImage());
    const item = { seed: 3, settings: { ...t.app.getState().settings, sizeMode: 'custom', width: 48, height: 40 } } as unknown as GalleryItem;
    const generation = new GenerateModule({ ...t.host, gallery: { add: () => [], item: () => item } });
    t.editor.store.setUi({ frameRules: EMOJI });
    generation.useSettingsOf('g1');
    expect(t.frame.current()).toEqual({ x: -8, y: -4, width: 48, height: 40 });
    expect(names(t.editor)).toEqual(['resize frame']);
    // Already that size: nothing to undo is added.
    generation.useSettingsOf('g1');
    expect(names(t.editor)).toEqual(['resize frame']);
  });

  it("a strength outside 0…1 is refused before anything runs", async () => {
    const t = setup(withImage());
    t.generation.updateSettings({ strength: 1.5 });
    await t.generation.generate();
    expect(t.requests).toHaveLength(0);
    expect(t.said.at(-1)).toMatchObject({ text: 'Strength must be between 0 and 1.', level: 'error' });
  });

  it("switching to a model with another trained size gives a placed frame that size, proportions kept", async () => {
    const t = setup(withImage());
    await t.frame.rules();
    t.editor.update(setFrame({ x: 0, y: 0, width: 48, height: 32 }));
    t.app.setState({ settings: { ...t.app.getState().settings, model: 'big' } });
    expect(await t.frame.rules()).toEqual({ size: 64, multiple: 8, maxSide: 4096 });
    // 64² in 3:2 is 78 × 52: 80 × 56 in multiples of 8, about the old centre (24, 16); not an undo step.
    expect(t.editor.doc.frame).toEqual({ x: -16, y: -12, width: 80, height: 56 });
    expect(names(t.editor)).toEqual(['edit']);
    expect(t.inspected).toEqual(['emoji-32', 'big']);
    t.frame.destroy();
  });
});
