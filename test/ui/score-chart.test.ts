import { describe, expect, it } from 'vitest';
import type { BcMetric } from '../../main/api/contract.js';
import { readBoundaryRecord, type StoredSearch } from '../../renderer/src/ui/upscale/boundary-record.js';
import { chartSummary, DEFAULT_CHART_SIZE, sampleSd, scoreChart } from '../../renderer/src/ui/upscale/score-chart.js';

/** A search record whose candidates score `ssim`, `psnr` and `gmsd` as given (index = position). */
function record(scores: { ssim: number | null; psnr: number | null; gmsd: number | null }[], best: number, metric: BcMetric = 'ssim'): StoredSearch {
  const raw = {
    version: 1,
    pack: { name: 'emoji-sr-64', digest: 'abc' },
    sampler: 'pack',
    steps: 2,
    tile: { width: 64, height: 64 },
    shape: [1, 3, 64, 64],
    metric,
    seed: 0,
    calibration: { source: 'emoji-sr-64 calibration set', digest: 'def', count: 2 },
    candidates: scores.map((s, index) => ({ index, scores: s })),
    best,
    evaluations: 16,
    seconds: 0.5,
    date: '2026-12-06T05:47:37.000Z',
    tensorSha256: '00',
  };
  const r = readBoundaryRecord(raw);
  if (!r.ok) throw new Error(r.error);
  return r.record;
}

// ssim: 0.93, 0.96 (best), 0.94, 0.95; gmsd: lowest (best) is candidate 2; psnr mirrors ssim.
const FOUR = [
  { ssim: 0.93, psnr: 30, gmsd: 0.02 },
  { ssim: 0.96, psnr: 33, gmsd: 0.012 },
  { ssim: 0.94, psnr: 31, gmsd: 0.01 },
  { ssim: 0.95, psnr: 32, gmsd: 0.03 },
];

