/**
 * Export: the flattened canvas carries the settings of the last generation that produced it (its
 * top-most visible generated layer's `parameters`, in a text chunk before the image data, where
 * other tools and the studio's recall read it); a gallery image is exported as generated; the two
 * are said apart.
 */
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { ExportModule, canvasParameters, frameParameters } from '../../renderer/src/ui/export/export.js';
import { readPngText } from '../../main/api/png-text.js';
import { createAppState } from '../../renderer/src/ui/app-state.js';
import { createImageLayer } from '../../renderer/src/document/create.js';

const tiny = async () => new Uint8Array(await sharp({ create: { width: 2, height: 2, channels: 3, background: '#336699' } }).png().toBuffer());
const rgbPng = async (width: number, height: number) => new Uint8Array(await sharp({ create: { width, height, channels: 4, background: '#cc3344' } }).png().toBuffer());
/** The PNG's chunk types in file order. */
function chunkTypes(png: Uint8Array): string[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const types: string[] = [];
  for (let at = 8; at + 8 <= png.length; at += 12 + view.getUint32(at)) types.push(String.fromCharCode(...png.subarray(at + 4, at + 8)));
  return types;
}
const A1111 = 'a red heart\nNegative prompt: blurry\nSteps: 20, Sampler: DDIM, CFG scale: 5, Seed: 7, Size: 32x32, Model: emoji-32';

const setup = async (layers: ReturnType<typeof createImageLayer>[], frame = { x: 0, y: 0, width: 2, height: 2 }) => {
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
    frame: () => frame,
    flattenFrame: async (r) => (layers.length ? rgbPng(r.width, r.height) : null),
    doc: () => ({ layers }),
    download: () => undefined,
  });
  return { m, saved, said, app, png };
};

describe('export', () => {

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
    expect(readPngText(t.saved[0].bytes).get('parameters')).toBe(A1111);
    expect(t.said.at(-1)).toMatch(/: the canvas, with the settings of its last generation\.$/);
  });

  it('a canvas with no generated layer exports without settings, and says so; a gallery image goes as generated', async () => {
    const t = await setup([createImageLayer({ pixelId: 'p', width: 2, height: 2 })]);
    await t.m.exportPng();
    expect(readPngText(t.saved[0].bytes).has('parameters')).toBe(false);
    expect(t.said.at(-1)).toMatch(/no generated layer: no settings inside/);
    t.app.setState({ selectedGalleryId: 'g1' });
    await t.m.exportPng();
    expect(t.saved[1].bytes).toEqual(t.png);
    expect(t.said.at(-1)).toMatch(/: the gallery image, as generated\.$/);
  });
});

describe('export of the generation frame alone', () => {
  const layer = (name: string, x: number, parameters?: string) => ({ ...createImageLayer({ pixelId: name, width: 32, height: 32, name, parameters }), x });

  it('takes the settings of the top-most generated layer under the frame, not one elsewhere on the canvas', () => {
    const doc = { layers: [layer('under', 0, 'UNDER'), layer('beside', 100, 'BESIDE')] };
    expect(frameParameters(doc, { x: 8, y: 8, width: 16, height: 16 })).toBe('UNDER');
    expect(canvasParameters(doc)).toBe('BESIDE');
    expect(frameParameters(doc, { x: 32, y: 0, width: 16, height: 16 }), 'touching an edge is not under').toBeNull();
  });

  it('is a frame-sized PNG with the parameters chunk before IDAT, named and said apart from canvas and gallery exports', async () => {
    const frame = { x: -8, y: 4, width: 24, height: 40 };
    const t = await setup([createImageLayer({ pixelId: 'p', width: 32, height: 32, parameters: A1111 })], frame);
    await t.m.exportFrame();
    const out = t.saved[0];
    expect(out.name).toMatch(/^driftline-frame-24x40-\d+\.png$/);
    const meta = await sharp(Buffer.from(out.bytes)).metadata();
    expect([meta.width, meta.height]).toEqual([frame.width, frame.height]);
    const types = chunkTypes(out.bytes);
    const text = types.findIndex((c) => c === 'tEXt' || c === 'iTXt');
    expect(text).toBeGreaterThan(0);
    expect(text).toBeLessThan(types.indexOf('IDAT'));
    expect(readPngText(out.bytes).get('parameters')).toBe(A1111);
    expect(t.said.at(-1)).toMatch(/: the generation frame \(24×40\), with the settings of its last generation\.$/);
  });

  it('says so when nothing lies under the frame, and saves nothing', async () => {
    const t = await setup([]);
    await t.m.exportFrame();
    expect(t.saved).toHaveLength(0);
    expect(t.said.at(-1)).toMatch(/no visible image lies under the generation frame/);
  });
});
