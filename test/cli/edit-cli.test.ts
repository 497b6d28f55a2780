/**
 * `driftline edit` end to end: the compiled CLI, the compiled engine host and the embedded emoji-32
 * pack; a move on a synthetic scene lands where it was asked, the PNG carries every knob, and bad
 * input gets an error that names what is wrong (`npm test` builds first).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePng, loadImage } from '../../main/engine/image/io.js';
import { readPngText } from '../../main/api/png-text.js';
import { parseParameters } from '../../main/api/parameters.js';
import { binary, centroid, foreground, meanColour, renderScene } from '../fixtures/edit-scenes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'out', 'main', 'cli', 'driftline.js');
let home: string, work: string;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: { ...process.env, DRIFTLINE_HOME: home, DRIFTLINE_EP: 'cpu', DRIFTLINE_PACKS: path.join(root, 'models', 'packs') }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A white-on-black mask PNG from an h × w mask. */
async function maskPng(m: Float32Array, size: number): Promise<Buffer> {
  const data = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) for (let j = 0; j < size * size; j++) data[c * size * size + j] = m[j] >= 0.5 ? 1 : -1;
  return encodePng({ data, shape: [1, 3, size, size] });
}

let scene: string, mask: string, empty: string, source: Float32Array;
beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'driftline-edit-home-'));
  work = await mkdtemp(path.join(tmpdir(), 'driftline-edit-work-'));
  const { image, masks } = renderScene(32, [{ kind: 'disc', cx: 10, cy: 10, r: 5.5 }]);
  source = binary(masks[0]);
  scene = path.join(work, 'scene.png');
  mask = path.join(work, 'mask.png');
  empty = path.join(work, 'empty.png');
  await writeFile(scene, await encodePng(image));
  // The mask at another size: it is resampled to the image.
  const big = new Float32Array(64 * 64).map((_, j) => masks[0][Math.floor(Math.floor(j / 64) / 2) * 32 + Math.floor((j % 64) / 2)]);
  await writeFile(mask, await maskPng(binary(big), 64));
  await writeFile(empty, await maskPng(new Float32Array(32 * 32), 32));
});

