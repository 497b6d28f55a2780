/**
 * The gallery kept on disk, against the real engine (browser mode, the embedded emoji-32) on a
 * server of its own: a batch of two is generated, shows as one group, and comes back — same ids,
 * same settings, same PNG bytes — after the page is reloaded and after the server is restarted on
 * the same data folder; a deleted image stays deleted across a reload.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { PageWindow } from './helpers/page-types.js';
import { serve, type Served } from './helpers/server.js';
import { openStudio, setGenerateFields, shot, snapshot } from './helpers/studio.js';

const PROMPT = 'a red heart kept on disk';

/** The gallery items as the page holds them, with a digest of each PNG's bytes. */
const items = (page: Page) => page.evaluate(async () => {
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
    page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
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

  test('a reload brings the gallery back', async () => {
    await page.reload();
    await openStudio(page, server.url);
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

  test('a deleted image stays deleted', async () => {
    await page.locator('.gallery-list li').nth(1).getByRole('button', { name: 'Remove from the gallery' }).click();
    await expect(page.locator('.gallery-list li')).toHaveCount(1);
    await page.reload();
    await openStudio(page, server.url);
    expect((await items(page)).map((g) => g.id)).toEqual([made[0].id]);
    expect(await readdir(path.join(home, 'gallery', 'images'))).toEqual([`${made[0].id}.png`]);
  });
});
