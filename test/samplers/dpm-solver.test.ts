import { describe, expect, it } from 'vitest';
import { dpmSolverOrderList, sampleDpmSolver, sampleDpmSolverMultistep, singlestepOrders } from '../../main/engine/samplers/dpm-solver.js';
import { sampleDdim } from '../../main/engine/samplers/ddim.js';
import { seededNoise } from '../../main/engine/random.js';
import { karrasSigmas, lambdaSigmas } from '../../main/engine/schedules.js';
import { maxAbsDiff } from '../../main/engine/tensor.js';
import type { Denoiser, Vec } from '../../main/engine/samplers/common.js';
import { gaussianOracle, lambdaGrid, measureOrder, sampleStats, zScores } from '../helpers/gaussian-oracle.js';

const grid = lambdaGrid(20, 0.05);
// Step counts are multiples of 6, so the default order lists are whole [1,2] / [1,2,3] groups.
const A = [12, 18, 24, 36, 48];
const B = [24, 36, 48, 72, 96];

describe('DPM-Solver (noise prediction) converges at its theoretical order on the Gaussian oracle', () => {
  it.each([
    ['singlestep, order 1', sampleDpmSolver, { order: 1 }, 1, A],
    ['singlestep, order 2, midpoint', sampleDpmSolver, { order: 2 }, 2, A],
    ['singlestep, order 2, heun', sampleDpmSolver, { order: 2, solverType: 'heun' }, 2, A],
    ['singlestep, order 3, midpoint (DPM-Solver-3)', sampleDpmSolver, { order: 3 }, 3, B],
    ['singlestep, order 3, heun', sampleDpmSolver, { order: 3, solverType: 'heun' }, 3, B],
    ['multistep, order 1', sampleDpmSolverMultistep, { order: 1 }, 1, A],
    ['multistep, order 2, midpoint', sampleDpmSolverMultistep, { order: 2 }, 2, A],
    ['multistep, order 2, heun', sampleDpmSolverMultistep, { order: 2, solverType: 'heun' }, 2, A],
  ] as const)('%s', async (_name, sampler, opts, order, steps) => {
    const m = await measureOrder((d, x, s) => sampler(d, x, s, opts), grid, [...steps]);
    expect(Math.abs(m.order - order)).toBeLessThan(0.3);
  });

  // diffusers, k-diffusion and the official code weight D₂ = (D₁⁰ − D₁¹)/(r₀ + r₁) ≈ h²D''/2 by
  // g₂ ≈ h/6 where the Taylor integral needs 2g₂: an O(h³) local error, so second order.
  it('multistep, order 3, reference D₂ weight: second order', async () => {
    const m = await measureOrder((d, x, s) => sampleDpmSolverMultistep(d, x, s, { order: 3 }), grid, [...B]);
    expect(Math.abs(m.order - 2)).toBeLessThan(0.3);
  });

  // With the Taylor weight the scheme is third order; the warm-up steps (orders 1, 2) leave an
  // O(h²) global error scaled by dD/dλ at σ_max, so the grid starts at σ = 1000 where D barely
  // moves, and the step counts are large enough to be past the pre-asymptotic h⁴ regime.
  it('multistep, order 3, Taylor D₂ weight: third order', async () => {
    const taylor = (d: Denoiser, x: Vec, s: ArrayLike<number>) => sampleDpmSolverMultistep(d, x, s, { order: 3, thirdOrderWeight: 'taylor' });
    const m = await measureOrder(taylor, lambdaGrid(1000, 0.05), [512, 768, 1024, 1536, 2048]);
    expect(Math.abs(m.order - 3)).toBeLessThan(0.3);
  });
});

