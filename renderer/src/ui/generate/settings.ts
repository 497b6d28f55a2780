/**
 * The Generate panel's settings and the request they become. Pure: no DOM, no client, so the
 * rules (seed handling, sizes, previews) are tested without a browser.
 */
import type { GenerateRequest, GenerateResult, ModelEntry, SamplerEntry } from '../../../../main/api/contract.js';
import { gridLabel } from '../lab/solver-table.js';

/** The engine's own scheduler config ("pack scheduler") instead of a catalogue sampler. */
export const PACK_SAMPLER = 'pack';
/**
 * The best (sampler, grid) the solver lab measured on the pack for the step count, else a robust
 * default. The engine lists it first in `listSamplers`; only generation takes it.
 */
export const AUTO_SAMPLER = 'auto';
/** Seeds stay within 32 bits, as other image tools write them. */
export const MAX_SEED = 0xffff_ffff;
export const MAX_SIDE = 4096;

export interface GenerateSettings {
  /** Registered model name ('' until models are listed). */
  model: string;
  prompt: string;
  negativePrompt: string;
  /** A catalogue sampler name or PACK_SAMPLER. */
  sampler: string;
  steps: number;
  cfgScale: number;
  seed: number;
  /** Locked: every run uses `seed`; unlocked: each run draws a new one (and shows it). */
  seedLocked: boolean;
  /**
   * The size a generation ran at: 'default' is the model's trained size. The frame on the canvas
   * decides it; a patch with a size (from a gallery item's settings) resizes the frame.
   */
  sizeMode: 'default' | 'custom';
  width: number;
  height: number;
  batch: number;
  /** How much of the image under the frame changes (0 keeps it, 1 ignores it); unused on an empty frame. */
  strength: number;
}

export const DEFAULT_SETTINGS: GenerateSettings = {
  model: '',
  prompt: '',
  negativePrompt: '',
  sampler: PACK_SAMPLER,
  steps: 20,
  cfgScale: 7,
  seed: 0,
  seedLocked: false,
  sizeMode: 'default',
  width: 512,
  height: 512,
  batch: 1,
  strength: 0.75,
};

/**
 * Settings after choosing `model`: the steps and CFG scale its pack recommends replace the current
 * ones (a tiny pixel model and SD want different values); settings it says nothing about are kept.
 */
export function withModel(s: GenerateSettings, model: ModelEntry | undefined): GenerateSettings {
  if (!model) return { ...s, model: '' };
  const rec = model.recommended ?? {};
  return { ...s, model: model.name, steps: rec.steps ?? s.steps, cfgScale: rec.cfgScale ?? s.cfgScale };
}

export function randomSeed(random: () => number = Math.random): number {
  return Math.floor(random() * (MAX_SEED + 1));
}

/** What is wrong with the settings, one message per field; empty when they can be sent. */
export function validateSettings(s: GenerateSettings): string[] {
  const errors: string[] = [];
  const int = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (!s.model) errors.push('Pick a model first.');
  if (!int(s.steps, 1, 1000)) errors.push('Steps must be a whole number from 1 to 1000.');
  if (!(Number.isFinite(s.cfgScale) && s.cfgScale >= 0 && s.cfgScale <= 100)) errors.push('CFG must be between 0 and 100.');
  if (s.seedLocked && !int(s.seed, 0, MAX_SEED)) errors.push(`The seed must be a whole number from 0 to ${MAX_SEED}.`);
  if (!int(s.batch, 1, 64)) errors.push('Batch must be a whole number from 1 to 64.');
  if (!(Number.isFinite(s.strength) && s.strength >= 0 && s.strength <= 1)) errors.push('Strength must be between 0 and 1.');
  if (s.sizeMode === 'custom') {
    if (!int(s.width, 8, MAX_SIDE) || !int(s.height, 8, MAX_SIDE)) errors.push(`Width and height must be whole numbers from 8 to ${MAX_SIDE}.`);
    else if (s.width % 8 !== 0 || s.height % 8 !== 0) errors.push('Width and height must be multiples of 8.');
  }
  if (s.prompt.length > 20_000 || s.negativePrompt.length > 20_000) errors.push('Prompts are limited to 20,000 characters.');
  return errors;
}

/** Live previews: every step for short runs, about 50 previews for long ones. */
export function previewEveryFor(steps: number): number {
  return Math.max(1, Math.ceil(steps / 50));
}

