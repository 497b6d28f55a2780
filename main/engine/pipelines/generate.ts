/**
 * Generation: txt2img, img2img and inpainting on any loaded pack, with any engine sampler or the
 * pack's own scheduler config — the pipelines of Rombach et al. 2022 ("High-Resolution Image
 * Synthesis with Latent Diffusion Models", §3–4) and SDEdit (Meng et al. 2022, §3) in the
 * engine's σ view:
 *   txt2img   x = z·√(1 + σ₀²) at the first level, sampled to σ = 0 (or the plan's last level);
 *   img2img   start part-way: x = x₀ + σ_k·z at step k = steps − ⌊steps·strength⌋ (diffusers'
 *             convention), so strength 1 is txt2img and strength 0 returns the input unchanged;
 *   upscale   the x4 upscaler layout (Saharia et al. 2022, "Image Super-Resolution via Iterative
 *             Refinement", §2; Stable Diffusion x4 upscaler): the low-resolution image, noised to
 *             `noiseLevel` with the low-res schedule (linear β 1e-4…0.02), is concatenated to the
 *             latent on every call and the level passed as `class_labels`; the result decodes at
 *             vaeScale× the input size;
 *   pixel SR  the same in pixel space (no VAE; emoji-sr-64): the noised low-res image is upsampled
 *             to the output size (`upsampleBilinear`: bilinear, half-pixel centres, edges clamped —
 *             what the model was trained with, torch's `align_corners=False`) and concatenated to
 *             the sampled image as 3 extra channels; the output is upscaleFactor× the input, and
 *             without a text encoder there is no guidance;
 *   inpaint   9-channel UNets get [x, mask, masked-image latent] on every call; other UNets keep
 *             the unmasked region on its noised original after every step (latent blending,
 *             Avrahami et al. 2023, "Blended Latent Diffusion", Alg. 1) with a feathered mask,
 *             and the decoded image is composited back so unmasked pixels stay as they were.
 * The seed of batch element b is seed + b (the convention other tools use), each drawing its
 * own noise stream, so an image can be reproduced alone from its seed.
 */
import type { Tensor, Vec } from '../tensor.js';
import { numel } from '../tensor.js';
import { fillGaussian, seededNoise } from '../random.js';
import { makeDenoiser, usesGuidance } from '../denoiser.js';
import type { Denoiser, SamplerOptions } from '../samplers/common.js';
import type { PlanDenoiserOptions } from '../scheduler-config/index.js';
import type { LoadedPack, PackInfo } from '../packs/types.js';
import { type Preview } from './preview.js';
import { broadcastMask, featherMask, poolMask } from './mask.js';
import { composite, conditioning, decodeState, encodeImage, packNetwork, previewFor } from './stages.js';
import { MAX_EVALUATIONS_PER_STEP, type JobShape } from './cost.js';

/** What a sampling plan gives a pipeline (`SchedulerPlan` from a scheduler config or a catalogue sampler). */
export interface PipelinePlan {
  /** Levels visited, from the first down to the last (0, or σ_min when the plan ends in VP space). */
  readonly sigmas: Float64Array;
  readonly denoiser: PlanDenoiserOptions;
  /** Run the plan's sampler over its levels from the VE state x. */
  run(model: Denoiser, x: Vec, opts?: SamplerOptions & { batch?: number }): Promise<Vec>;
  /** The same plan entered at level `index` (img2img). */
  startingAt(index: number): PipelinePlan;
  /** The VP sample for the VE state at the last level. */
  toVp(x: Vec): Vec;
}

export type PlanFactory = (steps: number) => PipelinePlan;

