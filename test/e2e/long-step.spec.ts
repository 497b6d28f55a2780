/**
 * A long step is said so: with the embedded pack at its largest size and a batch of four, one step
 * takes a second or more on a CPU; the page's `longStepMs=300` makes 0.3 s the rule, so the step
 * counts as long whatever the machine's speed (a time is never a test's assertion). The progress names the
 * running step and says a cancel takes effect when it ends; after Cancel it says the engine stops
 * when the step ends, and the job stops then with nothing landing.
 */
import { expect, test } from '@playwright/test';
import type { PageWindow } from './helpers/page-types.js';
import { openStudio, setGenerateFields, shot, snapshot } from './helpers/studio.js';

interface StudioMore {
  frame: { setSize(w: number, h: number): void };
}

test('a step that runs long is named, and a cancel waits for it', async ({ page }, info) => {
  test.setTimeout(120_000);
  await openStudio(page, '/?longStepMs=300');
  await page.evaluate(() => ((globalThis as unknown as PageWindow).driftlineStudio as unknown as StudioMore).frame.setSize(128, 128));
  await setGenerateFields(page, { prompt: 'a long step', steps: 6, seed: 99 });
  await page.locator('#gen-batch').fill('4');
  const button = page.locator('.generate-actions button').first();
  await button.click();
  await expect(button).toHaveText('Cancel');

  const note = page.getByTestId('long-step');
  await expect(note).toHaveText(/^Step \d+ is taking long \(\d+ s\) — a cancel takes effect when it ends$/, { timeout: 60_000 });
  await shot(page, info, '1-long-step');
  const cancelledAt = Date.now();
  await button.click();
  await expect(note).toHaveText(/^Cancelling — step \d+ is still running \(\d+ s\); the engine stops when it ends$/, { timeout: 2_000 });
  await shot(page, info, '2-cancelling');
  await expect(page.locator('.generate-actions button').first()).toHaveText(/Generate/, { timeout: 60_000 });
  const took = Date.now() - cancelledAt;
  await expect(note).toHaveCount(0);
  const s = await snapshot(page);
  expect(s.app.status?.text).toBe('Cancelled.');
  expect(s.doc.layers).toHaveLength(0);
  info.annotations.push({ type: 'cancel during a long step', description: `stopped ${took} ms after Cancel` });
});
