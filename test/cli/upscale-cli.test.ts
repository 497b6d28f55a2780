/**
 * `driftline upscale` and `driftline bc-search` end to end: the compiled CLI and engine host on
 * the embedded emoji-sr-64 pack. A search is stored in the user's data folder and picked up by
 * later upscales (`--bc auto`), `--bc random` ignores it, folders upscale in batch, the PNG says how
 * it was made, a cancelled or failed search leaves the stored one intact, and bad input gets an
 * error naming what is wrong (`npm test` builds first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { EngineClient } from '../../main/host/client.js';
import { encodePng } from '../../main/engine/image/io.js';
import { readPngText } from '../../main/api/png-text.js';
import { parseParameters } from '../../main/api/parameters.js';
import { heldOutPairs } from '../fixtures/sr-sets.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'out', 'main', 'cli', 'driftline.js');
const hostEntry = path.join(root, 'out', 'main', 'host', 'entry.js');
let home: string, work: string;
const env = () => ({ ...process.env, DRIFTLINE_HOME: home, DRIFTLINE_EP: 'cpu', DRIFTLINE_PACKS: path.join(root, 'models', 'packs') });

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: env(), timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The PNG's parameters as one map: the standard fields and the extras. */
async function paramsOf(file: string): Promise<Map<string, string>> {
  const p = parseParameters(readPngText(await readFile(file)).get('parameters') ?? '');
  return new Map<string, string>([['Model', p.model ?? ''], ['Steps', String(p.steps)], ...Object.entries(p.extra ?? {}).map(([k, v]) => [k, String(v)] as [string, string])]);
}
const storedFiles = async () => (await readdir(path.join(home, 'boundaries'), { recursive: true })).map(String).filter((f) => /\.(json|f32)$/.test(f)).sort();

let client: EngineClient | undefined;
beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'driftline-sr-home-'));
  work = await mkdtemp(path.join(tmpdir(), 'driftline-sr-work-'));
  await mkdir(path.join(work, 'in'));
  const pairs = await heldOutPairs(2, 3);
  for (const [i, p] of pairs.entries()) await writeFile(path.join(work, 'in', `emoji-${i}.png`), await encodePng(p.low));
  await writeFile(path.join(work, 'in', 'notes.txt'), 'not an image');
  // A 64 × 32 low-resolution strip: two emoji side by side, upscaled in tiles.
  await sharp({ create: { width: 64, height: 32, channels: 3, background: '#ffffff' } })
    .composite([{ input: path.join(work, 'in', 'emoji-0.png'), left: 0, top: 0 }, { input: path.join(work, 'in', 'emoji-1.png'), left: 32, top: 0 }])
    .png().toFile(path.join(work, 'strip.png'));
});
afterAll(async () => { await client?.close(); });

