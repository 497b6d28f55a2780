/**
 * Cheap previews of a latent while it is sampled: a fixed linear map from the 4 latent channels
 * of Stable Diffusion's VAE to RGB (the approximation image UIs use for live previews; factors
 * fitted by least squares between latents and their decoded images, as in ComfyUI's
 * `latent_rgb_factors` for SD 1.x/2.x), 8× smaller than the decoded image. Pixel-space packs
 * preview their denoised estimate directly.
 */
import type { Tensor } from '../tensor.js';
import { tensorToRgb } from '../image/io.js';

/** Rows: latent channel; columns: R, G, B. Applied to the unscaled VAE latent (z / scaling factor). */
const SD_LATENT_RGB: readonly (readonly number[])[] = [
  [0.3512, 0.2297, 0.3227],
  [0.325, 0.4974, 0.235],
  [-0.2829, 0.1762, 0.2721],
  [-0.212, -0.2616, -0.7177],
];

export interface Preview {
  width: number;
  height: number;
  /** Interleaved 8-bit RGB. */
  rgb: Uint8Array;
}

/** Preview of batch element 0 of the denoised estimate `x0` ([B, C, h, w]). */
export function previewOf(x0: Tensor<Float32Array | Float64Array>, scalingFactor: number, latent: boolean): Preview {
  const [, c, h, w] = x0.shape;
  const n = h * w;
  if (!latent || c === 3) {
    const img: Tensor = { data: Float32Array.from(x0.data.subarray(0, 3 * n)), shape: [1, 3, h, w] };
    return { width: w, height: h, rgb: tensorToRgb(img) };
  }
  const rgb = new Uint8Array(3 * n);
  for (let p = 0; p < n; p++) {
    for (let k = 0; k < 3; k++) {
      let v = 0;
      for (let ch = 0; ch < Math.min(4, c); ch++) v += (x0.data[ch * n + p] / scalingFactor) * SD_LATENT_RGB[ch][k];
      rgb[3 * p + k] = Math.round(Math.min(1, Math.max(0, (v + 1) / 2)) * 255);
    }
  }
  return { width: w, height: h, rgb };
}