/** The seed a run uses: the locked one, or a fresh draw. */
export function seedForRun(s: GenerateSettings, random: () => number = Math.random): number {
  return s.seedLocked ? s.seed : randomSeed(random);
}

/** What the frame adds to a request: its size, and the image under it (PNG) with its mask when there is one. */
export interface FrameRequest {
  width: number;
  height: number;
  init?: Uint8Array<ArrayBuffer>;
  mask?: Uint8Array<ArrayBuffer>;
}

export function toGenerateRequest(s: GenerateSettings, jobId: string, seed: number, frame?: FrameRequest): GenerateRequest {
  const req: GenerateRequest = {
    jobId,
    model: s.model,
    prompt: s.prompt,
    sampler: s.sampler || PACK_SAMPLER,
    steps: s.steps,
    cfgScale: s.cfgScale,
    seed,
    batch: s.batch,
    previewEvery: previewEveryFor(s.steps),
  };
  if (s.negativePrompt.trim()) req.negativePrompt = s.negativePrompt;
  if (frame) {
    req.width = frame.width;
    req.height = frame.height;
    if (frame.init) req.init = { image: frame.init, strength: s.strength };
    if (frame.init && frame.mask) req.mask = frame.mask;
  } else if (s.sizeMode === 'custom') {
    req.width = s.width;
    req.height = s.height;
  }
  return req;
}

/** One choice of a sampler field: PACK_SAMPLER's, or a catalogue entry. */
export interface SamplerOption {
  name: string;
  label: string;
  title?: string;
}

export const PACK_OPTION: SamplerOption = { name: PACK_SAMPLER, label: "Pack scheduler (the model's own)" };

/**
 * The Generate panel's sampler choices: what `listSamplers` returns, in its order, with the pack
 * scheduler after the engine's leading "Automatic" (first when there is none).
 */
export function generateSamplerOptions(samplers: readonly SamplerEntry[]): SamplerOption[] {
  const options = samplers.map((x): SamplerOption => ({ name: x.name, label: `${x.label}${x.stochastic ? ' (SDE)' : ''}`, title: x.paper }));
  const at = samplers[0]?.name === AUTO_SAMPLER ? 1 : 0;
  return [...options.slice(0, at), PACK_OPTION, ...options.slice(at)];
}

/** Samplers for upscaling and the boundary search: the catalogue without "Automatic" (it only drives generation). */
export function catalogueSamplers(samplers: readonly SamplerEntry[]): SamplerEntry[] {
  return samplers.filter((x) => x.name !== AUTO_SAMPLER);
}

/**
 * What a generation ran, in a few words: "auto → DPM++ 2M · tuned grid" when the engine chose,
 * "DPM++ 2M · Karras grid" otherwise; null when the result does not say.
 */
export function samplerRanText(asked: string, ran: GenerateResult['sampler']): string | null {
  if (!ran) return null;
  // The arrow already says the engine chose: a label's own "(auto)" is not repeated.
  const label = (ran.label || ran.name).replace(/\s*\(auto\)$/, '');
  const what = `${label}${ran.grid ? ` · ${gridLabel(ran.grid)}` : ''}`;
  return asked === AUTO_SAMPLER || asked !== ran.name ? `${asked} → ${what}` : what;
}

/** "Use these settings again" for one image of a run: its own seed, locked, one image. */
export function settingsForRerun(used: GenerateSettings, imageSeed: number): GenerateSettings {
  return { ...used, seed: imageSeed, seedLocked: true, batch: 1 };
}

/** A job id unique enough for one studio (the caller chooses it so it can cancel early). */
export function newJobId(now: number = Date.now(), random: () => number = Math.random): string {
  return `job-${now.toString(36)}-${Math.floor(random() * 0x100000).toString(36)}`;
}

/** Settings remembered from an earlier session: only well-typed known fields survive. */
export function sanitizeSettings(raw: unknown): Partial<GenerateSettings> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(DEFAULT_SETTINGS)) {
    const v = (raw as Record<string, unknown>)[key];
    if (typeof v !== typeof def) continue;
    if (typeof v === 'number' && !Number.isFinite(v)) continue;
    if (key === 'sizeMode' && v !== 'default' && v !== 'custom') continue;
    out[key] = v;
  }
  return out as Partial<GenerateSettings>;
}
