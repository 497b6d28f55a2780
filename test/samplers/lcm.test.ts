import { describe, expect, it } from 'vitest';
import { sampleLcm } from '../../main/engine/samplers/lcm.js';
import type { LcmOptions } from '../../main/engine/samplers/lcm.js';
import { sampleDdim } from '../../main/engine/samplers/ddim.js';
import type { Denoiser, Sampler } from '../../main/engine/samplers/common.js';
import { seededNoise } from '../../main/engine/random.js';
import { discreteFromBetas } from '../../main/engine/schedules.js';
import { zerosLike } from '../../main/engine/tensor.js';
import { gaussianOracle, lambdaGrid, sampleStats, zScores } from '../helpers/gaussian-oracle.js';

const oracle = gaussianOracle();
const { mu, s } = oracle;
/** The oracle's exact consistency function: the probability-flow map from σ to 0, f*(x, σ) = μ + (x − μ)·s/√(s² + σ²). */
const flowMap: Denoiser = async (x, sigma) => {
  const out = zerosLike(x);
  for (let j = 0; j < x.length; j++) {
    const k = j % mu.length;
    out[j] = mu[k] + (x[j] - mu[k]) * (s[k] / Math.sqrt(s[k] * s[k] + sigma * sigma));
  }
  return out;
};
/** Run `sampleLcm` with a fixed model in place of the oracle's denoiser (sampleStats supplies the latter). */
const withModel = (model: Denoiser, extra: LcmOptions = {}): Sampler => (_m, x, sigmas, opts) => sampleLcm(model, x, sigmas, { ...opts, ...extra });

describe('LCM multistep sampling reaches the data distribution', () => {
  // With the exact consistency function every step is exact: f maps the marginal at σ onto the
  // data distribution and fresh noise gives the marginal at σ′. There is no discretisation bias
  // at any step count, so 4 steps (and 1) must pass at the sampling error of 4,000 samples.
  it.each([
    ['4 steps', [40, 3, 0.8, 0.2, 0]],
    ['1 step', [40, 0]],
  ] as const)('exact consistency function, identity boundary, %s', async (_name, sigmas) => {
    const stats = await sampleStats(withModel(flowMap), sigmas, 4000, { noise: seededNoise(3) });
    const z = zScores(stats);
    expect(z.mean).toBeLessThan(5);
    expect(z.variance).toBeLessThan(5);
  });

  it('with the posterior mean D as f it collapses exactly as predicted (D is not a consistency function)', async () => {
    // f = D = μ + w·(x − μ), w = s²/(s² + σ²): each step maps the variance V to w²V + σ′², which
    // loses s²σ²/(s² + σ²) against the marginal; predicted per dimension and checked within 5 SE.
    const sigmas = [40, 3, 0.8, 0.2, 0];
    const stats = await sampleStats(withModel(oracle.denoiser), sigmas, 4000, { noise: seededNoise(3) });
    s.forEach((sk, k) => {
      let v = sk * sk + sigmas[0] ** 2;
      for (let i = 0; i + 1 < sigmas.length; i++) v = ((sk * sk) / (sk * sk + sigmas[i] ** 2)) ** 2 * v + sigmas[i + 1] ** 2;
      expect(v).toBeLessThan(sk * sk);
      expect(Math.abs(stats.variance[k] - v) / (v * Math.sqrt(2 / 3999))).toBeLessThan(5);
    });
  });

  it('applies the boundary: a c_skip/c_out-parameterised model gives the same samples', async () => {
    // Song et al. 2023 (Consistency Models) eq. 5 scalings with σ_data = 0.5, σ_min = 0.002; the
    // network output F is chosen so that c_skip·x + c_out·F is the exact consistency function.
    const sd = 0.5, smin = 0.002;
    const boundary = (sigma: number) => ({ cSkip: sd ** 2 / ((sigma - smin) ** 2 + sd ** 2), cOut: (sd * (sigma - smin)) / Math.sqrt(sd ** 2 + sigma ** 2) });
    const net: Denoiser = async (x, sigma) => {
      const f = await flowMap(x, sigma);
      const { cSkip, cOut } = boundary(sigma);
      return f.map((v, j) => (v - cSkip * x[j]) / cOut);
    };
    const sigmas = [40, 3, 0.8, 0.2, 0];
    const x = oracle.marginal(40, 8, 6);
    const a = await sampleLcm(net, x, sigmas, { boundary, noise: seededNoise(5) });
    const b = await sampleLcm(flowMap, x, sigmas, { noise: seededNoise(5) });
    a.forEach((v, j) => expect(v).toBeCloseTo(b[j], 9));
  });
});

