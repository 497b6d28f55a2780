/**
 * Generation settings as the `parameters` text that AUTOMATIC1111's web UI writes into PNGs, and
 * that Civitai, ComfyUI importers, most image browsers and this studio's recall read:
 *
 *   <prompt, any number of lines>
 *   Negative prompt: <negative prompt, any number of lines>
 *   Steps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 512x768, Lora hashes: "a: 1, b: 2", …
 *
 * Values containing a comma, colon, quote or newline are JSON-quoted (A1111's `quote`); the last
 * line counts as the fields line when it has three fields or more, as A1111's own reader decides.
 * Pure text: the engine writes it, the engine and the renderer read it.
 */
import type { SamplerEntry } from './contract.js';

export interface GenerationParameters {
  prompt: string;
  negativePrompt?: string;
  steps: number;
  /** Display name of the sampler, e.g. "DPM++ 2M". */
  sampler: string;
  /** Absent for a model that takes no guidance. */
  cfgScale?: number;
  seed: number;
  width: number;
  height: number;
  model?: string;
  /** img2img / inpaint strength. */
  denoisingStrength?: number;
  /** Any further `Key: value` pairs, in order. */
  extra?: Record<string, string | number>;
}

/** Parameters text split into its parts, before any field is interpreted. */
export interface ParametersText {
  prompt: string;
  negativePrompt: string;
  /** Every `Key: value` of the fields line, unquoted, in order (repeats kept). */
  fields: [string, string][];
}

function quote(v: string | number): string {
  const s = String(v);
  return /[,:"\n]/.test(s) ? JSON.stringify(s) : s;
}

export function formatParameters(p: GenerationParameters): string {
  const fields: [string, string | number | undefined][] = [
    ['Steps', p.steps],
    ['Sampler', p.sampler],
    ['CFG scale', p.cfgScale],
    ['Seed', p.seed],
    ['Size', `${p.width}x${p.height}`],
    ['Model', p.model],
    ['Denoising strength', p.denoisingStrength],
    ...Object.entries(p.extra ?? {}),
  ];
  const line = fields.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}: ${quote(v!)}`).join(', ');
  const neg = p.negativePrompt ? `\nNegative prompt: ${p.negativePrompt}` : '';
  return `${p.prompt}${neg}\n${line}`;
}

/** A1111's `re_param_code`: a key, a colon, then a quoted value or anything up to the next comma. */
const FIELD = /\s*(\w[\w \-/+.()]*):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g;

/** A JSON-quoted value unquoted; anything else (a malformed quote included) as it stands, trimmed. */
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

/** Split `Key: value, Key: "quoted, value"` into pairs, in order. */
export function parseFields(line: string): [string, string][] {
  const out: [string, string][] = [];
  FIELD.lastIndex = 0;
  for (let m = FIELD.exec(line); m && m[0] !== ''; m = FIELD.exec(line)) out.push([m[1].trim(), unquote(m[2])]);
  return out;
}

/** Prompt, negative prompt and fields (prompts trimmed, CR/CRLF taken as newlines); null when the text has no fields line. */
export function splitParameters(text: string): ParametersText | null {
  const lines = text.replace(/\r\n?/g, '\n').trim().split('\n');
  const fields = parseFields(lines.at(-1) ?? '');
  if (fields.length < 3 && !fields.some(([k]) => k === 'Steps')) return null;
  lines.pop();
  const negAt = lines.findIndex((l) => l.startsWith('Negative prompt:'));
  const prompt = (negAt < 0 ? lines : lines.slice(0, negAt)).join('\n').trim();
  const negativePrompt = negAt < 0 ? '' : lines.slice(negAt).join('\n').replace(/^Negative prompt:\s?/, '').trim();
  return { prompt, negativePrompt, fields };
}

const KNOWN = new Set(['Steps', 'Sampler', 'CFG scale', 'Seed', 'Size', 'Model', 'Denoising strength']);

/**
 * Parameters text as typed settings (the inverse of `formatParameters`): the last of a repeated
 * key wins; unknown keys land in `extra`, in order. Throws when the fields line has no `Steps`.
 */
export function parseParameters(text: string): GenerationParameters {
  const split = splitParameters(text);
  const fields = new Map(split?.fields);
  if (!split || !fields.has('Steps')) throw new Error('not generation parameters: the last line has no "Steps:" field');
  const size = (fields.get('Size') ?? '0x0').split('x').map(Number);
  const extra: Record<string, string> = {};
  for (const [k, v] of fields) if (!KNOWN.has(k)) extra[k] = v;
  return {
    prompt: split.prompt,
    negativePrompt: split.negativePrompt || undefined,
    steps: Number(fields.get('Steps')),
    sampler: fields.get('Sampler') ?? '',
    cfgScale: Number(fields.get('CFG scale') ?? 1),
    seed: Number(fields.get('Seed') ?? 0),
    width: size[0],
    height: size[1],
    model: fields.get('Model'),
    denoisingStrength: fields.has('Denoising strength') ? Number(fields.get('Denoising strength')) : undefined,
    extra: Object.keys(extra).length ? extra : undefined,
  };
}

/** Schedule words A1111 appends to a sampler's name ("DPM++ 2M Karras"); the studio runs the model's own schedule. */
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
