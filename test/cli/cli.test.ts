/**
 * The `driftline` CLI end to end: the compiled CLI starts the compiled engine host as a child
 * process and generates from tiny packs (`npm test` builds first).
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { cachedTinyPack } from '../fixtures/tiny-packs.js';
import { readPngText } from '../../main/api/png-text.js';
import { parseParameters } from '../../main/api/parameters.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'out', 'main', 'cli', 'driftline.js');
let home: string;
let work: string;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: { ...process.env, DRIFTLINE_HOME: home, DRIFTLINE_EP: 'cpu', DRIFTLINE_PACKS: path.join(home, 'no-embedded') }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'driftline-cli-home-'));
  work = await mkdtemp(path.join(tmpdir(), 'driftline-cli-work-'));
});

describe('driftline generate', () => {
  it('writes a PNG whose parameters chunk holds the settings, with progress on stderr', async () => {
    const pack = await cachedTinyPack('sd1');
    const out = path.join(work, 'cat.png');
    const r = await run(['generate', '--model', pack, '--prompt', 'a photo of a cat', '--negative', 'blurry', '--sampler', 'dpmpp_2m',
      '--steps', '5', '--cfg', '6.5', '--seed', '1234', '--size', '48x32', '--out', out]);
    expect(r.stderr).toMatch(/5\/5/);
    expect(r.stderr).toMatch(/unet(, [a-z_]+)*: cpu/);
    expect(r.code).toBe(0);
    const png = await readFile(out);
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height]).toEqual([48, 32]);
    const p = parseParameters(readPngText(png).get('parameters') ?? '');
    expect(p).toMatchObject({ prompt: 'a photo of a cat', negativePrompt: 'blurry', steps: 5, sampler: 'DPM++ 2M', cfgScale: 6.5, seed: 1234, width: 48, height: 32 });
    // The CLI writes its own file; the studio's gallery in the data folder is left alone.
    expect(existsSync(path.join(home, 'gallery', 'index.json'))).toBe(false);
  });

  it('img2img and inpainting from files', async () => {
    const pack = await cachedTinyPack('sd1');
    const init = path.join(work, 'init.png'), mask = path.join(work, 'mask.png'), out = path.join(work, 'inpainted.png');
    await writeFile(init, await sharp({ create: { width: 32, height: 32, channels: 3, background: '#3366cc' } }).png().toBuffer());
    await writeFile(mask, await sharp({ create: { width: 32, height: 32, channels: 3, background: '#000000' } })
      .composite([{ input: { create: { width: 16, height: 32, channels: 3, background: '#ffffff' } }, left: 0, top: 0 }]).png().toBuffer());
    const r = await run(['generate', '--model', pack, '--prompt', 'a cat', '--steps', '3', '--seed', '7', '--size', '32x32', '--init', init, '--strength', '0.8', '--mask', mask, '--out', out]);
    expect(r.code).toBe(0);
    const { data } = await sharp(await readFile(out)).raw().toBuffer({ resolveWithObject: true });
    // The right half was masked out: still the source colour.
    const px = (x: number, y: number) => Array.from(data.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));
    expect(px(31, 5)).toEqual([0x33, 0x66, 0xcc]);
    expect(px(20, 30)).toEqual([0x33, 0x66, 0xcc]);
    expect(parseParameters(readPngText(await readFile(out)).get('parameters') ?? '').denoisingStrength).toBe(0.8);
  });

  it('upscales with the x4 upscaler layout: the output is vaeScale× the input', async () => {
    const pack = await cachedTinyPack('upscaler');
    const low = path.join(work, 'low.png'), out = path.join(work, 'up.png');
    await writeFile(low, await sharp({ create: { width: 12, height: 8, channels: 3, background: '#884422' } }).png().toBuffer());
    const r = await run(['generate', '--model', pack, '--prompt', 'a cat', '--steps', '2', '--init', low, '--out', out]);
    expect(r.code).toBe(0);
    const meta = await sharp(await readFile(out)).metadata();
    expect([meta.width, meta.height]).toEqual([48, 32]);
  });

  it('chains the embedded packs: emoji-32 makes 32 px, emoji-sr-64 takes it to 64 px (no prompt needed)', async () => {
    const small = path.join(work, 'e32.png'), big = path.join(work, 'e64.png');
    const packs = path.join(root, 'models', 'packs');
    const t2i = await run(['generate', '--model', path.join(packs, 'emoji-32'), '--prompt', 'grinning face', '--steps', '4', '--cfg', '3', '--seed', '3', '--out', small]);
    expect(t2i.code).toBe(0);
    expect((await sharp(await readFile(small)).metadata()).width).toBe(32);
    const sr = await run(['generate', '--model', path.join(packs, 'emoji-sr-64'), '--init', small, '--steps', '4', '--out', big]);
    expect(sr.code).toBe(0);
    const meta = await sharp(await readFile(big)).metadata();
    expect([meta.width, meta.height]).toEqual([64, 64]);
    // The pack's own scheduler is named by what it runs, as other tools name it; a model that takes
    // no prompt reports no CFG scale.
    const t2iParams = readPngText(await readFile(small)).get('parameters');
    expect(t2iParams).toMatch(/Sampler: DDIM, CFG scale: 3,/);
    const srParams = readPngText(await readFile(big)).get('parameters');
    expect(srParams).toMatch(/Sampler: DDIM,/);
    expect(srParams).not.toMatch(/CFG scale/);
  });

  it('explains bad usage and bad models instead of crashing', async () => {
    const noOut = await run(['generate', '--model', 'x', '--prompt', 'p']);
    expect((await run(['generate', '--prompt', 'p', '--out', path.join(work, 'z.png')])).stderr).toMatch(/--model is required/);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/--out is required/);
    const missing = await run(['generate', '--model', 'nope', '--prompt', 'p', '--out', path.join(work, 'x.png')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no model named "nope"/);
    const badSampler = await run(['generate', '--model', await cachedTinyPack('sd1'), '--prompt', 'p', '--sampler', 'magic', '--out', path.join(work, 'y.png')]);
    expect(badSampler.stderr).toMatch(/unknown sampler "magic"/);
  });
});

describe('driftline models', () => {
  it('imports, lists and removes a pack by name', async () => {
    const pack = await cachedTinyPack('pixel');
    const imp = await run(['models', 'import', pack, '--name', 'tiny-pixel']);
    expect(imp.code).toBe(0);
    const list = await run(['models', 'list']);
    expect(list.stdout).toMatch(/tiny-pixel\s+pixel\s+imported/);
    const out = path.join(work, 'pixel.png');
    expect((await run(['generate', '--model', 'tiny-pixel', '--prompt', 'a cat', '--steps', '2', '--out', out])).code).toBe(0);
    // `models` alone is `models list`.
    expect((await run(['models'])).stdout).toBe(list.stdout);
    expect((await run(['models', 'remove', 'tiny-pixel'])).code).toBe(0);
    expect((await run(['models', 'list'])).stdout).toMatch(/no models installed/);
    expect((await run(['models'])).stdout).toMatch(/no models installed/);
  });

  it('uses the steps and CFG a registered pack recommends when the command line gives none', async () => {
    const packs = path.join(root, 'models', 'packs');
    expect((await run(['models', 'import', path.join(packs, 'emoji-32'), '--name', 'e32', '--link'])).code).toBe(0);
    const out = path.join(work, 'recommended.png');
    expect((await run(['generate', '--model', 'e32', '--prompt', 'grinning face', '--seed', '1', '--out', out])).code).toBe(0);
    const rec = JSON.parse(await readFile(path.join(packs, 'emoji-32', 'model_index.json'), 'utf8')).driftline;
    expect(parseParameters(readPngText(await readFile(out)).get('parameters') ?? '')).toMatchObject({ steps: rec.default_steps, cfgScale: rec.default_guidance_scale });
    const given = path.join(work, 'given.png');
    expect((await run(['generate', '--model', 'e32', '--prompt', 'grinning face', '--steps', '3', '--out', given])).code).toBe(0);
    expect(parseParameters(readPngText(await readFile(given)).get('parameters') ?? '')).toMatchObject({ steps: 3, cfgScale: rec.default_guidance_scale });
    expect((await run(['models', 'remove', 'e32'])).code).toBe(0);
  });
});

describe('Ctrl-C', () => {
  it('cancels the running job and exits 130, as an interrupted command does', async () => {
    const pack = path.join(root, 'models', 'packs', 'emoji-32');
    const child = spawn(process.execPath, [cli, 'generate', '--model', pack, '--prompt', 'grinning face', '--steps', '1000', '--out', path.join(work, 'never.png')],
      { env: { ...process.env, DRIFTLINE_HOME: home, DRIFTLINE_EP: 'cpu' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      // Interrupt once sampling has started (the progress bar shows a step).
      if (!sent && /\b[1-9]\d*\/\d+\b/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(sent).toBe(true);
    expect(code).toBe(130);
    expect(stderr).toMatch(/driftline: cancelled/);
  });
});
