import { describe, expect, it } from 'vitest';
import { coefficientWeights, dpmSolverV3 } from '../../main/engine/samplers/dpm-solver-v3.js';
import type { DpmSolverV3Options } from '../../main/engine/samplers/dpm-solver-v3.js';
import { estimateStatistics, gaussianStatistics } from '../../main/engine/samplers/ems.js';
import type { ModelStatistics } from '../../main/engine/samplers/ems.js';
import { sampleDpmpp2m, sampleDpmpp3m } from '../../main/engine/samplers/dpmpp.js';
import { sampleDpmSolverMultistep } from '../../main/engine/samplers/dpm-solver.js';
import { sampleUniPc } from '../../main/engine/samplers/unipc.js';
import type { Denoiser, StepInfo, Vec } from '../../main/engine/samplers/common.js';
import { karrasSigmas } from '../../main/engine/schedules.js';
import { fillGaussian } from '../../main/engine/random.js';
import { maxAbsDiff, rms } from '../../main/engine/tensor.js';
import { gaussianOracle, lambdaGrid, measureOrder } from '../helpers/gaussian-oracle.js';

const DIM = 16;
/** K + 1 λ-uniform statistics nodes covering σ from sigmaMax down to sigmaMin. */
const statsGrid = (K: number, sigmaMax: number, sigmaMin: number) =>
  Float64Array.from({ length: K + 1 }, (_, k) => -Math.log(sigmaMax) + (Math.log(sigmaMax / sigmaMin) * k) / K);
const exactStats = (K: number, sigmaMax = 20, sigmaMin = 0.05) => {
  const o = gaussianOracle(DIM);
  return gaussianStatistics(o.mu, o.s, statsGrid(K, sigmaMax, sigmaMin));
};
/** `count` clean samples of the oracle's data distribution, one vector each. */
const cleanSamples = (count: number, seed: number) => {
  const data = gaussianOracle(DIM).marginal(0, count, seed);
  return Array.from({ length: count }, (_, n) => data.slice(n * DIM, (n + 1) * DIM));
};
const constant = (K: number, v: number) => new Float64Array(K * DIM).fill(v);

