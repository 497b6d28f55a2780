/**
 * Images in and out of the engine: files or buffers ↔ NCHW float tensors in [−1, 1], through sharp
 * (libvips) for decoding, resizing and PNG encoding.
 */
import sharp from 'sharp';
import type { Tensor } from '../tensor.js';
import { withPngText } from '../../api/png-text.js';

export type ImageSource = string | Buffer | Uint8Array;

/** Interleaved 8-bit RGB ↔ planar float in [−1, 1]. */
export function rgbToTensor(rgb: Uint8Array, width: number, height: number): Tensor {
  const n = width * height;
  if (rgb.length !== 3 * n) throw new RangeError(`expected ${3 * n} RGB bytes for ${width}x${height}, got ${rgb.length}`);
  const data = new Float32Array(3 * n);
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) data[c * n + p] = rgb[3 * p + c] / 127.5 - 1;
  return { data, shape: [1, 3, height, width] };
}

/** Batch element `b` of an image tensor [B, 3, H, W] in [−1, 1] as interleaved RGB bytes. */
export function tensorToRgb(t: Tensor, b = 0): Uint8Array {
  const [, c, h, w] = t.shape;
  if (c !== 3) throw new RangeError(`expected 3 channels, got ${c}`);
  const n = h * w;
  const out = new Uint8Array(3 * n);
  const off = b * 3 * n;
  for (let p = 0; p < n; p++) {
    for (let k = 0; k < 3; k++) out[3 * p + k] = Math.round(Math.min(1, Math.max(0, (t.data[off + k * n + p] + 1) / 2)) * 255);
  }
  return out;
}

/** How an image of another size is brought to the requested one: cover + centre crop, or stretched to fill. */
export type Fit = 'cover' | 'fill';

/** Decode an image, composite any transparency onto white, and resize (cover + centre crop, or `fill`) to width × height. */
export async function loadImage(src: ImageSource, width: number, height: number, fit: Fit = 'cover'): Promise<Tensor> {
  const { data, info } = await sharp(src)
    .flatten({ background: '#ffffff' })
    .resize(width, height, { fit, position: 'centre' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return rgbToTensor(new Uint8Array(data.buffer, data.byteOffset, data.length), info.width, info.height);
}

/** Decode a mask: white (1) marks what to repaint, black (0) what to keep; grey is partial. */
export async function loadMask(src: ImageSource, width: number, height: number, fit: Fit = 'cover'): Promise<Float32Array> {
  const { data } = await sharp(src)
    .flatten({ background: '#000000' })
    .resize(width, height, { fit, position: 'centre' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return Float32Array.from(data, (v) => v / 255);
}

/** Encode batch element `b` as PNG with text chunks (e.g. `parameters`). */
export async function encodePng(t: Tensor, text: Record<string, string> = {}, b = 0): Promise<Buffer> {
  const [, , h, w] = t.shape;
  const png = await sharp(Buffer.from(tensorToRgb(t, b)), { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
  const out = withPngText(png, text);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}
