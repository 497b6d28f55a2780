import { describe, expect, it } from 'vitest';
import { dynamicThreshold, makeDenoiser, timestepLookup, type Network } from '../../main/engine/denoiser.js';
import { alphaOf, discreteFromBetas } from '../../main/engine/schedules.js';
import { gaussianOracle } from '../helpers/gaussian-oracle.js';
import { maxAbsDiff } from '../../main/engine/tensor.js';

const schedule = discreteFromBetas('scaled_linear', 1000, 0.00085, 0.012);
const dim = 16;

/** A VP network built from the exact Gaussian denoiser, in each parameterisation. */
function oracleNetwork(kind: 'epsilon' | 'v_prediction' | 'sample'): Network {
  const oracle = gaussianOracle(dim);
  return async (input, t) => {
    const sigma = schedule.sigma(t);
    const a = alphaOf(sigma);
    const x = Float64Array.from(input.data, (v) => v / a);
    const d = await oracle.denoiser(x, sigma);
    const eps = x.map((v, j) => (v - d[j]) / sigma);
    const sVp = sigma * a;
    return Float32Array.from(d, (x0, j) => (kind === 'epsilon' ? eps[j] : kind === 'v_prediction' ? a * eps[j] - sVp * x0 : x0));
  };
}

describe('denoiser wrapper', () => {
  it.each(['epsilon', 'v_prediction', 'sample'] as const)('recovers the exact x0 from a %s network', async (kind) => {
    const oracle = gaussianOracle(dim);
    const D = makeDenoiser(oracleNetwork(kind), { prediction: kind, shape: [1, dim], timestep: (s) => schedule.t(s) });
    for (const t of [10, 250.5, 999]) {
      const sigma = schedule.sigma(t);
      const x = oracle.marginal(sigma, 1, 3);
      const want = await oracle.denoiser(x, sigma);
      const got = await D(Float32Array.from(x), sigma);
      expect(maxAbsDiff(got, Float32Array.from(want))).toBeLessThan(2e-5 * Math.max(1, sigma));
    }
  });

  it('applies classifier-free guidance to one batched call, unconditional half first', async () => {
    const calls: number[][] = [];
    const net: Network = async (x) => {
      calls.push([...x.shape]);
      const n = x.data.length / 2;
      return Float32Array.from(x.data, (_, j) => (j < n ? 1 : 3)); // ε_u = 1, ε_c = 3
    };
    const D = makeDenoiser(net, { prediction: 'epsilon', shape: [1, 2, 2, 2], timestep: () => 500, guidanceScale: 7.5 });
    const x = new Float32Array(8).fill(10);
    const out = await D(x, 2);
    expect(calls).toEqual([[2, 2, 2, 2]]);
    // ε̂ = 1 + 7.5·(3 − 1) = 16 → x₀ = x − σ·ε̂ = 10 − 32
    expect(Array.from(out)).toEqual(new Array(8).fill(-22));
  });

  it('makes a single unguided call when the scale is 1 or less', async () => {
    const shapes: number[][] = [];
    const D = makeDenoiser(async (x) => (shapes.push([...x.shape]), new Float32Array(x.data.length)), {
      prediction: 'epsilon', shape: [1, 4], timestep: () => 1, guidanceScale: 1,
    });
    await D(new Float32Array(4), 1);
    expect(shapes).toEqual([[1, 4]]);
  });

  it('clips x0 to the clip range', async () => {
    const D = makeDenoiser(async (x) => Float32Array.from(x.data, (_, j) => j - 2), { prediction: 'sample', shape: [1, 4], timestep: () => 0, clipRange: 1 });
    expect(Array.from(await D(new Float32Array(4), 1))).toEqual([-1, -1, 0, 1]);
  });

  it('rejects a network output of the wrong size and an unknown prediction type', async () => {
    const D = makeDenoiser(async () => new Float32Array(3), { prediction: 'epsilon', shape: [1, 4], timestep: () => 0 });
    await expect(D(new Float32Array(4), 1)).rejects.toThrow(/returned 3 values/);
    expect(() => makeDenoiser(async (x) => x.data, { prediction: 'flow' as never, shape: [1], timestep: () => 0 })).toThrow(/prediction_type/);
  });
});

describe('dynamic thresholding (Imagen §2.3)', () => {
  it('scales each sample by its own clamped quantile of |x0|', () => {
    // Sample 0: |x| = 0…4, the 0.5-quantile is 2 → clamp to ±2, divide by 2.
    // Sample 1: all small, the quantile is below 1 → s = 1, values unchanged.
    const x = Float32Array.from([0, -1, 2, -3, 4, 0.1, -0.2, 0.3, -0.4, 0.5]);
    dynamicThreshold(x, 2, { ratio: 0.5, maxValue: 10 });
    expect(Array.from(x, (v) => +v.toFixed(6))).toEqual([0, -0.5, 1, -1, 1, 0.1, -0.2, 0.3, -0.4, 0.5]);
  });

  it('never lets the threshold exceed maxValue', () => {
    const x = Float32Array.from([10, -10, 10, -10]);
    dynamicThreshold(x, 1, { ratio: 0.9, maxValue: 2 });
    expect(Array.from(x)).toEqual([1, -1, 1, -1]);
  });
});

describe('timestep lookup', () => {
  it('returns planned timesteps exactly and falls back to the schedule elsewhere', () => {
    const ts = [999, 500, 1];
    const sigmas = ts.map((t) => schedule.sigma(t));
    const f = timestepLookup(sigmas, ts, (s) => schedule.t(s));
    expect(sigmas.map(f)).toEqual(ts);
    expect(f(schedule.sigma(250.25))).toBeCloseTo(250.25, 9);
  });
});