describe('driftline upscale / bc-search', () => {
  it('upscales with fresh noise before any search, in tiles when the image is larger than the model', async () => {
    const out = path.join(work, 'strip-x2.png');
    const r = await run(['upscale', '--model', 'emoji-sr-64', '--image', path.join(work, 'strip.png'), '--steps', '3', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/boundary condition: random noise from seed 0 \(no search stored/);
    expect(r.stderr).toMatch(/128x64, 3 tiles of 64x64 \(overlap 16\)/);
    expect(r.stdout.trim()).toBe(path.resolve(out));
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height]).toEqual([128, 64]);
    const p = await paramsOf(out);
    expect(p.get('Model')).toBe('emoji-sr-64');
    expect(p.get('Steps')).toBe('3');
    expect(p.get('Boundary condition')).toBe('random');
    // The CLI writes its own file; the studio's gallery in the data folder is left alone.
    expect(existsSync(path.join(home, 'gallery', 'index.json'))).toBe(false);
    expect(p.get('Tiles')).toBe('3 of 64x64, overlap 16');
    expect(p.get('Upscale')).toBe('2x from 64x32');
  });

  it('searches a boundary condition, stores it, and later upscales use it (auto) unless told random', async () => {
    const s = await run(['bc-search', '--model', 'emoji-sr-64', '--candidates', '3', '--steps', '2', '--limit', '4', '--metric', 'psnr']);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toMatch(/3 candidates on 4 images \(emoji-sr-64 calibration set\), 24 image-evaluations/);
    expect(s.stderr).toMatch(/psnr: best candidate \d/);
    const recordPath = s.stdout.trim();
    expect(recordPath.startsWith(path.join(home, 'boundaries'))).toBe(true);
    const record = JSON.parse(await readFile(recordPath, 'utf8'));
    expect(record).toMatchObject({ sampler: 'pack', steps: 2, metric: 'psnr', tile: { width: 64, height: 64 }, shape: [1, 3, 64, 64], calibration: { count: 4 } });
    expect(record.candidates).toHaveLength(3);
    expect(Object.keys(record.candidates[0].scores).sort()).toEqual(['gmsd', 'psnr', 'ssim']);

    const img = path.join(work, 'in', 'emoji-0.png');
    const a = await run(['upscale', '--model', 'emoji-sr-64', '--image', img, '--steps', '2', '--out', path.join(work, 'auto-1.png')]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toMatch(/boundary condition: searched \(psnr, /);
    expect((await paramsOf(path.join(work, 'auto-1.png'))).get('Boundary condition')).toMatch(/^searched \(psnr, \d{4}-/);
    const b = await run(['upscale', '--model', 'emoji-sr-64', '--image', img, '--steps', '2', '--seed', '9', '--out', path.join(work, 'auto-2.png')]);
    expect(b.code).toBe(0);
    const rnd = await run(['upscale', '--model', 'emoji-sr-64', '--image', img, '--steps', '2', '--bc', 'random', '--seed', '9', '--out', path.join(work, 'random.png')]);
    expect(rnd.stderr).toMatch(/boundary condition: random noise from seed 9\n/);
    const pixels = async (f: string) => sharp(f).raw().toBuffer();
    // The searched start does not depend on the seed (only the 1 % conditioning noise does, at level 0 … a little).
    const [p1, p2, pr] = await Promise.all(['auto-1.png', 'auto-2.png', 'random.png'].map((f) => pixels(path.join(work, f))));
    const diff = (x: Buffer, y: Buffer) => x.reduce((s, v, i) => s + Math.abs(v - y[i]), 0) / x.length;
    expect(diff(p1, p2)).toBeLessThan(diff(p2, pr));
    // Another step count has no search: fresh noise, said so.
    const other = await run(['upscale', '--model', 'emoji-sr-64', '--image', img, '--steps', '3', '--out', path.join(work, 'other.png')]);
    expect(other.stderr).toMatch(/no search stored for this model, sampler and steps/);
  });

  it('upscales a folder into a folder of the same names', async () => {
    const out = path.join(work, 'out');
    const r = await run(['upscale', '--model', 'emoji-sr-64', '--image', path.join(work, 'in'), '--steps', '2', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['emoji-0.png', 'emoji-1.png', 'emoji-2.png']);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    expect((await sharp(path.join(out, 'emoji-2.png')).metadata()).width).toBe(64);
  });

  it('gives clear errors and overwrites nothing', async () => {
    const before = await storedFiles();
    const bytesBefore = await Promise.all(before.map((f) => readFile(path.join(home, 'boundaries', f))));
    const notUp = await run(['upscale', '--model', 'emoji-32', '--image', path.join(work, 'in', 'emoji-0.png'), '--out', path.join(work, 'x.png')]);
    expect(notUp.code).toBe(1);
    expect(notUp.stderr).toMatch(/emoji-32 is a \w+ model, not an upscaler/);
    await sharp({ create: { width: 200, height: 200, channels: 3, background: '#808080' } }).png().toFile(path.join(work, 'big.png'));
    const big = await run(['upscale', '--model', 'emoji-sr-64', '--image', path.join(work, 'big.png'), '--out', path.join(work, 'x.png')]);
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/image 200x200 would upscale to 400x400, which emoji-sr-64 cannot make: .*at most 256x256/);
    const empty = await mkdtemp(path.join(tmpdir(), 'driftline-empty-'));
    const e1 = await run(['bc-search', '--model', 'emoji-sr-64', '--calibration', empty, '--steps', '2']);
    expect(e1.code).toBe(1);
    expect(e1.stderr).toMatch(/holds no images/);
    const e2 = await run(['bc-search', '--model', 'emoji-sr-64', '--calibration', path.join(empty, 'missing'), '--steps', '2']);
    expect(e2.stderr).toMatch(/cannot read the calibration folder/);
    const sde = await run(['bc-search', '--model', 'emoji-sr-64', '--sampler', 'euler_a', '--steps', '2']);
    expect(sde.stderr).toMatch(/is stochastic; a boundary condition fixes the start of a deterministic/);
    const usage = await run(['upscale', '--model', 'emoji-sr-64', '--image', path.join(work, 'in', 'emoji-0.png'), '--bc', 'best', '--out', path.join(work, 'x.png')]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--bc must be one of auto, random/);
    expect(await storedFiles()).toEqual(before);
    const bytesAfter = await Promise.all(before.map((f) => readFile(path.join(home, 'boundaries', f))));
    bytesAfter.forEach((b, i) => expect(b.equals(bytesBefore[i])).toBe(true));
  });

  it('a cancelled search leaves the stored result as it was', async () => {
    const before = await storedFiles();
    const bytesBefore = await Promise.all(before.map((f) => readFile(path.join(home, 'boundaries', f))));
    client = new EngineClient({ entry: hostEntry, env: env() });
    const jobId = 'cancel-search';
    let seen = 0;
    const off = client.on('onProgress', (p) => {
      if (p.jobId !== jobId) return;
      expect(p.phase).toBe('search');
      if (++seen === 2) void client!.call('cancel', { jobId });
    });
    await expect(client.call('bcSearch', { jobId, model: 'emoji-sr-64', candidates: 50, steps: 2, metric: 'psnr', limit: 2 })).rejects.toThrow(/cancel|abort/i);
    off();
    expect(seen).toBeGreaterThanOrEqual(2);
    const bytesAfter = await Promise.all(before.map((f) => readFile(path.join(home, 'boundaries', f))));
    expect(await storedFiles()).toEqual(before);
    bytesAfter.forEach((b, i) => expect(b.equals(bytesBefore[i])).toBe(true));
    // The engine is still usable, and getBoundary reports the stored search.
    const rec = await client.call('getBoundary', { model: 'emoji-sr-64', steps: 2 });
    expect(rec?.metric).toBe('psnr');
    expect(await client.call('getBoundary', { model: 'emoji-sr-64', steps: 7 })).toBeNull();
  });
});
