import { describe, expect, it } from 'vitest';
import {
  sampleDpmpp2m,
  sampleDpmpp2mSde,
  sampleDpmpp2sAncestral,
  sampleDpmpp3m,
  sampleDpmpp3mSde,
  sampleDpmppMultistep,
  sampleDpmppSde,
  sampleDpmppSinglestep,
} from '../../main/engine/samplers/dpmpp.js';
import type { Denoiser, SamplerOptions, Vec } from '../../main/engine/samplers/common.js';
import { seededNoise } from '../../main/engine/random.js';
import { karrasSigmas } from '../../main/engine/schedules.js';
import { maxAbsDiff } from '../../main/engine/tensor.js';
import { gaussianOracle, lambdaGrid, measureOrder, sampleStats, zScores } from '../helpers/gaussian-oracle.js';

type Run = (d: Denoiser, x: Vec, s: ArrayLike<number>) => Promise<Vec>;
const grid = lambdaGrid(20, 0.05);
// Multiples of 6: the singlestep order lists are whole groups.
const A = [12, 18, 24, 36, 48];
const B = [24, 36, 48, 72, 96];

describe('DPM-Solver++ converges at its theoretical order on the Gaussian oracle', () => {
  it.each<[string, Run, number, number[]]>([
    ['2M, midpoint', (d, x, s) => sampleDpmpp2m(d, x, s), 2, B],
    ['2M, heun', (d, x, s) => sampleDpmpp2m(d, x, s, { solverType: 'heun' }), 2, B],
    ['2S (η = 0, r = ½)', (d, x, s) => sampleDpmpp2sAncestral(d, x, s, { eta: 0 }), 2, B],
    ['singlestep, order 2, midpoint', (d, x, s) => sampleDpmppSinglestep(d, x, s, { order: 2 }), 2, A],
    ['singlestep, order 2, heun', (d, x, s) => sampleDpmppSinglestep(d, x, s, { order: 2, solverType: 'heun' }), 2, A],
    ['singlestep, order 3, midpoint', (d, x, s) => sampleDpmppSinglestep(d, x, s, { order: 3 }), 3, B],
    ['singlestep, order 3, heun', (d, x, s) => sampleDpmppSinglestep(d, x, s, { order: 3, solverType: 'heun' }), 3, B],
    // The reference D₂ weight (diffusers, k-diffusion, official code) is half the Taylor weight.
    ['3M, reference D₂ weight (second order)', (d, x, s) => sampleDpmpp3m(d, x, s), 2, B],
  ])('%s', async (_name, run, order, steps) => {
    const m = await measureOrder(run, grid, steps);
    expect(Math.abs(m.order - order)).toBeLessThan(0.3);
  });

  // As for the noise form: start at σ = 1000 so the first-order warm-up step costs nothing, and
  // take enough steps to be past the pre-asymptotic h⁴ regime.
  it('3M, Taylor D₂ weight: third order', async () => {
    const m = await measureOrder((d, x, s) => sampleDpmpp3m(d, x, s, { thirdOrderWeight: 'taylor' }), lambdaGrid(1000, 0.05), [512, 768, 1024, 1536, 2048]);
    expect(Math.abs(m.order - 3)).toBeLessThan(0.3);
  });
});

/** DPM-Solver++(2M) as k-diffusion writes it (Lu et al. 2022b, Algorithm 2), derived independently. */
async function kDiffusion2m(model: Denoiser, x: Float64Array, sigmas: ArrayLike<number>): Promise<Float64Array> {
  let old: Vec | undefined;
  for (let i = 0; i + 1 < sigmas.length; i++) {
    const s = sigmas[i], sn = sigmas[i + 1];
    const d = await model(x, s);
    const h = Math.log(s / sn);
    let dd = d;
    if (old && sn > 0) {
      const r = Math.log(sigmas[i - 1] / s) / h;
      dd = d.map((v, j) => (1 + 1 / (2 * r)) * v - (1 / (2 * r)) * old![j]);
    }
    x = sn === 0 ? Float64Array.from(d) : x.map((v, j) => (sn / s) * v + (1 - Math.exp(-h)) * dd[j]);
    old = d;
  }
  return x;
}

