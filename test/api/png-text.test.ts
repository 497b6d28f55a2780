/**
 * PNG text chunks, as the engine writes them into every image it encodes and the renderer into
 * the canvas it exports, and as both read them back: Latin-1 in tEXt, anything else in UTF-8 iTXt,
 * before the image data; CRCs that libvips accepts; files that are not PNGs or are cut short refused.
 */
import { describe, expect, it } from 'vitest';
import { crc32 as zlibCrc32 } from 'node:zlib';
import sharp from 'sharp';
import { crc32, readPngText, withPngText } from '../../main/api/png-text.js';

const solid = async (width = 4, height = 3) => new Uint8Array(await sharp({ create: { width, height, channels: 3, background: '#336699' } }).png().toBuffer());
const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');

/** A PNG put together chunk by chunk with Node's own CRC, so the reader is checked against bytes it did not write. */
function png(...chunks: Buffer[]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), ...chunks, chunk('IEND', Buffer.alloc(0))]);
}
function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const framed = Buffer.alloc(body.length + 8);
  framed.writeUInt32BE(data.length, 0);
  body.copy(framed, 4);
  framed.writeUInt32BE(zlibCrc32(body) >>> 0, body.length + 4);
  return framed;
}
const tEXt = (k: string, v: string) => chunk('tEXt', Buffer.from(`${k}\0${v}`, 'latin1'));
const zTXt = (k: string) => chunk('zTXt', Buffer.from(`${k}\0\0xx`, 'latin1'));
const iTXt = (k: string, v: string, compressed = 0) =>
  chunk('iTXt', Buffer.concat([Buffer.from(`${k}\0`, 'latin1'), Buffer.from([compressed, 0]), Buffer.from('en\0Parameter\0'), Buffer.from(v, 'utf8')]));
const A1111 = 'a red heart\nNegative prompt: blurry\nSteps: 20, Sampler: DDIM, CFG scale: 5, Seed: 7, Size: 32x32, Model: emoji-32';

describe('CRC-32 (PNG §3.4, ISO 3309)', () => {
  it('gives the standard check value and agrees with zlib', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 97 + 13) % 256);
    expect(crc32(bytes)).toBe(zlibCrc32(bytes) >>> 0);
  });
});

describe('writing text chunks', () => {
  it('round-trips Latin-1 (tEXt) and Unicode (iTXt) entries before the image data; the image still decodes', async () => {
    const out = withPngText(await solid(), { parameters: 'a cat\nSteps: 1', driftline: '{"prompt":"猫 🐱"}' });
    expect(readPngText(out)).toEqual(new Map([['parameters', 'a cat\nSteps: 1'], ['driftline', '{"prompt":"猫 🐱"}']]));
    expect(latin1(out)).toContain('tEXtparameters');
    expect(latin1(out)).toContain('iTXtdriftline');
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height]).toEqual([4, 3]);
    // Replacing an entry keeps one copy.
    const again = withPngText(out, { parameters: 'changed\nSteps: 2' });
    expect(readPngText(again).get('parameters')).toBe('changed\nSteps: 2');
    expect(latin1(again).split('tEXtparameters').length).toBe(2);
    // Before the image data, where readers that stop at IDAT (PIL's Image.open().info, A1111's PNG Info) look.
    for (const file of [out, again]) {
      const text = latin1(file);
      expect(text.indexOf('tEXtparameters')).toBeLessThan(text.indexOf('IDAT'));
      expect(text.indexOf('iTXtdriftline')).toBeLessThan(text.indexOf('IDAT'));
    }
  });

  it('writes A1111 text and quoted Unicode with CRCs libvips accepts', async () => {
    for (const text of [A1111, 'ünïcode café — 🐱 with "quotes", and, commas']) {
      const out = withPngText(await solid(2, 2), { parameters: text });
      expect(readPngText(out).get('parameters')).toBe(text);
      const meta = await sharp(out).metadata();
      expect([meta.width, meta.height]).toEqual([2, 2]);
    }
  });

  it('drops every text chunk of a replaced keyword, wherever it stands, zTXt included', () => {
    const file = png(zTXt('parameters'), chunk('IDAT', Buffer.from([1, 2, 3])), tEXt('parameters', 'late'), tEXt('Software', 'paint'));
    const out = withPngText(file, { parameters: 'new' });
    expect(latin1(out).match(/(tEXt|zTXt|iTXt)parameters/g)).toEqual(['tEXtparameters']);
    expect(latin1(out)).toContain('tEXtSoftware');
    expect(readPngText(out).get('parameters')).toBe('new');
  });

  it('refuses a keyword the spec does not allow, bytes that are not a PNG and a truncated PNG', async () => {
    const whole = await solid();
    expect(() => withPngText(whole, { '': 'x' })).toThrow(RangeError);
    expect(() => withPngText(whole, { ['k'.repeat(80)]: 'x' })).toThrow(/invalid PNG text keyword/);
    expect(() => withPngText(whole, { 'café': 'x' })).toThrow(/invalid PNG text keyword/);
    expect(() => withPngText(new Uint8Array([1, 2, 3]), { parameters: 'x' })).toThrow(/not a PNG/);
    expect(() => withPngText(whole.subarray(0, whole.length - 20), { parameters: 'x' })).toThrow(/truncated/);
  });
});

describe('reading text chunks', () => {
  it('reads tEXt (Latin-1) and uncompressed iTXt (UTF-8) before the image data; compressed iTXt and text after IDAT are skipped', () => {
    const bytes = png(tEXt('parameters', 'café\nSteps: 1, Sampler: Euler, Seed: 2'), iTXt('Comment', 'ünïcode ✓'), iTXt('zipped', 'x', 1), chunk('IDAT', Buffer.from([1, 2, 3])), tEXt('late', 'nope'));
    const t = readPngText(bytes);
    expect([...t.keys()]).toEqual(['parameters', 'Comment']);
    expect(t.get('parameters')).toBe('café\nSteps: 1, Sampler: Euler, Seed: 2');
    expect(t.get('Comment')).toBe('ünïcode ✓');
  });

  it('the first of a repeated keyword wins; tEXt is ISO 8859-1 byte for byte', () => {
    const t = readPngText(png(tEXt('parameters', 'first'), iTXt('parameters', 'second'), chunk('tEXt', Buffer.from([0x6b, 0, 0x80, 0xe9]))));
    expect(t.get('parameters')).toBe('first');
    expect(t.get('k')).toBe('\u0080é');
  });

  it('refuses bytes that are not a PNG, and a PNG truncated anywhere', async () => {
    expect(() => readPngText(new TextEncoder().encode('GIF89a....'))).toThrow(/not a PNG/);
    const whole = png(tEXt('parameters', 'x'), tEXt('b', 'y'));
    expect(() => readPngText(whole.subarray(0, whole.length - 20))).toThrow(/truncated PNG: no IEND/);
    expect(() => readPngText(whole.subarray(0, whole.length - 14))).toThrow(/truncated PNG: chunk tEXt runs past the end/);
    const image = await solid(2, 2);
    expect(() => readPngText(image.subarray(0, image.length - 20))).toThrow(/truncated/);
    expect(() => readPngText(image.subarray(0, image.length - 12))).toThrow(/no IEND/);
  });
});
