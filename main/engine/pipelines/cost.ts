/**
 * What a job will cost before it runs: its peak memory and a rough time, from the pack's geometry
 * (`packs/geometry.ts`: the UNet's levels, channels and heads, the VAE's channels, the weights'
 * size) and the job's shape. Every pipeline is made of the same model calls, so one estimate
 * serves generation (text-to-image, img2img, inpainting), upscaling (per tile), editing, the
 * boundary search and the solver lab: they differ in the call's size, its rows and their count.
 *
 * Memory, in bytes, for UNet calls of R rows (batch × 2 with classifier-free guidance: the denoiser
 * sends [unconditional; conditional] in one call) on a grid h × w = (H/vaeScale) × (W/vaeScale):
 *
 *   peak     = base + unet + vae + pipeline
 *   base     = the engine host's resident memory with the pack open, measured when it was opened
 *              (`resident`), + RUN_SLACK (64 MiB: what the first run adds besides the terms below —
 *              kernels' scratch, the text encoder's arena, the JavaScript heap; measured 26 MB on
 *              emoji-32), else RUNTIME + 2·weights: 128 MiB for Node, ONNX Runtime and its
 *              sessions' own state (measured: 133 MB resident with emoji-32's 14 MB of weights
 *              open), and the weights twice, since ONNX Runtime's CPU convolutions re-pack theirs
 *              beside the originals when a session is created (measured: a 253 MB
 *              convolution-only model is 538 MB resident once loaded).
 *   unet     = max over the levels ℓ with attention of  2 · R · heads_ℓ · T_ℓ · max(T_ℓ, L) · 4
 *            + 16 · R · Σ_ℓ c_ℓ · T_ℓ · 4
 *              T_ℓ = (h/d_ℓ)·(w/d_ℓ) tokens at level ℓ (downsampling d_ℓ), c_ℓ its channels, L the
 *              text length. The first term is self-attention's scores: the exported attention is
 *              MatMul(Q, Kᵀ) → Mul(scale) → Softmax → MatMul(·, V), and ONNX Runtime holds the
 *              [R, heads, T, T] float32 product and the Softmax output at once — measured: emoji-32 at
 *              192² under a 2.9 GB address-space limit failed allocating the Softmax output,
 *              1,358,954,496 bytes = 2 rows · 2 heads · (96²)² · 4, with the product already held;
 *              at 512² it asks for 2 · 2 · (256²)² · 4 = 64 GiB. Cross-attention's scores (L keys)
 *              stand in where they are larger (tiny grids). The second term bounds the activations:
 *              the skip connections the up path reads (2·layers + 1 per level), their concatenation,
 *              the transformer's GEGLU feed-forward (8c wide), the input and the output — at most 16
 *              tensors of c_ℓ·T_ℓ floats per row.
 *   vae      = 2 · B · T_lat² · 4 + 8 · B · c₁ · H · W · 4 for the decoder (and the encoder of
 *              img2img and inpainting, counted again): its one-head mid attention over the latent's
 *              T_lat = h·w tokens, and its full-size activations, c₁ = block_out_channels[1] (the
 *              last upsampler's output; diffusers' AutoencoderKL), at most 8 live at once. Not
 *              measured here (no real VAE can be fetched on our build machines): read from the
 *              architecture, as conservatively as the UNet's terms.
 *   pipeline = 24 · B·C·h·w · 8 + 8 · B·3·H·W · 4: the sampler's state, history, noise and masks
 *              (float64 at worst), and the images (decoded, composited, encoded).
 * The components' peaks add rather than overlap: each session's CPU arena keeps its high-water
 * mark after a call. The estimate is of a fresh engine host; one that ran larger jobs before keeps
 * their arenas and reuses them.
 *
 * Time: FLOPs of one UNet call ≈ 2 · R · Σ_ℓ T_ℓ · [resnets_ℓ · 18·c_ℓ² + transformers_ℓ ·
 * (20·c_ℓ² + 2·c_ℓ·(T_ℓ + L))] — a resnet is two 3×3 convolutions (2 · 9c² multiply-adds per
 * position), a transformer block its q, k, v, out projections (4c²), cross-attention's q and out
 * (2c²), the GEGLU feed-forward (c → 8c, 4c → c: 12c²) and proj in/out (2c²), plus QKᵀ and ·V over
 * T keys (self) and L keys (cross) — and the VAE likewise per level. Seconds = FLOPs ÷ 10 GFLOP/s,
 * a slow machine: emoji-32 ran 3–5× faster than this on two shared CPU cores (32²–128², one or two
 * images), but only about as fast at 256², where the T² scores no longer fit any cache (a minute per
 * step; 54 s estimated) — so the watchdog multiplies it generously (`host/limits.ts`).
 */
