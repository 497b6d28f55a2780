/**
 * Calibration sets for boundary-condition search: a folder of high-resolution images, each cut to
 * the model's tile (centre crop at native resolution — resizing would change the very statistics
 * the search calibrates on), and its low-resolution input made by the pack's own degradation.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Tensor } from '../tensor.js';
import { rgbToTensor, tensorToRgb } from '../image/io.js';
import { listImageFiles } from '../image/files.js';
import type { CalibrationPair } from './search.js';

/**
 * The degradation the embedded SR packs are trained with: f × f area averaging of the 8-bit image,
 * rounded back to 8 bits (models/train/train_sr.py `area_downsample`). [1, 3, H, W] → [1, 3, H/f, W/f].
 */
export function areaDownsample(high: Tensor, factor: number): Tensor {
  const [B, C, H, W] = high.shape;
  if (H % factor || W % factor) throw new RangeError(`image ${W}x${H} is not a multiple of the factor ${factor}`);
  const h = H / factor, w = W / factor;
  const out = new Float32Array(B * C * h * w);
  for (let p = 0; p < B * C; p++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let dy = 0; dy < factor; dy++) for (let dx = 0; dx < factor; dx++) s += Math.round((high.data[p * H * W + (y * factor + dy) * W + x * factor + dx] + 1) * 127.5);
        out[p * h * w + y * w + x] = Math.round(s / (factor * factor)) / 127.5 - 1;
      }
    }
  }
  return { data: out, shape: [B, C, h, w] };
}

export interface CalibrationSet {
  pairs: CalibrationPair[];
  /** sha256 over every used file's name and bytes, in order. */
  digest: string;
  dir: string;
}

/** Bicubic downsampling (libvips' cubic kernel) of an 8-bit image, for packs trained on it (the x4 upscaler's convention). */
async function bicubicDownsample(high: Tensor, factor: number): Promise<Tensor> {
  const [, , H, W] = high.shape;
  const { data, info } = await sharp(Buffer.from(tensorToRgb(high)), { raw: { width: W, height: H, channels: 3 } })
    .resize(W / factor, H / factor, { kernel: 'cubic', fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  return rgbToTensor(new Uint8Array(data.buffer, data.byteOffset, data.length), info.width, info.height);
}

/** A high-resolution image [1, 3, H, W] degraded as the pack declares. */
export function degrade(high: Tensor, factor: number, kind: 'area' | 'bicubic'): Promise<Tensor> {
  return kind === 'bicubic' ? bicubicDownsample(high, factor) : Promise.resolve(areaDownsample(high, factor));
}

/** Load up to `limit` images of `dir` (name order) as (low, high) pairs of the tile's size. */
export async function loadCalibration(dir: string, tile: { width: number; height: number }, factor: number, limit?: number, degradation: 'area' | 'bicubic' = 'area'): Promise<CalibrationSet> {
  let names: string[];
  try {
    names = await listImageFiles(dir);
  } catch (e) {
    throw new RangeError(`cannot read the calibration folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!names.length) throw new RangeError(`the calibration folder ${dir} holds no images (PNG, JPEG, WebP …)`);
  if (limit !== undefined) names = names.slice(0, limit);
  const hash = createHash('sha256');
  const pairs: CalibrationPair[] = [];
  for (const name of names) {
    const bytes = await readFile(path.join(dir, name));
    hash.update(`${name}\0${createHash('sha256').update(bytes).digest('hex')}\0`);
    const high = await cropToTile(bytes, name, tile);
    pairs.push({ name, high, low: await degrade(high, factor, degradation) });
  }
  return { pairs, digest: hash.digest('hex'), dir };
}

async function cropToTile(bytes: Uint8Array, name: string, tile: { width: number; height: number }): Promise<Tensor> {
  let meta: { width?: number; height?: number };
  try {
    meta = await sharp(bytes).metadata();
  } catch {
    throw new RangeError(`calibration image ${name} is not an image this studio can read`);
  }
  const w = meta.width ?? 0, h = meta.height ?? 0;
  if (w < tile.width || h < tile.height) throw new RangeError(`calibration image ${name} is ${w}x${h}, smaller than the model's ${tile.width}x${tile.height} tile`);
  const { data, info } = await sharp(bytes)
    .flatten({ background: '#ffffff' })
    .extract({ left: Math.floor((w - tile.width) / 2), top: Math.floor((h - tile.height) / 2), width: tile.width, height: tile.height })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return rgbToTensor(new Uint8Array(data.buffer, data.byteOffset, data.length), info.width, info.height);
}
