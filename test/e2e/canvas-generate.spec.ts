/**
 * Generation on the canvas against the real engine (browser mode, emoji-32), measured in pixels:
 * on an image under the frame, strength 0 returns the image, 0.3 stays close to it and 1 does not;
 * a painted mask is inpainted and every pixel outside it is kept; the frame moved half off the
 * image outpaints the uncovered half (filled, not black) and keeps the covered half. Each result
 * lands in the frame as one undoable layer, its previews drawn in the frame. The scene is drawn by
 * the test (a light background, a yellow square with two dark eyes), so every comparison is
 * against known pixels.
 */
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { frameMask } from '../../renderer/src/document/frame.js';
import { createDocument } from '../../renderer/src/document/create.js';
import type { PageWindow, RectLike } from './helpers/page-types.js';
import { addScene, blurFields, dragDoc, openStudio, setGenerateFields, settled, shot, snapshot, newStudioPage } from './helpers/studio.js';

const SIZE = 32;
const PROMPT = 'a smiling yellow face';
const STEPS = 20;
const SEED = 11;

/** A layer's own pixels (its natural size), RGB per pixel. */
function layerRgb(page: Page, index: number): Promise<{ width: number; height: number; rgb: number[] }> {
  return page.evaluate((index) => {
    const w = globalThis as unknown as PageWindow;
    const st = w.driftlineStudio!;
    const layer = st.editor.doc.layers.at(index)!;
    const image = st.bank.image(layer.pixelId);
    if (!image) throw new Error(`"${layer.name}" has no decoded pixels`);
    const c = new w.OffscreenCanvas(layer.width, layer.height);
    const g = c.getContext('2d')!;
    g.drawImage(image, 0, 0, layer.width, layer.height);
    const d = g.getImageData(0, 0, layer.width, layer.height).data;
    const rgb: number[] = [];
    for (let i = 0; i < layer.width * layer.height; i++) rgb.push(d[4 * i], d[4 * i + 1], d[4 * i + 2]);
    return { width: layer.width, height: layer.height, rgb };
  }, index);
}

interface Difference {
  /** Mean absolute difference per channel (0–255) and the largest, over the pixels compared. */
  mean: number;
  max: number;
  pixels: number;
}

/**
 * Compare a result (frame-sized, RGB) with the scene (SIZE × SIZE, RGB) at the pixels of the frame
 * for which `where(x, y)` holds (frame coordinates); pixels off the scene are skipped.
 */
function compare(result: number[], scene: number[], frame: RectLike, where: (x: number, y: number) => boolean): Difference {
  let sum = 0, max = 0, n = 0;
  for (let y = 0; y < frame.height; y++) {
    for (let x = 0; x < frame.width; x++) {
      const sx = frame.x + x, sy = frame.y + y;
      if (!where(x, y) || sx < 0 || sy < 0 || sx >= SIZE || sy >= SIZE) continue;
      for (let c = 0; c < 3; c++) {
        const d = Math.abs(result[3 * (y * frame.width + x) + c] - scene[3 * (sy * SIZE + sx) + c]);
        sum += d;
        max = Math.max(max, d);
      }
      n++;
    }
  }
  return { mean: n ? sum / (3 * n) : 0, max, pixels: n };
}

function note(info: TestInfo, what: string, d: Difference | string): void {
  const text = typeof d === 'string' ? d : `mean |Δ| ${d.mean.toFixed(2)}, max |Δ| ${d.max} over ${d.pixels} pixels`;
  info.annotations.push({ type: what, description: text });
  console.log(`[measured] ${what}: ${text}`);
}

/** Generate, wait for the result to land (one more layer), and return the status line. */
async function generate(page: Page, layersBefore: number): Promise<string> {
  await page.locator('.generate-actions button').click();
  await expect.poll(async () => {
    const s = await snapshot(page);
    return s.app.job === null && s.doc.layers.length === layersBefore + 1 && s.bitmaps === s.doc.layers.length;
  }, { message: 'the result lands on the canvas', timeout: 45_000 }).toBe(true);
  const s = await snapshot(page);
  expect(s.app.status?.level, s.app.status?.text).toBe('info');
  return s.app.status!.text;
}

async function setStrength(page: Page, strength: number): Promise<void> {
  await page.locator('#gen-strength').fill(String(strength));
}

