/**
 * Generation settings as the `parameters` text that AUTOMATIC1111's web UI writes into PNGs, and
 * that Civitai, ComfyUI importers and most image browsers read:
 *
 *   <prompt>
 *   Negative prompt: <negative prompt>
 *   Steps: 20, Sampler: DPM++ 2M, CFG scale: 7, Seed: 1234, Size: 512x512, Model: sd-turbo, …
 *
 * Values containing a comma, colon or quote are JSON-quoted, as A1111 does.
 */

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

/** Split `Key: value, Key: "quoted, value"` into pairs. */
function parseFields(line: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*([\w \-/]+):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)/g;
  for (let m = re.exec(line); m && m[0] !== ''; m = re.exec(line)) {
    const raw = m[2].trim();
    out.set(m[1].trim(), raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return out;
}

/** Parse A1111-style parameters text; unknown keys land in `extra`. */
export function parseParameters(text: string): GenerationParameters {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const last = lines.pop() ?? '';
  const fields = parseFields(last);
  if (!fields.has('Steps')) throw new Error('not generation parameters: the last line has no "Steps:" field');
  const negAt = lines.findIndex((l) => l.startsWith('Negative prompt:'));
  const prompt = (negAt < 0 ? lines : lines.slice(0, negAt)).join('\n');
  const negativePrompt = negAt < 0 ? undefined : lines.slice(negAt).join('\n').replace(/^Negative prompt:\s?/, '');
  const size = (fields.get('Size') ?? '0x0').split('x').map(Number);
  const known = new Set(['Steps', 'Sampler', 'CFG scale', 'Seed', 'Size', 'Model', 'Denoising strength']);
  const extra: Record<string, string> = {};
  for (const [k, v] of fields) if (!known.has(k)) extra[k] = v;
  return {
    prompt,
    negativePrompt,
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
