import { describe, expect, it } from 'vitest';
import { lmsCoefficients, sampleLms } from '../../main/engine/samplers/lms.js';
import type { Sampler } from '../../main/engine/samplers/common.js';
import { gaussianOracle, lambdaGrid, measureOrder } from '../helpers/gaussian-oracle.js';

const withOrder = (order: number): Sampler => (model, x, sigmas, opts) => sampleLms(model, x, sigmas, { ...opts, order });

describe('LMS coefficients', () => {
  it('integrate the Lagrange basis exactly: constant-step Adams–Bashforth weights and polynomial exactness', () => {
    // Equal steps h = −1 give the classical weights times h.
    const even = [10, 9, 8, 7, 6];
    expect(lmsCoefficients(even, 3, 4).map((c) => -c * 24)).toEqual([55, -59, 37, -9].map((w) => expect.closeTo(w, 12)));
    expect(lmsCoefficients(even, 2, 3).map((c) => -c * 12)).toEqual([23, -16, 5].map((w) => expect.closeTo(w, 12)));
    // On an uneven grid, Σ cⱼ·p(σᵢ₋ⱼ) = ∫ p for every polynomial p of degree < k.
    const s = [14.6, 6.1, 2.9, 1.1, 0.37, 0];
    for (let i = 3; i < 5; i++) {
      const c = lmsCoefficients(s, i, 4);
      for (let deg = 0; deg < 4; deg++) {
        const exact = (s[i + 1] ** (deg + 1) - s[i] ** (deg + 1)) / (deg + 1);
        const quad = c.reduce((a, cj, j) => a + cj * s[i - j] ** deg, 0);
        expect(quad).toBeCloseTo(exact, 10);
      }
    }
    expect(() => lmsCoefficients(s, 1, 3)).toThrow(RangeError);
  });
});

describe('LMS converges at its order on the Gaussian oracle', () => {
  // The first k − 1 steps warm up with orders 1 … k − 1, as k-diffusion and diffusers do; the
  // Euler first step's O(h²) error bounds the asymptotic order of every k ≥ 2 by 2. Started at
  // σ = 500, where the ODE is almost linear in σ (curvature ∝ s²/σ³), that error stays below the
  // k-step method's own until well past 512 steps, so the measured slope is the formula's order k
  // (measured: 1.97, 2.93, 3.88).
  const grid = lambdaGrid(500, 0.05);
  it.each([
    [2, [128, 192, 256, 384, 512]],
    [3, [128, 192, 256, 384, 512]],
    [4, [128, 192, 256, 384, 512]],
  ] as const)('order %d', async (order, steps) => {
    const m = await measureOrder(withOrder(order), grid, [...steps]);
    expect(Math.abs(m.order - order)).toBeLessThan(0.3);
  });

  it('the lower-order warm-up caps the asymptotic order at 2 when the start is curved', async () => {
    // From σ = 5 the first (Euler) step sees the curvature of the trajectory: measured 2.09.
    const m = await measureOrder(withOrder(4), lambdaGrid(5, 0.05), [128, 192, 256, 384, 512]);
    expect(Math.abs(m.order - 2)).toBeLessThan(0.3);
  });

  it('order 1 is Euler, and a final σ = 0 is handled', async () => {
    const o = gaussianOracle();
    const sigmas = [10, 3, 1, 0.3, 0];
    const x = o.marginal(10, 2, 1);
    const got = await sampleLms(o.denoiser, x, sigmas, { order: 1 });
    let ref: Float64Array = x.slice();
    for (let i = 0; i < 4; i++) {
      const d = await o.denoiser(ref, sigmas[i]);
      const r = sigmas[i + 1] / sigmas[i];
      ref = ref.map((v, j) => r * v + (1 - r) * d[j]);
    }
    got.forEach((v, j) => expect(v).toBeCloseTo(ref[j], 12));
    const four = await sampleLms(o.denoiser, x, sigmas);
    expect(four.every(Number.isFinite)).toBe(true);
  });
});

describe('LMS plumbing', () => {
  const sigmas = Float64Array.from([...lambdaGrid(20, 0.05)(12), 0]);
  it('keeps Float32 in/out, reruns bit-identically, reports each step', async () => {
    const o = gaussianOracle();
    const x = Float32Array.from(o.marginal(20, 3, 2));
    const steps: number[] = [];
    const a = await sampleLms(o.denoiser, x, sigmas, { callback: (s) => { steps.push(s.i); } });
    const b = await sampleLms(o.denoiser, x, sigmas);
    expect(a).toBeInstanceOf(Float32Array);
    expect(b).toEqual(a);
    expect(steps).toEqual([...Array(13).keys()]);
  });
  it('throws when aborted and rejects a bad order', async () => {
    const o = gaussianOracle();
    const ac = new AbortController();
    ac.abort();
    await expect(sampleLms(o.denoiser, o.marginal(20, 1, 1), sigmas, { signal: ac.signal })).rejects.toThrow();
    await expect(sampleLms(o.denoiser, o.marginal(20, 1, 1), sigmas, { order: 0 })).rejects.toThrow(RangeError);
  });
});