/** Record, in the page, where the previews of the next jobs are drawn. */
async function recordPreviewRects(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = globalThis as unknown as PageWindow;
    const rects: RectLike[] = [];
    w.__e2ePreviewRects = rects;
    w.driftlineStudio!.onPreview((p) => {
      if (p) rects.push(p.rect);
    });
  });
}
const previewRects = (page: Page) => page.evaluate(() => (globalThis as unknown as PageWindow).__e2ePreviewRects as RectLike[]);

test.describe.serial('generating on the canvas', () => {
  let page: Page;
  let scene: number[];

  test.beforeAll(async ({ browser }) => { page = await newStudioPage(browser); });
  test.afterAll(async () => page?.close());

  test('the frame is the model’s trained size over the image', async ({}, info) => {
    await openStudio(page);
    await addScene(page, { width: SIZE, height: SIZE, name: 'scene' });
    scene = (await layerRgb(page, 0)).rgb;
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as PageWindow).driftlineStudio!.editor.ui.frameRules), { message: "the model's frame rules arrive" })
      .toEqual({ size: 32, multiple: 4, maxSide: 128 });
    await expect(page.locator('#gen-frame-hint')).toContainText('Frame 32 × 32 at (0, 0)');
    await expect(page.locator('#gen-frame-hint')).toHaveAttribute('data-mode', 'img2img');
    await expect(page.locator('#gen-size')).toHaveValue('32 × 32 (trained size)');
    await setGenerateFields(page, { prompt: PROMPT, steps: STEPS, seed: SEED });
    await page.locator('button[data-tool=frame]').click();
    await shot(page, info, '1-frame');
  });

  test('image to image: strength 0 returns the image, 0.3 stays close to it, 1 does not', async ({}, info) => {
    const frame = { x: 0, y: 0, width: SIZE, height: SIZE };
    const all = () => true;
    const measured: Record<string, Difference> = {};
    await recordPreviewRects(page);
    for (const strength of [0, 0.3, 1]) {
      await setStrength(page, strength);
      const said = await generate(page, 1);
      expect(said).toContain(`(image to image, strength ${strength.toFixed(2)})`);
      const s = await snapshot(page);
      expect(s.doc.layers.map((l) => [l.x, l.y, l.width, l.height])).toEqual([[0, 0, 32, 32], [0, 0, 32, 32]]);
      expect(s.history.undoName).toBe('image to image');
      const result = await layerRgb(page, -1);
      measured[strength] = compare(result.rgb, scene, frame, all);
      note(info, `img2img strength ${strength} vs the source`, measured[strength]);
      await shot(page, info, `2-img2img-${strength}`);
      // One undo takes the result away and leaves the scene as it was.
      await blurFields(page);
      await page.keyboard.press('Control+z');
      expect((await snapshot(page)).doc.layers.map((l) => l.name)).toEqual(['scene']);
    }
    expect(measured[0].max, 'strength 0 returns the source').toBe(0);
    // Measured (seed 11, 20 steps, CPU): 0.3 → 14.0, 1 → 50.6.
    expect(measured[0.3].mean, 'strength 0.3 stays close to the source').toBeLessThan(20);
    expect(measured[1].mean, 'strength 1 does not').toBeGreaterThan(35);
    expect(measured[1].mean, 'strength 1 moves much further than 0.3').toBeGreaterThan(2.5 * measured[0.3].mean);
    const rects = await previewRects(page);
    expect(rects.length, 'live previews').toBeGreaterThan(0);
    for (const r of rects) expect(r).toEqual(frame);
  });

  test('inpaint: the painted mask changes, every pixel outside it is kept', async ({}, info) => {
    await page.locator('button[data-tool=brush]').click();
    await page.evaluate(() => (globalThis as unknown as PageWindow).driftlineStudio!.editor.setBrushOptions('brush', { size: 8, hardness: 1 }));
    await dragDoc(page, [[9, 22], [16, 25], [23, 22]]);
    await settled(page);
    await expect(page.locator('#gen-frame-hint')).toHaveAttribute('data-mode', 'inpaint');
    await setStrength(page, 1);
    const said = await generate(page, 1);
    expect(said).toContain('(inpainting the mask, strength 1.00)');
    const s = await snapshot(page);
    expect(s.history.undoName).toBe('inpaint');
    const frame = { x: 0, y: 0, width: SIZE, height: SIZE };
    // The mask as the studio sent it, rasterised here by the same code.
    const mask = frameMask({ canvas: s.doc.canvas, mask: { ...createDocument(SIZE, SIZE).mask, strokes: s.doc.mask.strokes } }, frame);
    const inside = mask.filter((v) => v > 0).length;
    expect(inside, 'the stroke covers part of the frame').toBeGreaterThan(60);
    const result = (await layerRgb(page, -1)).rgb;
    const outside = compare(result, scene, frame, (x, y) => mask[y * SIZE + x] === 0);
    const within = compare(result, scene, frame, (x, y) => mask[y * SIZE + x] === 1);
    note(info, 'inpaint outside the mask vs the source', outside);
    note(info, 'inpaint inside the mask vs the source', within);
    expect(outside.pixels).toBe(SIZE * SIZE - inside);
    expect(outside.max, 'pixels outside the mask unchanged').toBeLessThanOrEqual(1);
    expect(within.mean, 'the masked pixels were regenerated').toBeGreaterThan(10);
    await shot(page, info, '3-inpainted');
    // Back to the scene alone: the result, then the stroke.
    await blurFields(page);
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    const back = await snapshot(page);
    expect(back.doc.layers.map((l) => l.name)).toEqual(['scene']);
    expect(back.doc.mask.strokes).toHaveLength(0);
  });

  test('outpaint: the frame moved half off the image fills the new half and keeps the old', async ({}, info) => {
    await page.locator('button[data-tool=frame]').click();
    await dragDoc(page, [[16, 16], [24, 16], [32, 16]]);
    await settled(page);
    const frame = (await snapshot(page)).doc.frame!;
    expect(frame).toEqual({ x: 16, y: 0, width: 32, height: 32 });
    await expect(page.locator('#gen-frame-hint')).toHaveAttribute('data-mode', 'outpaint');
    await shot(page, info, '4-frame-moved');
    await setStrength(page, 0.75);
    await recordPreviewRects(page);
    const said = await generate(page, 1);
    expect(said).toContain('(outpainting 50 % of the frame, strength 0.75)');
    const s = await snapshot(page);
    expect(s.doc.canvas, 'the canvas grows to take in the frame').toEqual({ width: 48, height: 32 });
    expect(s.doc.layers.map((l) => [l.name, l.x, l.y])).toEqual([['scene', 0, 0], [`Seed ${SEED} (outpaint)`, 16, 0]]);
    expect(s.history.undoName).toBe('outpaint');
    for (const r of await previewRects(page)) expect(r).toEqual(frame);

    const result = (await layerRgb(page, -1)).rgb;
    const kept = compare(result, scene, frame, (x) => x < 16);
    note(info, 'outpaint: the covered half vs the source', kept);
    expect(kept.pixels).toBe(16 * SIZE);
    expect(kept.max, 'the covered half is kept').toBeLessThanOrEqual(1);
    // The new half: filled with something, neither blank nor black.
    let sum = 0, dark = 0, spread = 0;
    const n = 16 * SIZE;
    const lum: number[] = [];
    for (let y = 0; y < SIZE; y++) {
      for (let x = 16; x < SIZE; x++) {
        const i = 3 * (y * SIZE + x);
        const l = (result[i] + result[i + 1] + result[i + 2]) / 3;
        lum.push(l);
        sum += l;
        if (l < 24) dark++;
      }
    }
    const mean = sum / n;
    for (const l of lum) spread += (l - mean) ** 2;
    const std = Math.sqrt(spread / n);
    note(info, 'outpaint: the new half', `mean brightness ${mean.toFixed(1)}, standard deviation ${std.toFixed(1)}, near-black pixels ${dark} of ${n}`);
    expect(mean, 'not black').toBeGreaterThan(60);
    expect(dark / n, 'hardly any near-black pixels').toBeLessThan(0.1);
    await shot(page, info, '5-outpainted');

    // One undo: the canvas, the layers and the frame as they were before the generation.
    await blurFields(page);
    await page.keyboard.press('Control+z');
    const back = await snapshot(page);
    expect(back.doc.canvas).toEqual({ width: 32, height: 32 });
    expect(back.doc.layers.map((l) => l.name)).toEqual(['scene']);
    expect(back.doc.frame).toEqual(frame);
  });
});
