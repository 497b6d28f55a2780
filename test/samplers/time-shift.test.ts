/**
 * Time-shift sampling (Li et al. 2024): with no window or a cutoff above every step it is DDIM to
 * the last bit; the level it picks is the window's timestep whose noise variance matches the
 * state's, inside the window and above the cutoff only. Whether that makes better images is a
 * property of a trained network, measured with a distribution metric on held-out data
 * (docs/solvers.md), not something an analytic model can show.
 */
import { describe, expect, it } from 'vitest';
import { sampleDdim } from '../../main/engine/samplers/ddim.js';
import {
  checkTimeShift, nearestTimestep, sampleDdimTimeShift, shiftedSigma, type TimeShift,
} from '../../main/engine/samplers/time-shift.js';
import type { Denoiser } from '../../main/engine/samplers/common.js';
import { gaussian } from '../../main/engine/random.js';

/** σ_t of a linear-β schedule (DDPM's 1e-4 … 0.02 over 1000 steps). */
function linearTable(n = 1000): Float64Array {
  const out = new Float64Array(n);
  let abar = 1;
  for (let t = 0; t < n; t++) {
    abar *= 1 - (1e-4 + ((0.02 - 1e-4) * t) / (n - 1));
    out[t] = Math.sqrt((1 - abar) / abar);
  }
  return out;
}
const TABLE = linearTable();
/** A trailing-style grid on the table: `steps` training timesteps from the top, then σ = 0. */
const grid = (steps: number) => [...Array.from({ length: steps }, (_, k) => TABLE[Math.round(999 - (k * 1000) / steps)]), 0];
const noise = (n: number, seed: number) => Float64Array.from(gaussian(n, seed));

describe('time-shift sampling', () => {
  it('is DDIM exactly when the window is empty or the cutoff is above every step', async () => {
    const model: Denoiser = async (x, s) => x.map((v) => (0.3 * v) / (1 + s * s)) as typeof x;
    const sigmas = grid(12);
    const x = noise(256, 1).map((v) => v * Math.sqrt(1 + sigmas[0] ** 2));
    const plain = await sampleDdim(model, x.slice(), sigmas, { eta: 0 });
    for (const ts of [{ trainSigmas: TABLE, window: 0, cutoff: 0 }, { trainSigmas: TABLE, window: 40, cutoff: 999 }]) {
      const shifted = await sampleDdimTimeShift(model, x.slice(), sigmas, { timeShift: ts });
      expect(Array.from(shifted)).toEqual(Array.from(plain));
    }
  });

  it('picks the window timestep whose noise variance 1 − ᾱ matches the state, and stays inside the window', () => {
    const ts: TimeShift = { trainSigmas: TABLE, window: 20, cutoff: 300 };
    const t0 = 500, sigma = TABLE[t0];
    // A VE state whose VP variance is exactly 1 − ᾱ at t0 + 6.
    const z = noise(4096, 2);
    const m = z.reduce((s, v) => s + v, 0) / z.length;
    const sd = Math.sqrt(z.reduce((s, v) => s + (v - m) ** 2, 0) / z.length);
    const withVpVar = (v: number) => z.map((u) => ((u - m) / sd) * Math.sqrt(v) * Math.sqrt(1 + sigma * sigma));
    const noiseVar = (t: number) => TABLE[t] ** 2 / (1 + TABLE[t] ** 2);
    expect(shiftedSigma(withVpVar(noiseVar(t0 + 6)), sigma, ts)).toBe(TABLE[t0 + 6]);
    expect(shiftedSigma(withVpVar(noiseVar(t0 - 4)), sigma, ts)).toBe(TABLE[t0 - 4]);
    // Far outside the window: clamped to its edge (w = 20 → ±10).
    expect(shiftedSigma(withVpVar(0.9999), sigma, ts)).toBe(TABLE[t0 + 10]);
    expect(shiftedSigma(withVpVar(0.01), sigma, ts)).toBe(TABLE[t0 - 10]);
    // At or below the cutoff nothing moves.
    expect(shiftedSigma(withVpVar(0.9999), TABLE[300], ts)).toBe(TABLE[300]);
    // A batch of two rows pools their variances.
    const two = Float64Array.from([...withVpVar(noiseVar(t0 + 8)), ...withVpVar(noiseVar(t0 + 4))]);
    expect(shiftedSigma(two, sigma, ts, 2)).toBe(TABLE[t0 + 6]);
    expect(() => shiftedSigma(two.subarray(1), sigma, ts, 2)).toThrow(/rows/);
  });

  it('finds the nearest training timestep in log σ', () => {
    expect(nearestTimestep(TABLE, TABLE[417])).toBe(417);
    expect(nearestTimestep(TABLE, Math.sqrt(TABLE[10] * TABLE[11]) * 1.0001)).toBe(11);
    expect(nearestTimestep(TABLE, 1e-9)).toBe(0);
    expect(nearestTimestep(TABLE, 1e9)).toBe(999);
  });

  it('refuses a setting it cannot run, naming the field', () => {
    expect(() => checkTimeShift({ trainSigmas: TABLE, window: 2.5, cutoff: 10 })).toThrow(/window/);
    expect(() => checkTimeShift({ trainSigmas: TABLE, window: 10, cutoff: 1000 })).toThrow(/cutoff/);
    expect(() => checkTimeShift({ trainSigmas: [1, 0.5], window: 1, cutoff: 0 })).toThrow(/increasing/);
  });
});