describe('EMS estimator on the Gaussian model (finite-difference JVPs, denoiser calls only)', () => {
  const lambdas = statsGrid(120, 20, 0.05); // Δλ = 0.05
  const exact = exactStats(120);

  it('reproduces the closed form with Rademacher probes, at 5 calls per sample and node', async () => {
    const o = gaussianOracle(DIM);
    const N = 32;
    const est = await estimateStatistics(o.denoiser, cleanSamples(N, 3), lambdas);
    expect(o.nfe).toBe(5 * lambdas.length * N);
    // Tolerances (measured: l 8e-14, s 4e-8, b 1.5e-6):
    // - l: D is affine, so the central difference has no truncation error and a Rademacher probe
    //   recovers a diagonal Jacobian exactly (v² = 1, no cross terms): no Monte-Carlo error either.
    //   Rounding ε·|D|/δ with δ = 1e-3·√(1 + σ²) ≥ 1e-3 and |D| < 3 is below 1e-12.
    // - b = E[F′]: F′ uses l′, the five-point derivative of the l curve on Δλ = 0.05 (error
    //   Δλ⁴/30·|l⁽⁵⁾| ≲ 2e-6 inside, a few times that at the one-sided ends, times |E x| = |μ| < 0.8),
    //   and dD/dλ by a central difference with δ = 1e-3 (error δ²/6·|D‴| ~ 1e-7).
    // - s: F = −lμ is deterministic, so the fit is degenerate and the ridge picks s = 0; what is
    //   left is (rounding spread of F)·(l′-error spread of F′)/(1e-12·Var x) ≲ 1e-5; measured 4e-8.
    expect(maxAbsDiff(est.l, exact.l)).toBeLessThan(1e-10);
    expect(maxAbsDiff(est.s, exact.s)).toBeLessThan(1e-6);
    expect(maxAbsDiff(est.b, exact.b)).toBeLessThan(1e-5);
  });

  it('samples that are batches of images (a conditional model\'s rows) give the same statistics, pooled over rows', async () => {
    const o = gaussianOracle(DIM);
    const single = cleanSamples(32, 3);
    // 16 batches of two images each (the oracle acts on dimension j mod DIM, as a batched model does).
    const batched = Array.from({ length: 16 }, (_, n) => Float64Array.from([...single[2 * n], ...single[2 * n + 1]]));
    const est = await estimateStatistics(o.denoiser, batched, lambdas, { dim: DIM });
    expect(o.nfe, 'one call per batch').toBe(5 * lambdas.length * 16);
    expect(est.dim).toBe(DIM);
    expect(maxAbsDiff(est.l, exact.l)).toBeLessThan(1e-10);
    expect(maxAbsDiff(est.s, exact.s)).toBeLessThan(1e-6);
    expect(maxAbsDiff(est.b, exact.b)).toBeLessThan(1e-5);
  });

  it('statistics shared per group of dimensions (per channel) pool the group\'s samples and keep the closed form where the group is alike', async () => {
    // Four groups of four dimensions, each group one Gaussian: the pooled estimate is that group's closed form.
    const o = gaussianOracle(DIM);
    for (let m = 0; m < DIM; m++) {
      o.mu[m] = o.mu[4 * Math.floor(m / 4)];
      o.s[m] = o.s[4 * Math.floor(m / 4)];
    }
    const samples = Array.from({ length: 8 }, (_, n) => Float64Array.from(o.marginal(0, 1, 40 + n)));
    const est = await estimateStatistics(o.denoiser, samples, lambdas, { groups: 4 });
    const want = gaussianStatistics(o.mu, o.s, lambdas);
    expect(maxAbsDiff(est.l, want.l)).toBeLessThan(1e-10);
    expect(maxAbsDiff(est.b, want.b)).toBeLessThan(1e-5);
    for (let k = 0; k < lambdas.length; k++) {
      for (let m = 0; m < DIM; m++) expect(est.s[k * DIM + m]).toBe(est.s[k * DIM + 4 * Math.floor(m / 4)]);
    }
    await expect(estimateStatistics(o.denoiser, samples, lambdas, { groups: 3 })).rejects.toThrow(/groups must divide the 16 values/);
  });

  it('with Gaussian probes l carries the Hutchinson Monte-Carlo error, (1 − l)·|mean v² − 1| ~ (1 − l)·√(2/N)', async () => {
    const o = gaussianOracle(DIM);
    const N = 64;
    const est = await estimateStatistics(o.denoiser, cleanSamples(N, 3), lambdas, { probe: 'gaussian' });
    // For a diagonal Jacobian a·I the estimate is 1 − a·mean_n(v²): its error in units of the
    // standard error a·√(2/N) is one z-score per dimension (the same probes serve every node).
    let zMax = 0;
    for (let j = 0; j < est.l.length; j++) zMax = Math.max(zMax, Math.abs(est.l[j] - exact.l[j]) / ((1 - exact.l[j]) * Math.sqrt(2 / N)));
    expect(zMax).toBeGreaterThan(0.5); // the probe noise is there …
    expect(zMax).toBeLessThan(4.5); // … at its expected size (16 z-scores; P(max > 4.5) ≈ 1e-4)
  });
});

/** RMS error of a sampler against the exact ODE transport on the oracle. */
async function errorOf(run: (d: Denoiser, x: Float64Array, s: ArrayLike<number>) => Promise<Vec>, sigmas: ArrayLike<number>): Promise<number> {
  const o = gaussianOracle(DIM);
  const x0 = o.marginal(sigmas[0], 4, 11);
  return rms(await run(o.denoiser, x0.slice(), sigmas), o.exact(x0, sigmas[0], sigmas[sigmas.length - 1]));
}

