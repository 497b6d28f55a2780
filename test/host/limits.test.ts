/**
 * The host's budgets as users set them (environment variables, validated), the refusal's words for
 * jobs whose size is not the caller's, and the time budget and its watchdog.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { admitJob, jobLimits, timeBudget, Watchdog } from '../../main/host/limits.js';
import { inspectPack } from '../../main/engine/packs/pack.js';
import type { PackInfo } from '../../main/engine/packs/types.js';
import { jobCost } from '../../main/engine/pipelines/cost.js';

const GiB = 2 ** 30;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let info: PackInfo;
beforeAll(async () => {
  info = await inspectPack(path.join(root, 'models', 'packs', 'emoji-32'));
});

describe('budgets from the environment', () => {
  it('defaults: 75% of the machine\'s memory, 10 × the estimate, at least 120 s', () => {
    expect(jobLimits({}, 16 * GiB)).toEqual({ memoryBytes: 12 * GiB, memorySource: "75% of its 16 GiB; DRIFTLINE_MEMORY_BUDGET sets it", timeFactor: 10, timeFloorSeconds: 120 });
  });

  it('reads sizes with binary units, percentages and plain bytes', () => {
    const mem = (v: string) => jobLimits({ DRIFTLINE_MEMORY_BUDGET: v }, 16 * GiB).memoryBytes;
    expect(mem('12GiB')).toBe(12 * GiB);
    expect(mem('12 G')).toBe(12 * GiB);
    expect(mem('1.5gb')).toBe(1.5 * GiB);
    expect(mem('800MiB')).toBe(800 * 2 ** 20);
    expect(mem('50%')).toBe(8 * GiB);
    expect(mem('4294967296')).toBe(4 * GiB);
    expect(jobLimits({ DRIFTLINE_MEMORY_BUDGET: ' 2GiB ' }, GiB).memorySource).toBe('DRIFTLINE_MEMORY_BUDGET=2GiB');
    expect(jobLimits({ DRIFTLINE_TIME_FACTOR: '2.5', DRIFTLINE_TIME_FLOOR: '0' }, GiB)).toMatchObject({ timeFactor: 2.5, timeFloorSeconds: 0 });
  });

  it('an unreadable value is reported and its default used, so a typo cannot stop the engine', () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const l = jobLimits({ DRIFTLINE_MEMORY_BUDGET: 'lots', DRIFTLINE_TIME_FACTOR: '-1', DRIFTLINE_TIME_FLOOR: 'soon' }, 16 * GiB);
      expect(l).toMatchObject({ memoryBytes: 12 * GiB, timeFactor: 10, timeFloorSeconds: 120 });
      expect(jobLimits({ DRIFTLINE_MEMORY_BUDGET: '12' }, 16 * GiB).memoryBytes).toBe(12 * GiB); // 12 bytes: below 1 MiB
      expect(err.mock.calls.map((c) => String(c[0]))).toEqual([
        expect.stringMatching(/ignoring DRIFTLINE_MEMORY_BUDGET="lots" \(expected bytes with a unit/),
        expect.stringMatching(/ignoring DRIFTLINE_TIME_FACTOR="-1"/),
        expect.stringMatching(/ignoring DRIFTLINE_TIME_FLOOR="soon"/),
        expect.stringMatching(/ignoring DRIFTLINE_MEMORY_BUDGET="12" \(less than 1 MiB\)/),
      ]);
    } finally {
      err.mockRestore();
    }
  });
});

describe('admission', () => {
  const limits = { memoryBytes: GiB, memorySource: 'DRIFTLINE_MEMORY_BUDGET=1GiB', timeFactor: 10, timeFloorSeconds: 120 };
  const tile = { width: 256, height: 256, batch: 16, guided: false, evaluations: 100, decodes: 10 };

  it('a job whose size is not the caller\'s gets the advice given instead of a size', () => {
    expect(() => admitJob(info, tile, limits, { what: 'a boundary search on 256×256 tiles', advice: 'fewer calibration images (limit), or raise the budget' })).toThrow(
      expect.objectContaining({
        code: 'BAD_REQUEST',
        message: expect.stringMatching(/^a boundary search on 256×256 tiles on emoji-32 needs about \d+ GiB \(self-attention over 16,384 tokens \(128×128 at 1\/2 size, 2 heads, 16 rows\)\); this machine allows 1 GiB \(DRIFTLINE_MEMORY_BUDGET=1GiB\) — fewer calibration images \(limit\), or raise the budget$/),
      }),
    );
  });

  it('what fits is admitted with its cost; the time budget is the factor × the estimate, at least the floor', () => {
    const cost = admitJob(info, { width: 32, height: 32, batch: 1, guided: true, evaluations: 25, decodes: 1 }, limits);
    expect(cost.bytes).toBeLessThan(GiB);
    expect(timeBudget(cost, limits)).toBe(120);
    expect(timeBudget({ ...cost, seconds: 60 }, limits)).toBe(600);
  });

  it('an optional part is admitted when it fits as well, else the job runs without it and is told why', () => {
    const shape = { width: 32, height: 32, batch: 1, guided: true, evaluations: 25, decodes: 1 };
    const plain = admitJob(info, shape, limits);
    expect(plain.optional).toBeUndefined();
    expect(plain.headroomBytes).toBe(GiB - plain.bytes);
    const small = admitJob(info, shape, limits, { optional: { bytes: 1000, what: 'attention memory' } });
    expect(small).toMatchObject({ bytes: plain.bytes + 1000, optional: { admitted: true }, headroomBytes: GiB - plain.bytes - 1000 });
    const big = admitJob(info, shape, limits, { optional: { bytes: GiB, what: 'attention memory (a second copy of the UNet)' } });
    expect(big).toMatchObject({ bytes: plain.bytes, optional: { admitted: false }, headroomBytes: GiB - plain.bytes });
    expect(big.optional!.why).toBe('attention memory (a second copy of the UNet) needs about 1 GiB more than this machine allows (1 GiB, DRIFTLINE_MEMORY_BUDGET=1GiB)');
  });

  it('the watchdog aborts the job with JOB_TIMEOUT and hands the parent a later deadline', async () => {
    const ctl = new AbortController();
    const deadlines: number[] = [];
    const cost = jobCost(info, { width: 32, height: 32, batch: 1, guided: true, evaluations: 10, decodes: 1 });
    const dog = new Watchdog(ctl, { ...limits, timeFactor: 1e-9, timeFloorSeconds: 0.05 }, { deadline: (ms) => deadlines.push(ms) });
    dog.start(cost, 10);
    expect(deadlines).toEqual([50 + 10_000]); // the budget and the grace (at least 10 s)
    await new Promise((r) => setTimeout(r, 150));
    expect(ctl.signal.reason).toMatchObject({ code: 'JOB_TIMEOUT', message: expect.stringMatching(/time budget of 0\.1 s/) });
    const quiet = new AbortController();
    const other = new Watchdog(quiet, { ...limits, timeFloorSeconds: 0.05 }, { deadline: () => undefined });
    other.start(cost, 10);
    other.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(quiet.signal.aborted).toBe(false);
  });
});
