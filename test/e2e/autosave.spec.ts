/**
 * Autosave on the real store (IndexedDB in Chromium): the canvas comes back after a reload; when a
 * write fails — every transaction that writes aborted by the browser, as a full disk, a quota or an
 * evicted store does — the studio says so, keeps the work on the page, and the last good save is
 * the one a reload restores. The failure is made in the browser's IndexedDB, not in the studio's
 * code: the product's store runs unchanged.
 */
import { expect, test } from '@playwright/test';
import type { PageWindow } from './helpers/page-types.js';
import { addScene, openStudio, shot, snapshot } from './helpers/studio.js';

test('autosave restores after a reload, and a failed write keeps the last good save', async ({ browser }, info) => {
  const context = await browser.newContext(); // its own, empty IndexedDB
  const page = await context.newPage();
  const savedAt = () => page.evaluate(() => (globalThis as unknown as PageWindow).driftlineStudio!.app.getState().savedAt);
  const layers = async () => (await snapshot(page)).doc.layers.map((l) => l.name);

  await openStudio(page);
  await addScene(page, { width: 32, height: 32, name: 'first' });
  await expect.poll(savedAt, { message: 'the first change is saved' }).not.toBeNull();

  await page.reload();
  await openStudio(page);
  await expect.poll(layers, { message: 'the canvas comes back' }).toEqual(['first']);
  expect((await snapshot(page)).app.status?.text).toMatch(/^Restored the last canvas/);

  // Writes now fail: the browser aborts every transaction that puts a value (as it does on
  // QuotaExceededError), which reaches the store's onabort.
  await page.evaluate(() => {
    const w = globalThis as unknown as { IDBObjectStore: { prototype: { put: (...a: unknown[]) => unknown; transaction: { abort(): void } } } };
    const put = w.IDBObjectStore.prototype.put;
    w.IDBObjectStore.prototype.put = function (this: { transaction: { abort(): void } }, ...a: unknown[]) {
      const r = put.apply(this, a);
      this.transaction.abort();
      return r;
    };
  });
  const before = await savedAt();
  await addScene(page, { width: 48, height: 48, name: 'second' });
  await expect.poll(async () => (await snapshot(page)).app.status?.text ?? '', { message: 'the failure is reported', timeout: 15_000 })
    .toMatch(/^Autosave failed \(the previous save is kept\): /);
  expect((await snapshot(page)).app.status?.level).toBe('warn');
  expect(await savedAt(), 'nothing claims to be saved').toBe(before);
  expect(await layers(), 'the work stays on the page').toEqual(['first', 'second']);
  await shot(page, info, '1-autosave-failed');

  // The store still holds the last good save (a reload also brings back the browser's own IndexedDB).
  await page.reload();
  await openStudio(page);
  await expect.poll(layers).toEqual(['first']);
  await context.close();
});

test('a reload right after a change loses nothing: the page saves as it is left', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const layers = async () => (await snapshot(page)).doc.layers.map((l) => l.name);
  await openStudio(page);
  await addScene(page, { width: 32, height: 32, name: 'kept' });
  await expect.poll(() => page.evaluate(() => (globalThis as unknown as PageWindow).driftlineStudio!.app.getState().savedAt)).not.toBeNull();
  // A change, and the reload at once — well inside the time a save normally waits for the document to settle.
  await page.evaluate(() => {
    const studio = (globalThis as unknown as { driftlineStudio: { editor: { update(f: (doc: { layers: { name: string }[] }) => void, o: { name: string }): void } } }).driftlineStudio;
    studio.editor.update((doc) => { doc.layers[0].name = 'renamed just before the reload'; }, { name: 'rename' });
  });
  await page.reload();
  await openStudio(page);
  await expect.poll(layers, { message: 'the change made just before the reload comes back' }).toEqual(['renamed just before the reload']);
  // A new image too: its pixels go in the same write.
  await addScene(page, { width: 16, height: 16, name: 'added just before the reload' });
  await page.reload();
  await openStudio(page);
  await expect.poll(layers, { message: 'an image added just before the reload comes back' }).toEqual(['renamed just before the reload', 'added just before the reload']);
  expect((await snapshot(page)).app.status?.text).toMatch(/^Restored the last canvas \(/);
  await context.close();
});