describe('DPM-Solver-v3 on the Gaussian model', () => {
  const grid = lambdaGrid(20, 0.05);

  it('with exact statistics is exact up to the statistics grid: no step-count dependence, a floor falling as Δλ⁴', async () => {
    // The EMS make f = F(λ_s) constant (see `gaussianStatistics`): the local approximation is exact,
    // and what is left is the cubic interpolation of l, s, b between nodes (O(Δλ⁴)) and the RK4
    // quadrature (~1e-10 relative). Measured RMS errors at 5/10/20/40 steps:
    //   31 nodes 1.3e-5 4.5e-6 2.9e-6 7.0e-7;  61: 7.7e-7 2.3e-7 2.3e-7 1.1e-7;
    //   121: 4.8e-8 1.3e-8 1.3e-8 1.3e-8;  241: 3.0e-9 7.7e-10 7.6e-10 7.7e-10;  1201: ~1e-12.
    const floors: number[] = [];
    for (const K of [30, 60, 120, 240]) {
      const m = await measureOrder(dpmSolverV3(exactStats(K)), grid, [5, 10, 20, 40]);
      floors.push(Math.max(...m.error));
    }
    for (let i = 1; i < floors.length; i++) expect(Math.log2(floors[i - 1] / floors[i])).toBeGreaterThan(3.5); // 4th order in Δλ
    const fine = await measureOrder(dpmSolverV3(exactStats(1200)), grid, [5, 10, 20, 40]);
    expect(Math.max(...fine.error)).toBeLessThan(1e-11);
  });

  it('is far more accurate than DPM-Solver++(2M) and UniPC at 5 and 10 steps (paper §4 / Table 1 claim, exact here)', async () => {
    // λ-uniform grids σ 20 → 0.05, defaults of every sampler. Measured RMS errors:
    //   steps  v3 (exact EMS, Δλ = 0.05)  v3 (estimated EMS)  DPM++(2M)  UniPC (bh2, p = 2)
    //     5         4.8e-8                    1.6e-7          4.6e-2      2.5e-2
    //    10         1.3e-8                    1.4e-8          1.4e-2      1.3e-2
    // i.e. ratios ≥ 5e5 with the closed-form statistics and ≥ 1.5e5 with the estimated ones.
    const o = gaussianOracle(DIM);
    const estimated = await estimateStatistics(o.denoiser, cleanSamples(64, 3), statsGrid(120, 20, 0.05));
    const v3 = dpmSolverV3(exactStats(120));
    const v3est = dpmSolverV3(estimated);
    for (const steps of [5, 10]) {
      const sigmas = grid(steps);
      const ours = await errorOf(v3, sigmas);
      const ourEst = await errorOf(v3est, sigmas);
      const dpmpp = await errorOf(sampleDpmpp2m, sigmas);
      const unipc = await errorOf(sampleUniPc, sigmas);
      for (const other of [dpmpp, unipc]) {
        expect(other / ours).toBeGreaterThan(1e5);
        expect(other / ourEst).toBeGreaterThan(3e4);
      }
    }
  });

  it('a last step to σ = 0 is the first-order denoise step: D at the last positive level', async () => {
    const sigmas = Float64Array.from([...grid(10), 0]);
    const o = gaussianOracle(DIM);
    const x0 = o.marginal(sigmas[0], 4, 11);
    const steps: StepInfo[] = [];
    const got = await dpmSolverV3(exactStats(120))(o.denoiser, x0.slice(), sigmas, { callback: (s) => void steps.push(s) });
    expect(steps).toHaveLength(11);
    expect(got).toEqual(Float64Array.from(steps[10].denoised));
    // The state at σ = 0.05 is exact to 1e-8, so the result is the oracle's D there, not x(σ = 0).
    const last = o.exact(x0, sigmas[0], sigmas[10]);
    expect(maxAbsDiff(got, await o.denoiser(last, sigmas[10]))).toBeLessThan(1e-7);
    expect(maxAbsDiff(got, o.exact(x0, sigmas[0], 0))).toBeGreaterThan(1e-3);
  });
});

