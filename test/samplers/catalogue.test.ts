import { describe, expect, it } from 'vitest';
import { SAMPLERS, samplerByName } from '../../main/engine/samplers/index.js';
import { seededNoise } from '../../main/engine/random.js';
import { gaussianOracle, lambdaGrid, measureOrder } from '../helpers/gaussian-oracle.js';
import { GIANT_STEP_RATIO, isGiantStep } from '../../main/engine/samplers/common.js';
import type { StepInfo } from '../../main/engine/samplers/common.js';

const sigmas = Float64Array.from([14, 9, 5, 2.5, 1.2, 0.5, 0.2, 0.05, 0]);
const start = () => Float32Array.from(gaussianOracle(8).marginal(14, 3, 4));
const bits = (v: Float32Array | Float64Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');

describe('the sampler catalogue', () => {
  it('has unique names and finds them', () => {
    expect(new Set(SAMPLERS.map((s) => s.name)).size).toBe(SAMPLERS.length);
    expect(samplerByName('dpmpp_2m').label).toBe('DPM++ 2M');
    expect(() => samplerByName('nope')).toThrow(/unknown sampler "nope"; available: euler, heun/);
  });

  describe.each(SAMPLERS.map((s) => [s.name, s] as const))('%s', (_name, info) => {
    it('keeps float32, reports every step, and is bit-identical for the same seed', async () => {
      const o = gaussianOracle(8);
      const seen: StepInfo[] = [];
      const a = await info.run(o.denoiser, start(), sigmas, { noise: seededNoise(1), callback: (s) => void seen.push(s) });
      const b = await info.run(o.denoiser, start(), sigmas, { noise: seededNoise(1) });
      expect(a).toBeInstanceOf(Float32Array);
      expect(a.every(Number.isFinite)).toBe(true);
      expect(bits(a)).toBe(bits(b));
      expect(seen.map((s) => s.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(seen.map((s) => s.t)).toEqual(Array.from(sigmas.subarray(0, 8)));
    });

    it('stops at once when cancelled', async () => {
      const o = gaussianOracle(8);
      const ctl = new AbortController();
      const run = info.run(o.denoiser, start(), sigmas, { signal: ctl.signal, callback: (s) => { if (s.i === 1) ctl.abort(); } });
      await expect(run).rejects.toThrow(/cancel|abort/i);
      expect(o.nfe).toBeLessThanOrEqual(3 * 3); // never runs to the end (8 steps)
    });

    if (info.stochastic) {
      it('injects noise only inside the SDE window and mask (mixed ODE–SDE mode)', async () => {
        const o = gaussianOracle(8);
        const run = (seed: number, sde?: object) => info.run(o.denoiser, start(), sigmas, { noise: seededNoise(seed), sde });
        // Stochastic everywhere: different seeds differ.
        expect(bits(await run(1))).not.toBe(bits(await run(2)));
        // An empty window or an all-zero mask leaves the sampler's ODE limit: the seed no longer matters.
        const never = { window: { sigmaMin: 1e6, sigmaMax: 1e7 } };
        expect(bits(await run(1, never))).toBe(bits(await run(2, never)));
        const zeros = { mask: new Float32Array(24) };
        expect(bits(await run(1, zeros))).toBe(bits(await run(2, zeros)));
        // A half mask: the masked-out elements are the ODE's, the others are stochastic.
        const half = { mask: Float32Array.from({ length: 24 }, (_, j) => (j < 12 ? 1 : 0)) };
        const h1 = await run(1, half), h2 = await run(2, half);
        expect(Array.from(h1.subarray(0, 12))).not.toEqual(Array.from(h2.subarray(0, 12)));
        // Elements outside the mask still see the history of the noisy ones only through the
        // model, which is elementwise here: they match the ODE limit exactly.
        const odeLimit = await run(1, never);
        expect(Array.from(h1.subarray(12))).toEqual(Array.from(odeLimit.subarray(12)));
      });
    }
  });
});

describe('orders with the catalogue defaults', () => {
  // As the steps grow, on λ-uniform grids from σ = 20 to 0.05 without a final zero. The step counts
  // are ≡ 1 (mod 3), so singlestep third order ends on a first-order remainder as it does at most
  // step counts; every multistep method has its first-order warm-up step.
  const steps = [514, 769, 1024, 1537, 2050];
  it.each(SAMPLERS.filter((s) => !s.stochastic).map((s) => [s.name, s] as const))('%s reaches its listed order', async (_name, info) => {
    const m = await measureOrder(info.run, lambdaGrid(20, 0.05), steps);
    expect(Math.abs(m.order - info.order!)).toBeLessThan(0.3);
  });
});

describe('giant steps (a schedule whose σ_max is huge)', () => {
  // The first step of a cosine-capped `trailing` grid: σ_max = 2·10⁴ straight to the data scale.
  const sigmas = Float64Array.from([2e4, 5, 2.5, 1.2, 0.5, 0.2, 0.05, 0]);
  const x0 = () => gaussianOracle(8).marginal(2e4, 16, 9);

  it('are what the guard catches, and sane grids have none', () => {
    expect(isGiantStep(2e4, 5)).toBe(true);
    expect(isGiantStep(GIANT_STEP_RATIO * 0.5, 0.5)).toBe(false);
    expect(isGiantStep(1, 0)).toBe(false);
    for (const sane of [Array.from(sigmas).slice(1), [14.6, 9, 5, 2.5, 1.2, 0.5, 0.2, 0.05, 0]]) {
      sane.slice(1).forEach((next, i) => expect(isGiantStep(sane[i], next)).toBe(false));
    }
  });

  // Without the guards Heun, PLMS, PNDM, DPM-Solver-2/3 and UniPC bh1 multiplied the change of D
  // across the giant step by up to 10³ (errors of 10²–10⁵ here).
  it.each(SAMPLERS.filter((s) => !s.stochastic).map((s) => [s.name, s] as const))('%s stays within 1.5× of DDIM\'s error', async (_name, info) => {
    const o = gaussianOracle(8);
    const x = x0();
    const exact = o.exact(x, sigmas[0], 0);
    const err = (v: ArrayLike<number>) => Math.sqrt(Array.from(v, (vj, j) => (vj - exact[j]) ** 2).reduce((a, b) => a + b) / v.length);
    const ddim = err(await samplerByName('ddim').run(o.denoiser, x.slice(), sigmas));
    const got = await info.run(o.denoiser, x.slice(), sigmas, { noise: seededNoise(1) });
    expect(got.every(Number.isFinite)).toBe(true);
    expect(err(got)).toBeLessThan(1.5 * ddim);
  });

  it.each(SAMPLERS.filter((s) => s.stochastic).map((s) => [s.name, s] as const))('%s keeps its samples at the data scale', async (_name, info) => {
    const o = gaussianOracle(8);
    const got = await info.run(o.denoiser, x0(), sigmas, { noise: seededNoise(1) });
    expect(got.every(Number.isFinite)).toBe(true);
    // Data: means within ±0.8, standard deviations 0.25–1.5; a sample left at the noise scale of a
    // giant step would be ~10⁴.
    const rmsDev = Math.sqrt(Array.from(got, (v, j) => (v - o.mu[j % 8]) ** 2).reduce((a, b) => a + b) / got.length);
    expect(rmsDev).toBeLessThan(3);
  });
});