describe('DPM-Solver++ cross-checks', () => {
  it('2M (midpoint) equals the k-diffusion formula step by step', async () => {
    for (const sigmas of [karrasSigmas(20, 0.03, 14.6), karrasSigmas(8, 0.03, 14.6), grid(10)]) {
      const o = gaussianOracle(16);
      const x0 = o.marginal(sigmas[0], 4, 5);
      // k-diffusion has no lower_order_final; with fewer than 15 steps, switch it off here.
      const ours = await sampleDpmpp2m(o.denoiser, x0.slice(), sigmas, { lowerOrderFinal: false });
      expect(maxAbsDiff(ours, await kDiffusion2m(o.denoiser, x0.slice(), sigmas))).toBeLessThan(1e-12);
    }
  });

  it('a grid-grouped order-2 midpoint step on a λ-uniform grid is DPM-Solver++(2S) with r = ½ on every other point', async () => {
    const fine = grid(24);
    const coarse = fine.filter((_, j) => j % 2 === 0);
    const o = gaussianOracle(16);
    const x0 = o.marginal(fine[0], 4, 5);
    const ss = await sampleDpmppSinglestep(o.denoiser, x0.slice(), fine, { order: 2 });
    const twoS = await sampleDpmpp2sAncestral(o.denoiser, x0.slice(), coarse, { eta: 0 });
    expect(maxAbsDiff(ss, twoS)).toBeLessThan(1e-12);
  });

  it('with η = 0 the SDE samplers are the ODE samplers, bit for bit', async () => {
    const sigmas = karrasSigmas(12, 0.03, 14.6);
    const o = gaussianOracle(8);
    const x0 = o.marginal(sigmas[0], 2, 1);
    expect(await sampleDpmpp2mSde(o.denoiser, x0.slice(), sigmas, { eta: 0 })).toEqual(await sampleDpmpp2m(o.denoiser, x0.slice(), sigmas));
    expect(await sampleDpmpp3mSde(o.denoiser, x0.slice(), sigmas, { eta: 0 })).toEqual(await sampleDpmpp3m(o.denoiser, x0.slice(), sigmas));
  });

  it("diffusersSdeD2 changes only third-order stochastic steps, by −D₂ (diffusers' sde-dpmsolver++ order 3)", async () => {
    const sigmas = karrasSigmas(20, 0.03, 14.6);
    const o = gaussianOracle(8);
    const x0 = o.marginal(sigmas[0], 2, 1);
    const run = (opts: object) => sampleDpmppMultistep(o.denoiser, x0.slice(), sigmas, { noise: seededNoise(2), ...opts });
    expect(await run({ order: 2, eta: 1, diffusersSdeD2: true })).toEqual(await run({ order: 2, eta: 1 }));
    expect(await run({ order: 3, diffusersSdeD2: true })).toEqual(await run({ order: 3 }));
    expect(maxAbsDiff(await run({ order: 3, eta: 1, diffusersSdeD2: true }), await run({ order: 3, eta: 1 }))).toBeGreaterThan(1e-3);
  });

  it('outside the SDE window the stochastic samplers take their deterministic step', async () => {
    const sigmas = karrasSigmas(12, 0.03, 14.6);
    const o = gaussianOracle(8);
    const x0 = o.marginal(sigmas[0], 2, 1);
    const off = { sde: { window: { sigmaMin: 100, sigmaMax: 200 } }, noise: seededNoise(1) };
    expect(await sampleDpmpp2mSde(o.denoiser, x0.slice(), sigmas, off)).toEqual(await sampleDpmpp2m(o.denoiser, x0.slice(), sigmas));
    expect(await sampleDpmpp2sAncestral(o.denoiser, x0.slice(), sigmas, off)).toEqual(await sampleDpmpp2sAncestral(o.denoiser, x0.slice(), sigmas, { eta: 0 }));
    // A mask of ones inside the window is the fully stochastic step.
    const ones = { sde: { mask: new Float64Array(x0.length).fill(1) }, noise: seededNoise(1) };
    expect(maxAbsDiff(await sampleDpmppSde(o.denoiser, x0.slice(), sigmas, ones), await sampleDpmppSde(o.denoiser, x0.slice(), sigmas, { noise: seededNoise(1) }))).toBeLessThan(1e-14);
  });
});

