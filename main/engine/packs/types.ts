/**
 * What a loaded model pack offers the pipelines — the boundary between the pack/runtime layer and
 * generation. Tensors are float32 at this boundary whatever the model's own dtypes (fp16 packs
 * and int64 ids are converted inside the session layer from each model's metadata).
 */
import type { Tensor } from '../tensor.js';
import type { MemoryCall } from '../samplers/common.js';
import type { MemoryLayer } from '../onnx/surgery/memory.js';
import type { FeatureTap } from '../onnx/surgery/features.js';
import type { PackGeometry } from './geometry.js';

/** Which kind of pack this is, detected from its components' inputs and configs. */
export type PackFamily =
  | 'sd1' // 4-channel latent UNet, 768-wide text context (SD 1.x and fine-tunes)
  | 'sd2' // 4-channel latent UNet, 1024-wide context (SD 2.x, v-prediction or ε)
  | 'turbo' // adversarially distilled few-step model (SD-Turbo): trailing spacing, no guidance
  | 'lcm' // latent consistency model: UNet takes `timestep_cond` (guidance embedding)
  | 'inpaint' // 9-channel UNet: latent + mask + masked-image latent
  | 'upscaler' // x4 upscaler layout: 7-channel UNet (latent + low-res image) + `class_labels` noise level
  | 'pixel' // pixel-space model without a VAE (the embedded default packs)
  | 'pixel-sr'; // pixel-space super-resolution (emoji-sr-64): 6-channel UNet (image + upsampled low-res image) + `class_labels`, no VAE

export type ComponentName = 'text_encoder' | 'unet' | 'vae_encoder' | 'vae_decoder';

/** Which execution provider a component runs on, and why faster ones were not used. */
export interface ProviderReport {
  component: ComponentName;
  /** The provider the session was created with, e.g. 'cuda', 'dml', 'coreml', 'webgpu', 'cpu'. */
  provider: string;
  /** Providers tried before it, each with the reason it was not used. */
  skipped: { provider: string; reason: string }[];
}

export interface PackInfo {
  /** Absolute folder of the pack. */
  dir: string;
  /** Display name (model_index.json `_name_or_path`, else the folder name). */
  name: string;
  family: PackFamily;
  /** UNet input channels (4 latent, 9 inpaint, 7 upscaler, 3 pixel, 6 pixel-sr). */
  unetInChannels: number;
  /** Channels of the space the sampler integrates (latent 4, pixel 3). */
  latentChannels: number;
  /** Image pixels per latent pixel (8 for SD VAEs, 4 for the x4 upscaler's VAE, 1 without a VAE). */
  vaeScale: number;
  /**
   * The UNet's own downsampling: the sides of the grid it runs on must be multiples of this
   * (2^(down blocks − 1) from unet/config.json's `block_out_channels`; 1 when undeclared). An ONNX
   * export traced at such sizes fails with a raw Concat error on others.
   */
  unetMultiple: number;
  /** The VAE's `scaling_factor` (0.18215 for SD, 0.08333 for the x4 upscaler; 1 without a VAE). */
  scalingFactor: number;
  /** Default image size in pixels (unet sample_size × vaeScale). */
  defaultSize: number;
  /**
   * Output pixels per input pixel of an upscaling pack: the VAE factor for the x4 upscaler layout,
   * `upscale_factor` (unet/config.json, else model_index.json, default 2) for pixel SR; 1 otherwise.
   */
  upscaleFactor: number;
  /**
   * Upscalers: the noise level added to the low-resolution image when a request names none — 20
   * (the x4 upscaler pipeline's default), or the pack's model_index.json `driftline.default_noise_level`.
   */
  defaultNoiseLevel: number;
  /**
   * Settings the pack's authors recommend (model_index.json `driftline.default_steps` and
   * `driftline.default_guidance_scale`), when declared and in range; front ends start from these.
   */
  recommended?: { steps?: number; cfgScale?: number };
  /**
   * Upscalers: how a high-resolution image becomes the model's low-resolution input — the
   * degradation it was trained with (model_index.json `driftline.degradation`: `area`, an f × f
   * box average, or `bicubic`); `area` when undeclared. Calibration sets are degraded this way.
   */
  degradation: 'area' | 'bicubic';
  /**
   * False for packs that ship no text encoder (model_index.json lists it as [null, null]; pixel SR):
   * encodePrompt then returns zeros [B, 1, contextDim], which such UNets ignore, and guidance is off.
   */
  hasTextEncoder: boolean;
  /** Width of the text encoder's output and its sequence length. */
  contextDim: number;
  textLength: number;
  hasVaeEncoder: boolean;
  hasVaeDecoder: boolean;
  /** The networks' shape as the memory and time estimates read it (`packs/geometry.ts`). */
  geometry: PackGeometry;
  /**
   * The largest image side the pack's authors allow (model_index.json `driftline.max_side`), when
   * declared: it replaces the engine's default ceiling for the pack, never the engine's own or the
   * memory budget.
   */
  maxSide?: number;
  /**
   * Feature guidance's step c as measured for this pack (model_index.json
   * `driftline.feature_guidance_step`): it replaces DiffEditor's per-task defaults, which were set
   * for SD 1.5's features.
   */
  featureGuidanceStep?: number;
  /** The pack's scheduler/scheduler_config.json as parsed (validated on inspection; plans validate it again into the full config). */
  schedulerConfig: unknown;
}

