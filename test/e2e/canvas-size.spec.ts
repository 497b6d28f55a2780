/**
 * The canvas's size and what is drawn on it, in pixels of the page: extending the canvas by 32 px
 * shows the new area inside a visible edge (the outside is dimmed), as one undo step that autosave
 * keeps over a reload; an image much larger than the canvas, dropped on it, is fitted inside it,
 * centred, proportions kept; the mask stays visible on an image of its own colour (its outline) and
 * takes a colour the user picks, which is remembered.
 */
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import sharp from 'sharp';
import type { PageWindow } from './helpers/page-types.js';
import { blurFields, docToPage, dragDoc, openStudio, settled, shot, snapshot, newStudioPage } from './helpers/studio.js';

type Rgb = [number, number, number];

/** The page as it looks now (after two animation frames, so the canvas has drawn the last change): a pixel reader. */
async function screen(page: Page): Promise<(x: number, y: number) => Rgb> {
  await page.evaluate(() => new Promise<void>((resolve) => {
    const w = globalThis as unknown as PageWindow;
    w.requestAnimationFrame(() => w.requestAnimationFrame(() => resolve()));
  }));
  const { data, info } = await sharp(await page.screenshot()).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return (x, y) => {
    const i = (Math.round(y) * info.width + Math.round(x)) * 3;
    return [data[i], data[i + 1], data[i + 2]];
  };
}

/** The pixel on the page over a document point. */
async function docPixel(page: Page, at: (x: number, y: number) => Rgb, x: number, y: number): Promise<Rgb> {
  const p = await docToPage(page, x, y);
  return at(p.x, p.y);
}

const brightness = ([r, g, b]: Rgb) => (r + g + b) / 3;

function note(info: TestInfo, what: string, text: string): void {
  info.annotations.push({ type: what, description: text });
  console.log(`[measured] ${what}: ${text}`);
}

/** Add a solid `colour` image of `width` × `height` as a dropped file at document point (x, y). */
async function dropImage(page: Page, o: { width: number; height: number; colour: string; name: string; x: number; y: number }): Promise<boolean> {
  return page.evaluate(async ({ width, height, colour, name, x, y }) => {
    const w = globalThis as unknown as PageWindow;
    const c = new w.OffscreenCanvas(width, height);
    const g = c.getContext('2d')!;
    g.fillStyle = colour;
    g.fillRect(0, 0, width, height);
    const dt = new w.DataTransfer();
    dt.items.add(new w.File([await c.convertToBlob({ type: 'image/png' })], name, { type: 'image/png' }));
    const stage = w.document.querySelector('[data-testid=stage]')!;
    const r = stage.getBoundingClientRect();
    const p = w.driftlineStudio!.editor.documentToScreen({ x, y });
    const init = { dataTransfer: dt, bubbles: true, cancelable: true, clientX: r.x + p.x, clientY: r.y + p.y };
    stage.dispatchEvent(new w.DragEvent('dragover', init));
    return !stage.dispatchEvent(new w.DragEvent('drop', init));
  }, o);
}

/** Wait until the document has `n` layers, all decoded. */
async function layersDecoded(page: Page, n: number): Promise<void> {
  await expect.poll(async () => {
    const s = await snapshot(page);
    return s.doc.layers.length === n && s.bitmaps === n;
  }, { message: `${n} decoded layers` }).toBe(true);
}

interface UiLike {
  maskStyle: { colour: string; hatch: boolean };
  brush: { size: number };
  eraser: { size: number };
}
const uiOf = (page: Page) => page.evaluate(() => (globalThis as unknown as PageWindow).driftlineStudio!.editor.ui as unknown as UiLike);