describe('stochastic DPM-Solver++ samplers reach the data distribution', () => {
  // 2,000 samples of the 8-dimensional oracle over 200 λ-uniform steps from σ = 40: the
  // discretisation bias of these SDE steps is then below the sampling error (measured z-scores
  // under 2.1 for every sampler here); a missing, doubled or misplaced noise term (e.g. σ_t
  // instead of σ_t√(1 − e^{−2ηh})) fails by many standard errors.
  const sigmas = (n: number) => Float64Array.from([...lambdaGrid(40, 0.02)(n), 0]);
  it.each<[string, Run, number]>([
    ['2M SDE (η = 1, midpoint)', (d, x, s) => sampleDpmpp2mSde(d, x, s, { noise: seededNoise(3) }), 200],
    ['2M SDE (η = 1, heun)', (d, x, s) => sampleDpmpp2mSde(d, x, s, { solverType: 'heun', noise: seededNoise(3) }), 200],
    ['2M SDE (η = 0.5)', (d, x, s) => sampleDpmpp2mSde(d, x, s, { eta: 0.5, noise: seededNoise(3) }), 200],
    ['3M SDE (η = 1)', (d, x, s) => sampleDpmpp3mSde(d, x, s, { noise: seededNoise(3) }), 200],
    ['2S ancestral (η = 1)', (d, x, s) => sampleDpmpp2sAncestral(d, x, s, { noise: seededNoise(3) }), 200],
    ['DPM++ SDE (η = 1, r = ½, Brownian-correlated noise)', (d, x, s) => sampleDpmppSde(d, x, s, { noise: seededNoise(3) }), 200],
    // diffusers' singlestep SDE draws fresh noise for each step of a group and evaluates the model
    // at noisy intermediate states, which inflates the variance: z ≈ 4.7 at 100 steps, 2.9 at 200,
    // 2.2 at 600 (2,000 samples). 500 steps keep that bias below the sampling error.
    ['singlestep SDE, order 2 (η = 1)', (d, x, s) => sampleDpmppSinglestep(d, x, s, { eta: 1, noise: seededNoise(3) }), 500],
  ])('%s', async (_name, run, steps) => {
    const z = zScores(await sampleStats(run, sigmas(steps), 2000, {} as SamplerOptions, 8));
    expect(z.mean).toBeLessThan(5);
    expect(z.variance).toBeLessThan(5);
  });
});

describe('DPM-Solver++ plumbing', () => {
  const all: [string, Run][] = [
    ['2M', (d, x, s) => sampleDpmpp2m(d, x, s)],
    ['3M SDE', (d, x, s) => sampleDpmpp3mSde(d, x, s, { noise: seededNoise(4) })],
    ['singlestep 3', (d, x, s) => sampleDpmppSinglestep(d, x, s, { order: 3, eta: 1, noise: seededNoise(4) })],
    ['2S ancestral', (d, x, s) => sampleDpmpp2sAncestral(d, x, s, { noise: seededNoise(4) })],
    ['DPM++ SDE', (d, x, s) => sampleDpmppSde(d, x, s, { noise: seededNoise(4) })],
  ];

  it.each(all)('%s: Float32 in gives Float32 out, and a same-seed rerun is bit-identical', async (_name, run) => {
    const sigmas = karrasSigmas(12, 0.03, 14.6);
    const go = () => run(gaussianOracle(8).denoiser, Float32Array.from(gaussianOracle(8).marginal(sigmas[0], 2, 9)), sigmas);
    const [a, b] = [await go(), await go()];
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.every(Number.isFinite)).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });

  it('an aborted signal throws', async () => {
    const controller = new AbortController();
    controller.abort();
    const signal = controller.signal;
    const d = gaussianOracle(4).denoiser;
    for (const p of [
      sampleDpmppMultistep(d, new Float32Array(4), grid(4), { signal }),
      sampleDpmppSinglestep(d, new Float32Array(4), grid(4), { signal }),
      sampleDpmpp2sAncestral(d, new Float32Array(4), grid(4), { signal }),
      sampleDpmppSde(d, new Float32Array(4), grid(4), { signal }),
    ]) {
      await expect(p).rejects.toThrow();
    }
  });
});

describe('per-step orders (a searched solver, Liu et al. 2023)', () => {
  const sigmas = karrasSigmas(12, 0.002, 80);
  const run = async (opts: Parameters<typeof sampleDpmppMultistep>[3]) => {
    const o = gaussianOracle(8);
    return sampleDpmppMultistep(o.denoiser, o.marginal(80, 2, 7), sigmas, { lowerOrderFinal: false, ...opts });
  };

  it('a constant list is the fixed-order solver; mixing orders changes the result', async () => {
    expect(maxAbsDiff(await run({ order: 3, orders: Array(12).fill(2) }), await run({ order: 2 }))).toBe(0);
    expect(maxAbsDiff(await run({ order: 3, orders: Array(12).fill(1) }), await run({ order: 1 }))).toBe(0);
    expect(maxAbsDiff(await run({ order: 3, orders: [1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3], thirdOrderWeight: 'taylor' }), await run({ order: 3, thirdOrderWeight: 'taylor' }))).toBe(0);
    expect(maxAbsDiff(await run({ order: 3, orders: [2, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3] }), await run({ order: 2 }))).toBeGreaterThan(1e-6);
  });

  it('refuses an order outside 1–3', async () => {
    await expect(run({ orders: [2, 4] })).rejects.toThrow(/orders\[1\] must be 1, 2 or 3, got 4/);
  });
});
