/**
 * The wire formats of browser mode: messages are the same calls, replies and events as the engine
 * host's channel. The studio sends binary frames (`encodeFrame`: JSON plus raw byte attachments);
 * text frames carry byte arrays (images, previews) as `{ "$bytes": base64 }` for simple clients.
 * Runs in Node and in the browser (no Buffer).
 */
import { ApiError } from './contract.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function bytesToBase64(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i] << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + (i + 1 < b.length ? B64[(n >> 6) & 63] : '=') + (i + 2 < b.length ? B64[n & 63] : '=');
  }
  return out;
}

export function base64ToBytes(s: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new ApiError('BAD_REQUEST', 'invalid base64 in message');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  for (let i = 0, o = 0; i < s.length; i += 4) {
    const n = (B64.indexOf(s[i]) << 18) | (B64.indexOf(s[i + 1]) << 12) | ((B64.indexOf(s[i + 2]) & 63) << 6) | (B64.indexOf(s[i + 3]) & 63);
    out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

export function encodeWire(message: unknown): string {
  return JSON.stringify(message, (_key, value: unknown) => (value instanceof Uint8Array ? { $bytes: bytesToBase64(value) } : value));
}

/**
 * The deepest a message nests objects and arrays (the message itself is level 1; the contract's
 * requests need fewer than 10). Deeper ones are refused before anything walks them recursively:
 * a message nested 100,000 deep overflowed the stack of the parser's reviver.
 */
export const MAX_MESSAGE_DEPTH = 64;

/**
 * Parse JSON and put byte arrays in place of their markers — objects whose only key is `marker`,
 * for which `convert` returns bytes (undefined: not a marker after all). Iterative, with the depth
 * capped at MAX_MESSAGE_DEPTH.
 */
function parseMessage(json: string, marker: '$bytes' | '$bin', convert: (value: unknown) => Uint8Array | undefined): unknown {
  const root: Record<string, unknown> = { message: JSON.parse(json) as unknown };
  const todo: [Record<string, unknown>, string, number][] = [[root, 'message', 1]];
  while (todo.length) {
    const [parent, key, depth] = todo.pop()!;
    const value = parent[key];
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_MESSAGE_DEPTH) throw new ApiError('BAD_REQUEST', `message nested deeper than ${MAX_MESSAGE_DEPTH} levels`);
    const keys = Object.keys(value);
    const bytes = !Array.isArray(value) && keys.length === 1 && keys[0] === marker ? convert((value as Record<string, unknown>)[marker]) : undefined;
    // Defined, not assigned: under the key "__proto__" an assignment would set the parent's prototype.
    if (bytes) Object.defineProperty(parent, key, { value: bytes, enumerable: true, writable: true, configurable: true });
    else for (const k of keys) todo.push([value as Record<string, unknown>, k, depth + 1]);
  }
  return root.message;
}

export function decodeWire(text: string): unknown {
  return parseMessage(text, '$bytes', (b64) => (typeof b64 === 'string' ? base64ToBytes(b64) : undefined));
}

/**
 * Binary frames, the studio's own format: byte arrays travel as raw attachments instead of base64
 * inside JSON, so a large image costs a copy, not a decode on the server's event loop.
 *
 *   frame = u32le(json length) · json (UTF-8) · for each attachment: u32le(length) · bytes
 *
 * where the JSON carries `{ "$bin": k }` in place of the k-th byte array.
 */
export function encodeFrame(message: unknown): Uint8Array {
  const parts: Uint8Array[] = [];
  const json = new TextEncoder().encode(JSON.stringify(message, (_key, value: unknown) => {
    if (!(value instanceof Uint8Array)) return value;
    parts.push(value);
    return { $bin: parts.length - 1 };
  }));
  const out = new Uint8Array(4 + json.length + parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  out.set(json, 4);
  let at = 4 + json.length;
  for (const p of parts) {
    view.setUint32(at, p.length, true);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

export function decodeFrame(frame: Uint8Array): unknown {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const bad = () => new ApiError('BAD_REQUEST', 'malformed binary message');
  if (frame.length < 4) throw bad();
  const jsonLength = view.getUint32(0, true);
  if (4 + jsonLength > frame.length) throw bad();
  const parts: Uint8Array[] = [];
  for (let at = 4 + jsonLength; at < frame.length;) {
    if (at + 4 > frame.length) throw bad();
    const n = view.getUint32(at, true);
    if (at + 4 + n > frame.length) throw bad();
    parts.push(frame.slice(at + 4, at + 4 + n));
    at += 4 + n;
  }
  let json: string;
  try {
    json = new TextDecoder('utf-8', { fatal: true }).decode(frame.subarray(4, 4 + jsonLength));
  } catch {
    throw bad(); // not UTF-8: the decoder's own error would reach the caller as an unnamed one
  }
  const used = new Set<number>();
  const message = parseMessage(json, '$bin', (k) => {
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= parts.length || used.has(k)) throw bad();
    used.add(k);
    return parts[k];
  });
  if (used.size !== parts.length) throw bad();
  return message;
}
