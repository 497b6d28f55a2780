/**
 * Upscaling in the studio against the real engine (browser mode, the embedded emoji-sr-64, 2×):
 * a canvas layer becomes a new layer twice the size as one undoable change; an image too large
 * for the model is refused with the engine's limit in the status line and nothing lost; a
 * gallery image becomes a new gallery item with its PNG parameters.
 */
import { expect, test, type Page } from '@playwright/test';
import { addScene, appeared, blurFields, openStudio, shot, snapshot, watchFor } from './helpers/studio.js';

const SIZE = 32;

const docOf = async (page: Page) => {
  const s = await snapshot(page);
  return { canvas: s.doc.canvas, layers: s.doc.layers.map((l) => ({ name: l.name, pixelId: l.pixelId, x: l.x, y: l.y, width: l.width, height: l.height, scaleX: l.scaleX, scaleY: l.scaleY })) };
};

const statusOf = async (page: Page) => (await snapshot(page)).app.status;

test.describe.serial('upscaling', () => {
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  });
  test.afterAll(async () => {
    await page?.close();
  });

  test('upscale a layer: a new layer twice the size, the canvas grows with it, one Ctrl+Z removes it', async ({}, info) => {
    await openStudio(page);
    await addScene(page, { width: SIZE, height: SIZE, name: 'scene' });
    await expect(page.locator('#up-model option'), 'only upscalers are offered').toHaveText(['emoji-sr-64 — pixel-sr (built in)']);
    await expect(page.locator('#up-steps')).toHaveAttribute('placeholder', '10');
    const before = await docOf(page);
    expect(before.canvas).toEqual({ width: SIZE, height: SIZE });

    await watchFor(page, 'UpscaleProgress', '.upscale-panel .progress progress');
    await watchFor(page, 'UpscaleCancel', '.upscale-actions button.danger');
    await page.getByRole('button', { name: 'Upscale scene' }).click();
    await expect.poll(async () => (await snapshot(page)).doc.layers.length, { message: 'the upscaled layer lands', timeout: 120_000 }).toBe(2);
    await expect(page.locator('.upscale-actions button')).toHaveText('Upscale layer');
    await shot(page, info, '1-upscaled-layer');

    const s = await snapshot(page);
    expect(s.app.status?.level, s.app.status?.text).toBe('info');
    expect(s.app.status?.text).toMatch(/^Upscaled "scene" 2× to 64×64 in [\d.]+ s from a random boundary condition \(seed 0; no search is stored/);
    const [source, up] = s.doc.layers;
    expect(up).toMatchObject({ name: 'scene ×2', width: 2 * SIZE, height: 2 * SIZE, x: 0, y: 0, scaleX: 1, scaleY: 1 });
    expect(source).toMatchObject({ name: 'scene', width: SIZE, height: SIZE, scaleX: 2, scaleY: 2 });
    expect(s.doc.canvas).toEqual({ width: 2 * SIZE, height: 2 * SIZE });
    expect(s.bitmaps, 'the new layer\'s pixels are decoded').toBe(2);
    expect(s.history.undoName).toBe('upscale layer');
    expect(s.app.gallery[0]).toMatchObject({ width: 2 * SIZE, height: 2 * SIZE, model: 'emoji-sr-64' });
    expect(s.app.gallery[0].parameters).toContain('Upscale: 2x from 32x32');
    expect(await appeared(page, 'UpscaleProgress'), 'progress bar shown').toBe(true);
    expect(await appeared(page, 'UpscaleCancel'), 'Cancel shown').toBe(true);

    await blurFields(page);
    await page.keyboard.press('Control+z');
    expect(await docOf(page)).toEqual(before);
    await shot(page, info, '2-undone');
  });

  test('an image too large for the model: the engine\'s limit in the status line, nothing lost', async ({}, info) => {
    // 160 px doubles to 320, past emoji-sr-64's largest output (4 tiles of 64 a side).
    await addScene(page, { width: 160, height: 160, name: 'big' });
    const before = await docOf(page);
    const history = (await snapshot(page)).history;
    await page.getByRole('button', { name: 'Upscale big' }).click();
    await expect.poll(async () => (await statusOf(page))?.level, { message: 'the engine refuses', timeout: 60_000 }).toBe('error');
    const status = (await statusOf(page))!;
    expect(status.text).toMatch(/at most 256x256/);
    expect(status.text).toMatch(/Nothing was changed\.$/);
    await expect(page.locator('.status-bar .message.error')).toContainText('256x256');
    expect(await docOf(page)).toEqual(before);
    expect((await snapshot(page)).history).toEqual(history);
    expect((await snapshot(page)).app.job).toBeNull();
    await shot(page, info, '3-too-large');
    await blurFields(page);
    await page.keyboard.press('Control+z');
    expect((await docOf(page)).layers.map((l) => l.name)).toEqual(['scene']);
  });

  test('upscale a gallery image: a new gallery item with the PNG\'s parameters', async ({}, info) => {
    const before = (await snapshot(page)).app.gallery.length;
    const item = page.locator('.gallery-list li').first();
    await item.getByRole('button', { name: 'Upscale' }).click();
    await expect.poll(async () => (await snapshot(page)).app.gallery.length, { message: 'the upscaled item arrives', timeout: 120_000 }).toBe(before + 1);
    const s = await snapshot(page);
    expect(s.app.gallery[0]).toMatchObject({ width: 4 * SIZE, height: 4 * SIZE, model: 'emoji-sr-64' });
    expect(s.app.gallery[0].parameters).toMatch(/Upscale: 2x from 64x64/);
    expect(s.app.gallery[0].parameters).toMatch(/Boundary condition: random/);
    expect(s.app.selectedGalleryId).toBe(s.app.gallery[0].id);
    await expect(page.locator('.gallery-list li').first()).toContainText('upscaled 2× from 64×64');
    expect(s.app.status?.text).toMatch(/added to the gallery\.$/);
    await shot(page, info, '4-gallery-upscaled');
  });
});
