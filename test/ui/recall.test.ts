import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { createAppState } from '../../renderer/src/ui/app-state.js';
import { DEFAULT_SETTINGS, type GenerateSettings } from '../../renderer/src/ui/generate/settings.js';
import { recallSettings } from '../../renderer/src/ui/recall/settings.js';
import { splitParameters } from '../../main/api/parameters.js';
import { withPngText } from '../../main/api/png-text.js';
import { A1111_TEXT as A1111, SAMPLERS } from '../fixtures/a1111.js';
import { RecallModule } from '../../renderer/src/ui/recall/recall.js';

const MODELS = [{ name: 'emoji-32' }];
/** A 1×1 PNG carrying the given text chunks. */
const png = async (text: Record<string, string>) => withPngText(await sharp({ create: { width: 1, height: 1, channels: 4, background: '#000' } }).png().toBuffer(), text);

describe('parameters text as the panel\'s settings', () => {
  it('becomes settings (seed locked), a frame size, and every field the panel cannot take, kept in order', () => {
    const r = recallSettings(splitParameters(A1111)!, SAMPLERS, MODELS);
    expect(r.settings).toEqual({
      prompt: 'masterpiece, a cat, (sitting:1.2)\non a red chair', negativePrompt: 'blurry, lowres\nbad hands',
      steps: 28, sampler: 'dpmpp_2m', cfgScale: 6.5, seed: 3141592653, seedLocked: true,
    });
    expect(r.size).toEqual({ width: 512, height: 768 });
    expect(r.kept).toEqual([['Schedule type', 'Karras'], ['Model hash', '6ce0161689'], ['Model', 'v1-5-pruned'], ['Lora hashes', 'detail: 1a2b, style: 3c4d'], ['Version', 'v1.6.0']]);
  });

  it("this studio's own text: an installed model and strength are taken, a sampler it cannot run and a bad seed are kept", () => {
    const r = recallSettings(splitParameters('a fox\nSteps: 4, Sampler: DPM fast, CFG scale: 2, Seed: -3, Size: 32x32, Model: emoji-32, Denoising strength: 0.4')!, SAMPLERS, MODELS);
    expect(r.settings).toMatchObject({ model: 'emoji-32', strength: 0.4, steps: 4, cfgScale: 2 });
    expect(r.settings.sampler).toBeUndefined();
    expect(r.kept).toEqual([['Sampler', 'DPM fast'], ['Seed', '-3']]);
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

  it("a PNG's parameters restore prompt, negative prompt, sampler, steps, CFG, seed and frame size; the rest is kept and shown", async () => {
    const h = harness();
    expect(h.recall.fromPng(await png({ parameters: A1111 }), 'cat.png')).toBe(true);
    expect(h.settings()).toMatchObject({ prompt: 'masterpiece, a cat, (sitting:1.2)\non a red chair', negativePrompt: 'blurry, lowres\nbad hands', sampler: 'dpmpp_2m', steps: 28, cfgScale: 6.5, seed: 3141592653, seedLocked: true, model: 'emoji-32' });
    expect(h.sizes).toEqual([[512, 768]]);
    expect(h.recall.store.getState()).toMatchObject({ source: 'cat.png', kept: expect.arrayContaining([['Version', 'v1.6.0']]) });
    expect(h.said.at(-1)).toMatch(/^Settings from cat\.png are in the Generate panel \(seed 3141592653, locked\); 5 more fields kept/);
  });

  it('a PNG without parameters changes nothing and says so', async () => {
    const h = harness();
    expect(h.recall.fromPng(await png({ Software: 'paint' }), 'plain.png')).toBe(false);
    expect(h.settings()).toEqual({ ...DEFAULT_SETTINGS, model: 'emoji-32' });
    expect(h.said.at(-1)).toMatch(/plain\.png has no generation settings/);
  });

  it('bytes that are not a PNG, or a truncated PNG, change nothing and say why', async () => {
    const h = harness();
    expect(h.recall.fromPng(new TextEncoder().encode('GIF89a....'), 'cat.gif')).toBe(false);
    expect(h.said.at(-1)).toBe('cat.gif could not be read: not a PNG file.');
    const whole = await png({ parameters: A1111 });
    expect(h.recall.fromPng(whole.subarray(0, whole.length - 20), 'part.png')).toBe(false);
    expect(h.said.at(-1)).toMatch(/^part\.png could not be read: truncated PNG/);
    expect(h.settings()).toEqual({ ...DEFAULT_SETTINGS, model: 'emoji-32' });
  });
});