describe('a non-Gaussian model: per-dimension two-component mixtures (D nonlinear, F random, s non-trivial)', () => {
  // x₀,k ~ ½N(m_k, v_k) + ½N(−m_k, v_k): D is a posterior-weighted blend of two affine maps, so F
  // varies with x and the slope fit for s is well posed (estimated s spans about −2 … 3).
  const dim = 8;
  const m = Float64Array.from({ length: dim }, (_, k) => 0.5 + 0.15 * k);
  const v = Float64Array.from({ length: dim }, (_, k) => 0.05 + 0.02 * k);
  const mixture: Denoiser = async (x, sigma) => x.map((xj, j) => {
    const k = j % dim, t = v[k] + sigma * sigma, g = v[k] / t;
    const pPlus = 1 / (1 + Math.exp(-(2 * xj * m[k]) / t)); // posterior weight of the +m component
    return pPlus * (m[k] + g * (xj - m[k])) + (1 - pPlus) * (-m[k] + g * (xj + m[k]));
  });

  it('the estimated EMS beat DPM-Solver++(2M), UniPC and the degenerate (l = 1) statistics at 5 and 10 steps', async () => {
    const samples = Array.from({ length: 256 }, (_, n) => {
      const z = fillGaussian(new Float64Array(dim), 9, n);
      return z.map((zk, k) => ((n * 7 + k * 3) % 2 ? 1 : -1) * m[k] + Math.sqrt(v[k]) * zk);
    });
    const lambdas = statsGrid(240, 20, 0.02);
    const est = await estimateStatistics(mixture, samples, lambdas);
    const K = lambdas.length;
    const degenerate = { lambdas, dim, l: new Float64Array(K * dim).fill(1), s: new Float64Array(K * dim), b: new Float64Array(K * dim) };
    const grid = lambdaGrid(20, 0.02);
    const x0 = Float64Array.from(fillGaussian(new Float64Array(dim * 64), 4, 0), (z) => 20 * z);
    // Reference: DPM-Solver++(3M, Taylor weight) at 4000 steps (2e-9 from its 8000-step result).
    const ref = await sampleDpmpp3m(mixture, x0.slice(), grid(4000), { thirdOrderWeight: 'taylor' });
    // Measured RMS errors:     v3 (EMS)   v3 (l = 1)   DPM++(2M)   UniPC
    //                5 steps   6.0e-2     2.1e-1       8.4e-2      8.8e-2
    //               10 steps   9.9e-3     2.7e-2       3.5e-2      2.0e-2
    for (const [steps, margin] of [[5, 1.2], [10, 1.6]]) {
      const sigmas = grid(steps);
      const ours = rms(await dpmSolverV3(est)(mixture, x0.slice(), sigmas), ref);
      expect(rms(await sampleDpmpp2m(mixture, x0.slice(), sigmas), ref) / ours).toBeGreaterThan(margin);
      expect(rms(await sampleUniPc(mixture, x0.slice(), sigmas), ref) / ours).toBeGreaterThan(margin);
      expect(rms(await dpmSolverV3(degenerate)(mixture, x0.slice(), sigmas), ref) / ours).toBeGreaterThan(2);
    }
  });
});

describe('convergence order as the steps double (λ-uniform, σ 1000 → 0.05)', () => {
  // With exact statistics there is no step-count dependence to measure (above). To see the solver's
  // order, integrate with the statistics of another Gaussian (μ′ = 0.7μ + 0.1, s′ = 1.3s — a model
  // whose EMS were estimated on other data): f is then a smooth, non-constant function of λ.
  // Starting at σ = 1000 makes the first-order warm-up step cost nothing (as in dpmpp.test.ts).
  // Measured at 32/64/128/256 steps (lowerOrderFinal off):
  //   predictor 1/2/3: 1.01 / 2.00 / 3.00;  order 2 + corrector 2.11;  order 3 + corrector 3.36;
  //   pseudo-order predictor 3: 2.01;  order 3 + pseudo corrector: 2.02;
  //   defaults (order 3 + corrector, lowerOrderFinal on: a first-order last step): 2.34.
  const o = gaussianOracle(DIM);
  const mismatched = gaussianStatistics(o.mu.map((m) => 0.7 * m + 0.1), o.s.map((s) => 1.3 * s), statsGrid(1200, 1000, 0.05));
  const cases: [string, DpmSolverV3Options, number][] = [
    ['predictor order 1 (DDIM-like)', { order: 1, corrector: false, lowerOrderFinal: false }, 1],
    ['predictor order 2', { order: 2, corrector: false, lowerOrderFinal: false }, 2],
    ['predictor order 3', { order: 3, corrector: false, lowerOrderFinal: false }, 3],
    ['order 3 + corrector', { order: 3, lowerOrderFinal: false }, 3],
    // Divided differences stand in for Taylor coefficients: an O(h³) local term, second order.
    ['pseudo-order predictor 3', { order: 3, corrector: false, predictorPseudo: true, lowerOrderFinal: false }, 2],
    ['order 3 + pseudo-order corrector', { order: 3, correctorPseudo: true, lowerOrderFinal: false }, 2],
    ['defaults (lowerOrderFinal: first-order last step)', {}, 2],
  ];
  it.each(cases)('%s', async (_name, opts, order) => {
    const m = await measureOrder(dpmSolverV3(mismatched, opts), lambdaGrid(1000, 0.05), [32, 64, 128, 256]);
    expect(Math.abs(m.order - order)).toBeLessThan(0.4);
  });

  it('the corrector lowers the error at every step count (order 3)', async () => {
    const plain = await measureOrder(dpmSolverV3(mismatched, { corrector: false, lowerOrderFinal: false }), lambdaGrid(1000, 0.05), [32, 64, 128, 256]);
    const corrected = await measureOrder(dpmSolverV3(mismatched, { lowerOrderFinal: false }), lambdaGrid(1000, 0.05), [32, 64, 128, 256]);
    corrected.error.forEach((e, i) => expect(e).toBeLessThan(plain.error[i] / 3));
  });
});

