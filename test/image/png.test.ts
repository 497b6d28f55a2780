import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { encodePng, loadImage, loadMask, rgbToTensor, tensorToRgb } from '../../main/engine/image/io.js';
import { readTextChunks, withTextChunks } from '../../main/engine/image/png-text.js';
import { formatParameters, parseParameters, type GenerationParameters } from '../../main/engine/image/parameters.js';

describe('A1111 parameters text', () => {
  const p: GenerationParameters = {
    prompt: 'a red fox, in snow\nhighly detailed',
    negativePrompt: 'blurry',
    steps: 20, sampler: 'DPM++ 2M', cfgScale: 7.5, seed: 1234567890, width: 512, height: 768,
    model: 'sd-1.5', denoisingStrength: 0.6, extra: { 'Schedule type': 'Karras', Note: 'a, b: "c"' },
  };
  it('writes the format other tools read', () => {
    expect(formatParameters(p)).toBe(
      'a red fox, in snow\nhighly detailed\nNegative prompt: blurry\n' +
        'Steps: 20, Sampler: DPM++ 2M, CFG scale: 7.5, Seed: 1234567890, Size: 512x768, Model: sd-1.5, ' +
        'Denoising strength: 0.6, Schedule type: Karras, Note: "a, b: \\"c\\""',
    );
  });
  it('parses what it writes, and a real A1111 line', () => {
    expect(parseParameters(formatParameters(p))).toEqual({ ...p, extra: { 'Schedule type': 'Karras', Note: 'a, b: "c"' } });
    const a1111 = 'masterpiece, cat\nNegative prompt: lowres\nSteps: 28, Sampler: Euler a, CFG scale: 6, Seed: 42, Size: 640x640, Model hash: abc123, Model: anything-v3';
    const q = parseParameters(a1111);
    expect([q.prompt, q.negativePrompt, q.steps, q.sampler, q.cfgScale, q.seed, q.width, q.height, q.model]).toEqual(
      ['masterpiece, cat', 'lowres', 28, 'Euler a', 6, 42, 640, 640, 'anything-v3']);
    expect(q.extra).toEqual({ 'Model hash': 'abc123' });
  });
  it('rejects text that is not parameters', () => {
    expect(() => parseParameters('just a caption')).toThrow(/no "Steps:"/);
  });
});

describe('PNG text chunks', () => {
  it('round-trips Latin-1 (tEXt) and Unicode (iTXt) entries; the image still decodes', async () => {
    const png = await sharp({ create: { width: 4, height: 3, channels: 3, background: '#336699' } }).png().toBuffer();
    const out = withTextChunks(png, { parameters: 'a cat\nSteps: 1', driftline: '{"prompt":"猫 🐱"}' });
    expect(readTextChunks(out)).toEqual({ parameters: 'a cat\nSteps: 1', driftline: '{"prompt":"猫 🐱"}' });
    expect(out.includes(Buffer.from('tEXtparameters'))).toBe(true);
    expect(out.includes(Buffer.from('iTXtdriftline'))).toBe(true);
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height]).toEqual([4, 3]);
    // Replacing an entry keeps one copy.
    const again = withTextChunks(out, { parameters: 'changed\nSteps: 2' });
    expect(readTextChunks(again).parameters).toBe('changed\nSteps: 2');
    expect(again.toString('latin1').split('tEXtparameters').length).toBe(2);
    // Before the image data, where readers that stop at IDAT (PIL's Image.open().info, A1111's PNG Info) look.
    for (const file of [out, again]) {
      const text = file.toString('latin1');
      expect(text.indexOf('tEXtparameters')).toBeLessThan(text.indexOf('IDAT'));
      expect(text.indexOf('iTXtdriftline')).toBeLessThan(text.indexOf('IDAT'));
    }
  });
  it('rejects files that are not PNG or are truncated', async () => {
    expect(() => readTextChunks(Buffer.from('GIF89a'))).toThrow(/not a PNG/);
    const png = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#000' } }).png().toBuffer();
    expect(() => readTextChunks(png.subarray(0, png.length - 20))).toThrow(/truncated/);
  });
});

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
    expect(readTextChunks(png).parameters).toBe('x\nSteps: 3');
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
