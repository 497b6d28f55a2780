import { describe, expect, it } from 'vitest';
import { createAppState } from '../../renderer/src/ui/app-state.js';
import { DEFAULT_SETTINGS, type GenerateSettings } from '../../renderer/src/ui/generate/settings.js';
import { parseFields, parseParameters, recallSettings, samplerFromA1111 } from '../../renderer/src/ui/recall/parameters.js';
import { pngTextChunks } from '../../renderer/src/ui/recall/png-text.js';
import { RecallModule } from '../../renderer/src/ui/recall/recall.js';

/** The catalogue's names and labels as `listSamplers` gives them (labels are A1111's names). */
const SAMPLERS = [
  { name: 'auto', label: 'Automatic' },
  { name: 'euler', label: 'Euler' },
  { name: 'euler_a', label: 'Euler a' },
  { name: 'ddim', label: 'DDIM' },
  { name: 'plms', label: 'PLMS' },
  { name: 'dpmpp_2m', label: 'DPM++ 2M' },
  { name: 'dpmpp_2m_sde', label: 'DPM++ 2M SDE' },
  { name: 'dpmpp_sde', label: 'DPM++ SDE' },
  { name: 'unipc_bh1', label: 'UniPC (bh1)' },
];
const MODELS = [{ name: 'emoji-32' }];

const A1111 = [
  'masterpiece, a cat, (sitting:1.2)',
  'on a red chair',
  'Negative prompt: blurry, lowres',
  'bad hands',
  'Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 3141592653, Size: 512x768, Model hash: 6ce0161689, Model: v1-5-pruned, Lora hashes: "detail: 1a2b, style: 3c4d", Version: v1.6.0',
].join('\n');

describe('parameters text', () => {
  it('splits a multi-line prompt, a multi-line negative prompt and the fields, quoted commas kept whole', () => {
    const p = parseParameters(A1111)!;
    expect(p.prompt).toBe('masterpiece, a cat, (sitting:1.2)\non a red chair');
    expect(p.negativePrompt).toBe('blurry, lowres\nbad hands');
    expect(p.fields).toEqual([
      ['Steps', '28'], ['Sampler', 'DPM++ 2M Karras'], ['CFG scale', '6.5'], ['Seed', '3141592653'], ['Size', '512x768'],
      ['Model hash', '6ce0161689'], ['Model', 'v1-5-pruned'], ['Lora hashes', 'detail: 1a2b, style: 3c4d'], ['Version', 'v1.6.0'],
    ]);
  });

  it('unquotes JSON-quoted values with escaped quotes; CRLF text and no negative prompt', () => {
    expect(parseFields('Steps: 4, Note: "say \\"hi\\", then: go", Seed: 1')).toEqual([['Steps', '4'], ['Note', 'say "hi", then: go'], ['Seed', '1']]);
    const p = parseParameters('a fox\r\nSteps: 4, Sampler: DDIM, Seed: 9, Size: 32x32')!;
    expect(p).toEqual({ prompt: 'a fox', negativePrompt: '', fields: [['Steps', '4'], ['Sampler', 'DDIM'], ['Seed', '9'], ['Size', '32x32']] });
  });

  it('text with no fields line is not parameters; an empty prompt is allowed', () => {
    expect(parseParameters('just a prompt, nothing else')).toBeNull();
    expect(parseParameters('Steps: 20, Sampler: Euler, Seed: 1')!.prompt).toBe('');
  });

  it("maps A1111's sampler names to the catalogue, schedules split off, unknown ones null", () => {
    expect(samplerFromA1111('DPM++ 2M Karras', SAMPLERS)).toEqual({ name: 'dpmpp_2m', schedule: 'Karras' });
    expect(samplerFromA1111('DPM++ 2M SDE Exponential', SAMPLERS)).toEqual({ name: 'dpmpp_2m_sde', schedule: 'Exponential' });
    expect(samplerFromA1111('Euler a', SAMPLERS)).toEqual({ name: 'euler_a' });
    expect(samplerFromA1111('euler  A', SAMPLERS)).toEqual({ name: 'euler_a' });
    expect(samplerFromA1111('DDIM', SAMPLERS)).toEqual({ name: 'ddim' });
    expect(samplerFromA1111('UniPC', SAMPLERS)).toEqual({ name: 'unipc_bh1' });
    expect(samplerFromA1111('DPM adaptive', SAMPLERS)).toBeNull();
  });

  it('becomes settings (seed locked), a frame size, and every field the panel cannot take, kept in order', () => {
    const r = recallSettings(parseParameters(A1111)!, SAMPLERS, MODELS);
    expect(r.settings).toEqual({
      prompt: 'masterpiece, a cat, (sitting:1.2)\non a red chair', negativePrompt: 'blurry, lowres\nbad hands',
      steps: 28, sampler: 'dpmpp_2m', cfgScale: 6.5, seed: 3141592653, seedLocked: true,
    });
    expect(r.size).toEqual({ width: 512, height: 768 });
    expect(r.kept).toEqual([['Schedule type', 'Karras'], ['Model hash', '6ce0161689'], ['Model', 'v1-5-pruned'], ['Lora hashes', 'detail: 1a2b, style: 3c4d'], ['Version', 'v1.6.0']]);
  });

  it("this studio's own text: an installed model and strength are taken, a sampler it cannot run and a bad seed are kept", () => {
    const r = recallSettings(parseParameters('a fox\nSteps: 4, Sampler: DPM fast, CFG scale: 2, Seed: -3, Size: 32x32, Model: emoji-32, Denoising strength: 0.4')!, SAMPLERS, MODELS);
    expect(r.settings).toMatchObject({ model: 'emoji-32', strength: 0.4, steps: 4, cfgScale: 2 });
    expect(r.settings.sampler).toBeUndefined();
    expect(r.kept).toEqual([['Sampler', 'DPM fast'], ['Seed', '-3']]);
  });
});

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const utf8 = (s: string) => new TextEncoder().encode(s);
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};
function png(...chunks: Uint8Array[]): Uint8Array {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, 1);
  new DataView(ihdr.buffer).setUint32(4, 1);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return cat(Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), ...chunks, chunk('IEND', new Uint8Array()));
}
const tEXt = (k: string, v: string) => chunk('tEXt', cat(latin1(k), Uint8Array.of(0), latin1(v)));
const iTXt = (k: string, v: string, compressed = 0) => chunk('iTXt', cat(latin1(k), Uint8Array.of(0, compressed, 0), latin1('en'), Uint8Array.of(0), utf8('Parameter'), Uint8Array.of(0), utf8(v)));