describe('degenerate statistics reduce DPM-Solver-v3 to the engine’s exponential integrators (App. A.2)', () => {
  const lambdas = statsGrid(1200, 20, 0.05);
  const K = lambdas.length;
  // l = 1, s = 0, b = 0: f = −D (data prediction); l = 0, s = −1, b = 0: f = e^{−λ_s}·ε̂ (noise prediction).
  const data: ModelStatistics = { lambdas, dim: DIM, l: constant(K, 1), s: constant(K, 0), b: constant(K, 0) };
  const noise: ModelStatistics = { lambdas, dim: DIM, l: constant(K, 0), s: constant(K, -1), b: constant(K, 0) };
  const grids = [lambdaGrid(20, 0.05)(10), karrasSigmas(12, 0.06, 14.6), karrasSigmas(8, 0.05, 20)];
  const pred = (order: number) => ({ order, corrector: false, lowerOrderFinal: false });
  const ref = { solverType: 'heun' as const, thirdOrderWeight: 'taylor' as const, lowerOrderFinal: false };
  // The predictor integrates the polynomial through its nodes exactly: the "heun" (exact-linear)
  // first-difference weight and the Taylor D₂ weight. Measured differences ≤ 2e-10 (RK4 quadrature).
  it.each<[string, ModelStatistics, number, (d: Denoiser, x: Vec, s: ArrayLike<number>) => Promise<Vec>]>([
    ['l = 1, s = b = 0, order 2: DPM-Solver++(2M)', data, 2, (d, x, s) => sampleDpmpp2m(d, x, s, ref)],
    ['l = 1, s = b = 0, order 3: DPM-Solver++(3M), Taylor weight', data, 3, (d, x, s) => sampleDpmpp3m(d, x, s, ref)],
    ['l = 0, s = −1, b = 0, order 2: multistep DPM-Solver (noise)', noise, 2, (d, x, s) => sampleDpmSolverMultistep(d, x, s, { ...ref, order: 2 })],
    ['l = 0, s = −1, b = 0, order 3: multistep DPM-Solver (noise), Taylor weight', noise, 3, (d, x, s) => sampleDpmSolverMultistep(d, x, s, { ...ref, order: 3 })],
  ])('%s', async (_name, stats, order, reference) => {
    for (const sigmas of grids) {
      const o = gaussianOracle(DIM);
      const x0 = o.marginal(sigmas[0], 4, 5);
      const ours = await dpmSolverV3(stats, pred(order))(o.denoiser, x0.slice(), sigmas);
      expect(maxAbsDiff(ours, await reference(o.denoiser, x0.slice(), sigmas))).toBeLessThan(1e-9);
    }
  });

  it('the degenerate data-form corrector is UniC with the exact ρ (not diffusers’ ρ = ½)', async () => {
    // Order 2: step 1 is second order, and step 2's call corrects it with the nodes (s, t) = (1, 2):
    //   x₂ᶜ = e^{−h}x₁ + (1 − e^{−h})D₁ + (1 − (1 − e^{−h})/h)·(D₂ − D₁),
    // the exact integral of the line through D₁, D₂ (UniC-1 with ρ = (1 − (1 − e^{−h})/h)/(1 − e^{−h})).
    // Step 2's predictor then starts from x₂ᶜ with D̃₂ = (1 − l)x₂ᶜ − F₂ = D₂ (l = 1) and D₁:
    //   x₃ = e^{−h₂}x₂ᶜ + (1 − e^{−h₂})D₂ + (1 − (1 − e^{−h₂})/h₂)·(D₂ − D₁)/r,  r = h/h₂.
    const sigmas = lambdaGrid(20, 0.05)(10).subarray(0, 4);
    const o = gaussianOracle(DIM);
    const x0 = o.marginal(sigmas[0], 1, 5);
    const seen: StepInfo[] = [];
    await dpmSolverV3(data, { order: 2, lowerOrderFinal: false })(o.denoiser, x0.slice(), sigmas, { callback: (s) => void seen.push(s) });
    const [x1, x2] = [seen[0].x, seen[1].x];
    const [d1, d2] = [await o.denoiser(x1, sigmas[1]), await o.denoiser(x2, sigmas[2])];
    const [l1, l2, l3] = [1, 2, 3].map((i) => -Math.log(sigmas[i]));
    const phi = (h: number) => 1 + Math.expm1(-h) / h; // ∫₀ʰ e^{−(h−u)}·u/h du
    const h = l2 - l1, h2 = l3 - l2;
    const x2c = x1.map((x, j) => Math.exp(-h) * x - Math.expm1(-h) * d1[j] + phi(h) * (d2[j] - d1[j]));
    const x3 = x2c.map((x, j) => Math.exp(-h2) * x - Math.expm1(-h2) * d2[j] + (phi(h2) * (d2[j] - d1[j])) / (h / h2));
    expect(maxAbsDiff(seen[2].denoised, d2)).toBeLessThan(1e-12);
    expect(maxAbsDiff(seen[2].x, x3)).toBeLessThan(1e-9);
    // … and it is not the uncorrected run.
    const plain = await dpmSolverV3(data, { order: 2, corrector: false, lowerOrderFinal: false })(o.denoiser, x0.slice(), sigmas);
    expect(maxAbsDiff(plain, x3)).toBeGreaterThan(1e-4);
  });

  it('coefficient weights: Taylor coefficients of the interpolating polynomial, or divided differences (pseudo)', () => {
    // f(λ) = 1 + 2(λ − λ₀) + 3(λ − λ₀)² + 4(λ − λ₀)³ sampled at λ₀ = 0 and three earlier levels.
    const lams = [0, -0.3, -0.5, -0.9];
    const f = (t: number) => 1 + 2 * t + 3 * t * t + 4 * t ** 3;
    const taylor = coefficientWeights(lams, false).map((w) => w.reduce((a, wq, q) => a + wq * f(lams[q]), 0));
    taylor.forEach((c, m) => expect(c).toBeCloseTo([2, 3, 4][m], 10));
    // Divided differences: f[λ₀, λ₁] = 2 + 3(λ₁ − λ₀) + 4(λ₁ − λ₀)², etc.; the top one is exact (4).
    const pseudo = coefficientWeights(lams, true).map((w) => w.reduce((a, wq, q) => a + wq * f(lams[q]), 0));
    expect(pseudo[0]).toBeCloseTo(2 + 3 * -0.3 + 4 * 0.09, 10);
    expect(pseudo[2]).toBeCloseTo(4, 10);
  });
});