export interface GenerateRequest {
  prompt: string;
  negativePrompt?: string;
  width: number;
  height: number;
  steps: number;
  cfgScale: number;
  seed: number;
  batch?: number;
  /**
   * img2img / inpaint source image [1, 3, height, width] in [−1, 1], with its strength in [0, 1].
   * Upscalers take the low-resolution image here, [1, …] or one per batch row [B, …].
   */
  init?: { image: Tensor; strength: number };
  /**
   * The starting noise z (x_T = z·√(1 + σ₀²)) instead of the seed's: one row shared by the whole
   * batch or one per row — a searched boundary condition (Ma et al. 2024) or an upscale tile's own.
   */
  noise?: Float32Array;
  /** Inpainting mask, height × width, 1 = repaint. Needs `init`. */
  mask?: Float32Array;
  /** Emit a preview every N steps (0: never). */
  previewEvery?: number;
  /** Upscalers (x4, pixel SR): noise added to the low-resolution image (0–999; default: the pack's, else 20 as the reference pipeline). */
  noiseLevel?: number;
}

export interface GenerateProgress {
  step: number;
  total: number;
  preview?: Preview;
}

export interface GenerateResult {
  /** [B, 3, height, width] in [−1, 1]. */
  images: Tensor;
  seeds: number[];
  /** Model evaluations made (network calls). */
  evaluations: number;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  onProgress?: (p: GenerateProgress) => void;
}

/** Families that take a low-resolution image and return upscaleFactor× its size. */
export function isUpscaler(info: { family: string }): boolean {
  return info.family === 'upscaler' || info.family === 'pixel-sr';
}

/** Largest image side any job runs at. */
export const MAX_IMAGE_SIDE = 4096;

/**
 * The sizes a pack can make: sides a multiple of what its VAE and UNet need (an x4 upscaler's UNet
 * runs on the low-resolution image, pixel SR's on the output), and at most `MAX_IMAGE_SIDE` — lower
 * where the pack declares its own `max_side` (model_index.json `driftline`), else 4× the native size
 * for pixel-space packs, whose attention runs at full resolution (256² on a 32 px pack asks for
 * gigabytes per step). What fits in memory is checked apart from this (`cost.ts`).
 */
export function sizeLimits(info: PackInfo): { multiple: number; maxSide: number; declared: boolean } {
  const multiple = info.family === 'upscaler' ? info.upscaleFactor * info.unetMultiple
    : info.family === 'pixel-sr' ? lcm(info.upscaleFactor, info.unetMultiple)
    : info.vaeScale * info.unetMultiple;
  const fallback = info.latentChannels === 3 && !info.hasVaeDecoder ? 4 * info.defaultSize : MAX_IMAGE_SIDE;
  const maxSide = Math.min(MAX_IMAGE_SIDE, info.maxSide ?? fallback);
  return { multiple, maxSide, declared: info.maxSide !== undefined && info.maxSide < MAX_IMAGE_SIDE };
}

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;

/** Refuse an output size the pack cannot make (see `sizeLimits`), saying what it can. */
export function checkSize(info: PackInfo, width: number, height: number): void {
  const { multiple: s, maxSide, declared } = sizeLimits(info);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width % s || height % s || width < s || height < s) {
    // The nearest sizes it can make, rounding each side down and up (within its largest side).
    const near = (v: number, up: boolean) => Math.min(maxSide - (maxSide % s), Math.max(s, (up ? Math.ceil(v / s) : Math.floor(v / s)) * s));
    const options = Number.isFinite(width) && Number.isFinite(height)
      ? [...new Set([`${near(width, false)}x${near(height, false)}`, `${near(width, true)}x${near(height, true)}`])]
      : [];
    throw new RangeError(`size ${width}x${height} must be a positive multiple of ${s} for this model${options.length ? ` (nearest: ${options.join(' or ')})` : ''}`);
  }
  if (width > maxSide || height > maxSide) {
    throw new RangeError(`size ${width}x${height} is larger than this model can make (at most ${maxSide}x${maxSide}${isUpscaler(info) ? ' output, i.e. a smaller low-resolution image' : ''}${declared ? `, the limit ${info.name} declares` : ''})`);
  }
}

/** Whether a generation on this pack runs classifier-free guidance (LCM embeds w instead; packs without a text encoder have nothing to guide with). */
export function isGuided(info: PackInfo, cfgScale: number): boolean {
  return info.family !== 'lcm' && info.hasTextEncoder && usesGuidance(cfgScale);
}

/**
 * The model calls a generation makes, for its cost (`cost.ts`): `batch` images per call (twice the
 * rows with guidance), at most MAX_EVALUATIONS_PER_STEP UNet calls per step, one decode, and an
 * encode where img2img or inpainting starts from an image through a VAE.
 */
