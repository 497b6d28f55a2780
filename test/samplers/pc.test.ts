import { describe, expect, it } from 'vitest';
import { samplePc } from '../../main/engine/samplers/pc.js';
import type { PcOptions } from '../../main/engine/samplers/pc.js';
import { sampleDdim } from '../../main/engine/samplers/ddim.js';
import { seededNoise } from '../../main/engine/random.js';
import { gaussianOracle, lambdaGrid, sampleStats, zScores } from '../helpers/gaussian-oracle.js';

const stats = (sigmas: ArrayLike<number>, count: number, opts: PcOptions) => sampleStats(samplePc, sigmas, count, { noise: seededNoise(3), ...opts });
const varianceRatio = (st: Awaited<ReturnType<typeof stats>>) => Array.from(st.variance, (v, k) => v / st.oracle.s[k] ** 2);

describe('predictor–corrector sampling reaches the data distribution', () => {
  // Two biases. The reverse-diffusion predictor is Euler–Maruyama: its noise √(σ² − σ′²) exceeds
  // the posterior's by σ/σ′, so it over-disperses at first order (+1.4% at 500 steps, +50% at 20).
  // The Langevin corrector with exact score on N(μ, v) has the stationary variance
  // v/(1 − ε/(2v)), ε = 2r²‖z‖²/‖g‖² ≈ 2r²/mean_k(1/v_k): at the last level (σ = 0.02) with
  // r = 0.05 that is ≤ +1.3% (smallest s), under one standard error (2.2%) of 4,000 samples; at 300
  // steps the predictor's part is ≈ 2%. The bound of 5 SE still rejects a wrong noise or step scale.
  it('snr = 0.05, one corrector step, 300 steps', async () => {
    const z = zScores(await stats(Float64Array.from([...lambdaGrid(40, 0.02)(300), 0]), 4000, { snr: 0.05 }));
    expect(z.mean).toBeLessThan(5);
    expect(z.variance).toBeLessThan(5);
  });

  it('snr = 0.16 over-disperses the smallest-s dimension by about the Langevin stationary bias', async () => {
    // Predicted for s = 0.25: 1/(1 − r²/(v·mean(1/v))) ≈ 1.15 at equilibrium (measured 1.12: one
    // corrector step per level does not fully equilibrate); the largest-s dimension ≈ 1.004.
    const r = varianceRatio(await stats(Float64Array.from([...lambdaGrid(40, 0.02)(300), 0]), 2000, { snr: 0.16 }));
    expect(r[0]).toBeGreaterThan(1.05);
    expect(r[0]).toBeLessThan(1.22);
    expect(Math.abs(r[15] - 1)).toBeLessThan(0.1);
  });

  it('on a coarse grid, more corrector steps pull the predictor’s over-dispersion back', async () => {
    const coarse = Float64Array.from([...lambdaGrid(40, 0.02)(20), 0]);
    const mean = (m: number) => stats(coarse, 2000, { correctorSteps: m }).then((st) => varianceRatio(st).reduce((a, b) => a + b) / 16);
    const [m0, m1, m3] = [await mean(0), await mean(1), await mean(3)];
    expect(m0).toBeGreaterThan(1.3);
    expect(m1).toBeLessThan(m0);
    expect(m3).toBeLessThan(m1);
  });
});

describe('predictor–corrector steps', () => {
  it('one step: reverse diffusion on stream 2i, Langevin on stream 2i + 1, with ε = 2(r‖z‖/‖g‖)²', async () => {
    const o = gaussianOracle(4);
    const x = o.marginal(2, 1, 1);
    const [sigma, next, r] = [2, 1.5, 0.16];
    const noise = seededNoise(4);
    const d = await o.denoiser(x, sigma);
    const z1 = noise(0, x), z2 = noise(1, x);
    const pred = x.map((v, j) => v + (sigma ** 2 - next ** 2) * ((d[j] - v) / sigma ** 2) + Math.sqrt(sigma ** 2 - next ** 2) * z1[j]);
    const d2 = await o.denoiser(pred, next);
    const g = pred.map((v, j) => (d2[j] - v) / next ** 2);
    const norm = (a: Float64Array) => Math.hypot(...a);
    const eps = 2 * ((r * norm(z2)) / norm(g)) ** 2;
    const want = pred.map((v, j) => v + eps * g[j] + Math.sqrt(2 * eps) * z2[j]);
    const got = await samplePc(o.denoiser, x, [sigma, next], { snr: r, noise });
    got.forEach((v, j) => expect(v).toBeCloseTo(want[j], 12));
  });

  it('a step to σ = 0 returns D; outside the SDE window it is DDIM (η = 0)', async () => {
    const o = gaussianOracle();
    const x = o.marginal(0.3, 2, 2);
    expect(await samplePc(o.denoiser, x, [0.3, 0])).toEqual(await o.denoiser(x, 0.3));
    const sigmas = Float64Array.from([...lambdaGrid(20, 0.05)(8), 0]);
    const y = o.marginal(20, 2, 2);
    const out = await samplePc(o.denoiser, y, sigmas, { sde: { window: { sigmaMin: 100, sigmaMax: 200 } } });
    expect(out).toEqual(await sampleDdim(o.denoiser, y, sigmas));
  });
});

describe('predictor–corrector plumbing', () => {
  const sigmas = Float64Array.from([...lambdaGrid(20, 0.05)(12), 0]);
  it('Float32 in/out, same-seed rerun bit-identical, 2 evaluations per step with M = 1', async () => {
    const o = gaussianOracle();
    const x = Float32Array.from(o.marginal(20, 3, 2));
    const a = await samplePc(o.denoiser, x, sigmas, { noise: seededNoise(9) });
    expect(o.nfe).toBe(2 * 13 - 1); // no corrector after the step to σ = 0
    const b = await samplePc(o.denoiser, x, sigmas, { noise: seededNoise(9) });
    expect(a).toBeInstanceOf(Float32Array);
    expect(b).toEqual(a);
  });
  it('throws when aborted or given a bad correctorSteps', async () => {
    const o = gaussianOracle();
    const ac = new AbortController();
    ac.abort();
    await expect(samplePc(o.denoiser, o.marginal(20, 1, 1), sigmas, { signal: ac.signal })).rejects.toThrow();
    await expect(samplePc(o.denoiser, o.marginal(20, 1, 1), sigmas, { correctorSteps: -1 })).rejects.toThrow(RangeError);
  });
});