test.describe.serial('the canvas: its size, fitted images and the mask', () => {
  let page: Page;

  test.beforeAll(async ({ browser }) => { page = await newStudioPage(browser); });
  test.afterAll(async () => page?.close());

  test('extending the canvas shows the new area inside a visible edge, in one undo step', async ({}, info) => {
    await openStudio(page);
    expect(await dropImage(page, { width: 32, height: 32, colour: '#e9e4da', name: 'scene.png', x: 0, y: 0 })).toBe(true);
    await layersDecoded(page, 1);
    expect((await snapshot(page)).doc.canvas).toEqual({ width: 32, height: 32 });
    // Zoomed out, so that where the new area will be is on the stage, outside the canvas.
    await blurFields(page);
    for (let i = 0; i < 4; i++) await page.keyboard.press('-');
    let at = await screen(page);
    // x = 56 and 8: clear of the frame's outline (16 … 48 once the canvas is 64 wide).
    const before = await docPixel(page, at, 56, 16);
    await shot(page, info, '1-before');

    await page.locator('#canvas-extend-by').fill('32');
    await page.locator('button[data-side=right]').click();
    const s = await snapshot(page);
    expect(s.doc.canvas).toEqual({ width: 64, height: 32 });
    expect(s.doc.layers[0]).toMatchObject({ x: 0, y: 0, width: 32, height: 32 });
    expect(s.history.undoName).toBe('extend canvas');
    at = await screen(page);
    const added = await docPixel(page, at, 56, 16);
    const outside = await docPixel(page, at, 32, -4);
    const image = await docPixel(page, at, 8, 16);
    // The edge: a white line on the canvas's right side (one screen column either way of rounding).
    const right = await docToPage(page, 64, 16);
    const edge = Math.max(...[-1, 0, 1].map((d) => brightness(at(right.x + d, right.y))));
    note(info, 'brightness', `new area before ${brightness(before).toFixed(0)}, after ${brightness(added).toFixed(0)}; outside ${brightness(outside).toFixed(0)}; edge ${edge.toFixed(0)}; image ${brightness(image).toFixed(0)}`);
    expect(brightness(before), 'outside the canvas is dimmed').toBeLessThan(20);
    expect(brightness(added), 'the new area shows the canvas (checkerboard)').toBeGreaterThan(45);
    expect(brightness(outside)).toBeLessThan(20);
    expect(edge, 'the edge line').toBeGreaterThan(200);
    expect(brightness(image)).toBeGreaterThan(200);
    await expect(page.locator('#canvas-width')).toHaveValue('64');
    await shot(page, info, '2-extended');

    await blurFields(page);
    await page.keyboard.press('Control+z');
    expect((await snapshot(page)).doc.canvas).toEqual({ width: 32, height: 32 });
    await page.keyboard.press('Control+Shift+z');
    expect((await snapshot(page)).doc.canvas).toEqual({ width: 64, height: 32 });
  });

  test('a dropped image larger than the canvas is fitted inside it, centred, proportions kept', async ({}, info) => {
    expect(await dropImage(page, { width: 200, height: 200, colour: '#00e0ff', name: 'big.png', x: 60, y: 30 })).toBe(true);
    await layersDecoded(page, 2);
    const s = await snapshot(page);
    const big = s.doc.layers[1];
    expect(big).toMatchObject({ name: 'big.png', width: 200, height: 200, scaleX: 0.16, scaleY: 0.16 });
    expect([big.x, big.y, big.width * big.scaleX, big.height * big.scaleY]).toEqual([16, 0, 32, 32]);
    expect(s.app.status?.text).toMatch(/^Added 1 image as (a )?new layer \(fitted inside the canvas\)\.$/);
    const at = await screen(page);
    const inImage = await docPixel(page, at, 40, 16), beside = await docPixel(page, at, 56, 16), under = await docPixel(page, at, 8, 16);
    note(info, 'pixels', `fitted image ${inImage.join(',')}, canvas beside it ${beside.join(',')}, scene beside it ${under.join(',')}`);
    expect(inImage[2]).toBeGreaterThan(200);
    expect(inImage[0]).toBeLessThan(60);
    expect(beside[2], 'the image stops at its fitted box').toBeLessThan(120);
    expect(under[0], 'the scene shows left of it').toBeGreaterThan(200);
    await shot(page, info, '3-fitted');
  });

  test('the mask is visible on an image of its own colour and takes the colour the user picks', async ({}, info) => {
    // A layer of the mask's own colour over everything.
    expect(await dropImage(page, { width: 64, height: 32, colour: '#ff2020', name: 'red.png', x: 32, y: 16 })).toBe(true);
    await layersDecoded(page, 3);
    expect((await uiOf(page)).maskStyle).toEqual({ colour: '#ff2020', hatch: true });
    // Brush and eraser sizes follow the frame (32 px for emoji-32: 4 px) and are one size.
    await expect.poll(async () => (await uiOf(page)).brush.size).toBe(4);
    expect((await uiOf(page)).eraser.size).toBe(4);
    await page.locator('button[data-tool=brush]').click();
    await page.evaluate(() => (globalThis as unknown as PageWindow).driftlineStudio!.editor.setBrushOptions('brush', { size: 12, hardness: 1 }));
    expect((await uiOf(page)).eraser.size).toBe(12);

    /** The stroke's region on the page, and how many of its pixels differ (sum of channel differences over 120) between two looks. */
    const region = async () => {
      const a = await docToPage(page, 12, 6), b = await docToPage(page, 52, 26);
      const at = await screen(page);
      const px: Rgb[] = [];
      for (let y = Math.round(a.y); y < Math.round(b.y); y++) for (let x = Math.round(a.x); x < Math.round(b.x); x++) px.push(at(x, y));
      return px;
    };
    const changed = (from: Rgb[], to: Rgb[]) => to.filter((p, i) => Math.abs(p[0] - from[i][0]) + Math.abs(p[1] - from[i][1]) + Math.abs(p[2] - from[i][2]) > 120).length;
    await page.mouse.move(0, 0);
    const without = await region();
    await dragDoc(page, [[20, 16], [44, 16]]);
    await settled(page);
    await page.mouse.move(0, 0); // the brush outline away from the region
    const withMask = await region();
    const n = changed(without, withMask);
    note(info, 'pixels around the stroke changed by the mask on an image of its own colour', `${n} of ${withMask.length}`);
    expect(n, 'the outline shows on an image of the mask’s own colour').toBeGreaterThan(withMask.length * 0.03);
    await shot(page, info, '4-mask-on-red');

    await page.locator('#mask-colour').fill('#00c0ff');
    await expect.poll(async () => (await uiOf(page)).maskStyle.colour).toBe('#00c0ff');
    const at = await screen(page);
    const centre = await docPixel(page, at, 32, 16);
    note(info, 'mask centre after picking #00c0ff', centre.join(','));
    // On a hatch stripe the tint is the picked colour at the mask's opacity (0.5) over the red image: (127, 112, 143).
    const expected = [0, 1, 2].map((c) => 0.5 * [255, 32, 32][c] + 0.5 * [0, 192, 255][c]);
    for (let c = 0; c < 3; c++) expect(Math.abs(centre[c] - expected[c]), 'the tint takes the picked colour').toBeLessThan(12);
    const stored = await page.evaluate(() => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem('driftline.canvas-prefs'));
    expect(JSON.parse(stored ?? '{}')).toMatchObject({ maskStyle: { colour: '#00c0ff', hatch: true } });
    await shot(page, info, '5-mask-colour');
  });

  test('after a reload the extended canvas and the mask colour are still there', async () => {
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as PageWindow).driftlineStudio!.app.getState().savedAt !== null)).toBe(true);
    await page.reload();
    await openStudio(page);
    await expect.poll(async () => (await snapshot(page)).doc.canvas).toEqual({ width: 64, height: 32 });
    expect((await snapshot(page)).doc.layers.map((l) => l.name)).toEqual(['scene.png', 'big.png', 'red.png']);
    expect((await uiOf(page)).maskStyle.colour).toBe('#00c0ff');
  });
});
