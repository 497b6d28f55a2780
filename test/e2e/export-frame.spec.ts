/**
 * Export of the generation frame alone, in browser mode: with a frame smaller than the generated
 * image under it, "Export frame" downloads a PNG the size of the frame (not the canvas) holding
 * the pixels under the frame, whose `parameters` text chunk — before the image data — holds that
 * generation's settings. The status bar names the tool state in words, never as a state path.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import sharp from 'sharp';
import type { PageWindow } from './helpers/page-types.js';
import { openStudio, setGenerateFields, shot, snapshot } from './helpers/studio.js';

interface StudioMore {
  frame: { setSize(w: number, h: number): void; current(): { x: number; y: number; width: number; height: number } };
  exports: { exportGalleryItem(id: string): Promise<void> };
}

/** Raw RGB bytes of a PNG, optionally a region of it. */
async function rgb(png: Buffer, region?: { left: number; top: number; width: number; height: number }): Promise<Buffer> {
  const img = sharp(png).removeAlpha();
  return (region ? img.extract(region) : img).raw().toBuffer();
}

/** The PNG's width, height, chunk types in order and its text chunks. */
function readPng(bytes: Buffer): { width: number; height: number; types: string[]; text: Map<string, string> } {
  const types: string[] = [];
  const text = new Map<string, string>();
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    types.push(type);
    if (type === 'tEXt') {
      const body = bytes.subarray(at + 8, at + 8 + length);
      const nul = body.indexOf(0);
      text.set(body.toString('latin1', 0, nul), body.toString('latin1', nul + 1));
    }
    at += 12 + length;
  }
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20), types, text };
}

test('Export frame downloads the frame alone, frame-sized, with its generation\'s settings before IDAT', async ({ page }, info) => {
  await openStudio(page);
  await expect(page.locator('.status-bar .tool-status')).toHaveText(/^Select — /);
  await expect(page.locator('.status-bar')).not.toContainText('select.idle');

  const prompt = `frame export ${Date.now().toString(36)}, red heart`;
  await page.evaluate(() => ((globalThis as unknown as PageWindow).driftlineStudio as unknown as StudioMore).frame.setSize(40, 24));
  await setGenerateFields(page, { prompt, steps: 4, seed: 321 });
  await page.locator('.generate-actions button[type=submit]').click();
  await expect.poll(async () => (await snapshot(page)).doc.layers.length, { message: 'the image lands in the frame', timeout: 45_000 }).toBe(1);
  await expect.poll(async () => (await snapshot(page)).app.job, { timeout: 15_000 }).toBeNull();
  const s = await snapshot(page);
  const item = s.app.gallery.find((g) => g.parameters.startsWith(prompt));
  expect(item, 'the generation is in the gallery').toBeTruthy();
  const [generated] = await Promise.all([
    page.waitForEvent('download'),
    page.evaluate((id) => ((globalThis as unknown as PageWindow).driftlineStudio as unknown as StudioMore).exports.exportGalleryItem(id), item!.id),
  ]);
  const source = readFileSync(await generated.path());

  // A smaller frame over the middle of the generated image: the export is that part alone.
  await page.evaluate(() => ((globalThis as unknown as PageWindow).driftlineStudio as unknown as StudioMore).frame.setSize(16, 16));
  const frame = await page.evaluate(() => ((globalThis as unknown as PageWindow).driftlineStudio as unknown as StudioMore).frame.current());
  expect([frame.width, frame.height]).toEqual([16, 16]);
  const layer = s.doc.layers[0];
  expect([layer.width * layer.scaleX, layer.height * layer.scaleY]).toEqual([40, 24]);

  const button = page.getByRole('button', { name: 'Export frame', exact: true });
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  expect(download.suggestedFilename()).toMatch(/^driftline-frame-16x16-\d+\.png$/);
  const bytes = readFileSync(await download.path());
  const png = readPng(bytes);
  expect([png.width, png.height], 'the frame\'s size, not the canvas\'s').toEqual([16, 16]);
  expect(png.text.get('parameters')).toBe(item!.parameters);
  expect(png.types.indexOf('tEXt')).toBeGreaterThan(0);
  expect(png.types.indexOf('tEXt')).toBeLessThan(png.types.indexOf('IDAT'));
  const crop = await rgb(source, { left: frame.x - layer.x, top: frame.y - layer.y, width: 16, height: 16 });
  const out = await rgb(bytes);
  let worst = 0;
  for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - crop[i]));
  expect(worst, 'the pixels are those under the frame').toBeLessThanOrEqual(2);
  await expect(page.locator('.status-bar .message')).toContainText('the generation frame (16×16), with the settings of its last generation');
  info.annotations.push({ type: 'frame export', description: `${png.width}×${png.height} at (${frame.x}, ${frame.y}) of a ${s.doc.canvas.width}×${s.doc.canvas.height} canvas, chunks ${png.types.join(' ')}, max pixel difference ${worst}` });
  await shot(page, info, 'exported');
});
