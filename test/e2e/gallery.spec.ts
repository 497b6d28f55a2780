/**
 * The gallery kept on disk, against the real engine (browser mode, the embedded emoji-32) on a
 * server of its own: a batch of two is generated, shows as one group, and comes back — same ids,
 * same settings, same PNG bytes — after the page is reloaded and after the server is restarted on
 * the same data folder, its grid showing thumbnails without fetching the full PNGs; the batch is
 * compared side by side; an image downloads with its parameters inside; a deleted image stays
 * deleted across a reload. A gallery of 75 images (some kept before thumbnails) lists them all and
 * fetches their thumbnails as they scroll into view.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { PageWindow } from './helpers/page-types.js';
import { serve, type Served } from './helpers/server.js';
import { openStudio, setGenerateFields, shot, snapshot, newStudioPage } from './helpers/studio.js';
import { GalleryStore } from '../../main/engine/gallery/store.js';
import { readPngText } from '../../main/api/png-text.js';

const PROMPT = 'a red heart kept on disk';

type ItemLike = { id: string; pending?: boolean; thumbUrl?: string };
/** The gallery items' ids, which of them have their full PNG fetched, and which their thumbnail. */
const loaded = (page: Page) => page.evaluate(() => {
  const g = (globalThis as unknown as PageWindow).driftlineStudio!.app.getState().gallery as unknown as ItemLike[];
  return { ids: g.map((i) => i.id), full: g.filter((i) => !i.pending).length, thumbs: g.filter((i) => i.thumbUrl).length };
});

/** The gallery items as the page holds them, with a digest of each PNG's bytes (fetched first where they are not here yet). */
const items = (page: Page) => page.evaluate(async () => {
  const studio = (globalThis as unknown as PageWindow).driftlineStudio! as unknown as { gallery: { full(id: string): Promise<unknown> } };
  const s0 = (globalThis as unknown as PageWindow).driftlineStudio!.app.getState();
  await Promise.all((s0.gallery as unknown as ItemLike[]).map((g) => studio.gallery.full(g.id)));
  const s = (globalThis as unknown as PageWindow).driftlineStudio!.app.getState();
  return Promise.all((s.gallery as unknown as { id: string; seed: number; parameters: string; stored?: boolean; batch?: { id: string; index: number; size: number }; png: Uint8Array }[]).map(async (g) => ({
    id: g.id, seed: g.seed, parameters: g.parameters, stored: g.stored, batch: g.batch,
    sha: Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', g.png as unknown as ArrayBuffer))).map((b) => b.toString(16).padStart(2, '0')).join(''),
  })));
});

test.describe.serial('the gallery on disk', () => {
  let page: Page;
  let server: Served;
  let home: string;
  let made: Awaited<ReturnType<typeof items>>;

  test.beforeAll(async ({ browser }) => {
    test.setTimeout(120_000);
    home = await mkdtemp(path.join(tmpdir(), 'driftline-e2e-gallery-'));
    server = await serve(['--port', '0'], 30_000, { home });
    page = await newStudioPage(browser);
  });
  test.afterAll(async () => {
    await page?.close();
    await server?.stop();
    await rm(home, { recursive: true, force: true });
  });

  test('a generated batch is saved by the engine and shows as one group', async ({}, info) => {
    test.setTimeout(90_000);
    await openStudio(page, server.url);
    expect((await snapshot(page)).app.gallery).toHaveLength(0);
    await setGenerateFields(page, { prompt: PROMPT, steps: 4, seed: 11 });
    await page.locator('#gen-batch').fill('2');
    await page.locator('.generate-actions button').first().click();
    await expect.poll(async () => (await snapshot(page)).app.gallery.length, { message: 'the batch arrives', timeout: 60_000 }).toBe(2);
    made = await items(page);
    expect(made.every((g) => g.stored)).toBe(true);
    expect(made.map((g) => g.batch?.index)).toEqual([0, 1]);
    expect(new Set(made.map((g) => g.batch?.id)).size).toBe(1);
    expect(made[0].parameters).toContain(PROMPT);
    await expect(page.locator('.gallery-list li.in-batch')).toHaveCount(2);
    await expect(page.locator('.gallery-list .gallery-batch')).toHaveText(/Batch of 2/);
    expect((await readdir(path.join(home, 'gallery', 'images'))).sort()).toEqual(made.map((g) => `${g.id}.png`).sort());
    await shot(page, info, '1-batch');
  });

  test('a reload brings the gallery back, its grid showing thumbnails without fetching the full PNGs', async () => {
    await page.reload();
    await openStudio(page, server.url);
    // Thumbnails are fetched as the grid scrolls into view (the gallery panel sits under the Generate panel).
    await page.locator('.gallery-list li').last().scrollIntoViewIfNeeded();
    await expect(page.locator('.gallery-list img[data-thumb=thumbnail]')).toHaveCount(2);
    expect(await loaded(page)).toEqual({ ids: made.map((g) => g.id), full: 0, thumbs: 2 });
    expect(await items(page)).toEqual(made);
    await expect(page.locator('.gallery-list li')).toHaveCount(2);
    await expect(page.locator('.gallery-list .gallery-batch')).toHaveText(/Batch of 2/);
  });

  test('a restarted server brings the gallery back', async ({}, info) => {
    await server.stop();
    server = await serve(['--port', '0'], 30_000, { home });
    await openStudio(page, server.url);
    expect(await items(page)).toEqual(made);
    await expect(page.locator('.gallery-list img')).toHaveCount(2);
    await shot(page, info, '2-after-restart');
  });

  test('a batch is compared side by side: one scale, the settings that differ', async ({}, info) => {
    await page.locator('.gallery-compare-batch').click();
    const dialog = page.getByRole('dialog', { name: 'Compare side by side' });
    await expect(dialog).toBeVisible();
    await expect(dialog.locator('figure')).toHaveCount(2);
    const sizes = await dialog.locator('figure img').evaluateAll((imgs) => imgs.map((i) => [i.getBoundingClientRect().width, (i as unknown as { naturalWidth: number }).naturalWidth]));
    // Both 32 px wide, drawn at the same scale, larger than the grid's 72 px.
    expect(sizes[0][0]).toBeCloseTo(sizes[1][0], 3);
    expect(sizes.map((s) => s[1])).toEqual([32, 32]);
    expect(sizes[0][0]).toBeGreaterThan(72);
    const seedRow = dialog.locator('tr.differs', { has: page.locator('th', { hasText: 'Seed' }) });
    await expect(seedRow.locator('td')).toHaveText(made.map((g) => String(g.seed)));
    await expect(dialog.locator('.gallery-compare-shared')).toContainText(`Prompt ${PROMPT}`);
    await shot(page, info, '3-compare');
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await page.getByRole('toolbar', { name: 'Compare' }).getByRole('button', { name: 'Clear' }).click();
  });

  test('an image downloads as the PNG on disk, its parameters inside; no "Show in folder" in a browser', async () => {
    await expect(page.locator('.gallery-reveal')).toHaveCount(0);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.gallery-list li').first().locator('.gallery-download').click()]);
    expect(download.suggestedFilename()).toMatch(/^driftline-emoji-32-\d+\.png$/);
    const bytes = await readFile((await download.path())!);
    const first = (await loaded(page)).ids[0];
    expect(bytes.equals(await readFile(path.join(home, 'gallery', 'images', `${first}.png`)))).toBe(true);
    expect(readPngText(bytes).get('parameters')).toContain(PROMPT);
  });

  test('a deleted image stays deleted', async () => {
    await page.locator('.gallery-list li').nth(1).getByRole('button', { name: 'Remove from the gallery' }).click();
    await expect(page.locator('.gallery-list li')).toHaveCount(1);
    await page.reload();
    await openStudio(page, server.url);
    expect((await items(page)).map((g) => g.id)).toEqual([made[0].id]);
    expect(await readdir(path.join(home, 'gallery', 'images'))).toEqual([`${made[0].id}.png`]);
  });
});

