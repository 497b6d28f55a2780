/** The pixel size of image bytes, read from the header only — jobs are sized before anything is decoded. */
import sharp from 'sharp';
import { ApiError } from '../api/contract.js';

export async function imageSize(bytes: Uint8Array, what: string): Promise<{ width: number; height: number }> {
  try {
    const m = await sharp(Buffer.from(bytes)).metadata();
    if (!m.width || !m.height) throw new Error('no size');
    return { width: m.width, height: m.height };
  } catch {
    throw new ApiError('BAD_REQUEST', `${what}: not an image this studio can read (PNG, JPEG, WebP …)`);
  }
}
