/**
 * The solver lab run on the embedded emoji-32 pack, small (one prompt and seed, budget 4): the job
 * is sized before it runs and its progress never goes back, ends exactly at the evaluations it
 * made, and says what it is doing; a cancelled run stops between steps with the signal's reason.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPack } from '../../main/engine/packs/pack.js';
import type { LoadedPack } from '../../main/engine/packs/types.js';
import { runLab, type LabProgress, type LabRequest } from '../../main/engine/lab/lab.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let pack: LoadedPack;
beforeAll(async () => { pack = await openPack(path.join(root, 'models', 'packs', 'emoji-32'), { provider: 'cpu', threads: 1 }); });
afterAll(async () => { await pack?.release(); });

const req: LabRequest = { prompts: ['red heart'], seeds: [3], cfgScale: 5, nfes: [4], samplers: ['ddim', 'heun', 'dpmpp_usf'], grids: ['pack', 'tuned'], width: 32, height: 32 };

describe('a lab run', () => {
  it('is sized before it runs; progress only moves forward and ends at the evaluations made', async () => {
    const seen: LabProgress[] = [];
    const out = await runLab(pack, req, { onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(10);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i].done, `event ${i}`).toBeGreaterThanOrEqual(seen[i - 1].done);
      expect(seen[i].done, `event ${i}`).toBeLessThanOrEqual(seen[i].total);
    }
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ stage: 'done', done: out.evaluations });
    // Sized up front, corrected once the searched grid's cost is known: the total is what ran
    // (only a reference refined past its first try adds to it along the way).
    expect(last.total).toBe(out.evaluations);
    expect(new Set(seen.map((p) => p.stage.split(' @ ')[0]))).toEqual(new Set(['reference', 'pack', 'ddim', 'heun', 'tuned', 'orders', 'dpmpp_usf', 'done']));
    expect(out.rows.map((r) => `${r.sampler}@${r.grid}`).sort()).toEqual(['ddim@pack', 'ddim@tuned', 'dpmpp_usf@tuned', 'heun@pack', 'heun@tuned', 'pack@pack']);
    expect(out.tuned[0].orders).toEqual(expect.arrayContaining([1]));
    expect(out.tuned[0].orders![0]).toBe(1);
    expect(out.tuned[0].orders![3]).toBe(1);
  }, 240_000);

  it('stops when cancelled, with the signal\'s reason', async () => {
    const ctl = new AbortController();
    const run = runLab(pack, req, { signal: ctl.signal, onProgress: (p) => { if (p.done > 50) ctl.abort(new Error('cancelled by the user')); } });
    await expect(run).rejects.toThrow(/cancelled by the user/);
  }, 120_000);
});
