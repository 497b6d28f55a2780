/**
 * What a model allows the generation frame to be: the sizes its model-list entry states
 * (`ModelEntry.size`, the engine's own rule), or — from an engine that does not state them — read
 * from the description of its pack (`inspectModel`'s `info`); validated here either way, because
 * both cross a process boundary. For the second, the sizes follow
 * the engine's own rule (its `sizeLimits`): sides a multiple of the VAE's and the UNet's
 * downsampling together, at most 4096, or what the pack declares, or 4× the trained size for
 * pixel-space packs without a decoder. Pure.
 */
import { z } from 'zod';
import type { FrameRules } from '../../document/frame.js';

/** The largest image side any job runs at (the engine's MAX_IMAGE_SIDE). */
export const MAX_FRAME_SIDE = 4096;

const PackSizes = z.object({
  family: z.string(),
  defaultSize: z.number().int().positive().max(MAX_FRAME_SIDE),
  vaeScale: z.number().int().positive().max(64),
  unetMultiple: z.number().int().positive().max(256).default(1),
  upscaleFactor: z.number().int().positive().max(64).default(1),
  latentChannels: z.number().int().positive(),
  hasVaeDecoder: z.boolean(),
  maxSide: z.number().int().positive().optional(),
});

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

const EntrySizes = z.object({
  default: z.number().int().positive().max(MAX_FRAME_SIDE),
  multiple: z.number().int().positive().max(MAX_FRAME_SIDE),
  maxSide: z.number().int().positive().max(MAX_FRAME_SIDE),
});

/** The frame rules a model-list entry states (`size`); null when it states none or nothing usable. */
export function frameRulesFromEntry(entry: { size?: unknown } | undefined): FrameRules | null {
  const parsed = EntrySizes.safeParse(entry?.size);
  if (!parsed.success) return null;
  const { default: size, multiple, maxSide } = parsed.data;
  return { size, multiple, maxSide: Math.max(multiple, maxSide) };
}

/** The frame rules of a pack from `inspectModel`'s info; null when the info does not describe its sizes. */
export function frameRulesFromInfo(info: unknown): FrameRules | null {
  const parsed = PackSizes.safeParse(info);
  if (!parsed.success) return null;
  const p = parsed.data;
  const multiple = p.family === 'upscaler' ? p.upscaleFactor * p.unetMultiple
    : p.family === 'pixel-sr' ? (p.upscaleFactor / gcd(p.upscaleFactor, p.unetMultiple)) * p.unetMultiple
    : p.vaeScale * p.unetMultiple;
  const fallback = p.latentChannels === 3 && !p.hasVaeDecoder ? 4 * p.defaultSize : MAX_FRAME_SIDE;
  const maxSide = Math.min(MAX_FRAME_SIDE, p.maxSide ?? fallback);
  return { size: p.defaultSize, multiple, maxSide: Math.max(multiple, maxSide) };
}

/** A size the Generate panel offers for the frame. */
export interface FrameSizeChoice {
  label: string;
  width: number;
  height: number;
}

/**
 * The sizes offered for a model: its trained size, half, one and a half and twice it, and a
 * landscape and a portrait (3:2) of about the trained area — each snapped to the model's multiple,
 * those beyond its largest side left out, none twice.
 */
export function frameSizeChoices(rules: FrameRules): FrameSizeChoice[] {
  const s = rules.size, k = Math.sqrt(1.5);
  const wanted: [number, number, string][] = [
    [s, s, ' (trained size)'], [s / 2, s / 2, ''], [s * 1.5, s * 1.5, ''], [s * 2, s * 2, ''], [s * k, s / k, ' (landscape)'], [s / k, s * k, ' (portrait)'],
  ];
  const out: FrameSizeChoice[] = [];
  for (const [w, h, note] of wanted) {
    const width = snap(w, rules), height = snap(h, rules);
    if (width === null || height === null || out.some((c) => c.width === width && c.height === height)) continue;
    out.push({ label: `${width} × ${height}${note}`, width, height });
  }
  return out;
}

/** The nearest multiple, or null when that is beyond the largest side (not clamped: a clamped choice would repeat another). */
function snap(v: number, rules: FrameRules): number | null {
  const side = Math.max(rules.multiple, Math.round(v / rules.multiple) * rules.multiple);
  return side > rules.maxSide ? null : side;
}
