/**
 * Budgets through the real engine host (a child process running the compiled host, as the CLI and
 * browser mode start it) on the embedded emoji-32: a job whose estimated memory is over the budget
 * is refused before any model runs, with a message naming what it needs, why, the limit and what
 * fits; a pack's declared `max_side` is its ceiling; and a job past its time budget is stopped with
 * JOB_TIMEOUT while the host keeps serving. Budgets come from the host's environment, as users set
 * them. Needs `npm run build:node` (as `npm test` runs it).
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../main/host/client.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = path.join(root, 'out', 'main', 'host', 'entry.js');
const emoji = path.join(root, 'models', 'packs', 'emoji-32');
const base = { prompt: 'grinning face', cfgScale: 5, seed: 1, sampler: 'pack' };

let tmp: string;
let client: EngineClient | undefined;
const start = (env: Record<string, string>) => {
  client = new EngineClient({ entry, env: { DRIFTLINE_MODELS: path.join(tmp, 'models'), DRIFTLINE_HOME: path.join(tmp, 'home'), ...env } });
  return client;
};

/** A copy of emoji-32 (same name) whose model_index.json declares `driftline.max_side`. */
async function declaring(maxSide: unknown): Promise<string> {
  const dir = path.join(await mkdtemp(path.join(tmp, 'pack-')), 'emoji-32');
  await cp(emoji, dir, { recursive: true });
  const index = JSON.parse(await readFile(path.join(dir, 'model_index.json'), 'utf8'));
  index.driftline.max_side = maxSide;
  await writeFile(path.join(dir, 'model_index.json'), JSON.stringify(index));
  return dir;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'driftline-budget-'));
});
afterEach(async () => {
  await client?.close();
  client = undefined;
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

describe('memory budget', () => {
  it('refuses a batch that cannot fit before any model runs, saying what it needs, why, the limit and what fits', async () => {
    const c = start({ DRIFTLINE_MEMORY_BUDGET: '1GiB' });
    await c.call('inspectModel', { model: emoji }); // the pack is open: what follows is the refusal alone
    const steps: number[] = [];
    c.on('onProgress', (p) => steps.push(p.step));
    const t0 = performance.now();
    const refused = c.call('generate', { ...base, jobId: 'big', model: emoji, width: 128, height: 128, batch: 4, steps: 25 });
    await expect(refused).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(
        /^128×128 × 4 images on emoji-32 needs about 2\.\d GiB \(self-attention over 4,096 tokens \(64×64 at 1\/2 size, 2 heads, 8 rows\)\); this machine allows 1 GiB \(DRIFTLINE_MEMORY_BUDGET=1GiB\) — the largest size that fits at batch 4 is (\d+)×\1; at 128×128 a batch of 1 fits$/,
      ),
    });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(steps).toEqual([]);
    // What the message says fits does run.
    const fits = await c.call('generate', { ...base, jobId: 'fits', model: emoji, width: 128, height: 128, batch: 1, steps: 1 });
    expect(fits.images).toHaveLength(1);
  });

  it('an edit with feature guidance counts its reverse pass: refused where the same edit with x̂₀ guidance runs', async () => {
    const c = start({ DRIFTLINE_MEMORY_BUDGET: '1GiB' });
    const { encodePng } = await import('../../main/engine/image/io.js');
    const S = 128, n = S * S;
    const image = new Float32Array(3 * n).fill(1);
    const mask = new Float32Array(3 * n);
    for (let y = 40; y < 80; y++) for (let x = 40; x < 80; x++) for (let ch = 0; ch < 3; ch++) { image[ch * n + y * S + x] = ch === 0 ? 0.8 : -0.8; mask[ch * n + y * S + x] = 1; }
    const req = {
      jobId: 'edit', model: emoji, kind: 'move' as const, prompt: 'red circle', offset: { x: 16, y: 0 }, steps: 2,
      image: new Uint8Array(await encodePng({ data: image, shape: [1, 3, S, S] })), mask: new Uint8Array(await encodePng({ data: mask.map((v) => 2 * v - 1), shape: [1, 3, S, S] })),
      options: { timeTravel: { at: [], tries: 1 }, memory: { enabled: false } }, keep: false,
    };
    await expect(c.call('edit', { ...req, options: { ...req.options, guidance: { kind: 'features' as const } } })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^128×128 with feature guidance on emoji-32 needs about [\d.]+ GiB .*this machine allows 1 GiB/),
    });
    const x0 = await c.call('edit', { ...req, jobId: 'edit-x0' });
    expect(x0.guidance).toEqual({ kind: 'x0' });
  });

  it('a pack may lift its own ceiling (driftline.max_side) but not the memory budget: 512² is refused with what it would take', async () => {
    const dir = await declaring(512);
    const c = start({ DRIFTLINE_MEMORY_BUDGET: '2GiB' });
    await expect(c.call('generate', { ...base, jobId: 'huge', model: dir, width: 512, height: 512, steps: 25 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(
        /^512×512 on emoji-32 needs about 130 GiB \(self-attention over 65,536 tokens \(256×256 at 1\/2 size, 2 heads, 2 rows\)\); this machine allows 2 GiB \(DRIFTLINE_MEMORY_BUDGET=2GiB\) — the largest size that fits is 1[4-9]\d×1[4-9]\d$/,
      ),
    });
  });
});

