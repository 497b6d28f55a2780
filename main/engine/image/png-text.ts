/**
 * PNG text chunks (PNG 1.2 spec §4.2.3: tEXt, iTXt): how generation settings travel inside the
 * image. sharp encodes the pixels; these few lines add the chunks it cannot write, before the
 * image data, each with its CRC-32.
 */
import { crc32 } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

const isLatin1 = (s: string) => /^[\x20-\x7e\xa0-\xff\n]*$/.test(s);

function textChunk(keyword: string, text: string): Buffer {
  if (!/^[\x20-\x7e]{1,79}$/.test(keyword)) throw new RangeError(`invalid PNG text keyword "${keyword}"`);
  // tEXt is Latin-1 only; anything else goes in an uncompressed UTF-8 iTXt chunk.
  if (isLatin1(text)) return chunk('tEXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')]));
  return chunk('iTXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(text, 'utf8')]));
}

interface RawChunk {
  type: string;
  data: Buffer;
  start: number;
  end: number;
}

function* chunks(png: Buffer): Generator<RawChunk> {
  if (png.length < 8 || !png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG file');
  let off = 8;
  while (off + 12 <= png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const end = off + 12 + len;
    if (end > png.length) throw new Error(`truncated PNG: chunk ${type} runs past the end of the file`);
    yield { type, data: png.subarray(off + 8, off + 8 + len), start: off, end };
    off = end;
    if (type === 'IEND') return;
  }
  throw new Error('truncated PNG: no IEND chunk');
}

/**
 * A copy of `png` with the given text entries added before the image data (existing ones of the
 * same keyword are replaced). Before the first IDAT, as AUTOMATIC1111 and PIL write them: readers
 * that stop at the image data — PIL's `Image.open(…).info`, which A1111's PNG Info uses, and
 * streaming readers — see only text chunks placed there.
 */
export function withTextChunks(png: Buffer, entries: Record<string, string>): Buffer {
  const parts: Buffer[] = [SIGNATURE];
  let written = false;
  for (const c of chunks(png)) {
    if (!written && (c.type === 'IDAT' || c.type === 'IEND')) {
      for (const [k, v] of Object.entries(entries)) parts.push(textChunk(k, v));
      written = true;
    }
    if ((c.type === 'tEXt' || c.type === 'iTXt') && keywordOf(c.data) in entries) {
      continue;
    }
    parts.push(png.subarray(c.start, c.end));
  }
  return Buffer.concat(parts);
}

function keywordOf(data: Buffer): string {
  const nul = data.indexOf(0);
  return data.toString('latin1', 0, nul < 0 ? data.length : nul);
}

/** The text entries of a PNG (tEXt and uncompressed iTXt). */
export function readTextChunks(png: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of chunks(png)) {
    const nul = c.data.indexOf(0);
    if (nul < 0) continue;
    const key = c.data.toString('latin1', 0, nul);
    if (c.type === 'tEXt') out[key] = c.data.toString('latin1', nul + 1);
    else if (c.type === 'iTXt' && c.data[nul + 1] === 0) {
      // keyword \0 compression-flag method language \0 translated \0 text
      const lang = c.data.indexOf(0, nul + 3);
      const translated = c.data.indexOf(0, lang + 1);
      out[key] = c.data.toString('utf8', translated + 1);
    }
  }
  return out;
}
