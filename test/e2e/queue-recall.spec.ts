/**
 * The queue and recall in browser mode: three generations pressed one after another run in turn
 * and a waiting one removed never runs; an exported PNG dropped on the prompt box puts its
 * settings (prompt, negative prompt, sampler, steps, CFG, seed, size) back; `?` opens the keyboard map.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import type { AppStateLike, PageWindow, StudioLike } from './helpers/page-types.js';
import { blurFields, openStudio, setGenerateFields, shot } from './helpers/studio.js';

/** The members of the studio these tests use beyond the shared page types. */
interface StudioMore {
  app: { getState(): AppStateLike & { settings: { negativePrompt: string; cfgScale: number; sampler: string } } };
  frame: { setSize(w: number, h: number): void; current(): { width: number; height: number } };
  exports: { exportGalleryItem(id: string): Promise<void> };
  generation: { queue: { store: { getState(): { waiting: { id: string; settings: { prompt: string } }[] } } } };
}

/** Gallery items whose parameters begin with `prompt`. */
function itemsFor(page: Page, prompt: string): Promise<{ id: string; parameters: string; width: number; height: number }[]> {
  return page.evaluate((p) => {
    const st = (globalThis as unknown as PageWindow).driftlineStudio!;
    return st.app.getState().gallery.filter((g) => g.parameters.startsWith(p)).map((g) => ({ id: g.id, parameters: g.parameters, width: g.width, height: g.height }));
  }, prompt);
}

test('three generations queue; the middle one removed, the other two complete in order', async ({ page }, info) => {
  test.setTimeout(180_000);
  await openStudio(page);
  const tag = `queued-${Date.now().toString(36)}`;
  const submit = page.locator('.generate-actions button[type=submit]');
  // Long enough (a few seconds here) that the second and third are pressed while the first runs.
  await setGenerateFields(page, { prompt: `${tag} one`, steps: 400, seed: 11 });
  const started = Date.now();
  await submit.click();
  await expect(submit).toHaveText(/Queue/);
  await setGenerateFields(page, { prompt: `${tag} two`, steps: 8, seed: 12 });
  await submit.click();
  await setGenerateFields(page, { prompt: `${tag} three`, steps: 8, seed: 13 });
  await submit.click();

  const queue = page.getByRole('region', { name: 'Queue' });
  await expect(queue.locator('li')).toHaveCount(2);
  await expect(queue.locator('li').nth(0)).toContainText(`${tag} two`);
  await expect(queue.locator('li').nth(1)).toContainText(`${tag} three`);
  await shot(page, info, '1-queued');
  const running = await page.evaluate(() => (globalThis as unknown as PageWindow).driftlineStudio!.app.getState().job);
  expect(running?.kind, 'the first is still running while the others wait').toBe('generate');

  await queue.locator('li').nth(0).getByRole('button', { name: 'Remove from queue' }).click();
  await expect(queue.locator('li')).toHaveCount(1);

  await expect.poll(async () => (await itemsFor(page, `${tag} three`)).length, { message: 'the third completes', timeout: 150_000 }).toBe(1);
  await expect.poll(() => page.evaluate(() => (globalThis as unknown as PageWindow).driftlineStudio!.app.getState().job)).toBeNull();
  expect(await itemsFor(page, `${tag} one`)).toHaveLength(1);
  expect(await itemsFor(page, `${tag} two`), 'the removed one never ran').toHaveLength(0);
  await expect(queue).toHaveCount(0);
  const order = await page.evaluate((t) => (globalThis as unknown as PageWindow).driftlineStudio!.app.getState().gallery.filter((g) => g.parameters.startsWith(t)).map((g) => g.seed), tag);
  expect(order.sort()).toEqual([11, 13]);
  info.annotations.push({ type: 'queue', description: `three pressed, the middle removed, two done in ${Date.now() - started} ms` });
  await shot(page, info, '2-done');
});

