/**
 * Reading the `parameters` text that AUTOMATIC1111 writes into PNGs (and this studio, and the
 * tools that copy it) back into the Generate panel's settings:
 *
 *   <prompt, any number of lines>
 *   Negative prompt: <negative prompt, any number of lines>
 *   Steps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 512x768, Lora hashes: "a: 1, b: 2", …
 *
 * Values with a comma, colon or quote are JSON-quoted (A1111's `quote`); the last line counts as
 * the fields line when it has three fields or more, as A1111's own reader decides. Fields the
 * panel has no place for are kept, in order, for the panel to show. Pure: no DOM.
 */
import type { ModelEntry, SamplerEntry } from '../../../../main/api/contract.js';
import { MAX_SEED, type GenerateSettings } from '../generate/settings.js';

export interface ParsedParameters {
  prompt: string;
  negativePrompt: string;
  /** Every `Key: value` of the fields line, unquoted, in order. */
  fields: [string, string][];
}

/** A1111's `re_param_code`: a key, a colon, then a quoted value or anything up to the next comma. */
const FIELD = /\s*(\w[\w \-/+.()]*):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g;

function unquote(raw: string): string {
  const v = raw.trim();
  if (!v.startsWith('"') || !v.endsWith('"')) return v;
  try {
    const s: unknown = JSON.parse(v);
    return typeof s === 'string' ? s : v;
  } catch {
    return v;
  }
}

export function parseFields(line: string): [string, string][] {
  const out: [string, string][] = [];
  FIELD.lastIndex = 0;
  for (let m = FIELD.exec(line); m && m[0] !== ''; m = FIELD.exec(line)) out.push([m[1].trim(), unquote(m[2])]);
  return out;
}

/** Split parameters text into prompt, negative prompt and fields; null when it has no fields line at all. */
export function parseParameters(text: string): ParsedParameters | null {
  const lines = text.replace(/\r\n?/g, '\n').trim().split('\n');
  const last = lines.at(-1) ?? '';
  const fields = parseFields(last);
  if (fields.length < 3 && !fields.some(([k]) => k === 'Steps')) return null;
  lines.pop();
  const negAt = lines.findIndex((l) => l.startsWith('Negative prompt:'));
  const prompt = (negAt < 0 ? lines : lines.slice(0, negAt)).join('\n').trim();
  const negativePrompt = negAt < 0 ? '' : lines.slice(negAt).join('\n').replace(/^Negative prompt:\s?/, '').trim();
  return { prompt, negativePrompt, fields };
}

/** Schedule words A1111 appends to a sampler's name ("DPM++ 2M Karras"); the panel runs the model's own schedule. */
const SCHEDULES = ['Karras', 'Exponential', 'Uniform', 'SGM Uniform', 'Polyexponential', 'Simple', 'Normal', 'Beta', 'Align Your Steps'];
/** A1111 names that differ from the catalogue's label. */
const ALIASES: Record<string, string> = { unipc: 'unipc_bh1', 'euler ancestral': 'euler_a', 'dpm++ 2m sde heun': 'dpmpp_2m_sde' };

/**
 * The catalogue sampler an A1111 name means, and the schedule it named (if any); null when the
 * catalogue has no such sampler. Case and spacing are ignored.
 */
export function samplerFromA1111(text: string, samplers: readonly Pick<SamplerEntry, 'name' | 'label'>[]): { name: string; schedule?: string } | null {
  const norm = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();
  const find = (label: string) => {
    const n = norm(label);
    const alias = ALIASES[n];
    return samplers.find((s) => norm(s.label) === n || s.name === n || (alias !== undefined && s.name === alias))?.name;
  };
  const direct = find(text);
  if (direct) return { name: direct };
  for (const schedule of SCHEDULES) {
    if (!norm(text).endsWith(` ${schedule.toLowerCase()}`)) continue;
    const name = find(text.trim().slice(0, -schedule.length));
    if (name) return { name, schedule };
  }
  return null;
}

export interface Recalled {
  /** What goes into the Generate panel. */
  settings: Partial<GenerateSettings>;
  /** The frame's size, when the text gives one. */
  size: { width: number; height: number } | null;
  /** Fields the panel could not take, in order, with a reason where one was not understood. */
  kept: [string, string][];
}

const int = (v: string, lo: number, hi: number) => {
  const n = Number(v);
  return Number.isInteger(n) && n >= lo && n <= hi ? n : null;
};

/** Parsed parameters as the panel's settings (seed locked), the frame's size, and every field it could not take. */
export function recallSettings(p: ParsedParameters, samplers: readonly Pick<SamplerEntry, 'name' | 'label'>[], models: readonly Pick<ModelEntry, 'name'>[]): Recalled {
  const settings: Partial<GenerateSettings> = { prompt: p.prompt, negativePrompt: p.negativePrompt };
  const kept: [string, string][] = [];
  let size: Recalled['size'] = null;
  const take = (key: string, value: string): boolean => {
    switch (key) {
      case 'Steps': {
        const n = int(value, 1, 1000);
        if (n !== null) settings.steps = n;
        return n !== null;
      }
      case 'CFG scale': {
        const n = Number(value);
        if (value.trim() !== '' && Number.isFinite(n) && n >= 0 && n <= 100) settings.cfgScale = n;
        return settings.cfgScale !== undefined;
      }
      case 'Seed': {
        const n = int(value, 0, MAX_SEED);
        if (n !== null) Object.assign(settings, { seed: n, seedLocked: true });
        return n !== null;
      }
      case 'Size': {
        const m = /^(\d+)\s*x\s*(\d+)$/i.exec(value.trim());
        if (m) size = { width: Number(m[1]), height: Number(m[2]) };
        return !!m;
      }
      case 'Sampler': {
        const s = samplerFromA1111(value, samplers);
        if (!s) return false;
        settings.sampler = s.name;
        if (s.schedule) kept.push(['Schedule type', s.schedule]);
        return true;
      }
      case 'Model': {
        const found = models.some((m) => m.name === value);
        if (found) settings.model = value;
        return found;
      }
      case 'Denoising strength': {
        const n = Number(value);
        if (value.trim() !== '' && n >= 0 && n <= 1) settings.strength = n;
        return settings.strength !== undefined;
      }
      default:
        return false;
    }
  };
  for (const [key, value] of p.fields) if (!take(key, value)) kept.push([key, value]);
  return { settings, size, kept };
}