export function generateShape(info: PackInfo, r: { width: number; height: number; steps: number; cfgScale: number; batch?: number; init?: boolean }): JobShape {
  return {
    width: r.width, height: r.height, batch: r.batch ?? 1,
    guided: isGuided(info, r.cfgScale),
    evaluations: r.steps * MAX_EVALUATIONS_PER_STEP,
    decodes: 1,
    encodes: Boolean(r.init) && !isUpscaler(info) && info.hasVaeEncoder,
  };
}

function checkRequest(pack: LoadedPack, r: GenerateRequest): void {
  const upscaler = isUpscaler(pack.info);
  const s = upscaler ? pack.info.upscaleFactor : pack.info.vaeScale;
  checkSize(pack.info, r.width, r.height);
  if (!Number.isInteger(r.steps) || r.steps < 1) throw new RangeError(`steps must be a positive integer, got ${r.steps}`);
  if (r.init && !(r.init.strength >= 0 && r.init.strength <= 1)) throw new RangeError(`strength must be in [0, 1], got ${r.init.strength}`);
  const [ih, iw] = upscaler ? [r.height / s, r.width / s] : [r.height, r.width];
  const rows = r.init?.image.shape[0] ?? 1;
  if (rows !== 1 && (!upscaler || rows !== (r.batch ?? 1))) throw new RangeError(`init image has ${rows} rows; give one${upscaler ? ', or one per batch row' : ''}`);
  if (r.init && (r.init.image.shape[2] !== ih || r.init.image.shape[3] !== iw)) {
    throw new RangeError(`${upscaler ? 'low-resolution image' : 'init image'} is ${r.init.image.shape[3]}x${r.init.image.shape[2]}, expected ${iw}x${ih}`);
  }
  if (upscaler && !r.init) throw new RangeError('this is an upscaling model: give the low-resolution image to upscale');
  if (upscaler && r.mask) throw new RangeError('an upscaling model cannot inpaint');
  if (r.mask && !r.init) throw new RangeError('inpainting needs an init image as well as a mask');
  if (r.mask && r.mask.length !== r.width * r.height) throw new RangeError(`mask has ${r.mask.length} values, expected ${r.width * r.height}`);
  if (pack.info.family === 'inpaint' && !r.mask) throw new RangeError('this is an inpainting model: give an init image and a mask');
  if (r.init && !upscaler && pack.info.latentChannels !== 3 && !pack.vaeEncode) throw new RangeError('this pack has no VAE encoder, so it cannot start from an image');
}

/** Repeat a [1, …] tensor's data `times` along the batch axis. */
function repeatBatch(data: Float32Array, times: number): Float32Array {
  const out = new Float32Array(data.length * times);
  for (let b = 0; b < times; b++) out.set(data, b * data.length);
  return out;
}

