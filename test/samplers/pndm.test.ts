import { describe, expect, it } from 'vitest';
import { samplePndm } from '../../main/engine/samplers/pndm.js';
import type { PndmOptions } from '../../main/engine/samplers/pndm.js';
import type { Sampler } from '../../main/engine/samplers/common.js';
import { discreteFromBetas } from '../../main/engine/schedules.js';
import { gaussianOracle, lambdaGrid, measureOrder } from '../helpers/gaussian-oracle.js';

const withOpts = (o: PndmOptions): Sampler => (model, x, sigmas, opts) => samplePndm(model, x, sigmas, { ...opts, ...o });
const sigmaUniform = (a: number, b: number) => (n: number) => Float64Array.from({ length: n + 1 }, (_, i) => a + (i / n) * (b - a));

describe('PNDM / PLMS convergence on the Gaussian oracle', () => {
  // PLMS's Adams–Bashforth weights are those of equal steps, and its transfer φ is exact for
  // constant ε, so it is the 4-step Adams–Bashforth method on dx/dσ = ε̂ only when the grid is
  // uniform in σ. There the measured order is that of the warm-up: PRK (local error O(h⁵)) keeps
  // 4; the pseudo improved Euler first step and the 2-step weights (local O(h³)) give 3; plain
  // lower orders (an Euler first step, local O(h²)) give 2.
  it.each([
    ['prk', 4],
    ['heun', 3],
    ['lower-order', 2],
  ] as const)('σ-uniform grid, warm-up %s: order %d', async (warmup, order) => {
    const m = await measureOrder(withOpts({ warmup }), sigmaUniform(0.6, 0.1), [64, 96, 128, 192, 256]);
    expect(Math.abs(m.order - order)).toBeLessThan(0.3);
  });

  // On any other smooth grid (uniform in λ here, uniform in t for diffusers) the equal-step weights
  // average ε with the wrong weights: ∫ε dσ − Δσ·ε̄ ≈ ε′·σ″·h³/12 per step, so PLMS — and PNDM —
  // converge at order 2 whatever the warm-up (measured 2.02 for heun, 2.15 for prk).
  it.each(['heun', 'prk'] as const)('λ-uniform grid, warm-up %s: order 2', async (warmup) => {
    const m = await measureOrder(withOpts({ warmup }), lambdaGrid(20, 0.05), [64, 96, 128, 192, 256]);
    expect(Math.abs(m.order - 2)).toBeLessThan(0.3);
  });
});

/**
 * diffusers' `PNDMScheduler` (leading spacing, ε prediction) restated in VP variables: its
 * timestep list (with the repeated second timestep, or the 12 PRK sub-steps), its ε history and
 * `_get_prev_sample`. Used to check that the σ-form sampler reproduces it step for step.
 */
function diffusersPndm(abar: Float64Array, n: number, skipPrk: boolean, finalAbar: number, epsModel: (x: Float64Array, t: number) => Float64Array, xT: Float64Array): Float64Array {
  const N = abar.length, ratio = Math.floor(N / n), offset = 1;
  const ts = Array.from({ length: n }, (_, i) => i * ratio + offset); // ascending
  let prk: number[] = [], plms: number[];
  if (skipPrk) {
    plms = [...ts.slice(0, -1), ...ts.slice(-2, -1), ...ts.slice(-1)].reverse();
  } else {
    const pairs = ts.slice(-4).flatMap((t) => [t, t + Math.floor(ratio / 2)]).slice(0, -1);
    prk = pairs.flatMap((t) => [t, t]).slice(1, -1).reverse();
    plms = ts.slice(0, -3).reverse();
  }
  const prev = (x: Float64Array, t: number, tp: number, e: Float64Array) => {
    const a = abar[t], b = tp >= 0 ? abar[tp] : finalAbar;
    const den = a * Math.sqrt(1 - b) + Math.sqrt(a * (1 - a) * b);
    return x.map((v, j) => Math.sqrt(b / a) * v - ((b - a) * e[j]) / den);
  };
  const lc = (ws: number[], es: Float64Array[]) => es[0].map((_, j) => ws.reduce((s, w, k) => s + w * es[k][j], 0));
  let x = xT, ets: Float64Array[] = [], counter = 0, cur: Float64Array | null = null, acc: Float64Array[] = [];
  for (const t0 of [...prk, ...plms]) {
    let e = epsModel(x, t0), t = t0;
    if (counter < prk.length) {
      const diff = counter % 2 ? 0 : Math.floor(ratio / 2);
      const tp = t - diff;
      t = prk[Math.floor(counter / 4) * 4];
      if (counter % 4 === 0) { ets.push(e); cur = x; acc = [e]; } else acc.push(e);
      if (counter % 4 === 3) e = lc([1 / 6, 1 / 3, 1 / 3, 1 / 6], acc);
      x = prev(cur!, t, tp, e);
    } else {
      let tp = t - ratio;
      if (counter !== 1) { ets = [...ets.slice(-3), e]; } else { tp = t; t = t + ratio; }
      let s = x;
      if (ets.length === 1 && counter === 0) cur = x;
      else if (ets.length === 1 && counter === 1) { e = lc([0.5, 0.5], [e, ets[0]]); s = cur!; }
      else if (ets.length === 2) e = lc([1.5, -0.5], [ets[1], ets[0]]);
      else if (ets.length === 3) e = lc([23 / 12, -16 / 12, 5 / 12], [ets[2], ets[1], ets[0]]);
      else e = lc([55 / 24, -59 / 24, 37 / 24, -9 / 24], [ets[3], ets[2], ets[1], ets[0]]);
      x = prev(s, t, tp, e);
    }
    counter++;
  }
  return x;
}

