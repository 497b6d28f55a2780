import { describe, expect, it } from 'vitest';
import {
  alphasCumprod, continuousSchedule, discreteFromBetas, karrasSigmas, lambdaOf, lambdaSigmas, makeBetas,
  roundHalfEven, sigmaOfLambda, spacedTimesteps, timeUniformSigmas,
} from '../../main/engine/schedules.js';

describe('training betas', () => {
  it('match the closed forms of each schedule', () => {
    const lin = makeBetas('linear', 1000, 1e-4, 0.02);
    expect(lin[0]).toBeCloseTo(1e-4, 15);
    expect(lin[999]).toBeCloseTo(0.02, 15);
    const sl = makeBetas('scaled_linear', 1000, 0.00085, 0.012);
    expect(Math.sqrt(sl[500])).toBeCloseTo(Math.sqrt(0.00085) + (500 / 999) * (Math.sqrt(0.012) - Math.sqrt(0.00085)), 14);
    const cos = makeBetas('squaredcos_cap_v2', 1000);
    expect(Math.max(...cos)).toBe(0.999);
    // ᾱ of the cosine schedule follows cos²((t/T + s)/(1 + s)·π/2)/cos²(s/(1+s)·π/2).
    const ac = alphasCumprod(cos);
    const f = (t: number) => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
    expect(ac[499]).toBeCloseTo(f(0.5) / f(0), 10);
  });

  it('Stable Diffusion\'s schedule has the known terminal noise level σ_max ≈ 14.6', () => {
    const s = discreteFromBetas('scaled_linear', 1000, 0.00085, 0.012);
    expect(s.sigmaMax).toBeCloseTo(14.6146, 3);
    expect(s.sigmaMin).toBeCloseTo(0.0292, 4);
  });

  it('rejects unknown schedules with the accepted names', () => {
    expect(() => makeBetas('cosine' as never)).toThrow(/linear, scaled_linear or squaredcos_cap_v2/);
  });
});

describe('discrete schedule', () => {
  const s = discreteFromBetas('scaled_linear', 1000, 0.00085, 0.012);
  it('maps integer timesteps to the table and back exactly', () => {
    for (const t of [0, 1, 17, 500, 998, 999]) {
      expect(s.sigma(t)).toBe(s.sigmas[t]);
      expect(s.t(s.sigma(t))).toBeCloseTo(t, 10);
    }
  });
  it('interpolates σ linearly between timesteps and inverts it', () => {
    expect(s.sigma(100.25)).toBeCloseTo(0.75 * s.sigmas[100] + 0.25 * s.sigmas[101], 14);
    expect(s.t(s.sigma(100.25))).toBeCloseTo(100.25, 10);
    expect(s.tFromLogSigma(Math.sqrt(s.sigmas[40] * s.sigmas[41]))).toBeCloseTo(40.5, 10);
  });
});

describe('continuous VP schedules (DPM-Solver NoiseScheduleVP)', () => {
  it.each(['linear', 'cosine'] as const)('%s: t(σ(t)) = t and λ decreases', (kind) => {
    const s = continuousSchedule(kind);
    let last = Infinity;
    for (let k = 0; k <= 20; k++) {
      const t = s.tMin + ((s.tMax - s.tMin) * k) / 20;
      expect(s.t(s.sigma(t))).toBeCloseTo(t, 9);
      const l = lambdaOf(s.sigma(t));
      expect(l).toBeLessThan(last);
      last = l;
    }
  });
  it('linear: α_T matches the VP-SDE closed form exp(−(β₁−β₀)/4 − β₀/2)', () => {
    const s = continuousSchedule('linear');
    const alpha = 1 / Math.sqrt(1 + s.sigmaMax ** 2);
    expect(alpha).toBeCloseTo(Math.exp(-(20 - 0.1) / 4 - 0.05), 12);
  });
});

describe('σ grids', () => {
  it('Karras grid follows eq. 5 and ends in zero', () => {
    const g = karrasSigmas(10, 0.0292, 14.6146, 7);
    expect(g.length).toBe(11);
    expect(g[0]).toBeCloseTo(14.6146, 12);
    expect(g[9]).toBeCloseTo(0.0292, 12);
    expect(g[10]).toBe(0);
    const mid = (14.6146 ** (1 / 7) + (4 / 9) * (0.0292 ** (1 / 7) - 14.6146 ** (1 / 7))) ** 7;
    expect(g[4]).toBeCloseTo(mid, 12);
  });
  it('λ grid is uniform in λ', () => {
    const g = lambdaSigmas(8, 0.03, 14);
    const ls = Array.from(g.subarray(0, 8), lambdaOf);
    for (let i = 1; i < 8; i++) expect(ls[i] - ls[i - 1]).toBeCloseTo(ls[1] - ls[0], 12);
    expect(sigmaOfLambda(ls[3])).toBeCloseTo(g[3], 14);
  });
  it('time-uniform grid visits equally spaced t', () => {
    const sch = continuousSchedule('linear');
    const g = timeUniformSigmas(sch, 5);
    expect(sch.t(g[2])).toBeCloseTo((sch.tMax + sch.tMin) / 2, 9);
  });
});

describe('timestep spacings (diffusers / Lin et al. 2024, Table 2)', () => {
  it('leading, linspace and trailing for 10 of 1000 steps', () => {
    expect(Array.from(spacedTimesteps(10, { spacing: 'leading', stepsOffset: 1 }))).toEqual([901, 801, 701, 601, 501, 401, 301, 201, 101, 1]);
    expect(Array.from(spacedTimesteps(10, { spacing: 'linspace' }))).toEqual([999, 888, 777, 666, 555, 444, 333, 222, 111, 0]);
    expect(Array.from(spacedTimesteps(10, { spacing: 'trailing' }))).toEqual([999, 899, 799, 699, 599, 499, 399, 299, 199, 99]);
  });
  it('trailing spacing starts at the last training step, for Turbo-style few-step models', () => {
    expect(Array.from(spacedTimesteps(1, { spacing: 'trailing' }))).toEqual([999]);
    expect(Array.from(spacedTimesteps(4, { spacing: 'trailing' }))).toEqual([999, 749, 499, 249]);
  });
  it('rounds halves to even as numpy does', () => {
    expect([0.5, 1.5, 2.5, -2.5, 3.4].map(roundHalfEven)).toEqual([0, 2, 2, -2, 3]);
  });
  it('refuses more steps than training steps', () => {
    expect(() => spacedTimesteps(2000)).toThrow(/cannot take 2000 steps/);
  });
});
