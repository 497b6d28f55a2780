/**
 * Upscaling in the studio against the real engine (browser mode, the embedded emoji-sr-64, 2×):
 * a canvas layer becomes a new layer twice the size as one undoable change; an image too large
 * for the model is refused with the engine's limit in the status line and nothing lost; a
 * gallery image becomes a new gallery item with its PNG parameters. Then a small boundary
 * search from its panel, on a server of its own (a search writes under DRIFTLINE_HOME/boundaries,
 * and the shared server's upscales must keep starting from random noise): its chart shows every
 * candidate and the chosen one, and upscales with the same settings start from it.
 */
import { expect, test, type Page } from '@playwright/test';
import type { PageWindow } from './helpers/page-types.js';
import { serve, type Served } from './helpers/server.js';
import { addScene, appeared, blurFields, openStudio, shot, snapshot, watchFor, newStudioPage } from './helpers/studio.js';

const SIZE = 32;

const docOf = async (page: Page) => {
  const s = await snapshot(page);
  return { canvas: s.doc.canvas, layers: s.doc.layers.map((l) => ({ name: l.name, pixelId: l.pixelId, x: l.x, y: l.y, width: l.width, height: l.height, scaleX: l.scaleX, scaleY: l.scaleY })) };
};

const statusOf = async (page: Page) => (await snapshot(page)).app.status;

test.describe.serial('upscaling', () => {
  let page: Page;

  test.beforeAll(async ({ browser }) => { page = await newStudioPage(browser); });
  test.afterAll(async () => page?.close());

  test('upscale a layer: a new layer twice the size, the canvas grows with it, one Ctrl+Z removes it', async ({}, info) => {
    await openStudio(page);
    await addScene(page, { width: SIZE, height: SIZE, name: 'scene' });
    await expect(page.locator('#up-model option'), 'only upscalers are offered').toHaveText(['emoji-sr-64 — pixel-sr (built in)', 'emoji-sr-x4 — pixel-sr (built in)']);
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

test.describe.serial('boundary condition search', () => {
  let page: Page;
  let server: Served;

  test.beforeAll(async ({ browser }) => {
    server = await serve(['--port', '0']);
    page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  });
  test.afterAll(async () => {
    await page?.close();
    // Removes the server's data folder, searched boundary conditions included.
    await server?.stop();
  });

  const marks = () => page.locator('.score-chart circle.candidate');

  test('a small search from the panel: 4 candidates on the chart and the chosen one marked', async ({}, info) => {
    await openStudio(page, server.url);
    await page.locator('.bc-search summary').click();
    await expect(page.locator('.bc-stored'), 'nothing is stored yet').toHaveAttribute('data-status', 'none', { timeout: 30_000 });
    await page.locator('#bc-steps').fill('2');
    await page.locator('#bc-candidates').fill('4');
    await page.locator('#bc-limit').fill('2');
    await expect(page.locator('.bc-stored')).toHaveAttribute('data-status', 'none');

    await watchFor(page, 'SearchProgress', '.bc-search .progress progress');
    await page.getByRole('button', { name: 'Run search' }).click();
    await expect(marks(), 'the chart draws every candidate').toHaveCount(4, { timeout: 120_000 });
    await expect(page.locator('.score-chart circle.candidate.chosen')).toHaveCount(1);
    await expect(page.locator('.score-chart .sd-band')).toHaveCount(1);
    await expect(page.locator('.score-chart .mean-line')).toHaveCount(1);
    await expect(page.locator('.bc-summary')).toContainText('over 4 candidates · 2 calibration images');
    await expect(page.locator('.bc-search')).toContainText(/Stored in .*pack-2steps-64x64\.json/);
    const s = (await statusOf(page))!;
    expect(s.level, s.text).toBe('info');
    expect(s.text).toMatch(/^Boundary condition stored for emoji-sr-64 · pack scheduler · 2 steps/);
    expect(await appeared(page, 'SearchProgress'), 'progress bar shown').toBe(true);

    // Sorted worst → best: the chosen candidate (the best under SSIM) is the rightmost and highest.
    const xs = await marks().evaluateAll((els) => els.map((e) => Number(e.getAttribute('cx'))));
    const ys = await marks().evaluateAll((els) => els.map((e) => Number(e.getAttribute('cy'))));
    const chosen = page.locator('.score-chart circle.candidate.chosen');
    expect(Number(await chosen.getAttribute('cx'))).toBe(Math.max(...xs));
    expect(Number(await chosen.getAttribute('cy'))).toBe(Math.min(...ys));
    await shot(page, info, '5-searched');
    await page.locator('.bc-stored').screenshot({ path: info.outputPath('5-chart.png') });
  });

  test('an upscale with the same model, sampler and steps starts from the searched boundary condition', async ({}, info) => {
    await addScene(page, { width: SIZE, height: SIZE, name: 'scene' });
    await page.locator('#up-steps').fill('2');
    await page.getByRole('button', { name: 'Upscale layer' }).click();
    await expect.poll(async () => (await snapshot(page)).doc.layers.length, { message: 'the upscaled layer lands', timeout: 120_000 }).toBe(2);
    expect((await statusOf(page))?.text).toMatch(/from a searched boundary condition \(ssim, \d{4}-\d\d-\d\d on emoji-sr-64 calibration set\)/);
    expect((await snapshot(page)).app.gallery[0].parameters).toMatch(/Boundary condition: "searched \(ssim, /);
    await shot(page, info, '6-upscaled-from-search');
  });

  test('opening the panel again shows the stored search', async ({}, info) => {
    await openStudio(page, server.url);
    await page.locator('.bc-search summary').click();
    await page.locator('#bc-steps').fill('2');
    await expect(marks()).toHaveCount(4, { timeout: 30_000 });
    await expect(page.locator('.score-chart circle.candidate.chosen')).toHaveCount(1);
    await page.locator('#bc-shown').selectOption('gmsd');
    await expect(page.locator('.score-chart')).toHaveAttribute('data-metric', 'gmsd');
    await expect(marks()).toHaveCount(4);
    await shot(page, info, '7-reopened');
    expect(await page.evaluate(() => (globalThis as unknown as PageWindow).driftlineStudio!.app.getState().connection)).toBe('open');
  });

  test('Cancel mid-search keeps the stored search', async ({}, info) => {
    // Every calibration image and many candidates: long enough to cancel during it.
    await page.locator('#bc-candidates').fill('256');
    await page.locator('#bc-limit').fill('');
    const button = page.locator('.bc-actions button');
    await button.click();
    await expect(button).toHaveText('Cancel');
    await expect(page.locator('.bc-caption'), 'progress with the time left').toHaveText(/^Searching · \d+ \/ \d+ image evaluations · (.+ left|estimating…)$/, { timeout: 60_000 });
    await expect.poll(async () => (await snapshot(page)).app.job?.progress.step ?? 0, { message: 'the engine reports progress', timeout: 60_000 }).toBeGreaterThan(0);
    await shot(page, info, '8-searching');
    await button.click();
    await expect(page.locator('.bc-actions button')).toHaveText('Run search', { timeout: 30_000 });
    expect((await statusOf(page))?.text).toBe('Cancelled. The stored boundary condition is unchanged.');
    // Asked afresh from the engine: the earlier search is still the stored one.
    await openStudio(page, server.url);
    await page.locator('.bc-search summary').click();
    await page.locator('#bc-steps').fill('2');
    await expect(marks()).toHaveCount(4, { timeout: 30_000 });
  });
});