describe('a limit the pack declares', () => {
  it('is the pack\'s ceiling when it is below the engine\'s, and says whose it is', async () => {
    const dir = await declaring(64);
    const c = start({});
    await expect(c.call('generate', { ...base, jobId: 'over', model: dir, width: 128, height: 128, steps: 1 }))
      .rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'size 128x128 is larger than this model can make (at most 64x64, the limit emoji-32 declares)' });
    expect((await c.call('generate', { ...base, jobId: 'ok', model: dir, width: 64, height: 64, steps: 1 })).width).toBe(64);
    // The model list tells the studio the same sizes before it asks for any (its frame and size choices).
    await c.call('importModel', { path: dir, name: 'small-e32', mode: 'link' });
    const listed = (await c.call('listModels', {})).find((m) => m.name === 'small-e32');
    expect(listed?.size).toEqual({ default: 32, multiple: 4, maxSide: 64 });
    expect((await c.call('listModels', {})).find((m) => m.name === 'emoji-32')?.size).toEqual({ default: 32, multiple: 4, maxSide: 128 });
  });

  it('is refused when it is not a usable number, naming the key', async () => {
    const dir = await declaring('big');
    const c = start({});
    await expect(c.call('inspectModel', { model: dir })).rejects.toMatchObject({
      code: 'invalid-limit',
      message: expect.stringMatching(/^model_index\.json declares driftline\.max_side "big", which is not a whole number of pixels from 8 to 65536: fix driftline\.max_side/),
    });
  });
});

describe('time budget', () => {
  it('stops a job past its budget with JOB_TIMEOUT through the cancellation path; the host keeps serving', async () => {
    // Budget = max(1 s, 10⁻⁶ × the estimate): 1 s, for a job of about 1,000 model calls.
    const c = start({ DRIFTLINE_TIME_FACTOR: '0.000001', DRIFTLINE_TIME_FLOOR: '1' });
    await c.call('inspectModel', { model: emoji });
    const t0 = performance.now();
    await expect(c.call('generate', { ...base, jobId: 'slow', model: emoji, width: 64, height: 64, steps: 1000 })).rejects.toMatchObject({
      code: 'JOB_TIMEOUT',
      message: expect.stringMatching(/^the job ran past its time budget of 1 s: 0\.000001 × the \d+ min estimated, at least 1 s \(DRIFTLINE_TIME_FACTOR, DRIFTLINE_TIME_FLOOR\) and was stopped$/),
    });
    expect(performance.now() - t0).toBeLessThan(10_000);
    const next = await c.call('generate', { ...base, jobId: 'next', model: emoji, width: 32, height: 32, steps: 1 });
    expect(next.images).toHaveLength(1);
    expect(c.starts).toBe(1);
  });
});
