import { describe, expect, it } from 'vitest';
import { SAMPLERS, samplerByName } from '../../main/engine/samplers/index.js';
import { seededNoise } from '../../main/engine/random.js';
import { gaussianOracle } from '../helpers/gaussian-oracle.js';
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
