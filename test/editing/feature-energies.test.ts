/**
 * DiffEditor's feature energies (main/engine/editing/feature-energies.ts): values from their
 * definitions on cases worked by hand, and gradients against central finite differences along
 * random directions (float64 features).
 */
import { describe, expect, it } from 'vitest';
import { cellsOf, contrastFeatures, inpaintFeatures, matchFeatures, meanFeature, type FeatureGrid } from '../../main/engine/editing/feature-energies.js';
import type { Energy } from '../../main/engine/editing/energies.js';
import { gaussian } from '../../main/engine/random.js';

const g: FeatureGrid = { channels: 5, width: 4, height: 3 };
const size = g.channels * g.width * g.height;
const f64 = (seed: number) => Float64Array.from(gaussian(size, seed));

/** max over directions of |FD − ⟨∇E, d⟩| / max(|FD|, 1e-8) for central differences with step h. */
function gradientError(e: Energy, x: Float64Array, h = 1e-5): number {
  const { grad } = e(x);
  let worst = 0;
  for (let k = 0; k < 4; k++) {
    const d = Float64Array.from(gaussian(size, 100 + k));
    const plus = x.map((v, i) => v + h * d[i]), minus = x.map((v, i) => v - h * d[i]);
    const fd = (e(plus).value - e(minus).value) / (2 * h);
    const an = grad.reduce((s, v, i) => s + v * d[i], 0);
    worst = Math.max(worst, Math.abs(fd - an) / Math.max(Math.abs(fd), 1e-8));
  }
  return worst;
}

describe('feature energies', () => {
  const x = f64(1), ref = f64(2);
  const cells = Int32Array.from([0, 3, 5, 6, 11]);
  const shifted = Int32Array.from([1, 2, 4, 7, 10]);

  it('match: w/(1 + 4·s̄) — w/5 on identical features, w on orthogonal ones; gradients agree with finite differences', () => {
    expect(matchFeatures(g, 2, cells, x, cells)(x).value).toBeCloseTo(2 / 5, 7);
    const a = new Float64Array(size), b = new Float64Array(size);
    a[0] = 1; b[1 * 12 + 0] = 1; // cell 0: channel 0 vs channel 1
    expect(matchFeatures(g, 3, Int32Array.from([0]), b, Int32Array.from([0]))(a).value).toBeCloseTo(3, 6);
    expect(gradientError(matchFeatures(g, 4, cells, ref, shifted), x)).toBeLessThan(1e-6);
    expect(() => matchFeatures(g, 1, cells, ref, Int32Array.from([1])) ).toThrow(/5 cells paired with 1/);
  });

  it('match against a reference of another size pairs cells of each grid', () => {
    const big = { width: 8, height: 6 };
    const r = Float64Array.from(gaussian(g.channels * 48, 3));
    const e = matchFeatures(g, 1, cells, r, Int32Array.from([0, 9, 20, 33, 47]), big);
    expect(gradientError(e, x)).toBeLessThan(1e-6);
  });

  it('contrast: w·mean (1 + s)/2 — w on identical features; gradients agree', () => {
    expect(contrastFeatures(g, 0.5, cells, x)(x).value).toBeCloseTo(0.5, 7);
    expect(gradientError(contrastFeatures(g, 0.7, cells, ref), x)).toBeLessThan(1e-6);
  });

  it('inpaint: w/(1 + 4·cos(mean, target)) — w/5 when the area\'s mean is the target; gradients agree', () => {
    const target = meanFeature(g, x, cells);
    expect(inpaintFeatures(g, 0.8, cells, target)(x).value).toBeCloseTo(0.8 / 5, 7);
    expect(gradientError(inpaintFeatures(g, 0.8, cells, meanFeature(g, ref, shifted)), x)).toBeLessThan(1e-6);
  });

  it('empty areas and zero weights give no energy and no gradient', () => {
    for (const e of [matchFeatures(g, 1, new Int32Array(0), ref, new Int32Array(0)), contrastFeatures(g, 0, cells, ref), inpaintFeatures(g, 1, new Int32Array(0), [1, 0, 0, 0, 0])]) {
      const r = e(x);
      expect(r.value).toBe(0);
      expect(r.grad.every((v) => v === 0)).toBe(true);
    }
    expect([...cellsOf(Float32Array.from([0, 1, 0.5, 0.49]))]).toEqual([1, 2]);
  });
});