test('an exported PNG dropped on the prompt box restores its settings and frame size', async ({ page }, info) => {
  await openStudio(page);
  const prompt = `recall ${Date.now().toString(36)}, a yellow face`;
  await page.evaluate(() => ((globalThis as unknown as PageWindow).driftlineStudio as unknown as StudioMore).frame.setSize(40, 40));
  await setGenerateFields(page, { prompt, steps: 6, seed: 4242 });
  await page.locator('#gen-negative').fill('sad, blue');
  await page.locator('#gen-cfg').fill('3.5');
  await page.locator('#gen-sampler').selectOption('euler');
  await page.locator('.generate-actions button[type=submit]').click();
  await expect.poll(async () => (await itemsFor(page, prompt)).length, { message: 'the image arrives', timeout: 45_000 }).toBe(1);
  const [item] = await itemsFor(page, prompt);
  expect(item.parameters).toContain('Negative prompt: sad, blue');
  expect(item.parameters).toMatch(/Sampler: Euler,.*Seed: 4242, Size: 40x40/);

  const download = page.waitForEvent('download');
  await page.evaluate((id) => ((globalThis as unknown as PageWindow).driftlineStudio as unknown as StudioMore).exports.exportGalleryItem(id), item.id);
  const bytes = [...readFileSync(await (await download).path())];

  // Everything else: the panel and the frame as a user would leave them before the drop.
  await page.evaluate(() => ((globalThis as unknown as PageWindow).driftlineStudio as unknown as StudioMore).frame.setSize(32, 32));
  await setGenerateFields(page, { prompt: 'something else', steps: 20, seed: 1 });
  await page.locator('#gen-negative').fill('');
  await page.locator('#gen-cfg').fill('7');
  await page.locator('#gen-sampler').selectOption('pack');

  await page.evaluate((data) => {
    const w = globalThis as unknown as PageWindow;
    const file = new w.File([Uint8Array.from(data)], 'exported.png', { type: 'image/png' });
    const dt = new w.DataTransfer();
    dt.items.add(file);
    const target = w.document.querySelector('#gen-prompt')!;
    target.dispatchEvent(new w.DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    target.dispatchEvent(new w.DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, bytes);

  await expect(page.locator('#gen-prompt')).toHaveValue(prompt);
  await expect(page.locator('#gen-negative')).toHaveValue('sad, blue');
  await expect(page.locator('#gen-steps')).toHaveValue('6');
  await expect(page.locator('#gen-cfg')).toHaveValue('3.5');
  await expect(page.locator('#gen-seed')).toHaveValue('4242');
  await expect(page.locator('#gen-sampler')).toHaveValue('euler');
  const after = await page.evaluate(() => {
    const st = (globalThis as unknown as PageWindow).driftlineStudio as unknown as StudioMore & StudioLike;
    const s = st.app.getState().settings;
    return { seedLocked: s.seedLocked, frame: st.frame.current(), status: st.app.getState().status?.text };
  });
  expect(after.seedLocked).toBe(true);
  expect(after.frame).toMatchObject({ width: 40, height: 40 });
  expect(after.status).toMatch(/^Settings from exported\.png are in the Generate panel \(seed 4242, locked\)/);
  // Fields the panel has no place for are shown, not dropped.
  await expect(page.getByTestId('recalled-fields')).toContainText('Settings from exported.png');
  await shot(page, info, '1-recalled');
});

test('? opens the keyboard map of every shortcut; Esc closes it; typed in a field it is just a character', async ({ page }, info) => {
  await openStudio(page);
  await page.locator('#gen-prompt').fill('');
  await page.locator('#gen-prompt').press('?');
  await expect(page.locator('#gen-prompt')).toHaveValue('?');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toHaveCount(0);
  await blurFields(page);
  await page.keyboard.press('?');
  const map = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(map).toBeVisible();
  for (const section of ['Tools', 'While a tool is active', 'Canvas', 'Studio']) await expect(map.getByRole('region', { name: section })).toBeVisible();
  await expect(map.getByRole('row', { name: /Undo/ })).toContainText('Ctrl+Z');
  await expect(map.getByRole('row', { name: /Smaller brush/ })).toContainText('[');
  await shot(page, info, '1-keyboard-map');
  await page.keyboard.press('Escape');
  await expect(map).toHaveCount(0);
});
