/**
 * DPM-Solver++(2M) with heavy-ball momentum (Wizadwongsa et al. 2023): β = 1 is DPM-Solver++(2M) to
 * the last bit of float64 arithmetic; β < 1 is first order (the velocity lags D̃ by O(h)); and it
 * does what the paper claims it is for — at few steps on a stiff problem, where the second-order
 * multistep step is unstable, the damped one is not.
 */
import { describe, expect, it } from 'vitest';
import { sampleDpmpp2m } from '../../main/engine/samplers/dpmpp.js';
import { sampleDpmpp2mMomentum } from '../../main/engine/samplers/momentum.js';
import { gaussianOracle, lambdaGrid, measureOrder } from '../helpers/gaussian-oracle.js';
import { karrasSigmas } from '../../main/engine/schedules.js';
import type { Denoiser } from '../../main/engine/samplers/common.js';

const rms = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let e = 0;
  for (let j = 0; j < a.length; j++) e += (a[j] - b[j]) ** 2;
  return Math.sqrt(e / a.length);
};

describe('DPM-Solver++(2M) with heavy-ball momentum', () => {
  it('β = 1 is DPM-Solver++(2M): same lower-order steps, same result', async () => {
    for (const steps of [4, 12, 20]) {
      const o = gaussianOracle(16);
      const sigmas = karrasSigmas(steps, 0.002, 80);
      const x = o.marginal(80, 4, 3);
      const a = await sampleDpmpp2mMomentum(o.denoiser, x.slice(), sigmas, { beta: 1 });
      const b = await sampleDpmpp2m(o.denoiser, x.slice(), sigmas);
      expect(rms(a, b), `${steps} steps`).toBeLessThan(1e-12);
    }
  });

  it('is first order for β < 1 and second order at β = 1 (λ-uniform, σ 1000 → 0.05)', async () => {
    const grid = lambdaGrid(1000, 0.05);
    const steps = [64, 128, 256, 512];
    const hb = await measureOrder((d, x, s) => sampleDpmpp2mMomentum(d, x, s, { beta: 0.8, lowerOrderFinal: false }), grid, steps);
    const plain = await measureOrder((d, x, s) => sampleDpmpp2mMomentum(d, x, s, { beta: 1, lowerOrderFinal: false }), grid, steps);
    expect(hb.order).toBeGreaterThan(0.9);
    expect(hb.order).toBeLessThan(1.2);
    expect(plain.order).toBeGreaterThan(1.8);
  });

  it('damps the divergence of the second-order step at few steps under strong guidance', async () => {
    // Classifier-free guidance of two Gaussian models, D = D_u + w(D_c − D_u): unconditional data
    // N(0, 1), conditional N(μ, 0.1²) per dimension, w = 7.5. D is affine in x with a slope
    // (1 − w)a_u + w·a_c that goes far below 0 as σ falls — the regime where multistep extrapolation
    // of D overshoots (the paper's divergence artifacts, §3). Reference: 4,000 λ-uniform steps.
    const guided: Denoiser = async (x, sigma) => Float64Array.from(x, (v, j) => {
      const mu = 0.5 * Math.sin(j), au = 1 / (1 + sigma * sigma), ac = 0.01 / (0.01 + sigma * sigma);
      const du = au * v, dc = mu + ac * (v - mu);
      return du + 7.5 * (dc - du);
    });
    const x = Float64Array.from({ length: 8 }, (_, j) => 80 * Math.cos(3 * j + 1));
    const grid = (n: number) => [...lambdaGrid(80, 0.002)(n), 0];
    const ref = await sampleDpmpp2m(guided, x.slice(), grid(4000));
    // Measured (RMS; |reference| 0.34): 6 steps 18 → 7.5, 8: 16 → 8.3, 10: 9.3 → 1.1, 15: 3.3 → 0.94.
    for (const n of [6, 8, 10, 15]) {
      const plain = rms(await sampleDpmpp2m(guided, x.slice(), grid(n)), ref);
      const damped = rms(await sampleDpmpp2mMomentum(guided, x.slice(), grid(n), { beta: 0.8 }), ref);
      expect(damped, `${n} steps: heavy ball ${damped.toFixed(2)} vs plain ${plain.toFixed(2)}`).toBeLessThan(0.6 * plain);
    }
  });

  it('refuses β outside (0, 1]', async () => {
    const o = gaussianOracle(4);
    await expect(sampleDpmpp2mMomentum(o.denoiser, o.marginal(10, 1, 1), [10, 1, 0], { beta: 0 })).rejects.toThrow(/β must be in \(0, 1\]/);
    await expect(sampleDpmpp2mMomentum(o.denoiser, o.marginal(10, 1, 1), [10, 1, 0], { beta: 1.5 })).rejects.toThrow(/β must be in/);
  });
});