export async function generate(pack: LoadedPack, req: GenerateRequest, plan: PlanFactory, opts: GenerateOptions = {}): Promise<GenerateResult> {
  checkRequest(pack, req);
  const { info } = pack;
  const B = req.batch ?? 1;
  const C = info.latentChannels;
  const h = req.height / info.vaeScale, w = req.width / info.vaeScale;
  const shape = [B, C, h, w];
  const size = numel(shape);
  const isLcm = info.family === 'lcm';
  const guided = isGuided(info, req.cfgScale);

  const context = await conditioning(pack, req.prompt, req.negativePrompt, B, guided);

  // The source image in sampler space (latent, or pixels for pixel-space packs).
  const toLatent = (img: Tensor): Promise<Float32Array> => encodeImage(pack, img);
  const upscaler = isUpscaler(info);
  const source = req.init && !upscaler ? repeatBatch(await toLatent(req.init.image), B) : undefined;
  if (source && source.length !== size) throw new RangeError(`encoded image has ${source.length} values, expected ${size}`);

  // Inpainting inputs.
  let latentMask: Float32Array | undefined;
  let unetExtraChannels: Float32Array | undefined; // per batch row, concatenated after the latent's channels
  let extraChannelCount = 0;
  const noiseLevel = req.noiseLevel ?? info.defaultNoiseLevel;
  if (upscaler && req.init) {
    const noised = noisedLowRes(req.init.image, noiseLevel, req.seed);
    const cond = info.family === 'pixel-sr' ? upsampleBilinear({ data: noised, shape: req.init.image.shape }, info.upscaleFactor).data : noised;
    unetExtraChannels = req.init.image.shape[0] === B ? cond : repeatBatch(cond, B);
    extraChannelCount = 3;
  }
  if (req.mask && req.init) {
    latentMask = poolMask(req.mask, req.width, req.height, info.vaeScale);
    if (info.family === 'inpaint') {
      const keep = req.init.image.data.map((v, j) => (req.mask![j % (req.width * req.height)] < 0.5 ? v : 0));
      const maskedLatent = await toLatent({ data: keep, shape: req.init.image.shape });
      const per = (1 + C) * h * w;
      extraChannelCount = 1 + C;
      unetExtraChannels = new Float32Array(B * per);
      for (let b = 0; b < B; b++) {
        unetExtraChannels.set(latentMask.map((m) => (m >= 0.5 ? 1 : 0)), b * per);
        unetExtraChannels.set(maskedLatent, b * per + h * w);
      }
    } else {
      latentMask = featherMask(latentMask, w, h, 1);
    }
  }

  // The sampling plan, started part-way for img2img (SDEdit).
  const full = plan(req.steps);
  const strength = req.init && info.family !== 'inpaint' && !upscaler ? req.init.strength : 1;
  const skip = source ? req.steps - Math.floor(req.steps * strength) : 0;
  const p = skip > 0 && skip < full.sigmas.length - 1 ? full.startingAt(skip) : full;
  const sigmas = skip >= full.sigmas.length - 1 ? full.sigmas.subarray(full.sigmas.length - 1) : p.sigmas;
  const seeds = Array.from({ length: B }, (_, b) => req.seed + b);
  const z = startNoise(req, size, B, seeds);

  const counter = { evaluations: 0 };
  const network = packNetwork(pack, {
    context, counter,
    extra: unetExtraChannels ? { data: unetExtraChannels, channels: extraChannelCount, batch: B } : undefined,
    extras: isLcm ? { guidanceScale: req.cfgScale } : upscaler ? { noiseLevel } : undefined,
  });
  const denoiser = makeDenoiser(network, { ...p.denoiser, shape, guidanceScale: guided ? req.cfgScale : undefined });

  let x: Vec;
  if (sigmas.length < 2 || (source && strength === 0)) {
    x = source ? source.slice() : z;
  } else {
    const s0 = sigmas[0];
    x = source ? source.map((v, j) => v + s0 * z[j]) : z.map((v) => v * Math.sqrt(1 + s0 * s0));
    const total = sigmas.length - 1;
    const previewEvery = req.previewEvery ?? 0;
    x = await p.run(denoiser, x, {
      batch: B,
      signal: opts.signal,
      noise: seededNoise(req.seed),
      callback: ({ i, x: xi, denoised, tNext }) => {
        const preview = previewEvery > 0 && ((i + 1) % previewEvery === 0 || i + 1 === total)
          ? previewFor(info, denoised, shape)
          : undefined;
        opts.onProgress?.({ step: i + 1, total, preview });
        if (latentMask && source && info.family !== 'inpaint') {
          // Keep the unmasked region on the source, noised to the next level with the same z.
          const m = broadcastMask(latentMask, B, C);
          return (xi as Float32Array).map((v, j) => m[j] * v + (1 - m[j]) * (source[j] + tNext * z[j]));
        }
        return undefined;
      },
    });
    // A plan that ends above σ = 0 returns a VP sample there: x_VP = α·x.
    x = p.toVp(x);
  }

  const latent: Tensor = { data: x instanceof Float32Array ? x : Float32Array.from(x), shape };
  let images = await decodeState(pack, latent);
  if (source && req.init && strength === 0 && !req.mask) images = { data: repeatBatch(req.init.image.data, B), shape: [B, 3, req.height, req.width] };
  if (req.mask && req.init) images = composite(images, req.init.image, req.mask, req.width, req.height, Math.max(1, info.vaeScale >> 1));
  return { images, seeds, evaluations: counter.evaluations };
}

