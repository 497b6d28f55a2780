/**
 * The named stages every pipeline is made of — conditioning, the image in sampler space, the
 * network call with its fixed inputs, previews, decoding and compositing — shared by generation
 * (`generate.ts`) and editing (`edit.ts`) so each exists once (k-diffusion's habit of passing
 * conditioning through rather than rebuilding it per pipeline).
 */
import type { Tensor } from '../tensor.js';
import type { Network } from '../denoiser.js';
import type { LoadedPack, PackInfo, UNetExtras } from '../packs/types.js';
import { featherMask } from './mask.js';
import { previewOf, type Preview } from './preview.js';

/**
 * Text conditioning for B rows: [negative × B; prompt × B] in one text-encoder call when guidance
 * is on (the batch layout the denoiser's classifier-free guidance expects), else [prompt × B].
 */
export function conditioning(pack: LoadedPack, prompt: string, negativePrompt: string | undefined, batch: number, guided: boolean): Promise<Tensor> {
  const prompts = guided ? [...Array(batch).fill(negativePrompt ?? ''), ...Array(batch).fill(prompt)] : Array(batch).fill(prompt);
  return pack.encodePrompt(prompts);
}

/** Whether the pack integrates pixels directly (no VAE between image and sampler). */
export const isPixelSpace = (pack: LoadedPack): boolean => pack.info.latentChannels === 3 && !pack.vaeEncode;

/** An image [1, 3, H, W] in [−1, 1] in the sampler's space: the VAE's scaled latent mean, or the pixels. */
export async function encodeImage(pack: LoadedPack, image: Tensor): Promise<Float32Array> {
  if (isPixelSpace(pack)) return image.data;
  if (!pack.vaeEncode) throw new RangeError('this pack has no VAE encoder, so it cannot start from an image');
  return (await pack.vaeEncode(image)).data;
}

/** A sampler-space state [B, C, h, w] as an image [B, 3, H, W] in [−1, 1]. */
export async function decodeState(pack: LoadedPack, state: Tensor): Promise<Tensor> {
  return pack.vaeDecode && pack.info.latentChannels !== 3 ? pack.vaeDecode(state) : state;
}

export interface NetworkInputs {
  context: Tensor;
  /** Channels concatenated after the state's on every call (inpainting, upscaler conditioning), per batch row. */
  extra?: { data: Float32Array; channels: number; batch: number };
  extras?: UNetExtras;
  /** Counts network calls (a CFG pair in one call counts once). */
  counter?: { evaluations: number };
}

/** The pack's UNet as the denoiser's `Network`, with its fixed inputs bound. */
export function packNetwork(pack: LoadedPack, inputs: NetworkInputs): Network {
  const { context, extra, extras, counter } = inputs;
  return async (x, t, memory) => {
    if (counter) counter.evaluations++;
    let input = x;
    if (extra) {
      // [rows, C, h, w] + [rows, E, h, w] → [rows, C + E, h, w], per batch row.
      const [rows, C, h, w] = x.shape;
      const per = C * h * w, more = extra.channels * h * w;
      const data = new Float32Array(rows * (per + more));
      for (let r = 0; r < rows; r++) {
        data.set(x.data.subarray(r * per, (r + 1) * per), r * (per + more));
        data.set(extra.data.subarray((r % extra.batch) * more, ((r % extra.batch) + 1) * more), r * (per + more) + per);
      }
      input = { data, shape: [rows, C + extra.channels, h, w] };
    }
    return pack.unet(input, t, context, extras, memory);
  };
}

/** A live preview of batch element 0 of a denoised estimate [B, C, h, w]. */
export function previewFor(info: PackInfo, denoised: Float32Array | Float64Array, shape: readonly number[]): Preview {
  return previewOf({ data: denoised, shape }, info.scalingFactor, info.latentChannels !== 3 || info.hasVaeDecoder);
}

/**
 * Paste generated pixels into the source through a mask feathered by `radius` pixels inside its
 * edge: pixels outside the mask keep the source's values exactly.
 */
export function composite(images: Tensor, source: Tensor, mask: Float32Array, width: number, height: number, radius: number): Tensor {
  const soft = featherMask(mask, width, height, radius).map((v, j) => (mask[j] > 0 ? Math.max(v, mask[j]) : 0));
  const n = width * height;
  const data = images.data.map((v, j) => {
    const m = soft[j % n];
    return m * v + (1 - m) * source.data[j % (3 * n)];
  });
  return { data, shape: images.shape };
}
