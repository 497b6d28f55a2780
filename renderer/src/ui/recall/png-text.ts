/**
 * The text chunks of a PNG (tEXt, and iTXt when not compressed) that come before its image data,
 * where A1111, PIL and this studio write `parameters`. Pure over bytes: no DOM, no inflate; a
 * compressed chunk (zTXt, compressed iTXt) is skipped, as is anything that is not a PNG.
 */

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const LATIN1 = new TextDecoder('latin1');
const UTF8 = new TextDecoder('utf-8');

/** Keyword → text of each readable text chunk before IDAT (the first of a repeated keyword wins). */
export function pngTextChunks(bytes: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) return out;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = LATIN1.decode(bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, Math.min(bytes.length, at + 8 + length));
    if (type === 'IDAT' || type === 'IEND' || data.length < length) break;
    const chunk = type === 'tEXt' ? textChunk(data) : type === 'iTXt' ? itxtChunk(data) : null;
    if (chunk && !out.has(chunk[0])) out.set(chunk[0], chunk[1]);
    at += 12 + length;
  }
  return out;
}

/** tEXt: keyword, NUL, Latin-1 text. */
function textChunk(data: Uint8Array): [string, string] | null {
  const nul = data.indexOf(0);
  return nul > 0 ? [LATIN1.decode(data.subarray(0, nul)), LATIN1.decode(data.subarray(nul + 1))] : null;
}

/** iTXt: keyword, NUL, compression flag, method, language tag, NUL, translated keyword, NUL, UTF-8 text. */
function itxtChunk(data: Uint8Array): [string, string] | null {
  const nul = data.indexOf(0);
  if (nul <= 0 || data[nul + 1] !== 0) return null;
  const lang = data.indexOf(0, nul + 3);
  const translated = lang < 0 ? -1 : data.indexOf(0, lang + 1);
  if (translated < 0) return null;
  return [LATIN1.decode(data.subarray(0, nul)), UTF8.decode(data.subarray(translated + 1))];
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of a chunk's type and data (PNG 1.2 spec §3.4). */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The PNG with a text chunk `keyword` → `text` placed before its image data, where readers that
 * stop at IDAT (A1111, PIL) find it: tEXt when the text is Latin-1, else an uncompressed UTF-8
 * iTXt. Bytes that are not a PNG come back unchanged.
 */
export function withPngText(png: Uint8Array, keyword: string, text: string): Uint8Array {
  if (png.length < 8 || SIGNATURE.some((b, i) => png[i] !== b) || !/^[\x20-\x7e]{1,79}$/.test(keyword)) return png;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let at = 8;
  while (at + 12 <= png.length && LATIN1.decode(png.subarray(at + 4, at + 8)) !== 'IDAT') at += 12 + view.getUint32(at);
  if (at + 12 > png.length) return png;
  const latin1 = /^[\x20-\x7e\xa0-\xff\n]*$/.test(text);
  const key = Array.from(keyword, (ch) => ch.charCodeAt(0));
  const body = latin1
    ? Uint8Array.from([...key, 0, ...Array.from(text, (ch) => ch.charCodeAt(0))])
    : Uint8Array.from([...key, 0, 0, 0, 0, 0, ...new TextEncoder().encode(text)]);
  const chunk = new Uint8Array(12 + body.length);
  const cv = new DataView(chunk.buffer);
  cv.setUint32(0, body.length);
  chunk.set(Array.from(latin1 ? 'tEXt' : 'iTXt', (ch) => ch.charCodeAt(0)), 4);
  chunk.set(body, 8);
  cv.setUint32(8 + body.length, crc32(chunk.subarray(4, 8 + body.length)));
  const out = new Uint8Array(png.length + chunk.length);
  out.set(png.subarray(0, at), 0);
  out.set(chunk, at);
  out.set(png.subarray(at), at + chunk.length);
  return out;
}
