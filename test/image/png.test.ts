import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { encodePng, loadImage, loadMask, rgbToTensor, tensorToRgb } from '../../main/engine/image/io.js';
import { readPngText } from '../../main/api/png-text.js';

describe('image tensors', () => {
  it('maps bytes to [−1, 1] planar and back exactly', () => {
    const rgb = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => (i * 37) % 256);
    const t = rgbToTensor(rgb, 3, 2);
    expect(t.shape).toEqual([1, 3, 2, 3]);
    expect(t.data[0]).toBeCloseTo(rgb[0] / 127.5 - 1, 6);
    expect(t.data[6]).toBeCloseTo(rgb[1] / 127.5 - 1, 6); // green plane starts at 2·3
    expect(Array.from(tensorToRgb(t))).toEqual(Array.from(rgb));
  });
  it('encodes a PNG with settings and decodes it back to the same pixels', async () => {
    const t = rgbToTensor(Uint8Array.from({ length: 8 * 8 * 3 }, (_, i) => (i * 11) % 256), 8, 8);
    const png = await encodePng(t, { parameters: 'x\nSteps: 3' });
    expect(readPngText(png).get('parameters')).toBe('x\nSteps: 3');
    const back = await loadImage(png, 8, 8);
    expect(Array.from(tensorToRgb(back))).toEqual(Array.from(tensorToRgb(t)));
  });
  it('composites transparency on white and reads masks as white = repaint', async () => {
    const transparent = await sharp({ create: { width: 2, height: 2, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    expect(Array.from((await loadImage(transparent, 2, 2)).data).every((v) => v === 1)).toBe(true);
    const mask = await sharp({ create: { width: 4, height: 2, channels: 3, background: '#ffffff' } })
      .composite([{ input: { create: { width: 2, height: 2, channels: 3, background: '#000000' } }, left: 0, top: 0 }]).png().toBuffer();
    expect(Array.from(await loadMask(mask, 4, 2))).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
  });
});
