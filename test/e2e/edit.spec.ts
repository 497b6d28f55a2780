/**
 * Editing in the studio against the real engine (browser mode, emoji-32): select an object, move
 * it, Apply → progress by phase → the result on the canvas as one undoable change; undo brings
 * the original back; Cancel mid-edit leaves the canvas as it was. The scene is drawn by the test
 * (a yellow square on a light background) so "the target area changed" is measurable.
 */
import { expect, test, type Page } from '@playwright/test';
import type { PageWindow } from './helpers/page-types.js';
import { blurFields, dragDoc, openStudio, settled, shot, snapshot, type Snapshot, newStudioPage } from './helpers/studio.js';

const SIZE = 32;
/** The object, and where the move puts it. */
const OBJECT = { x: 6, y: 8, width: 10, height: 10 };
const MOVE = { dx: 12, dy: 4 };

/** The base layer as drawn at canvas size, RGB per pixel (what the canvas shows under everything else). */
function basePixels(page: Page): Promise<number[]> {
  return page.evaluate((size) => {
    const w = globalThis as unknown as PageWindow;
    const st = w.driftlineStudio!;
    const layer = st.editor.doc.layers[0];
    const image = st.bank.image(layer.pixelId);
    if (!image) throw new Error('the base layer has no decoded pixels');
    const c = new w.OffscreenCanvas(size, size);
    const g = c.getContext('2d')!;
    g.drawImage(image, layer.x, layer.y, layer.width * layer.scaleX, layer.height * layer.scaleY);
    const d = g.getImageData(0, 0, size, size).data;
    const rgb: number[] = [];
    for (let i = 0; i < size * size; i++) rgb.push(d[4 * i], d[4 * i + 1], d[4 * i + 2]);
    return rgb;
  }, SIZE);
}

/** Mean absolute difference over a box of two RGB images of SIZE × SIZE. */
function meanDiff(a: number[], b: number[], box: { x: number; y: number; width: number; height: number }): number {
  let sum = 0, n = 0;
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let x = box.x; x < box.x + box.width; x++) {
      for (let c = 0; c < 3; c++) sum += Math.abs(a[3 * (y * SIZE + x) + c] - b[3 * (y * SIZE + x) + c]);
      n += 3;
    }
  }
  return sum / n;
}

/** Record, in the page, the phases, steps and previews of the next edit and whether its progress bar and Cancel showed. */
async function recordEdit(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = globalThis as unknown as PageWindow;
    const st = w.driftlineStudio!;
    const rec = { phases: [] as string[], steps: [] as number[], previews: 0, progressBar: false, cancelButton: false };
    w.__e2eEdit = rec;
    new w.MutationObserver(() => {
      if (w.document.querySelector('.edit-panel .progress progress')) rec.progressBar = true;
      if (w.document.querySelector('.edit-actions button')?.textContent === 'Cancel') rec.cancelButton = true;
    }).observe(w.document.body, { childList: true, subtree: true, characterData: true });
    st.app.subscribe((s) => {
      if (s.job?.kind !== 'edit') return;
      if (s.job.phase && rec.phases.at(-1) !== s.job.phase) rec.phases.push(s.job.phase);
      if (rec.steps.at(-1) !== s.job.progress.step) rec.steps.push(s.job.progress.step);
    });
    st.onPreview((p) => {
      if (p && p.rgb.length === p.width * p.height * 3) rec.previews++;
    });
  });
}

interface EditRecording {
  phases: string[];
  steps: number[];
  previews: number;
  progressBar: boolean;
  cancelButton: boolean;
}

const edited = (page: Page) => page.evaluate(() => (globalThis as unknown as PageWindow).__e2eEdit as EditRecording);

/** The document without ids that do not matter to the user. */
const docOf = (s: Snapshot) => ({ layers: s.doc.layers.map((l) => ({ pixelId: l.pixelId, x: l.x, y: l.y, width: l.width, height: l.height })), selection: s.doc.selection, strokes: s.doc.mask.strokes.length });