describe('DPM-Solver cross-checks', () => {
  it('DPM-Solver-1 equals DDIM (η = 0) on a λ-uniform grid, singlestep and multistep, in float64', async () => {
    for (const sigmas of [grid(25), lambdaSigmas(25, 0.03, 14.6)]) {
      const o = gaussianOracle(16);
      const x0 = o.marginal(sigmas[0], 4, 7);
      const ddim = await sampleDdim(o.denoiser, x0.slice(), sigmas);
      expect(maxAbsDiff(await sampleDpmSolver(o.denoiser, x0.slice(), sigmas, { order: 1 }), ddim)).toBeLessThan(1e-12);
      expect(maxAbsDiff(await sampleDpmSolverMultistep(o.denoiser, x0.slice(), sigmas, { order: 1 }), ddim)).toBeLessThan(1e-12);
    }
  });

  // Lu et al. 2022, Algorithm 2 (DPM-Solver-3, noise prediction) written out as the paper and the
  // official code (`singlestep_dpm_solver_third_update`, solver_type "dpmsolver") state it, in the σ
  // view: u₁ = x − σ₁(e^{r₁h} − 1)ε_s,
  // u₂ = x − σ₂(e^{r₂h} − 1)ε_s − σ₂(r₂/r₁)((e^{r₂h} − 1)/(r₂h) − 1)(ε(u₁) − ε_s),
  // x_t = x − σ_t(e^h − 1)ε_s − (σ_t/r₂)((e^h − 1)/h − 1)(ε(u₂) − ε_s).
  async function algorithm2(model: Denoiser, x: Float64Array, sigmas: ArrayLike<number>): Promise<Float64Array> {
    const eps = async (y: Float64Array, s: number) => { const d = await model(y, s); return y.map((v, j) => (v - d[j]) / s); };
    for (let g = 0; g + 3 < sigmas.length; g += 3) {
      const [s, s1, s2, t] = [sigmas[g], sigmas[g + 1], sigmas[g + 2], sigmas[g + 3]];
      const h = Math.log(s / t), r1 = Math.log(s / s1) / h, r2 = Math.log(s / s2) / h;
      const e0 = await eps(x, s);
      const u1 = x.map((v, j) => v - s1 * Math.expm1(r1 * h) * e0[j]);
      const e1 = await eps(u1, s1);
      const phi22 = Math.expm1(r2 * h) / (r2 * h) - 1;
      const u2 = x.map((v, j) => v - s2 * Math.expm1(r2 * h) * e0[j] - s2 * (r2 / r1) * phi22 * (e1[j] - e0[j]));
      const e2 = await eps(u2, s2);
      const phi2 = Math.expm1(h) / h - 1;
      x = x.map((v, j) => v - t * Math.expm1(h) * e0[j] - (t / r2) * phi2 * (e2[j] - e0[j]));
    }
    return x;
  }

  it('middleStage "phi" is Lu et al. Algorithm 2 (the official code), step for step; "midpoint" (diffusers) is not', async () => {
    for (const sigmas of [grid(12), karrasSigmas(10, 0.05, 20).subarray(0, 10)]) {
      const o = gaussianOracle(8);
      const x0 = o.marginal(sigmas[0], 2, 5);
      const want = await algorithm2(o.denoiser, x0.slice(), sigmas);
      const phi = await sampleDpmSolver(o.denoiser, x0.slice(), sigmas, { order: 3, middleStage: 'phi' });
      const midpoint = await sampleDpmSolver(o.denoiser, x0.slice(), sigmas, { order: 3 });
      expect(maxAbsDiff(phi, want)).toBeLessThan(1e-12);
      expect(maxAbsDiff(midpoint, want)).toBeGreaterThan(1e-6);
    }
  });

  it('middleStage "phi" keeps third order on whole groups', async () => {
    const m = await measureOrder((d, x, s) => sampleDpmSolver(d, x, s, { order: 3, middleStage: 'phi' }), grid, [...B]);
    expect(Math.abs(m.order - 3)).toBeLessThan(0.3);
  });

  it('a singlestep group of three on a λ-uniform grid evaluates at r₁ = 1/3, r₂ = 2/3 (Lu et al. Algorithm 2)', async () => {
    const sigmas = grid(3);
    const seen: number[] = [];
    const o = gaussianOracle(4);
    const model = async (x: Float32Array | Float64Array, s: number) => (seen.push(s), o.denoiser(x, s));
    await sampleDpmSolver(model, o.marginal(sigmas[0], 1, 1), sigmas, { order: 3 });
    const l = (s: number) => -Math.log(s);
    const h = l(sigmas[3]) - l(sigmas[0]);
    expect(seen.map((s) => (l(s) - l(sigmas[0])) / h)).toEqual([0, expect.closeTo(1 / 3, 12), expect.closeTo(2 / 3, 12)]);
  });

  it('the last step to σ = 0 returns the denoised estimate, for every order', async () => {
    const sigmas = karrasSigmas(9, 0.03, 14.6);
    for (const sampler of [sampleDpmSolver, sampleDpmSolverMultistep]) {
      for (const order of [1, 2, 3] as const) {
        const o = gaussianOracle(8);
        let last: Float32Array | Float64Array | undefined;
        const x = await sampler(o.denoiser, o.marginal(sigmas[0], 2, 3), sigmas, { order, callback: (s) => (last = s.denoised) });
        expect(x).toEqual(last);
        expect(x.every(Number.isFinite)).toBe(true);
      }
    }
  });
});

