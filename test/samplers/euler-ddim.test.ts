import { describe, expect, it } from 'vitest';
import { sampleEuler, sampleEulerAncestral, sampleHeun } from '../../main/engine/samplers/euler.js';
import { invertDdim, sampleDdim } from '../../main/engine/samplers/ddim.js';
import { seededNoise } from '../../main/engine/random.js';
import { lambdaGrid, measureOrder, sampleStats, zScores } from '../helpers/gaussian-oracle.js';

const grid = lambdaGrid(20, 0.05);

describe('Euler, Heun and DDIM converge at their theoretical order on the Gaussian oracle', () => {
  it.each([
    ['euler', sampleEuler, 1, [16, 24, 32, 48, 64]],
    ['ddim', sampleDdim, 1, [16, 24, 32, 48, 64]],
    ['heun', sampleHeun, 2, [8, 12, 16, 24, 32]],
  ] as const)('%s has order %d', async (_name, sampler, order, steps) => {
    const m = await measureOrder(sampler, grid, [...steps]);
    expect(Math.abs(m.order - order)).toBeLessThan(0.3);
  });
});

describe('stochastic samplers reach the data distribution', () => {
  // Ancestral sampling ignores the spread of x₀ given x within a step, so its output variance has
  // a first-order bias (≈ −30% at 20 steps, −6% at 160 on this oracle). With 500 steps the bias is
  // about 2%, under one standard error of 4,000 samples; the bound is 5 standard errors per
  // dimension, which a wrong noise scale (missing, doubled, or σ instead of σ_up) exceeds many
  // times over.
  const sigmas = Float64Array.from([...lambdaGrid(40, 0.02)(500), 0]);
  it.each([
    ['euler ancestral (η = 1)', sampleEulerAncestral, { eta: 1 }],
    ['DDIM (η = 1)', sampleDdim, { eta: 1 }],
    ['DDIM (η = 0.5)', sampleDdim, { eta: 0.5 }],
  ] as const)('%s', async (_name, sampler, opts) => {
    const stats = await sampleStats(sampler, sigmas, 4000, { ...opts, noise: seededNoise(3) });
    const z = zScores(stats);
    expect(z.mean).toBeLessThan(5);
    expect(z.variance).toBeLessThan(5);
  });

  it('fewer steps leave the variance biased low, as the theory of ancestral sampling says', async () => {
    const coarse = await sampleStats(sampleEulerAncestral, Float64Array.from([...lambdaGrid(40, 0.02)(20), 0]), 4000, { noise: seededNoise(3) });
    const ratio = coarse.variance.reduce((a, v, k) => a + v / coarse.oracle.s[k] ** 2, 0) / coarse.variance.length;
    expect(ratio).toBeGreaterThan(0.6);
    expect(ratio).toBeLessThan(0.8);
  });
});

describe('the step callback can replace the state (latent blending, edits between steps)', () => {
  it('continues from the returned state, and rejects one of the wrong size', async () => {
    const { gaussianOracle } = await import('../helpers/gaussian-oracle.js');
    const o = gaussianOracle(4);
    const sigmas = [10, 5, 1, 0];
    const pinned = new Float64Array(4).fill(7);
    // Returning a fixed state after step 1 makes the final step start from it: x = D(pinned, 1).
    const out = await sampleEuler(o.denoiser, o.marginal(10, 1, 1), sigmas, { callback: (s) => (s.i === 1 ? pinned : undefined) });
    expect(Array.from(out)).toEqual(Array.from(await o.denoiser(pinned, 1)));
    await expect(sampleEuler(o.denoiser, o.marginal(10, 1, 1), sigmas, { callback: () => new Float64Array(3) })).rejects.toThrow(/returned 3 values/);
  });
});
