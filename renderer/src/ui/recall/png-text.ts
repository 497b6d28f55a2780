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
