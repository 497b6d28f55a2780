/** Mask helpers: resampling between grids (pixels, latents, UNet feature levels) and feathering. */

/** Average-pool an H×W mask by an integer factor to (H/f)×(W/f). */
export function poolMask(mask: Float32Array, width: number, height: number, factor: number): Float32Array {
  if (factor === 1) return mask.slice();
  const w = Math.floor(width / factor), h = Math.floor(height / factor);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = 0; dy < factor; dy++) for (let dx = 0; dx < factor; dx++) s += mask[(y * factor + dy) * width + x * factor + dx];
      out[y * w + x] = s / (factor * factor);
    }
  }
  return out;
}

/** Separable box blur of radius r (a cheap feather), clamped at the borders. */
export function featherMask(mask: Float32Array, width: number, height: number, radius: number): Float32Array {
  if (radius <= 0) return mask.slice();
  const tmp = new Float32Array(mask.length);
  const out = new Float32Array(mask.length);
  const k = 2 * radius + 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let d = -radius; d <= radius; d++) s += mask[y * width + Math.min(width - 1, Math.max(0, x + d))];
      tmp[y * width + x] = s / k;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let d = -radius; d <= radius; d++) s += tmp[Math.min(height - 1, Math.max(0, y + d)) * width + x];
      out[y * width + x] = s / k;
    }
  }
  return out;
}

/** Repeat an h×w mask over `channels` planes of each of `batch` elements: [B, C, h, w]. */
export function broadcastMask(mask: Float32Array, batch: number, channels: number): Float32Array {
  const out = new Float32Array(batch * channels * mask.length);
  for (let p = 0; p < batch * channels; p++) out.set(mask, p * mask.length);
  return out;
}

/** Nearest resampling of a mask to another grid by cell centres, binary (≥ ½ is inside). */
export function resampleMask(mask: Float32Array, from: { width: number; height: number }, to: { width: number; height: number }): Float32Array {
  const out = new Float32Array(to.width * to.height);
  for (let y = 0; y < to.height; y++) {
    const sy = Math.min(from.height - 1, Math.floor(((y + 0.5) * from.height) / to.height));
    for (let x = 0; x < to.width; x++) {
      const sx = Math.min(from.width - 1, Math.floor(((x + 0.5) * from.width) / to.width));
      out[y * to.width + x] = mask[sy * from.width + sx] >= 0.5 ? 1 : 0;
    }
  }
  return out;
}