import type { PackInfo } from '../packs/types.js';
import { formatBytes } from '../bytes.js';

export { formatBytes };

/** Node, ONNX Runtime and the sessions' own state, before any weights or activations. */
export const RUNTIME_BYTES = 128 * 2 ** 20;
/** What a first run adds to the resident memory measured at open, besides the estimated terms. */
export const RUN_SLACK_BYTES = 64 * 2 ** 20;
/** The throughput the time estimate assumes (FLOP/s): slower than any machine the engine targets. */
export const ASSUMED_FLOPS = 10e9;
/** The most model evaluations a catalogue sampler makes per step (single-step third order). */
export const MAX_EVALUATIONS_PER_STEP = 3;

export interface JobShape {
  /** Output pixels of one model call's region (an upscale tile's, not the whole image's). */
  width: number;
  height: number;
  /** Images per call. */
  batch: number;
  /** Classifier-free guidance on: the UNet sees 2 × batch rows. */
  guided: boolean;
  /** UNet calls the whole job makes (upper bound). */
  evaluations: number;
  /** VAE decoder calls (one per batch of images decoded; upscale tiles decode one each). */
  decodes: number;
  /** The job starts from an image the VAE encodes (img2img, inpainting, edits). */
  encodes?: boolean;
  /** Image bytes the job holds besides one call's (a tiled upscale's whole output). */
  extraBytes?: number;
}

export interface JobCost {
  /** Peak resident memory of the engine host running this job. */
  bytes: number;
  /** The terms of `bytes`; `base` measured (`resident`) or estimated from the weights. */
  parts: { base: number; unet: number; vae: number; pipeline: number };
  /** What dominates, in words: "self-attention over 65,536 tokens (256×256 at 1/2 size, 2 heads, 2 rows)". */
  dominant: string;
  /** Rough seconds on a slow machine (`ASSUMED_FLOPS`). */
  seconds: number;
  flops: number;
}

const F32 = 4;
const fmtInt = (n: number): string => n.toLocaleString('en-US');

/** A UNet call's attention and activation bytes, its FLOPs, and where its largest attention is. */
function unetCall(info: PackInfo, h: number, w: number, rows: number): { attention: number; activations: number; flops: number; where: string } {
  const L = info.textLength;
  let attention = 0, activations = 0, flops = 0, where = '';
  for (const lv of info.geometry.unet.levels) {
    const th = Math.ceil(h / lv.downsample), tw = Math.ceil(w / lv.downsample);
    const T = th * tw, c = lv.channels;
    activations += 16 * rows * c * T * F32;
    flops += 2 * rows * T * (lv.resnets * 18 * c * c + lv.transformers * (20 * c * c + 2 * c * (T + L)));
    if (lv.transformers > 0) {
      const scores = 2 * rows * lv.heads * T * Math.max(T, L) * F32;
      if (scores > attention) {
        attention = scores;
        const at = lv.downsample === 1 ? 'full size' : `1/${lv.downsample} size`;
        where = `self-attention over ${fmtInt(T)} tokens (${tw}×${th} at ${at}, ${lv.heads} head${lv.heads === 1 ? '' : 's'}, ${rows} row${rows === 1 ? '' : 's'})`;
      }
    }
  }
  return { attention, activations, flops, where };
}