describe('sampler conventions', () => {
  const stats = exactStats(120);
  const sigmas = Float64Array.from([...lambdaGrid(20, 0.05)(8), 0]);

  it('one model call per step, a callback per step, float32 kept, cancellation between steps', async () => {
    const o = gaussianOracle(DIM);
    const x = Float32Array.from(o.marginal(20, 3, 4));
    const seen: StepInfo[] = [];
    const out = await dpmSolverV3(stats)(o.denoiser, x, sigmas, { callback: (s) => void seen.push(s) });
    expect(out).toBeInstanceOf(Float32Array);
    expect(o.nfe).toBe(9);
    expect(seen.map((s) => s.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(seen.map((s) => s.t)).toEqual(Array.from(sigmas.subarray(0, 9)));
    const ctl = new AbortController();
    const run = dpmSolverV3(stats)(o.denoiser, x, sigmas, { signal: ctl.signal, callback: (s) => { if (s.i === 1) ctl.abort(); } });
    await expect(run).rejects.toThrow(/cancel|abort/i);
  });

  it('per-call options override the factory settings', async () => {
    const o = gaussianOracle(DIM);
    const x0 = o.marginal(20, 2, 4);
    const a = await dpmSolverV3(stats, { order: 2 })(o.denoiser, x0.slice(), sigmas, { order: 1 });
    const b = await dpmSolverV3(stats, { order: 1 })(o.denoiser, x0.slice(), sigmas);
    expect(a).toEqual(b);
  });

  it('a state replaced by the callback is kept: the next corrector is skipped, the history is not', async () => {
    const o = gaussianOracle(DIM);
    const x0 = o.marginal(20, 2, 4);
    const nudge = Float64Array.from(x0, (_, j) => (j % 3) * 1e-3);
    const seen: StepInfo[] = [];
    await dpmSolverV3(stats)(o.denoiser, x0.slice(), sigmas, {
      callback: (s) => {
        seen.push(s);
        return s.i === 3 ? s.x.map((v, j) => v + nudge[j]) : undefined;
      },
    });
    // Step 4 starts from the replaced state: its model input is that state (denoised = D of it).
    const replaced = seen[3].x.map((v, j) => v + nudge[j]);
    expect(maxAbsDiff(seen[4].denoised, await o.denoiser(replaced, sigmas[4]))).toBe(0);
  });
});

describe('bad input is refused with a RangeError naming the problem', () => {
  const stats = exactStats(60); // σ 20 … 0.05
  const o = gaussianOracle(DIM);
  const sigmas = lambdaGrid(20, 0.05)(6);

  it('statistics of the wrong dimension for the state', async () => {
    await expect(dpmSolverV3(stats)(o.denoiser, new Float64Array(24), sigmas)).rejects.toThrow(/x has 24 values, not a positive multiple of the statistics' dimension 16/);
    // A batch of whole samples is fine.
    await expect(dpmSolverV3(stats)(o.denoiser, o.marginal(20, 3, 1), sigmas)).resolves.toHaveLength(48);
  });

  it('a σ grid outside the statistics’ λ range (no extrapolation)', async () => {
    await expect(dpmSolverV3(stats)(o.denoiser, o.marginal(80, 1, 1), karrasSigmas(6, 0.05, 80))).rejects.toThrow(
      /sigmas\[0\] = 80 \(λ = -4\.38\d*\) lies outside the statistics' λ range \[-2\.99\d*, 2\.99\d*\]/,
    );
    await expect(dpmSolverV3(stats)(o.denoiser, o.marginal(20, 1, 1), [20, 1, 0.01])).rejects.toThrow(/sigmas\[2\] = 0\.01 .* does not extrapolate/);
    // σ = 0 at the end is not a statistics level.
    await expect(dpmSolverV3(stats)(o.denoiser, o.marginal(20, 1, 1), [20, 1, 0.05, 0])).resolves.toHaveLength(16);
  });

  it('non-finite or malformed statistics, non-finite states, bad options', async () => {
    const nan = { ...stats, b: Float64Array.from(stats.b, (v, j) => (j === 37 ? NaN : v)) };
    expect(() => dpmSolverV3(nan)).toThrow(RangeError);
    expect(() => dpmSolverV3(nan)).toThrow(/statistics b\[37\] = NaN \(λ node 2, dimension 5\) is not finite/);
    expect(() => dpmSolverV3({ ...stats, l: stats.l.subarray(1) })).toThrow(/statistics l has 975 values; 61 nodes × dim 16 need 976/);
    expect(() => dpmSolverV3({ ...stats, lambdas: stats.lambdas.slice().reverse() })).toThrow(/lambdas must increase strictly/);
    expect(() => dpmSolverV3({ ...stats, lambdas: Float64Array.from(stats.lambdas, (v, k) => (k === 3 ? Infinity : v)) })).toThrow(/lambdas\[3\] = Infinity is not finite/);
    const x = o.marginal(20, 1, 1);
    x[7] = NaN;
    await expect(dpmSolverV3(stats)(o.denoiser, x, sigmas)).rejects.toThrow(/x\[7\] = NaN is not finite/);
    await expect(dpmSolverV3(stats, { order: 4 })(o.denoiser, o.marginal(20, 1, 1), sigmas)).rejects.toThrow(/order must be 1, 2 or 3, got 4/);
  });

  it('the estimator refuses ragged samples and bad grids', async () => {
    const good = cleanSamples(4, 1);
    await expect(estimateStatistics(o.denoiser, [good[0], good[1].subarray(1)], [0, 1])).rejects.toThrow(/samples\[1\] has 15 values/);
    await expect(estimateStatistics(o.denoiser, good, [0, 1, 1])).rejects.toThrow(/lambdas must increase strictly/);
    await expect(estimateStatistics(o.denoiser, good, [0, NaN])).rejects.toThrow(/lambdas\[1\] = NaN is not finite/);
    await expect(estimateStatistics(o.denoiser, [good[0]], [0, 1])).rejects.toThrow(/at least 2 images, got 1/);
    await expect(estimateStatistics(o.denoiser, good, [0, 1], { dim: 5 })).rejects.toThrow(/16 values is not a whole number of images of 5 values/);
  });
});
