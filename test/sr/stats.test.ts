import { describe, expect, it } from 'vitest';
import { gaussian } from '../../main/engine/random.js';
import { bootstrapMeanCI, meanStd } from '../../main/engine/sr/stats.js';

/** n samples of N(mu, 1) from the engine's seeded Gaussian generator. */
const normal = (n: number, mu: number, seed: number) => Array.from(gaussian(n, seed), (z) => mu + z);

describe('meanStd', () => {
  it('gives the mean and the sample (n − 1) standard deviation of known numbers', () => {
    const r = meanStd([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(r.mean).toBe(5);
    expect(r.n).toBe(8);
    expect(r.std).toBeCloseTo(Math.sqrt(32 / 7), 14);
    expect(meanStd(Float64Array.of(1, 2, 3, 4))).toEqual({ mean: 2.5, std: Math.sqrt(5 / 3), n: 4 });
  });

  it('has no spread for one value, and refuses none', () => {
    expect(meanStd([3])).toEqual({ mean: 3, std: NaN, n: 1 });
    expect(() => meanStd([])).toThrow(RangeError);
  });
});

describe('bootstrapMeanCI', () => {
  it('contains the sample mean and is reproducible for a seed', () => {
    const xs = normal(100, 0.3, 11);
    const a = bootstrapMeanCI(xs);
    expect(a.mean).toBeCloseTo(meanStd(xs).mean, 14);
    expect(a.lo).toBeLessThan(a.mean);
    expect(a.hi).toBeGreaterThan(a.mean);
    expect(bootstrapMeanCI(xs)).toEqual(a);
    expect(bootstrapMeanCI(xs, { seed: 0, resamples: 10000, level: 0.95 })).toEqual(a);
    const b = bootstrapMeanCI(xs, { seed: 1 });
    expect(b).not.toEqual(a);
    expect(Math.abs(b.lo - a.lo)).toBeLessThan(0.03);
  });

  it('is about ±1.96·s/√n wide for normal data, narrows with n, and widens with the level', () => {
    const widths = [50, 200, 800].map((n) => {
      const xs = normal(n, 0, 3);
      const ci = bootstrapMeanCI(xs);
      const halfWidth = (ci.hi - ci.lo) / 2;
      expect(halfWidth / ((1.96 * meanStd(xs).std) / Math.sqrt(n))).toBeGreaterThan(0.9);
      expect(halfWidth / ((1.96 * meanStd(xs).std) / Math.sqrt(n))).toBeLessThan(1.1);
      return halfWidth;
    });
    expect(widths[1]).toBeLessThan(widths[0] * 0.6);
    expect(widths[2]).toBeLessThan(widths[1] * 0.6);
    const xs = normal(200, 0, 5);
    const w = (level: number) => {
      const ci = bootstrapMeanCI(xs, { level });
      return ci.hi - ci.lo;
    };
    expect(w(0.8)).toBeLessThan(w(0.95));
    expect(w(0.95)).toBeLessThan(w(0.99));
  });

  it('separates a mean of 0.5 from 0 at n = 200 and does not separate a mean of 0', () => {
    const shifted = bootstrapMeanCI(normal(200, 0.5, 42));
    expect(shifted.lo).toBeGreaterThan(0);
    const centred = bootstrapMeanCI(normal(200, 0, 42));
    expect(centred.lo).toBeLessThan(0);
    expect(centred.hi).toBeGreaterThan(0);
  });

  it('covers the true mean about 95% of the time', () => {
    let covered = 0;
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      const ci = bootstrapMeanCI(normal(60, 0, 1000 + t), { resamples: 1000, seed: t });
      if (ci.lo <= 0 && 0 <= ci.hi) covered++;
    }
    // Binomial sd at p = 0.95 is 1.3%; the percentile interval runs slightly short at small n.
    expect(covered / trials).toBeGreaterThan(0.89);
    expect(covered / trials).toBeLessThan(0.99);
  });

  it('collapses on constant data and rejects bad options', () => {
    expect(bootstrapMeanCI([0.25, 0.25, 0.25])).toEqual({ mean: 0.25, lo: 0.25, hi: 0.25 });
    expect(() => bootstrapMeanCI([])).toThrow(RangeError);
    expect(() => bootstrapMeanCI([1, 2], { level: 1 })).toThrow(RangeError);
    expect(() => bootstrapMeanCI([1, 2], { resamples: 0 })).toThrow(RangeError);
  });
});