/** A VAE call (decoder or encoder) on B images of W × H: bytes and FLOPs. */
function vaeCall(info: PackInfo, W: number, H: number, B: number): { bytes: number; flops: number } {
  const vae = info.geometry.vae;
  if (!vae) return { bytes: 0, flops: 0 };
  const n = vae.channels.length;
  const Tlat = (W / info.vaeScale) * (H / info.vaeScale);
  const c1 = vae.channels[Math.min(1, n - 1)];
  const cLast = vae.channels[n - 1];
  const bytes = (vae.midAttention ? 2 * B * Tlat * Tlat * F32 : 0) + 8 * B * c1 * W * H * F32;
  let flops = 2 * B * Tlat * (2 * 18 * cLast * cLast + (vae.midAttention ? 4 * cLast * cLast + 2 * cLast * Tlat : 0));
  for (let k = 0; k < n; k++) {
    // Level k from the latent side up: 4^k × the latent's positions (the last level at full size).
    const c = vae.channels[n - 1 - k];
    flops += 2 * B * Tlat * Math.min(4 ** k, info.vaeScale ** 2) * (vae.layers + 1) * 18 * c * c;
  }
  return { bytes, flops };
}

/**
 * The memory and time a job needs on this pack (the formulas in the module comment). `resident`:
 * the host's resident bytes measured with the pack just opened, which replaces the estimated base.
 */
export function jobCost(info: PackInfo, job: JobShape, resident?: number): JobCost {
  const h = job.height / info.vaeScale, w = job.width / info.vaeScale;
  const rows = job.batch * (job.guided ? 2 : 1);
  const call = unetCall(info, h, w, rows);
  const dec = vaeCall(info, job.width, job.height, job.batch);
  const vae = dec.bytes * (job.encodes ? 2 : 1);
  const pipeline = 24 * job.batch * info.latentChannels * h * w * 8 + 8 * job.batch * 3 * job.width * job.height * F32 + (job.extraBytes ?? 0);
  const parts = { base: resident !== undefined ? resident + RUN_SLACK_BYTES : RUNTIME_BYTES + 2 * info.geometry.weightBytes, unet: call.attention + call.activations, vae, pipeline };
  const bytes = parts.base + parts.unet + parts.vae + parts.pipeline;
  const flops = job.evaluations * call.flops + (job.decodes + (job.encodes ? 1 : 0)) * dec.flops;
  const dominant =
    call.attention >= Math.max(call.activations, vae, parts.base) && call.where ? call.where
    : vae >= Math.max(call.activations, parts.base) && vae > 0 ? `the VAE at ${job.width}×${job.height}${job.batch > 1 ? ` × ${job.batch} images` : ''}`
    : call.activations >= parts.base ? `the UNet's activations at ${job.width}×${job.height} (${rows} row${rows === 1 ? '' : 's'})`
    : `the model itself: ${formatBytes(info.geometry.weightBytes)} of weights`;
  return { bytes, parts, dominant, seconds: flops / ASSUMED_FLOPS, flops };
}

/**
 * The largest square side (a multiple of `multiple`, at most `maxSide`) whose cost fits `budget`
 * with everything else about the job unchanged; 0 when not even the smallest does.
 */
export function largestSideWithin(info: PackInfo, job: JobShape, budget: number, multiple: number, maxSide: number, resident?: number): number {
  const fits = (s: number) => jobCost(info, { ...job, width: s, height: s }, resident).bytes <= budget;
  let lo = 0, hi = Math.floor(maxSide / multiple);
  // Cost grows with the side: binary search over multiples.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid * multiple)) lo = mid;
    else hi = mid - 1;
  }
  return lo * multiple;
}

/** The largest batch (≤ job.batch) whose cost fits `budget` at the job's size; 0 when one image does not fit. */
export function largestBatchWithin(info: PackInfo, job: JobShape, budget: number, resident?: number): number {
  for (let b = job.batch; b >= 1; b--) if (jobCost(info, { ...job, batch: b }, resident).bytes <= budget) return b;
  return 0;
}