describe('the σ form reproduces diffusers PNDMScheduler', () => {
  const schedule = discreteFromBetas('scaled_linear', 1000, 0.00085, 0.012);
  const abar = schedule.alphasCumprod;
  const epsModel = (x: Float64Array, t: number) => x.map((v, j) => 0.4 * Math.tanh(v) + 0.2 * Math.sin(0.01 * t + j));
  // The same model as a denoiser: D(x, σ) = x − σ·ε(α·x, t(σ)), x = x_VP/α.
  const denoiser = async (x: Float64Array | Float32Array, sigma: number) => {
    const a = 1 / Math.sqrt(1 + sigma * sigma);
    const e = epsModel(Float64Array.from(x, (v) => a * v), Math.round(schedule.t(sigma)));
    return Float64Array.from(x, (v, j) => v - sigma * e[j]);
  };
  const n = 10;
  const xT = Float64Array.from({ length: 8 }, (_, j) => Math.cos(3 * j));
  it.each([
    ['PLMS (skip_prk_steps, set_alpha_to_one = false)', true, false],
    ['PLMS (skip_prk_steps, set_alpha_to_one = true)', true, true],
    ['PNDM (PRK warm-up)', false, false],
  ] as const)('%s', async (_name, skipPrk, alphaToOne) => {
    const finalAbar = alphaToOne ? 1 : abar[0];
    const want = diffusersPndm(abar, n, skipPrk, finalAbar, epsModel, xT);
    // Our grid: the σ of each distinct timestep (901, 801, …, 1), then the final level.
    const ts = Array.from({ length: n }, (_, i) => (n - 1 - i) * 100 + 1);
    const sigmas = [...ts.map((t) => schedule.sigma(t)), Math.sqrt((1 - finalAbar) / finalAbar)];
    const half = Math.floor(Math.floor(1000 / n) / 2);
    const got = await samplePndm(denoiser, xT.map((v) => v / Math.sqrt(abar[ts[0]])), sigmas, {
      warmup: skipPrk ? 'heun' : 'prk',
      prkMidSigma: (s) => schedule.sigma(Math.round(schedule.t(s)) - half),
    });
    got.forEach((v, j) => expect(v * Math.sqrt(finalAbar)).toBeCloseTo(want[j], 10));
  });
});

describe('PNDM plumbing', () => {
  const sigmas = Float64Array.from([...lambdaGrid(20, 0.05)(12), 0]);
  it.each(['heun', 'prk', 'lower-order'] as const)('%s: Float32 in/out, bit-identical rerun, NFE count', async (warmup) => {
    const o = gaussianOracle();
    const x = Float32Array.from(o.marginal(20, 3, 2));
    const a = await samplePndm(o.denoiser, x, sigmas, { warmup });
    const nfe = o.nfe;
    const b = await samplePndm(o.denoiser, x, sigmas, { warmup });
    expect(a).toBeInstanceOf(Float32Array);
    expect(b).toEqual(a);
    expect(nfe).toBe({ heun: 14, prk: 22, 'lower-order': 13 }[warmup]);
  });
  it('throws when aborted', async () => {
    const o = gaussianOracle();
    const ac = new AbortController();
    ac.abort();
    await expect(samplePndm(o.denoiser, o.marginal(20, 1, 1), sigmas, { signal: ac.signal })).rejects.toThrow();
  });
});