describe('driftline edit', () => {
  it('moves an object: it lands at the offset, the old place turns white, the PNG carries every knob', async () => {
    const out = path.join(work, 'moved.png'), raw = path.join(work, 'raw.png');
    const r = await run(['edit', '--model', 'emoji-32', '--image', scene, '--mask', mask, '--kind', 'move', '--offset', '11,9', '--prompt', 'red circle',
      '--seed', '3', '--tries', '2', '--time-travel', '0.5', '--out', out, '--raw-out', raw]);
    expect(r.stderr).toMatch(/inverting/);
    expect(r.stderr).toMatch(/sampling/);
    expect(r.code).toBe(0);
    const img = await loadImage(await readFile(out), 32, 32);
    const c = centroid(foreground(img), 32);
    expect(Math.hypot(c.x - 21, c.y - 19)).toBeLessThan(1.5);
    for (const v of meanColour(img, source)) expect(v).toBeGreaterThan(0.75);
    const p = parseParameters(readPngText(await readFile(out)).get('parameters') ?? '');
    expect(p).toMatchObject({ prompt: 'red circle', steps: 8, sampler: 'DDIM', cfgScale: 4, seed: 3, width: 32, height: 32, model: 'emoji-32' });
    // The CLI writes its own file; the studio's gallery in the data folder is left alone.
    expect(existsSync(path.join(home, 'gallery', 'index.json'))).toBe(false);
    expect(p.extra).toMatchObject({ 'Edit': 'move', 'Edit preset': 'fast', 'Inversion': 'exact', 'SDE eta': '0.4', 'Time travel': '0.5 x2', 'Composite': 'on' });
    expect(p.extra?.['Guidance']).toMatch(/scale 0.15 content 6 edit 6/);
    expect(p.extra?.['Attention memory']).toBe('decoder 0.1-1');
    expect(r.stderr).toMatch(/attention memory on 4 layers, 704 KiB per step/);
    expect((await readFile(raw)).length).toBeGreaterThan(0);
  });

  it('--memory off runs the edit without attention memory and says so; the result differs from memory on', async () => {
    const on = path.join(work, 'memory-on.png'), off = path.join(work, 'memory-off.png');
    const args = ['edit', '--model', 'emoji-32', '--image', scene, '--mask', mask, '--kind', 'move', '--offset', '11,9', '--prompt', 'red circle', '--seed', '3'];
    const a = await run([...args, '--memory-layers', 'all', '--memory-window', '0,1', '--out', on]);
    const b = await run([...args, '--memory', 'off', '--out', off]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(a.stderr).toMatch(/attention memory on 7 layers/);
    expect(b.stderr).toMatch(/attention memory off/);
    expect(parseParameters(readPngText(await readFile(on)).get('parameters') ?? '').extra?.['Attention memory']).toBe('all 0-1');
    expect(parseParameters(readPngText(await readFile(off)).get('parameters') ?? '').extra?.['Attention memory']).toBe('off');
    const x = await loadImage(await readFile(on), 32, 32), y = await loadImage(await readFile(off), 32, 32);
    expect(x.data.some((v, j) => Math.abs(v - y.data[j]) > 0.02)).toBe(true);
  });

  it('--guidance features guides the edit on the model\'s features and says so; the PNG names it', async () => {
    const out = path.join(work, 'features.png');
    const r = await run(['edit', '--model', 'emoji-32', '--image', scene, '--mask', mask, '--kind', 'move', '--offset', '11,9', '--prompt', 'red circle', '--guidance', 'features', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/; feature guidance$/m);
    // emoji-32 declares its measured step (model_index.json driftline.feature_guidance_step).
    expect(parseParameters(readPngText(await readFile(out)).get('parameters') ?? '').extra?.['Guidance']).toMatch(/^features step 1000 content 6 edit 4 /);
  });

  it('pastes an object from a second image (no base mask needed) at the offset', async () => {
    const ref = renderScene(32, [{ kind: 'square', cx: 8, cy: 8, r: 4.5 }]);
    const refPath = path.join(work, 'ref.png'), refMask = path.join(work, 'ref-mask.png'), out = path.join(work, 'pasted.png');
    await writeFile(refPath, await encodePng(ref.image));
    await writeFile(refMask, await maskPng(binary(ref.masks[0]), 32));
    const r = await run(['edit', '--model', 'emoji-32', '--image', scene, '--kind', 'paste', '--reference', refPath, '--reference-mask', refMask,
      '--offset', '20,20', '--prompt', 'blue square', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const img = await loadImage(await readFile(out), 32, 32);
    // The square's box (4…12) lands at 20…28: its centre at 24.5, 24.5; the red disc stays.
    const square = foreground(img).map((v, j) => (v && img.data[2 * 1024 + j] > 0.3 && img.data[j] < 0 ? 1 : 0));
    const c = centroid(square, 32);
    expect(Math.hypot(c.x - 24.5, c.y - 24.5)).toBeLessThan(1.5);
    expect(meanColour(img, source)[0]).toBeGreaterThan(0.5);
  });

  it('explains bad input instead of failing obscurely', async () => {
    const out = path.join(work, 'x.png');
    const cases: [string[], RegExp][] = [
      [['--kind', 'move', '--mask', empty, '--offset', '3,3'], /mask is empty/],
      [['--kind', 'move', '--mask', mask, '--offset', '60,0'], /entirely outside the image/],
      [['--kind', 'paste', '--mask', mask], /needs --reference and --reference-mask/],
      [['--kind', 'wobble', '--mask', mask], /--kind must be one of move, drag, paste, appearance/],
      [['--kind', 'drag', '--mask', mask, '--drag', '1,1'], /--drag must look like HX,HY:TX,TY/],
      [['--kind', 'move', '--mask', mask, '--offset', '3,3', '--eta', '2'], /options\.eta/],
      [['--kind', 'move', '--mask', mask, '--offset', '3,3', '--memory', 'maybe'], /--memory must be on or off/],
      [['--kind', 'move', '--mask', mask, '--offset', '3,3', '--memory-window', '0.8,0.2'], /memory\.window \[0\.8, 0\.2\] must run from an earlier to a later step/],
    ];
    for (const [args, message] of cases) {
      const r = await run(['edit', '--model', 'emoji-32', '--image', scene, '--out', out, ...args]);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    const sr = await run(['edit', '--model', 'emoji-sr-64', '--image', scene, '--mask', mask, '--kind', 'move', '--offset', '2,2', '--out', out]);
    expect(sr.stderr).toMatch(/upscaling model cannot edit/);
  });
});
