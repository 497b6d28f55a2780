import { describe, expect, it } from 'vitest';
import { deisWeights, sampleDeis } from '../../main/engine/samplers/deis.js';
import { sampleDdim } from '../../main/engine/samplers/ddim.js';
import { sampleUniPc } from '../../main/engine/samplers/unipc.js';
import type { StepInfo } from '../../main/engine/samplers/common.js';
import { lambdaSigmas } from '../../main/engine/schedules.js';
import { maxAbsDiff } from '../../main/engine/tensor.js';
import { gaussianOracle, lambdaGrid, measureOrder } from '../helpers/gaussian-oracle.js';

const grid = lambdaGrid(20, 0.05);

describe('DEIS converges at its theoretical order on the Gaussian oracle', () => {
  // Measured (λ-uniform, σ 20 → 0.05, 16–64 steps): 0.98, 1.95, 2.85. The first-order warm-up step
  // leaves an O(h²) error (≈ 1e-6 here) that every multistep method shares; it takes over the
  // third-order method only beyond ~100 steps (DEIS-3 measures 2.2 over 64–256 steps), so the
  // window is where the method's own truncation error dominates.
  it.each([1, 2, 3])('DEIS-%d has order %d', async (order) => {
    const m = await measureOrder((model, x, s, o) => sampleDeis(model, x, s, { ...o, order, lowerOrderFinal: false }), grid, [16, 24, 32, 48, 64]);
    expect(Math.abs(m.order - order)).toBeLessThan(0.3);
  });
});

describe('DEIS update', () => {
  it('DEIS-1 is DDIM (η = 0) on the same grid, to a final σ = 0 and to σ_min > 0', async () => {
    const o = gaussianOracle();
    for (const sigmas of [lambdaSigmas(12, 0.03, 14.6), grid(12)]) {
      const x = o.marginal(sigmas[0], 3, 1);
      const a = await sampleDeis(o.denoiser, x.slice(), sigmas, { order: 1 });
      const b = await sampleDdim(o.denoiser, x.slice(), sigmas);
      expect(maxAbsDiff(a, b)).toBeLessThan(1e-12);
    }
  });

  it('the closed-form weights are the integrals ∫ ℓⱼ(log ρ) dρ of the Lagrange basis in log ρ', () => {
    const nodes = [0.7, 1.1, 1.9];
    const next = 0.45;
    for (const p of [1, 2, 3]) {
      const u = nodes.slice(0, p).map(Math.log);
      const ell = (j: number, v: number) => u.reduce((acc, uk, k) => (k === j ? acc : (acc * (v - uk)) / (u[j] - uk)), 1);
      // Simpson's rule in v = log ρ, dρ = eᵛ dv.
      const a = Math.log(nodes[0]), b = Math.log(next), n = 2000;
      const quad = (j: number) => {
        let s = 0;
        for (let k = 0; k <= n; k++) {
          const v = a + ((b - a) * k) / n;
          s += (k === 0 || k === n ? 1 : k % 2 ? 4 : 2) * ell(j, v) * Math.exp(v);
        }
        return (s * (b - a)) / (3 * n);
      };
      const w = deisWeights(next, nodes.slice(0, p));
      w.forEach((wj, j) => expect(nodes[0] * wj).toBeCloseTo(quad(j), 10));
    }
  });

  it('DEIS-3 is the noise-prediction UniP-3 (both integrate the log-σ interpolant of ε̂ exactly)', async () => {
    // UniP-2 uses the simplified ρ = ½, so both run the second step at first order here.
    const o = gaussianOracle();
    const sigmas = grid(10);
    const orders = [1, 1, 3, 3, 3, 3, 3, 3, 3, 3];
    const x = o.marginal(sigmas[0], 2, 4);
    const a = await sampleDeis(o.denoiser, x.slice(), sigmas, { orders });
    const b = await sampleUniPc(o.denoiser, x.slice(), sigmas, { orders, predictX0: false, corrector: false });
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-12);
  });

  it("lower_order_final lowers the last two steps below 15 steps only, as diffusers' DEIS does", async () => {
    const o = gaussianOracle();
    const run = (sigmas: Float64Array, opts: Parameters<typeof sampleDeis>[3]) => sampleDeis(o.denoiser, o.marginal(sigmas[0], 1, 2), sigmas, opts);
    const short = grid(10);
    expect(await run(short, { order: 3 })).toEqual(await run(short, { orders: [1, 2, 3, 3, 3, 3, 3, 3, 2, 1] }));
    expect(await run(short, { order: 3, lowerOrderFinal: false })).toEqual(await run(short, { orders: Array(10).fill(3) }));
    const long = grid(16);
    expect(await run(long, { order: 3 })).toEqual(await run(long, { orders: Array(16).fill(3) }));
  });

  it('a final step to σ = 0 is first order and lands on the denoised value', async () => {
    const o = gaussianOracle();
    const sigmas = lambdaSigmas(8, 0.03, 14.6);
    const seen: StepInfo[] = [];
    const x = await sampleDeis(o.denoiser, o.marginal(sigmas[0], 2, 3), sigmas, { order: 3, lowerOrderFinal: false, callback: (s) => { seen.push(s); } });
    expect(seen.map((s) => [s.i, s.t, s.tNext])).toEqual(Array.from({ length: 8 }, (_, i) => [i, sigmas[i], sigmas[i + 1]]));
    expect(maxAbsDiff(x, seen[7].denoised)).toBeLessThan(1e-12);
  });
});

describe('DEIS plumbing', () => {
  it('keeps Float32Array in and out, and a rerun is bit-identical', async () => {
    const o = gaussianOracle();
    const sigmas = lambdaSigmas(10, 0.03, 14.6);
    const x = Float32Array.from(o.marginal(sigmas[0], 2, 9));
    const a = await sampleDeis(o.denoiser, x, sigmas, { order: 3 });
    const b = await sampleDeis(o.denoiser, x, sigmas, { order: 3 });
    expect(a).toBeInstanceOf(Float32Array);
    expect(a).toEqual(b);
    expect(o.nfe).toBe(20);
  });

  it('an aborted signal throws, and an order outside 1–3 is refused', async () => {
    const o = gaussianOracle();
    const controller = new AbortController();
    controller.abort();
    await expect(sampleDeis(o.denoiser, new Float32Array(16), grid(4), { signal: controller.signal })).rejects.toThrow();
    await expect(sampleDeis(o.denoiser, new Float32Array(16), grid(4), { order: 4 })).rejects.toThrow(RangeError);
  });
});
