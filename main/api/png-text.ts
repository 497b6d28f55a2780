/**
 * PNG text chunks (PNG 1.2 spec §4.2.3: tEXt, iTXt): how generation settings travel inside an
 * image. The engine writes `parameters` into every PNG it encodes, the renderer into the canvas it
 * exports, and both read it back. Pure over bytes (Uint8Array, DataView, TextEncoder/TextDecoder),
 * so the same code runs under Node and in the sandboxed page.
 *
 * Text goes before the first IDAT and is read from there, as AUTOMATIC1111 and PIL write it:
 * readers that stop at the image data (PIL's `Image.open(…).info`, which A1111's PNG Info uses,
 * and streaming readers) see only text chunks placed there.
 */

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** A keyword: 1–79 printable Latin-1 characters (§4.2.3). */
const KEYWORD = /^[\x20-\x7e]{1,79}$/;
/** Text a tEXt chunk can hold: Latin-1 printable characters and newlines; anything else goes in iTXt. */
const LATIN1_TEXT = /^[\x20-\x7e\xa0-\xff\n]*$/;
const TEXT_TYPES = new Set(['tEXt', 'zTXt', 'iTXt']);
const UTF8 = new TextDecoder('utf-8');

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 of a chunk's type and data (PNG 1.2 spec §3.4, the CRC of ISO 3309 / ITU-T V.42):
 * polynomial x³² + x²⁶ + … + 1, bit-reversed 0xEDB88320, register preset to 0xFFFFFFFF and
 * complemented at the end; one table lookup per byte.
 */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** ISO 8859-1 exactly, byte for code point (TextDecoder's "latin1" is windows-1252, which differs at 0x80–0x9f). */
function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x2000) s += String.fromCharCode(...bytes.subarray(i, i + 0x2000));
  return s;
}

const latin1Bytes = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));

interface RawChunk {
  type: string;
  data: Uint8Array;
  /** Offsets of the whole chunk (length, type, data, CRC) in the file. */
  start: number;
  end: number;
}

/** The chunks of a PNG up to IEND; throws on bytes that are not a PNG or are cut short. */
function chunks(png: Uint8Array): RawChunk[] {
  if (png.length < 8 || SIGNATURE.some((b, i) => png[i] !== b)) throw new Error('not a PNG file');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: RawChunk[] = [];
  for (let at = 8; at + 12 <= png.length; ) {
    const length = view.getUint32(at);
    const type = latin1(png.subarray(at + 4, at + 8));
    const end = at + 12 + length;
    if (end > png.length) throw new Error(`truncated PNG: chunk ${type} runs past the end of the file`);
    out.push({ type, data: png.subarray(at + 8, end - 4), start: at, end });
    if (type === 'IEND') return out;
    at = end;
  }
  throw new Error('truncated PNG: no IEND chunk');
}

/** The keyword a text chunk starts with ('' when it has none). */
function keywordOf(data: Uint8Array): string {
  const nul = data.indexOf(0);
  return nul > 0 ? latin1(data.subarray(0, nul)) : '';
}

/** tEXt: keyword, NUL, Latin-1 text. iTXt: keyword, NUL, compression flag, method, language, NUL, translated keyword, NUL, UTF-8 text. */
function textOf(c: RawChunk): string | undefined {
  const nul = c.data.indexOf(0);
  if (nul <= 0) return undefined;
  if (c.type === 'tEXt') return latin1(c.data.subarray(nul + 1));
  if (c.type !== 'iTXt' || c.data[nul + 1] !== 0) return undefined;
  const language = c.data.indexOf(0, nul + 3);
  const translated = language < 0 ? -1 : c.data.indexOf(0, language + 1);
  return translated < 0 ? undefined : UTF8.decode(c.data.subarray(translated + 1));
}

/**
 * Keyword → text of the tEXt and uncompressed iTXt chunks before the image data (the first of a
 * repeated keyword wins; zTXt and compressed iTXt are skipped: there is no inflate here). The
 * whole file is walked, so bytes that are not a PNG, or are truncated anywhere, throw.
 */
export function readPngText(png: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of chunks(png)) {
    if (c.type === 'IDAT') break;
    const key = keywordOf(c.data);
    const text = textOf(c);
    if (text !== undefined && !out.has(key)) out.set(key, text);
  }
  return out;
}

/** One chunk: length, type, data, CRC-32 of type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(latin1Bytes(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** tEXt when the text is Latin-1, else an uncompressed UTF-8 iTXt with no language or translation. */
function textChunk(keyword: string, text: string): Uint8Array {
  const key = latin1Bytes(keyword);
  if (LATIN1_TEXT.test(text)) return chunk('tEXt', concat([key, Uint8Array.of(0), latin1Bytes(text)]));
  return chunk('iTXt', concat([key, Uint8Array.of(0, 0, 0, 0, 0), new TextEncoder().encode(text)]));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A copy of `png` with `entries` as text chunks just before its first IDAT. Text chunks of the
 * same keywords elsewhere in the file (tEXt, zTXt or iTXt) are dropped, so each keyword appears
 * once. Throws a RangeError for a keyword the spec does not allow, and an Error for bytes that
 * are not a PNG or are truncated.
 */
export function withPngText(png: Uint8Array, entries: Readonly<Record<string, string>>): Uint8Array {
  const added = Object.entries(entries);
  for (const [k] of added) if (!KEYWORD.test(k)) throw new RangeError(`invalid PNG text keyword "${k}"`);
  const replaced = new Set(added.map(([k]) => k));
  const parts: Uint8Array[] = [png.subarray(0, 8)];
  let written = false;
  for (const c of chunks(png)) {
    if (!written && (c.type === 'IDAT' || c.type === 'IEND')) {
      for (const [k, v] of added) parts.push(textChunk(k, v));
      written = true;
    }
    if (TEXT_TYPES.has(c.type) && replaced.has(keywordOf(c.data))) continue;
    parts.push(png.subarray(c.start, c.end));
  }
  return concat(parts);
}
