/**
 * A pack's network geometry, as the memory and time estimates need it (`pipelines/cost.ts`), read
 * from the configs the exporters write — with diffusers' own defaults and semantics for every key a
 * config leaves out, so a missing unet/config.json means "the class defaults" (the SD 1.x layout),
 * which is the conservative reading for the small packs that would omit it:
 *
 *   UNet2DConditionModel (diffusers `unets/unet_2d_condition.py`): level i of `block_out_channels`
 *   runs at 1/2^i of the sample's side (every down block but the last halves it). A level has
 *   transformer blocks (self- then cross-attention) when its down or up block type contains
 *   "Attn"; the mid block (`UNetMidBlock2DCrossAttn` by default) runs at the last level. The heads
 *   per level are `num_attention_heads`, else `attention_head_dim` — the class's own fallback
 *   (`num_attention_heads = num_attention_heads or attention_head_dim`), which is why SD 1.x's
 *   `attention_head_dim: 8` means 8 heads and SD 2.x's [5, 10, 20, 20] means 5…20 heads. Down
 *   blocks hold `layers_per_block` resnets (and as many transformers × `transformer_layers_per_block`),
 *   up blocks one more.
 *   AutoencoderKL's decoder (`autoencoders/vae.py`): a mid block with one-head self-attention
 *   (`mid_block_add_attention`, default true) at the latent's size, then up blocks from the last
 *   entry of `block_out_channels` to the first, each doubling the side but the last — so the full
 *   image size is reached with `block_out_channels[1]` channels (the last upsampler's output) before
 *   the last block narrows it to `block_out_channels[0]`.
 *
 * Also the limit a pack may declare for itself: model_index.json `driftline.max_side`.
 */
import { z } from 'zod';

/** One resolution level of the UNet. */
export interface UNetLevel {
  /** Downsampling of this level relative to the UNet's input (1, 2, 4, …). */
  downsample: number;
  channels: number;
  /** Attention heads of this level's transformer blocks (0 when it has none). */
  heads: number;
  /** Transformer blocks (each one self- and one cross-attention) at this level: down, mid and up together. */
  transformers: number;
  /** Resnet blocks at this level: down, mid and up together. */
  resnets: number;
}

export interface PackGeometry {
  unet: {
    levels: UNetLevel[];
    /** 'config': read from unet/config.json; 'defaults': diffusers' class defaults (the SD 1.x layout) stood in for a config without geometry. */
    source: 'config' | 'defaults';
  };
  /** The VAE decoder's (and encoder's) channels per level, highest resolution first; absent without a VAE. */
  vae?: { channels: number[]; layers: number; midAttention: boolean };
  /** Bytes of every component's model file and external weights. */
  weightBytes: number;
}

const count = z.number().int().min(1).max(1 << 16);
const perLevel = z.union([count, z.array(count).min(1).max(8)]);

/** The UNet config's geometry keys, with diffusers' UNet2DConditionModel defaults. */
const UNetGeometryConfig = z.object({
  block_out_channels: z.array(count).min(1).max(8).default([320, 640, 1280, 1280]),
  down_block_types: z.array(z.string().max(100)).min(1).max(8).default(['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D']),
  up_block_types: z.array(z.string().max(100)).min(1).max(8).default(['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D']),
  mid_block_type: z.string().max(100).nullable().default('UNetMidBlock2DCrossAttn'),
  layers_per_block: perLevel.default(2),
  attention_head_dim: perLevel.default(8),
  num_attention_heads: perLevel.nullable().optional(),
  transformer_layers_per_block: perLevel.default(1),
});

/** The VAE config's geometry keys, with diffusers' AutoencoderKL defaults. */
const VaeGeometryConfig = z.object({
  block_out_channels: z.array(count).min(1).max(8).default([64]),
  layers_per_block: count.default(1),
  mid_block_add_attention: z.boolean().default(true),
});

const at = (v: number | number[], i: number): number => (Array.isArray(v) ? v[Math.min(i, v.length - 1)] : v);
const hasAttention = (type: string | null | undefined): boolean => typeof type === 'string' && /Attn/.test(type);

/**
 * The UNet's levels from unet/config.json (diffusers' semantics above). A config whose geometry keys
 * are malformed is read as the class defaults, and a note says so.
 */
export function unetGeometry(config: Record<string, unknown>, notes: string[]): PackGeometry['unet'] {
  const declared = ['block_out_channels', 'down_block_types', 'attention_head_dim', 'num_attention_heads'].some((k) => config[k] !== undefined);
  const parsed = UNetGeometryConfig.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    notes.push(`unet/config.json's geometry cannot be read (${issue?.path.join('.')}: ${issue?.message}); memory is estimated for the SD 1.x layout`);
  }
  const c = parsed.success ? parsed.data : UNetGeometryConfig.parse({});
  const source = parsed.success && declared ? 'config' : 'defaults';
  const heads = c.num_attention_heads ?? c.attention_head_dim;
  const n = c.block_out_channels.length;
  const levels: UNetLevel[] = c.block_out_channels.map((channels, i) => {
    const layers = at(c.layers_per_block, i);
    const depth = at(c.transformer_layers_per_block, i);
    // Up block j runs at level n − 1 − j (diffusers reverses block_out_channels for the up path).
    const down = hasAttention(c.down_block_types[Math.min(i, c.down_block_types.length - 1)]);
    const up = hasAttention(c.up_block_types[Math.min(n - 1 - i, c.up_block_types.length - 1)]);
    const mid = i === n - 1 && c.mid_block_type !== null;
    const midAttn = mid && hasAttention(c.mid_block_type);
    const transformers = (down ? layers * depth : 0) + (up ? (layers + 1) * depth : 0) + (midAttn ? depth : 0);
    return { downsample: 2 ** i, channels, heads: transformers > 0 ? at(heads, i) : 0, transformers, resnets: 2 * layers + 1 + (mid ? 2 : 0) };
  });
  return { levels, source };
}

/** The VAE's levels from its config (AutoencoderKL's semantics above); malformed keys read as the defaults of an SD VAE. */
export function vaeGeometry(config: Record<string, unknown>, notes: string[]): NonNullable<PackGeometry['vae']> {
  const parsed = VaeGeometryConfig.safeParse(config);
  if (parsed.success && config.block_out_channels !== undefined) {
    return { channels: parsed.data.block_out_channels, layers: parsed.data.layers_per_block, midAttention: parsed.data.mid_block_add_attention };
  }
  notes.push('the VAE config states no block_out_channels; memory is estimated for the SD VAE (128, 256, 512, 512)');
  return { channels: [128, 256, 512, 512], layers: 2, midAttention: true };
}

/** The largest side model_index.json's `driftline.max_side` may declare (any engine ceiling is lower). */
export const MAX_DECLARED_SIDE = 65536;

/**
 * What a pack may declare about its own limits, in model_index.json's `driftline` object:
 * `max_side` — the largest image side (pixels, output pixels for upscalers) the pack's authors allow;
 * it replaces the engine's default ceiling for the pack (4× the native size for pixel-space packs)
 * and never lifts the engine's own ceiling or the memory budget.
 */
export const DeclaredLimits = z.object({
  max_side: z.number().int().min(8).max(MAX_DECLARED_SIDE).optional(),
});