describe('LCM matches diffusers LCMScheduler.step', () => {
  it('one step with timestep_scaling = 10 and ε prediction, in VP variables', async () => {
    const schedule = discreteFromBetas('scaled_linear', 1000, 0.00085, 0.012);
    const abar = schedule.alphasCumprod;
    const [t, tPrev] = [759, 499];
    const [a, b] = [abar[t], abar[tPrev]];
    const cOfT = (tt: number) => {
      const st = 10 * tt;
      return { cSkip: 0.25 / (st * st + 0.25), cOut: st / Math.sqrt(st * st + 0.25) };
    };
    const xt = Float64Array.from([0.3, -1.2, 0.8, 2.1]);
    const eps = Float64Array.from([0.5, -0.1, 0.9, -1.3]);
    const z = seededNoise(7)(0, xt);
    const { cSkip, cOut } = cOfT(t);
    const denoisedVp = xt.map((v, j) => cOut * ((v - Math.sqrt(1 - a) * eps[j]) / Math.sqrt(a)) + cSkip * v);
    const want = denoisedVp.map((d, j) => Math.sqrt(b) * d + Math.sqrt(1 - b) * z[j]);
    // The σ-view mapping documented on LcmOptions.boundary: cSkip·α(σ), cOut, with t = t(σ).
    const boundary = (sigma: number) => {
      const c = cOfT(Math.round(schedule.t(sigma)));
      return { cSkip: c.cSkip / Math.sqrt(1 + sigma * sigma), cOut: c.cOut };
    };
    const sigma = schedule.sigma(t), next = schedule.sigma(tPrev);
    const model: Denoiser = async (x, sg) => x.map((v, j) => v - sg * eps[j]);
    let got: Float64Array | undefined;
    await sampleLcm(model, xt.map((v) => v / Math.sqrt(a)), [sigma, next, 0], {
      boundary,
      noise: seededNoise(7),
      callback: (step) => { if (step.i === 0) got = Float64Array.from(step.x); },
    });
    got!.forEach((v, j) => expect(v * Math.sqrt(b)).toBeCloseTo(want[j], 12));
  });
});

describe('LCM plumbing', () => {
  const sigmas = Float64Array.from([...lambdaGrid(20, 0.05)(6), 0]);
  it('Float32 in/out, same-seed rerun bit-identical, last step returns f', async () => {
    const x = Float32Array.from(oracle.marginal(20, 3, 2));
    let lastF: Float32Array | undefined;
    const a = await sampleLcm(oracle.denoiser, x, sigmas, { noise: seededNoise(9), callback: (st) => { lastF = st.denoised as Float32Array; } });
    const b = await sampleLcm(oracle.denoiser, x, sigmas, { noise: seededNoise(9) });
    expect(a).toBeInstanceOf(Float32Array);
    expect(b).toEqual(a);
    expect(a).toEqual(lastF);
  });
  it('is DDIM (η = 0) outside the SDE window when f = D', async () => {
    const x = oracle.marginal(20, 2, 2);
    const out = await sampleLcm(oracle.denoiser, x, sigmas, { sde: { window: { sigmaMin: 100, sigmaMax: 200 } } });
    const ddim = await sampleDdim(oracle.denoiser, x, sigmas);
    out.forEach((v, j) => expect(v).toBeCloseTo(ddim[j], 12));
  });
  it('throws when aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(sampleLcm(oracle.denoiser, oracle.marginal(20, 1, 1), sigmas, { signal: ac.signal })).rejects.toThrow();
  });
});