/** The starting noise: the request's own (one shared row or one per row), else each row's seed stream 0. */
function startNoise(req: GenerateRequest, size: number, B: number, seeds: number[]): Float32Array {
  if (req.noise) {
    if (req.noise.length === size) return req.noise.slice();
    if (req.noise.length * B === size) return repeatBatch(req.noise, B);
    throw new RangeError(`starting noise has ${req.noise.length} values, expected ${size / B} (one row) or ${size}`);
  }
  const z = new Float32Array(size);
  for (let b = 0; b < B; b++) fillGaussian(z.subarray((b * size) / B, ((b + 1) * size) / B), seeds[b], 0);
  return z;
}

/**
 * The upscalers' conditioning image: the low-resolution input noised to `level` with the
 * low-res DDPM schedule (linear β from 1e−4 to 0.02 over 1000 steps): √ᾱ·x + √(1 − ᾱ)·z, with z
 * drawn from the seed's stream 2³¹ (kept apart from the sampler's streams) — the same z for every
 * row of a batch of images, so an image is conditioned alike alone or in a batch.
 */
function noisedLowRes(image: Tensor, level: number, seed: number): Float32Array {
  if (!Number.isInteger(level) || level < 0 || level > 999) throw new RangeError(`noise level must be an integer in [0, 999], got ${level}`);
  let abar = 1;
  for (let i = 0; i <= level; i++) abar *= 1 - (1e-4 + ((0.02 - 1e-4) * i) / 999);
  const per = image.data.length / image.shape[0];
  const z = fillGaussian(new Float32Array(per), seed, 2 ** 31);
  return image.data.map((v, j) => Math.sqrt(abar) * v + Math.sqrt(1 - abar) * z[j % per]);
}

/**
 * Bilinear upsampling by an integer factor f with half-pixel centres, edges clamped — torch's
 * `F.interpolate(mode="bilinear", align_corners=False)`, which pixel SR packs are trained with:
 * output pixel (y, x) samples the input at ((y + ½)/f − ½, (x + ½)/f − ½), from its four
 * neighbours (indices clamped to the image). For f = 2 the weights are ¼ and ¾ along each axis.
 * [B, C, h, w] → [B, C, f·h, f·w].
 */
export function upsampleBilinear(image: Tensor, factor: number): Tensor {
  if (!Number.isInteger(factor) || factor < 1) throw new RangeError(`upsampling factor must be a positive integer, got ${factor}`);
  const [B, C, h, w] = image.shape;
  const H = h * factor, W = w * factor;
  const axis = (n: number, N: number) => {
    const i0 = new Int32Array(N), i1 = new Int32Array(N), l = new Float32Array(N);
    for (let o = 0; o < N; o++) {
      const src = Math.max(0, (o + 0.5) / factor - 0.5);
      const f = Math.floor(src);
      i0[o] = Math.min(f, n - 1);
      i1[o] = Math.min(f + 1, n - 1);
      l[o] = src - f;
    }
    return { i0, i1, l };
  };
  const ys = axis(h, H), xs = axis(w, W);
  const out = new Float32Array(B * C * H * W);
  for (let p = 0; p < B * C; p++) {
    const src = image.data.subarray(p * h * w, (p + 1) * h * w);
    const dst = out.subarray(p * H * W, (p + 1) * H * W);
    for (let y = 0; y < H; y++) {
      const r0 = ys.i0[y] * w, r1 = ys.i1[y] * w, ly = ys.l[y];
      for (let x = 0; x < W; x++) {
        const a = xs.i0[x], b = xs.i1[x], lx = xs.l[x];
        const top = (1 - lx) * src[r0 + a] + lx * src[r0 + b];
        const bottom = (1 - lx) * src[r1 + a] + lx * src[r1 + b];
        dst[y * W + x] = (1 - ly) * top + ly * bottom;
      }
    }
  }
  return { data: out, shape: [B, C, H, W] };
}
