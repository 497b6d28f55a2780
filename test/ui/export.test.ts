/**
 * Export: the flattened canvas carries the settings of the last generation that produced it (its
 * top-most visible generated layer's `parameters`, in a text chunk before the image data, where
 * other tools and the studio's recall read it); a gallery image is exported as generated; the two
 * are said apart.
 */
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { ExportModule, canvasParameters } from '../../renderer/src/ui/export/export.js';
import { pngTextChunks, withPngText } from '../../renderer/src/ui/recall/png-text.js';
import { readTextChunks } from '../../main/engine/image/png-text.js';
import { createAppState } from '../../renderer/src/ui/app-state.js';
import { createImageLayer } from '../../renderer/src/document/create.js';

const tiny = async () => new Uint8Array(await sharp({ create: { width: 2, height: 2, channels: 3, background: '#336699' } }).png().toBuffer());
const A1111 = 'a red heart\nNegative prompt: blurry\nSteps: 20, Sampler: DDIM, CFG scale: 5, Seed: 7, Size: 32x32, Model: emoji-32';

describe('a text chunk written into a PNG', () => {
  it('is read back by the studio\'s recall and the engine, before the image data, and the image still decodes', async () => {
    const png = await tiny();
    for (const text of [A1111, 'ünïcode café — 🐱 with "quotes", and, commas']) {
      const out = withPngText(png, 'parameters', text);
      expect(pngTextChunks(out).get('parameters')).toBe(text); // the recall reader stops at IDAT
      expect(readTextChunks(Buffer.from(out)).parameters).toBe(text);
      const meta = await sharp(Buffer.from(out)).metadata(); // CRCs are right: libvips reads it
      expect([meta.width, meta.height]).toEqual([2, 2]);
    }
    expect(withPngText(new Uint8Array([1, 2, 3]), 'parameters', 'x')).toEqual(new Uint8Array([1, 2, 3]));
  });
});

describe('export', () => {
  const setup = async (layers: ReturnType<typeof createImageLayer>[]) => {
    const saved: { name: string; bytes: Uint8Array }[] = [];
    const said: string[] = [];
    const png = await tiny();
    const app = createAppState();
    const m = new ExportModule({
      app,
      gallery: { item: (id: string) => (id === 'g1' ? ({ id: 'g1', png, settings: {}, seed: 1, model: 'emoji-32' } as never) : undefined) },
      client: () => ({ saveFile: async (r: { suggestedName: string; bytes: Uint8Array }) => { saved.push({ name: r.suggestedName, bytes: r.bytes }); return { saved: true, path: `/tmp/${r.suggestedName}` }; } }) as never,
      say: (t) => void said.push(t),
      flatten: async () => png,
      doc: () => ({ layers }),
      download: () => undefined,
    });
    return { m, saved, said, app, png };
  };

  it('takes the settings of the top-most visible generated layer', () => {
    const gen = (name: string, parameters?: string, visible = true) => ({ ...createImageLayer({ pixelId: name, width: 2, height: 2, name, parameters }), visible });
    expect(canvasParameters({ layers: [gen('a', 'A'), gen('b'), gen('c', 'C', false)] })).toBe('A');
    expect(canvasParameters({ layers: [gen('a', 'A'), gen('c', 'C')] })).toBe('C');
    expect(canvasParameters({ layers: [gen('b')] })).toBeNull();
  });

  it('puts them in the exported canvas, and says what was exported', async () => {
    const t = await setup([createImageLayer({ pixelId: 'p', width: 2, height: 2, parameters: A1111 })]);
    await t.m.exportPng();
    expect(t.saved[0].name).toMatch(/^driftline-canvas-\d+\.png$/);
    expect(pngTextChunks(t.saved[0].bytes).get('parameters')).toBe(A1111);
    expect(t.said.at(-1)).toMatch(/: the canvas, with the settings of its last generation\.$/);
  });

  it('a canvas with no generated layer exports without settings, and says so; a gallery image goes as generated', async () => {
    const t = await setup([createImageLayer({ pixelId: 'p', width: 2, height: 2 })]);
    await t.m.exportPng();
    expect(pngTextChunks(t.saved[0].bytes).has('parameters')).toBe(false);
    expect(t.said.at(-1)).toMatch(/no generated layer: no settings inside/);
    t.app.setState({ selectedGalleryId: 'g1' });
    await t.m.exportPng();
    expect(t.saved[1].bytes).toEqual(t.png);
    expect(t.said.at(-1)).toMatch(/: the gallery image, as generated\.$/);
  });
});
