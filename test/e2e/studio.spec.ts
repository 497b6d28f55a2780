/**
 * One studio session in browser mode, as a user works through it: generate with the default pack,
 * paint a mask, select a region and move it, drop an image file, undo and redo across all of it,
 * export a PNG. The steps share one page and run in order (a failed step skips the rest). The
 * pack is still being trained, so nothing here looks at pixel values: only shapes, metadata and
 * the studio's state.
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { readPngText } from '../../main/api/png-text.js';
import { parseParameters } from '../../main/api/parameters.js';
import type { PageWindow } from './helpers/page-types.js';
import { blurFields, dragDoc, openStudio, recordJobs, recorded, setGenerateFields, settled, shot, snapshot, type Snapshot, newStudioPage } from './helpers/studio.js';

const PROMPT = 'a smiling yellow face';
const STEPS = 16;
const SEED = 42;

test.describe.serial('a studio session', () => {
  let page: Page;
  /** The document after each step, for the undo/redo walk. */
  const after: Record<string, Snapshot> = {};

  test.beforeAll(async ({ browser }) => { page = await newStudioPage(browser); });
  test.afterAll(async () => page?.close());

  test('generate: progress and a live preview, then the result on the canvas and in the gallery', async ({}, info) => {
    await openStudio(page);
    const start = await snapshot(page);
    expect(start.doc.layers).toHaveLength(0);
    // The gallery kept on disk may hold earlier tests' images: count from what it shows now.
    const kept = start.app.gallery.length;
    const models = await page.evaluate(() => (globalThis as unknown as PageWindow).driftlineStudio!.app.getState().models.map((m) => m.name));
    expect(models).toContain('emoji-32');
    await expect(page.locator('#gen-model')).toHaveValue('emoji-32');

    await setGenerateFields(page, { prompt: PROMPT, steps: STEPS, seed: SEED });
    await recordJobs(page);
    const button = page.locator('.generate-actions button');
    await expect(button).toHaveText(/Generate/);
    await button.click();
    await shot(page, info, '1-generating');
    await expect.poll(async () => (await snapshot(page)).app.gallery.length, { message: 'the image arrives', timeout: 45_000 }).toBe(kept + 1);
    await expect(page.locator('.generate-actions button').first()).toHaveText(/Generate/);

    const rec = await recorded(page);
    expect(rec.jobs).toHaveLength(1);
    // While the job ran, the button turned into Cancel and a progress bar was shown.
    expect(rec.cancelButton, 'Cancel button shown').toBe(true);
    expect(rec.progressBar, 'progress bar shown').toBe(true);
    expect(Math.max(...rec.totals)).toBe(STEPS);
    expect(rec.steps.filter((s) => s > 0).length, `progress steps seen: ${rec.steps.join(',')}`).toBeGreaterThanOrEqual(2);
    expect(rec.previews.length, 'live previews').toBeGreaterThanOrEqual(1);
    for (const p of rec.previews) expect(p.bytes).toBe(p.width * p.height * 3);

    const s = await snapshot(page);
    expect(s.app.status?.level, s.app.status?.text).toBe('info');
    expect(s.app.status?.text).toMatch(/^Generated 1 image 32×32/);
    expect(s.app.gallery).toHaveLength(kept + 1);
    expect(s.app.gallery[0]).toMatchObject({ seed: SEED, width: 32, height: 32, model: 'emoji-32' });
    expect(s.app.gallery[0].parameters).toContain(PROMPT);
    expect(s.doc.canvas).toEqual({ width: 32, height: 32 });
    expect(s.doc.layers).toHaveLength(1);
    expect(s.doc.layers[0]).toMatchObject({ name: `Seed ${SEED}`, width: 32, height: 32, x: 0, y: 0 });
    expect(s.bitmaps).toBe(1);
    await expect(page.locator('.gallery-list li')).toHaveCount(kept + 1);
    await expect(page.locator('.gallery-list img').first()).toHaveJSProperty('complete', true);
    await shot(page, info, '2-generated');
    after.generate = s;
  });

  test('brush: a stroke paints the mask, one undo removes it', async ({}, info) => {
    await page.locator('button[data-tool=brush]').click();
    await expect(page.locator('button[data-tool=brush]')).toHaveAttribute('aria-pressed', 'true');
    await page.locator('input[aria-label="Brush size in pixels"]').fill('3');
    await dragDoc(page, [[4, 26], [10, 24], [16, 27], [22, 25], [28, 26]]);
    await settled(page);
    const s = await snapshot(page);
    expect(s.doc.mask.strokes).toHaveLength(1);
    expect(s.doc.mask.strokes[0].mode).toBe('brush');
    expect(s.doc.mask.strokes[0].points.length).toBeGreaterThanOrEqual(10);
    await shot(page, info, '3-brush');

    await blurFields(page);
    await page.keyboard.press('Control+z');
    expect((await snapshot(page)).doc.mask.strokes).toHaveLength(0);
    await page.keyboard.press('Control+Shift+z');
    expect((await snapshot(page)).doc.mask.strokes).toHaveLength(1);
    after.brush = await snapshot(page);
  });

  test('rectangle selection, then moving it changes its offset', async ({}, info) => {
    await page.locator('button[data-tool=marquee]').click();
    await dragDoc(page, [[8, 6], [14, 12], [20, 16]]);
    await settled(page);
    let s = await snapshot(page);
    expect(s.doc.selection).toMatchObject({ shape: { kind: 'rect', x: 8, y: 6, width: 12, height: 10 }, dx: 0, dy: 0 });
    after.select = s;

    // The Move tool drags the selected region by its inside.
    await page.locator('button[data-tool=select]').click();
    await dragDoc(page, [[14, 11], [16, 12], [19, 14]]);
    await settled(page);
    s = await snapshot(page);
    expect(s.doc.selection).toMatchObject({ shape: { kind: 'rect', x: 8, y: 6, width: 12, height: 10 }, dx: 5, dy: 3 });
    expect(s.doc.layers[0]).toMatchObject({ x: 0, y: 0 }); // the layer under it stayed
    await shot(page, info, '4-selection-moved');
    after.move = s;
  });

  test('dropping an image file onto the canvas adds a layer', async ({}, info) => {
    const at = await page.evaluate(async () => {
      const w = globalThis as unknown as PageWindow;
      const c = new w.OffscreenCanvas(12, 10);
      const g = c.getContext('2d')!;
      g.fillStyle = '#00e0ff';
      g.fillRect(0, 0, 12, 10);
      const file = new w.File([await c.convertToBlob({ type: 'image/png' })], 'dropped.png', { type: 'image/png' });
      const dt = new w.DataTransfer();
      dt.items.add(file);
      const stage = w.document.querySelector('[data-testid=stage]')!;
      const r = stage.getBoundingClientRect();
      const p = w.driftlineStudio!.editor.documentToScreen({ x: 24, y: 8 });
      const init = { dataTransfer: dt, bubbles: true, cancelable: true, clientX: r.x + p.x, clientY: r.y + p.y };
      stage.dispatchEvent(new w.DragEvent('dragenter', init));
      stage.dispatchEvent(new w.DragEvent('dragover', init));
      const accepted = !stage.dispatchEvent(new w.DragEvent('drop', init)); // the studio calls preventDefault
      return { types: [...dt.types], accepted };
    });
    expect(at.types).toContain('Files');
    expect(at.accepted).toBe(true);
    await expect.poll(async () => (await snapshot(page)).doc.layers.length).toBe(2);
    const s = await snapshot(page);
    // Centred on the drop point (24, 8): top-left (18, 3).
    expect(s.doc.layers[1]).toMatchObject({ name: 'dropped.png', width: 12, height: 10, x: 18, y: 3 });
    expect(s.bitmaps).toBe(2);
    expect(s.app.status?.text).toMatch(/^Added 1 image as (a )?new layer/);
    await shot(page, info, '5-dropped');
    after.drop = s;
  });

  test('undo and redo walk back and forth across these steps', async ({}, info) => {
    const docOf = (s: Snapshot) => ({ layers: s.doc.layers.map((l) => [l.name, l.x, l.y]), strokes: s.doc.mask.strokes.length, selection: s.doc.selection });
    const walk = ['drop', 'move', 'select', 'brush', 'generate'];
    await blurFields(page);
    // Keyboard undo back to just after the generation…
    for (let i = 1; i < walk.length; i++) {
      await page.keyboard.press('Control+z');
      expect(docOf(await snapshot(page)), `undo to after "${walk[i]}"`).toEqual(docOf(after[walk[i]]));
    }
    await shot(page, info, '6-undone');
    // …the toolbar's Redo forward to the end…
    const redo = page.getByRole('button', { name: /Redo/ });
    for (let i = walk.length - 2; i >= 0; i--) {
      await redo.click();
      expect(docOf(await snapshot(page)), `redo to after "${walk[i]}"`).toEqual(docOf(after[walk[i]]));
    }
    await expect(redo).toBeDisabled();
    // …and the toolbar's Undo once more, then Ctrl+Shift+Z.
    await page.getByRole('button', { name: /Undo/ }).click();
    expect(docOf(await snapshot(page))).toEqual(docOf(after.move));
    await blurFields(page);
    await page.keyboard.press('Control+Shift+z');
    expect(docOf(await snapshot(page))).toEqual(docOf(after.drop));
    await shot(page, info, '7-redone');
  });

  test('export: a downloaded PNG whose parameters chunk holds the settings', async ({}, info) => {
    const item = page.locator('.gallery-list li').first();
    await item.click();
    const [download] = await Promise.all([page.waitForEvent('download'), item.getByRole('button', { name: 'Download PNG' }).click()]);
    expect(download.suggestedFilename()).toBe(`driftline-emoji-32-${SEED}.png`);
    const file = info.outputPath(download.suggestedFilename());
    await download.saveAs(file);
    const png = await readFile(file);
    expect(png.readUInt32BE(16)).toBe(32); // IHDR width
    expect(png.readUInt32BE(20)).toBe(32); // IHDR height
    const text = readPngText(png).get('parameters');
    expect(text).toBeDefined();
    const p = parseParameters(text ?? '');
    expect(p).toMatchObject({ prompt: PROMPT, steps: STEPS, seed: SEED, width: 32, height: 32, model: 'emoji-32', cfgScale: 5 }); // the pack's recommended CFG, adopted on first start
    expect(text).toBe((await snapshot(page)).app.gallery[0].parameters);
    await info.attach('parameters', { body: text ?? '', contentType: 'text/plain' });
    await shot(page, info, '8-exported');
  });
});
