/** Cancel during a long generation: the job stops, nothing lands on the canvas or in the gallery. */
import { expect, test } from '@playwright/test';
import { openStudio, recordJobs, recorded, setGenerateFields, shot, snapshot } from './helpers/studio.js';

test('cancel stops a long generation', async ({ page }, info) => {
  await openStudio(page);
  // A thousand steps would take about a minute here; the test cancels after the first few.
  // The gallery kept on disk may hold earlier tests' images: count from what it shows now.
  const kept = (await snapshot(page)).app.gallery.length;
  await setGenerateFields(page, { prompt: 'a long one', steps: 1000, seed: 7 });
  await recordJobs(page);
  const button = page.locator('.generate-actions button').first();
  await button.click();
  await expect(button).toHaveText('Cancel');
  await expect.poll(async () => Math.max(0, ...(await recorded(page)).steps), { message: 'the engine reports progress', timeout: 30_000 }).toBeGreaterThanOrEqual(2);
  await shot(page, info, '1-running');
  const cancelledAt = Date.now();
  await button.click();
  await expect(page.locator('.generate-actions button').first()).toHaveText(/Generate/, { timeout: 20_000 });
  const took = Date.now() - cancelledAt;

  const s = await snapshot(page);
  expect(s.app.status?.text).toBe('Cancelled.');
  expect(s.app.job).toBeNull();
  expect(s.app.gallery).toHaveLength(kept);
  expect(s.doc.layers).toHaveLength(0);
  const rec = await recorded(page);
  expect(Math.max(...rec.steps), 'stopped well before the end').toBeLessThan(500);
  info.annotations.push({ type: 'cancel latency', description: `${took} ms after ${Math.max(...rec.steps)} of 1000 steps` });
  await shot(page, info, '2-cancelled');

  // The engine is free again: a short run afterwards completes.
  await setGenerateFields(page, { steps: 4 });
  await button.click();
  await expect.poll(async () => (await snapshot(page)).app.gallery.length, { message: 'the short run completes', timeout: 30_000 }).toBe(kept + 1);
  await expect(page.locator('.generate-actions button').first()).toHaveText(/Generate/);
  const s2 = await snapshot(page);
  expect(s2.app.status?.text).toMatch(/^Generated 1 image/);
  expect(s2.app.gallery).toHaveLength(kept + 1);
});