test.describe.serial('editing on the canvas', () => {
  let page: Page;
  let original: number[];
  let beforeEdit: Snapshot;

  test.beforeAll(async ({ browser }) => { page = await newStudioPage(browser); });
  test.afterAll(async () => page?.close());

  test('select an object and move the selection', async ({}, info) => {
    await openStudio(page);
    await page.evaluate(async ({ size, o }) => {
      const w = globalThis as unknown as PageWindow;
      const c = new w.OffscreenCanvas(size, size);
      const g = c.getContext('2d')!;
      g.fillStyle = '#e9e4da';
      g.fillRect(0, 0, size, size);
      g.fillStyle = '#ffc61a';
      g.fillRect(o.x, o.y, o.width, o.height);
      g.fillStyle = '#3a2a10';
      g.fillRect(o.x + 3, o.y + 3, 2, 2);
      g.fillRect(o.x + 6, o.y + 3, 2, 2);
      await w.driftlineStudio!.addImage(await c.convertToBlob({ type: 'image/png' }), { name: 'scene' });
      w.driftlineStudio!.updateSettings({ prompt: 'a smiling yellow face' });
    }, { size: SIZE, o: OBJECT });
    await expect.poll(async () => (await snapshot(page)).bitmaps).toBe(1);
    original = await basePixels(page);

    await page.locator('button[data-tool=marquee]').click();
    await dragDoc(page, [[OBJECT.x - 1, OBJECT.y - 1], [OBJECT.x + 5, OBJECT.y + 5], [OBJECT.x + OBJECT.width + 1, OBJECT.y + OBJECT.height + 1]]);
    await settled(page);
    await page.locator('button[data-tool=select]').click();
    const c = { x: OBJECT.x + OBJECT.width / 2, y: OBJECT.y + OBJECT.height / 2 };
    await dragDoc(page, [[c.x, c.y], [c.x + MOVE.dx / 2, c.y + MOVE.dy / 2], [c.x + MOVE.dx, c.y + MOVE.dy]]);
    await settled(page);
    beforeEdit = await snapshot(page);
    expect(beforeEdit.doc.selection).toMatchObject({ shape: { kind: 'rect', x: OBJECT.x - 1, y: OBJECT.y - 1, width: OBJECT.width + 2, height: OBJECT.height + 2 }, dx: MOVE.dx, dy: MOVE.dy });
    await expect(page.locator('.edit-panel .edit-kind')).toContainText('Move / resize');
    await expect(page.locator('.edit-actions button')).toBeEnabled();
    await shot(page, info, '1-selection-moved');
  });

  test('Apply: progress by phase with previews, then the result on the canvas as one undoable change', async ({}, info) => {
    await recordEdit(page);
    const apply = page.locator('.edit-actions button');
    await apply.click();
    await expect.poll(async () => (await snapshot(page)).app.gallery.length, { message: 'the edit arrives', timeout: 120_000 }).toBe(beforeEdit.app.gallery.length + 1);
    await expect(page.locator('.edit-actions button')).toHaveText('Apply edit');
    await shot(page, info, '2-edited');

    const rec = await edited(page);
    expect(rec.progressBar, 'progress bar shown').toBe(true);
    expect(rec.cancelButton, 'Cancel shown').toBe(true);
    expect(rec.phases, 'inversion, then sampling').toEqual(['invert', 'sample']);
    expect(rec.steps.filter((s) => s > 0).length).toBeGreaterThanOrEqual(2);
    expect(rec.previews, 'live previews').toBeGreaterThanOrEqual(1);

    const s = await snapshot(page);
    expect(s.app.status?.level, s.app.status?.text).toBe('info');
    expect(s.app.status?.text).toMatch(/^Edited \(move \/ resize\)/);
    expect(s.app.status?.text, 'attention memory on by default, on emoji-32\'s four decoder layers').toMatch(/attention memory on 4 layers \(\d+ KiB per step\)/);
    expect(s.app.job).toBeNull();
    expect(s.doc.layers).toHaveLength(1);
    expect(s.doc.layers[0].pixelId).not.toBe(beforeEdit.doc.layers[0].pixelId);
    expect(s.doc.layers[0]).toMatchObject({ x: 0, y: 0, width: SIZE, height: SIZE });
    expect(s.doc.selection, 'the move consumed the selection').toBeNull();
    expect(s.bitmaps).toBe(1);
    expect(s.history.undoName).toBe('edit: move / resize');
    expect(s.app.gallery[0]).toMatchObject({ width: SIZE, height: SIZE, model: 'emoji-32' });
    expect(s.app.gallery[0].parameters.length).toBeGreaterThan(0);
    await expect(page.locator('.gallery-list li').first()).toContainText('edit: move / resize');

    const after = await basePixels(page);
    const target = { x: OBJECT.x + MOVE.dx, y: OBJECT.y + MOVE.dy, width: OBJECT.width, height: OBJECT.height };
    const changed = meanDiff(original, after, target);
    info.annotations.push({ type: 'target area change', description: `mean |Δ| ${changed.toFixed(1)} of 255 over the target box` });
    expect(changed, 'the target area changed').toBeGreaterThan(8);

    // Before/after: showing the original changes what is drawn, never the document.
    const toggle = page.locator('#edit-show-original');
    await toggle.check();
    expect(await page.evaluate(() => (globalThis as unknown as PageWindow).driftlineStudio!.editor.ui.showOriginal)).toBe(true);
    await shot(page, info, '3-original-shown');
    expect(docOf(await snapshot(page))).toEqual(docOf(s));
    await toggle.uncheck();
  });

  test('undo restores the original image and the selection', async ({}, info) => {
    await blurFields(page);
    await page.keyboard.press('Control+z');
    const s = await snapshot(page);
    expect(docOf(s)).toEqual(docOf(beforeEdit));
    expect(meanDiff(original, await basePixels(page), { x: 0, y: 0, width: SIZE, height: SIZE })).toBe(0);
    await expect(page.locator('#edit-show-original')).toHaveCount(0);
    await shot(page, info, '4-undone');
  });

  test('Cancel mid-edit leaves the canvas unchanged', async ({}, info) => {
    // The full DiffEditor schedule with many steps runs long enough to cancel during it.
    await page.locator('#edit-preset').selectOption('diffeditor');
    await page.locator('#edit-steps').fill('400');
    await recordEdit(page);
    const before = await snapshot(page);
    const button = page.locator('.edit-actions button');
    await button.click();
    await expect(button).toHaveText('Cancel');
    await expect.poll(async () => Math.max(0, ...(await edited(page)).steps), { message: 'the engine reports progress', timeout: 60_000 }).toBeGreaterThanOrEqual(2);
    await shot(page, info, '5-editing');
    await button.click();
    await expect(page.locator('.edit-actions button')).toHaveText('Apply edit', { timeout: 30_000 });
    const s = await snapshot(page);
    expect(s.app.status?.text).toBe('Cancelled. The canvas is unchanged.');
    expect(s.app.job).toBeNull();
    expect(docOf(s)).toEqual(docOf(before));
    expect(s.history).toEqual(before.history);
    expect(s.app.gallery).toHaveLength(before.app.gallery.length);
    expect(meanDiff(original, await basePixels(page), { x: 0, y: 0, width: SIZE, height: SIZE })).toBe(0);
    await shot(page, info, '6-cancelled');
  });

  test('drag, replace appearance and paste each reach the engine and land as one undo step', async ({}, info) => {
    await page.locator('#edit-preset').selectOption('fast');
    await page.locator('#edit-steps').fill('');
    const run = async (kind: string, status: RegExp) => {
      await page.locator('#edit-kind').selectOption(kind);
      const before = await snapshot(page);
      await page.locator('.edit-actions button').click();
      await expect.poll(async () => (await snapshot(page)).app.status?.text ?? '', { message: `the ${kind} edit lands`, timeout: 120_000 }).toMatch(status);
      const s = await snapshot(page);
      expect(s.app.status?.level, s.app.status?.text).toBe('info');
      expect(s.doc.layers[0].pixelId).not.toBe(before.doc.layers[0].pixelId);
      expect(s.app.gallery).toHaveLength(before.app.gallery.length + 1);
      return s;
    };

    // Drag: press on a handle, release on its target (no mask painted: the panel says which area is edited).
    await page.locator('button[data-tool=dragPoints]').click();
    await dragDoc(page, [[OBJECT.x + 2, OBJECT.y + 2], [OBJECT.x + 6, OBJECT.y + 2], [OBJECT.x + 10, OBJECT.y + 2]]);
    await settled(page);
    expect((await snapshot(page)).doc.dragPairs).toHaveLength(1);
    // The Attention memory box turns it off for this edit; the status line says so.
    await page.locator('#edit-memory').uncheck();
    let s = await run('drag', /^Edited \(drag points\).*attention memory off\./);
    await page.locator('#edit-memory').check();
    expect(s.doc.dragPairs, 'the drag consumed its pairs').toHaveLength(0);
    expect(s.doc.selection, 'the move is still described').not.toBeNull();
    await shot(page, info, '7-dragged');

    // Replace appearance: the selection's source is the region; R marks the reference region.
    await page.locator('button[data-tool=reference]').click();
    await dragDoc(page, [[20, 2], [25, 5], [30, 8]]);
    await settled(page);
    expect((await snapshot(page)).doc.reference).toMatchObject({ x: 20, y: 2, width: 10, height: 6 });
    // Region guidance on the model's features (Advanced): the status line says it ran.
    await page.locator('.edit-advanced summary').click();
    await page.locator('#edit-guidance-kind').selectOption('features');
    s = await run('appearance', /^Edited \(replace appearance\).*, feature guidance\./);
    await page.locator('#edit-guidance-kind').selectOption('');
    await page.locator('.edit-advanced summary').click();
    expect(s.doc.reference, 'the edit consumed the reference region').toBeNull();
    await shot(page, info, '8-appearance');

    // Paste: a second image placed over the base.
    await page.evaluate(async () => {
      const w = globalThis as unknown as PageWindow;
      const c = new w.OffscreenCanvas(6, 6);
      const g = c.getContext('2d')!;
      g.fillStyle = '#d02030';
      g.fillRect(0, 0, 6, 6);
      await w.driftlineStudio!.addImage(await c.convertToBlob({ type: 'image/png' }), { name: 'object' });
    });
    await expect.poll(async () => (await snapshot(page)).doc.layers.length).toBe(2);
    s = await run('paste', /^Edited \(paste an object\)/);
    expect(s.doc.layers.map((l) => l.name), 'the pasted layer went into the image').toEqual(['scene']);
    await shot(page, info, '9-pasted');

    // Each edit was one step: undo walks back through them and what was drawn between them.
    await blurFields(page);
    const undone: (string | null)[] = [];
    for (let i = 0; i < 5; i++) {
      undone.push((await snapshot(page)).history.undoName);
      await page.keyboard.press('Control+z');
    }
    expect(undone).toEqual(['edit: paste an object', 'add layer', 'edit: replace appearance', 'reference region', 'edit: drag points']);
    const back = await snapshot(page);
    expect(back.doc.layers.map((l) => l.pixelId)).toEqual([beforeEdit.doc.layers[0].pixelId]);
    expect(back.doc.dragPairs).toHaveLength(1);
    expect(back.doc.reference).toBeNull();
    expect(meanDiff(original, await basePixels(page), { x: 0, y: 0, width: SIZE, height: SIZE })).toBe(0);
  });
});