describe('PNG text chunks', () => {
  it('reads tEXt (Latin-1) and uncompressed iTXt (UTF-8) before the image data; compressed iTXt and text after IDAT are skipped', () => {
    const bytes = png(tEXt('parameters', 'café\nSteps: 1, Sampler: Euler, Seed: 2'), iTXt('Comment', 'ünïcode ✓'), iTXt('zipped', 'x', 1), chunk('IDAT', Uint8Array.of(1, 2, 3)), tEXt('late', 'nope'));
    const t = pngTextChunks(bytes);
    expect([...t.keys()]).toEqual(['parameters', 'Comment']);
    expect(t.get('parameters')).toBe('café\nSteps: 1, Sampler: Euler, Seed: 2');
    expect(t.get('Comment')).toBe('ünïcode ✓');
  });

  it('anything that is not a PNG, or a truncated one, gives what it can without throwing', () => {
    expect(pngTextChunks(utf8('GIF89a....')).size).toBe(0);
    const whole = png(tEXt('parameters', 'x'), tEXt('b', 'y'));
    expect([...pngTextChunks(whole.subarray(0, whole.length - 20)).keys()]).toEqual(['parameters']);
  });
});

describe('recall into the Generate panel', () => {
  function harness() {
    const app = createAppState();
    app.setState({ samplers: SAMPLERS.map((s) => ({ ...s, paper: '', stochastic: false })), models: MODELS.map((m) => ({ ...m })) as never });
    let settings: GenerateSettings = { ...DEFAULT_SETTINGS, model: 'emoji-32' };
    const sizes: [number, number][] = [];
    const said: string[] = [];
    const recall = new RecallModule({
      app,
      generation: { updateSettings: (patch) => void (settings = { ...settings, ...patch }) },
      frame: { setSize: (w, h) => void sizes.push([w, h]) },
      say: (t) => void said.push(t),
    });
    return { recall, settings: () => settings, sizes, said };
  }

  it("a PNG's parameters restore prompt, negative prompt, sampler, steps, CFG, seed and frame size; the rest is kept and shown", () => {
    const h = harness();
    expect(h.recall.fromPng(png(iTXt('parameters', A1111)), 'cat.png')).toBe(true);
    expect(h.settings()).toMatchObject({ prompt: 'masterpiece, a cat, (sitting:1.2)\non a red chair', negativePrompt: 'blurry, lowres\nbad hands', sampler: 'dpmpp_2m', steps: 28, cfgScale: 6.5, seed: 3141592653, seedLocked: true, model: 'emoji-32' });
    expect(h.sizes).toEqual([[512, 768]]);
    expect(h.recall.store.getState()).toMatchObject({ source: 'cat.png', kept: expect.arrayContaining([['Version', 'v1.6.0']]) });
    expect(h.said.at(-1)).toMatch(/^Settings from cat\.png are in the Generate panel \(seed 3141592653, locked\); 5 more fields kept/);
  });

  it('a PNG without parameters changes nothing and says so', () => {
    const h = harness();
    expect(h.recall.fromPng(png(tEXt('Software', 'paint')), 'plain.png')).toBe(false);
    expect(h.settings()).toEqual({ ...DEFAULT_SETTINGS, model: 'emoji-32' });
    expect(h.said.at(-1)).toMatch(/plain\.png has no generation settings/);
  });
});