export interface UNetExtras {
  /** LCM guidance embedding w (the pipeline turns it into `timestep_cond`). */
  guidanceScale?: number;
  /** Upscaler noise level (`class_labels`: x4 upscaler, pixel SR), one per batch element. */
  noiseLevel?: number;
}

export interface LoadedPack {
  readonly info: PackInfo;
  readonly providers: readonly ProviderReport[];
  /** Token ids → text encoder → [B, L, D] `last_hidden_state`. Empty strings give the unconditional context. Zeros [B, 1, D] without a text encoder. */
  encodePrompt(prompts: readonly string[]): Promise<Tensor>;
  /**
   * One UNet call: sample [B, C_in, h, w], time t (per the model's own dtype), context [B, L, D] → [B, C_out, h, w].
   * With `memory`, the call runs on the attention-memory model (`attentionMemory`).
   */
  unet(sample: Tensor, t: number, context: Tensor, extras?: UNetExtras, memory?: MemoryCall): Promise<Float32Array>;
  /**
   * The UNet's self-attention layers for attention memory (docs/attention-memory.md), opening the
   * derived model on first use. Rejects with AttentionMemoryUnavailable where the UNet has none the
   * engine can rewrite.
   */
  attentionMemory?(): Promise<readonly MemoryLayer[]>;
  /**
   * Exact region guidance (docs/vjp.md): the decoder blocks DiffEditor compares, the features of one
   * UNet call there ([B, C_t, h_t, w_t] per tap), and ∂/∂sample of Σ_t ⟨F_t, cotangents[t]⟩ for the
   * same call. The derived models are made on first use; a UNet they cannot be made from rejects
   * (VjpUnsupported naming the operator, or no up blocks named as diffusers exports them).
   */
  featureTaps?(): Promise<readonly FeatureTap[]>;
  unetFeatures?(sample: Tensor, t: number, context: Tensor, extras?: UNetExtras): Promise<Tensor[]>;
  unetFeatureGradient?(sample: Tensor, t: number, context: Tensor, cotangents: readonly Tensor[], extras?: UNetExtras): Promise<Float32Array>;
  /** Image [B, 3, H, W] in [−1, 1] → latent mean × scaling factor [B, 4, H/s, W/s]. */
  vaeEncode?(image: Tensor): Promise<Tensor>;
  /** Scaled latent (as `vaeEncode` returns it; divided by the scaling factor inside) → image [B, 3, H, W] in [−1, 1]. */
  vaeDecode?(latent: Tensor): Promise<Tensor>;
  release(): Promise<void>;
}