test.describe('a gallery larger than a page', () => {
  const COUNT = 75;
  let server: Served;
  let home: string;
  let ids: string[] = [];
  /** Kept before thumbnails existed: their thumbnail files are removed before the server starts. */
  let unthumbed: string[] = [];

  test.beforeAll(async () => {
    test.setTimeout(120_000);
    home = await mkdtemp(path.join(tmpdir(), 'driftline-e2e-gallery-many-'));
    server = await serve(['--port', '0'], 30_000, {
      home,
      before: async (dir) => {
        const store = new GalleryStore(dir);
        const sharp = (await import('sharp')).default;
        for (let i = 0; i < COUNT; i++) {
          const png = await sharp({ create: { width: 48, height: 48, channels: 3, background: { r: (i * 37) % 256, g: 90, b: 160 } } }).png().toBuffer();
          const [e] = await store.add([{ png, parameters: `kept ${i}\nSteps: 4, Sampler: Euler, Seed: ${i}, Size: 48x48`, width: 48, height: 48, settings: { model: 'emoji-32', prompt: `kept ${i}`, sampler: 'euler', steps: 4, seed: i } }], 1_700_000_000_000 + i * 1000);
          ids.unshift(e.id);
        }
        unthumbed = ids.slice(-5);
        for (const id of unthumbed) await rm(path.join(dir, 'gallery', 'thumbs', `${id}.png`));
      },
    });
  });
  test.afterAll(async () => {
    await server?.stop();
    await rm(home, { recursive: true, force: true });
  });

  test('lists every image and fetches thumbnails as they scroll into view, never the full PNGs', async ({ page }) => {
    test.setTimeout(90_000);
    await openStudio(page, server.url);
    await expect(page.locator('.gallery-list li')).toHaveCount(COUNT);
    expect((await loaded(page)).ids).toEqual(ids);
    // Lazily: only what has been in view has its thumbnail so far.
    await page.locator('.gallery-list li').first().scrollIntoViewIfNeeded();
    await expect.poll(async () => (await loaded(page)).thumbs, { message: 'the first thumbnails', timeout: 15_000 }).toBeGreaterThan(0);
    expect((await loaded(page)).thumbs).toBeLessThan(COUNT);
    // Scrolled through to the oldest: every item gets its thumbnail, made again where it was missing.
    for (let i = 0; i < COUNT; i += 2) await page.locator('.gallery-list li').nth(i).scrollIntoViewIfNeeded();
    await page.locator('.gallery-list li').last().scrollIntoViewIfNeeded();
    await expect.poll(async () => (await loaded(page)).thumbs, { message: 'thumbnails for all 75', timeout: 30_000 }).toBe(COUNT);
    expect((await loaded(page)).full).toBe(0);
    await expect(page.locator('.gallery-list li').last().locator('img')).toHaveAttribute('data-thumb', 'thumbnail');
    expect(await page.locator('.gallery-list li').last().locator('img').evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth)).toBe(48);
    const thumbs = await readdir(path.join(home, 'gallery', 'thumbs'));
    for (const id of unthumbed) expect(thumbs).toContain(`${id}.png`);
  });
});