describe("dpmSolverOrderList follows diffusers' get_order_list", () => {
  it.each([
    [6, 3, false, false, [1, 2, 3, 1, 2, 3]],
    [6, 3, true, false, [1, 2, 3, 1, 2, 1]],
    [7, 3, false, false, [1, 2, 3, 1, 2, 3, 1]], // 7 % 3 ≠ 0 forces lower_order_final
    [8, 3, true, false, [1, 2, 3, 1, 2, 3, 1, 2]],
    [8, 3, true, true, [1, 2, 3, 1, 2, 3, 1, 1]],
    [6, 2, false, false, [1, 2, 1, 2, 1, 2]],
    [6, 2, false, true, [1, 2, 1, 2, 1, 1]], // final σ = 0 forces lower_order_final, then a last 1
    [5, 2, false, false, [1, 2, 1, 2, 1]],
    [4, 1, false, true, [1, 1, 1, 1]],
  ] as const)('%d steps, order %d, lowerOrderFinal %s, final zero %s', (steps, order, lowerOrderFinal, finalSigmaZero, expected) => {
    expect(dpmSolverOrderList(steps, order, { lowerOrderFinal, finalSigmaZero })).toEqual(expected);
  });

  it('noise-form groups are cut at giant steps (σ ratio > 100): a giant step and the step after it start groups', () => {
    const list = [1, 2, 3, 1, 2, 3, 1];
    const giantFirst = [2e4, 6, 3, 2, 1.4, 1, 0.7, 0];
    expect(singlestepOrders(list, giantFirst, true)).toEqual([1, 1, 2, 1, 2, 3, 1]);
    expect(singlestepOrders(list, giantFirst, false)).toEqual([1, 2, 3, 1, 2, 3, 1]);
    const giantMiddle = [20, 14, 10, 7, 0.05, 0.03, 0.02, 0];
    expect(singlestepOrders(list, giantMiddle, true)).toEqual([1, 2, 3, 1, 1, 2, 1]);
    const sane = [20, 14, 10, 7, 5, 3.5, 2.5, 0];
    expect(singlestepOrders(list, sane, true)).toEqual([1, 2, 3, 1, 2, 3, 1]);
  });

  it('rejects an order list that is not made of groups', async () => {
    const o = gaussianOracle(4);
    await expect(sampleDpmSolver(o.denoiser, new Float64Array(4), grid(3), { orders: [1, 3, 1] })).rejects.toThrow(RangeError);
    await expect(sampleDpmSolver(o.denoiser, new Float64Array(4), grid(3), { orders: [1, 2] })).rejects.toThrow(RangeError);
  });
});

describe('stochastic DPM-Solver (diffusers "sde-dpmsolver") reaches the data distribution', () => {
  // 2,000 samples of the 8-dimensional oracle over 200 λ-uniform steps: the weak error of the
  // exponential SDE step is then below the sampling error (measured z < 2.1 for orders 1–3). A wrong noise scale
  // (σ_t instead of √(σ_s² − σ_t²), or an undoubled drift) fails by many standard errors.
  it.each([1, 2, 3] as const)('multistep, order %d', async (order) => {
    const sigmas = Float64Array.from([...lambdaGrid(40, 0.02)(200), 0]);
    const sampler = (d: Denoiser, x: Vec, s: ArrayLike<number>) => sampleDpmSolverMultistep(d, x, s, { order, stochastic: true, noise: seededNoise(3) });
    const z = zScores(await sampleStats(sampler, sigmas, 2000, {}, 8));
    expect(z.mean).toBeLessThan(5);
    expect(z.variance).toBeLessThan(5);
  });
});

describe('DPM-Solver plumbing', () => {
  it('Float32 in gives Float32 out, and a rerun with the same seed is bit-identical', async () => {
    const sigmas = karrasSigmas(12, 0.03, 14.6);
    for (const [sampler, opts] of [[sampleDpmSolver, { order: 3 }], [sampleDpmSolverMultistep, { order: 3, stochastic: true }]] as const) {
      const run = () => sampler(gaussianOracle(8).denoiser, Float32Array.from(gaussianOracle(8).marginal(sigmas[0], 2, 9)), sigmas, { ...opts, noise: seededNoise(4) });
      const [a, b] = [await run(), await run()];
      expect(a).toBeInstanceOf(Float32Array);
      expect(a.every(Number.isFinite)).toBe(true);
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    }
  });

  it('an aborted signal throws', async () => {
    const controller = new AbortController();
    controller.abort();
    for (const sampler of [sampleDpmSolver, sampleDpmSolverMultistep]) {
      await expect(sampler(gaussianOracle(4).denoiser, new Float32Array(4), grid(4), { signal: controller.signal })).rejects.toThrow();
    }
  });
});