describe('the candidates chart', () => {
  it('sorts worst → best left to right and puts better higher; the chosen candidate is the best and the rightmost', () => {
    const c = scoreChart(record(FOUR, 1))!;
    expect(c.marks.map((m) => m.index)).toEqual([0, 2, 3, 1]);
    expect(c.marks.map((m) => m.rank)).toEqual([0, 1, 2, 3]);
    const xs = c.marks.map((m) => m.x);
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    const ys = c.marks.map((m) => m.y);
    expect([...ys].sort((a, b) => b - a), 'better scores are drawn higher (smaller y)').toEqual(ys);
    expect(c.marks.filter((m) => m.chosen).map((m) => m.index)).toEqual([1]);
    expect(c.marks.at(-1)!.chosen).toBe(true);
  });

  it('GMSD: lower is better, so it sorts descending and flips the axis — the lowest score is rightmost and highest', () => {
    const c = scoreChart(record(FOUR, 2, 'gmsd'))!;
    expect(c.higherIsBetter).toBe(false);
    expect(c.marks.map((m) => m.value)).toEqual([0.03, 0.02, 0.012, 0.01]);
    const best = c.marks.at(-1)!;
    expect(best).toMatchObject({ index: 2, chosen: true });
    expect(Math.min(...c.marks.map((m) => m.y))).toBe(best.y);
    expect(c.chosen!.sdsBetter, 'below the mean is better for GMSD').toBeGreaterThan(0);
  });

  it('the random baseline is the candidates\' mean and sample sd; the band spans mean ± 1 sd around the mean line', () => {
    const c = scoreChart(record(FOUR, 1))!;
    expect(c.mean).toBeCloseTo(0.945, 12);
    expect(c.sd).toBeCloseTo(Math.sqrt((0.015 ** 2 + 0.015 ** 2 + 0.005 ** 2 + 0.005 ** 2) / 3), 12);
    expect(sampleSd([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(sampleSd([5])).toBe(0);
    expect(c.band.y).toBeLessThan(c.meanY);
    expect(c.band.y + c.band.height).toBeGreaterThan(c.meanY);
    // The band's height in pixels is 2 sd on the axis' scale: compare with two marks' spacing.
    const [a, b] = [c.marks[0], c.marks[3]];
    const pxPerUnit = (a.y - b.y) / (b.value - a.value);
    expect(c.band.height).toBeCloseTo(2 * c.sd * pxPerUnit, 6);
    expect(c.chosen).toEqual({ index: 1, value: 0.96, sdsBetter: expect.closeTo((0.96 - 0.945) / c.sd, 9) });
  });

  it('another metric can be shown; the stored choice stays marked even where it is not the best', () => {
    const c = scoreChart(record(FOUR, 1), 'gmsd')!;
    expect(c.metric).toBe('gmsd');
    expect(c.marks.find((m) => m.chosen)).toMatchObject({ index: 1, rank: 2 });
  });

  it('every mark, tick and the band lie inside the plot, also for a flat set of scores', () => {
    for (const c of [scoreChart(record(FOUR, 1))!, scoreChart(record(FOUR.map(() => ({ ssim: 0.9, psnr: 30, gmsd: 0.01 })), 0))!]) {
      const { x0, x1, y0, y1 } = c.plot;
      expect([x0, x1, y0, y1]).toEqual([DEFAULT_CHART_SIZE.left, DEFAULT_CHART_SIZE.width - DEFAULT_CHART_SIZE.right, DEFAULT_CHART_SIZE.top, DEFAULT_CHART_SIZE.height - DEFAULT_CHART_SIZE.bottom]);
      for (const m of c.marks) {
        expect(m.x).toBeGreaterThan(x0);
        expect(m.x).toBeLessThan(x1);
        expect(m.y).toBeGreaterThanOrEqual(y0);
        expect(m.y).toBeLessThanOrEqual(y1);
      }
      for (const t of c.ticks) expect(Number.isFinite(t.y) && t.y >= y0 && t.y <= y1).toBe(true);
      expect(c.band.y).toBeGreaterThanOrEqual(y0);
      expect(c.band.y + c.band.height).toBeLessThanOrEqual(y1 + 1e-9);
    }
    const flat = scoreChart(record(FOUR.map(() => ({ ssim: 0.9, psnr: 30, gmsd: 0.01 })), 0))!;
    expect(flat.sd).toBe(0);
    expect(flat.chosen!.sdsBetter).toBeNull();
  });

  it('a score JSON could not carry (an infinite PSNR is stored as null) is left out and counted', () => {
    const c = scoreChart(record([{ ssim: 1, psnr: null, gmsd: 0 }, ...FOUR.slice(1)], 0), 'psnr')!;
    expect(c.missing).toBe(1);
    expect(c.marks).toHaveLength(3);
    expect(c.chosen, 'the chosen one has no PSNR').toBeNull();
    expect(scoreChart(record([{ ssim: 1, psnr: null, gmsd: 0 }], 0), 'psnr')).toBeNull();
  });

  it('the summary line says chosen vs random, the candidates, the calibration count and the day', () => {
    const r = record(FOUR, 1);
    expect(chartSummary(r, scoreChart(r)!)).toBe('SSIM: Chosen 0.9600 (+1.2 sd) vs random 0.9450 ± 0.0129 over 4 candidates · 2 calibration images · 2026-12-06');
    const g = record(FOUR, 2, 'gmsd');
    expect(chartSummary(g, scoreChart(g)!)).toMatch(/^GMSD \(lower is better\): Chosen 0\.0100 \(\+0\.9 sd\) vs random 0\.0180 ± 0\.0091 over 4 candidates/);
  });
});

describe('a stored search from the engine', () => {
  it('is refused with the wrong field named', () => {
    const r = readBoundaryRecord({ version: 1, candidates: [] });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^the stored search could not be read \(pack: /);
    const good = record(FOUR, 1);
    const wrongBest = readBoundaryRecord({ ...good, best: 9 });
    expect(!wrongBest.ok && wrongBest.error).toMatch(/best: the chosen candidate is not among the candidates/);
    expect(readBoundaryRecord({ ...good, metric: 'lpips' }).ok).toBe(false);
  });
});
