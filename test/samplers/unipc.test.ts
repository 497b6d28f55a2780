import { describe, expect, it } from 'vitest';
import { sampleUniPc } from '../../main/engine/samplers/unipc.js';
import type { UniPcOptions } from '../../main/engine/samplers/unipc.js';
import { sampleDdim } from '../../main/engine/samplers/ddim.js';
import type { StepInfo } from '../../main/engine/samplers/common.js';
import { lambdaSigmas } from '../../main/engine/schedules.js';
import { maxAbsDiff } from '../../main/engine/tensor.js';
import { gaussianOracle, lambdaGrid, measureOrder } from '../helpers/gaussian-oracle.js';

const grid = lambdaGrid(20, 0.05);
const forms = [
  ['data', true],
  ['noise', false],
] as const;

describe('UniPC converges at its theoretical order on the Gaussian oracle', () => {
  // Measured over 16–64 λ-uniform steps (σ 20 → 0.05), data | noise prediction:
  //   UniP-1/2/3      bh1 0.98/2.10/2.99 | 0.98/1.91/2.87   bh2 0.98/1.95/2.88 | 0.98/1.98/2.85
  //   UniP-1/2 + UniC bh1 2.12/3.08      | 1.86/2.88        bh2 1.98/2.96      | 2.00/2.98
  // (UniP-3 + UniC measures 3.1–3.9 here and 3.5–4.3 over 64–256 steps; the first-order warm-up
  // step's O(h²) error, shared by every multistep method, caps the uncorrected order-3 predictor at 2
  // beyond ~100 steps, so the window is where each method's own truncation error dominates.)
  const cases = forms.flatMap(([form, predictX0]) =>
    (['bh1', 'bh2'] as const).flatMap((variant) => [
      ...[1, 2, 3].map((p) => [`UniP-${p} ${variant} ${form}`, { order: p, variant, predictX0, corrector: false }, p] as const),
      ...[1, 2].map((p) => [`UniPC-${p} ${variant} ${form}`, { order: p, variant, predictX0, corrector: true }, p + 1] as const),
    ]),
  );
  it.each(cases)('%s has order %d', async (_name, opts, order) => {
    const m = await measureOrder((model, x, s, o) => sampleUniPc(model, x, s, { ...o, ...opts, lowerOrderFinal: false }), grid, [16, 24, 32, 48, 64]);
    expect(Math.abs(m.order - order)).toBeLessThan(0.3);
  });
});

describe('UniPC structure', () => {
  const o = gaussianOracle();
  const sigmas = grid(10);
  const x0 = o.marginal(sigmas[0], 2, 6);
  const run = async (opts: UniPcOptions, s: ArrayLike<number> = sigmas) => {
    const steps: StepInfo[] = [];
    const before = o.nfe;
    const x = await sampleUniPc(o.denoiser, x0.slice(), s, { ...opts, callback: (st) => { steps.push(st); } });
    return { x, steps, nfe: o.nfe - before };
  };

  it('makes one model call per step; the corrector of step i rides on step i + 1’s call', async () => {
    const plain = await run({ order: 2, corrector: false });
    const full = await run({ order: 2 });
    expect([plain.nfe, full.nfe]).toEqual([10, 10]);
    // Disabling the corrector of step 4 (diffusers' indices) changes nothing up to step 4's result,
    // and step 5's start differs from the fully corrected run.
    const off4 = await run({ order: 2, disableCorrector: [4] });
    for (let i = 0; i <= 4; i++) expect(off4.steps[i].x).toEqual(full.steps[i].x);
    expect(off4.steps[5].denoised).toEqual(full.steps[5].denoised); // same model input (the prediction)
    expect(off4.steps[5].x).not.toEqual(full.steps[5].x);
    // Disabling every corrector is UniP alone.
    expect((await run({ order: 2, disableCorrector: [...Array(10).keys()] })).x).toEqual(plain.x);
  });

  it('finalCorrector adds one call at the last σ > 0 to correct the last step (diffusers’ repeated final σ)', async () => {
    const base = await run({ order: 2 });
    const fc = await run({ order: 2, finalCorrector: true });
    expect(fc.nfe).toBe(11);
    expect(fc.steps.map((s) => s.x)).toEqual(base.steps.map((s) => s.x));
    expect(maxAbsDiff(fc.x, base.x)).toBeGreaterThan(0);
    // Against the exact flow the corrected result is closer.
    const exact = o.exact(x0, sigmas[0], sigmas[10]);
    expect(maxAbsDiff(fc.x, exact)).toBeLessThan(maxAbsDiff(base.x, exact));
  });

  it("lower_order_final lowers the last steps to …, 2, 1 at any step count, as diffusers' UniPC does", async () => {
    const long = grid(20);
    expect((await run({ order: 3 }, long)).x).toEqual((await run({ orders: [...Array(18).fill(3), 2, 1] }, long)).x);
    expect((await run({ order: 3, lowerOrderFinal: false }, long)).x).toEqual((await run({ orders: Array(20).fill(3) }, long)).x);
  });

  it.each(forms)('UniP-1 (%s prediction) is DDIM (η = 0), and a final step to σ = 0 returns D', async (_form, predictX0) => {
    const s = lambdaSigmas(12, 0.03, 14.6);
    const x = o.marginal(s[0], 2, 8);
    const a = await sampleUniPc(o.denoiser, x.slice(), s, { order: 1, corrector: false, predictX0 });
    const b = await sampleDdim(o.denoiser, x.slice(), s);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-12);
    const c = await run({ order: 3, predictX0, lowerOrderFinal: false }, s);
    expect(c.x).toEqual(c.steps[11].denoised);
  });
});

describe('UniPC plumbing', () => {
  it('keeps Float32Array in and out, and a rerun is bit-identical', async () => {
    const o = gaussianOracle();
    const sigmas = lambdaSigmas(10, 0.03, 14.6);
    const x = Float32Array.from(o.marginal(sigmas[0], 2, 9));
    for (const predictX0 of [true, false]) {
      const a = await sampleUniPc(o.denoiser, x, sigmas, { order: 3, predictX0 });
      const b = await sampleUniPc(o.denoiser, x, sigmas, { order: 3, predictX0 });
      expect(a).toBeInstanceOf(Float32Array);
      expect(a).toEqual(b);
    }
  });

  it('an aborted signal throws, and a non-positive order is refused', async () => {
    const o = gaussianOracle();
    const controller = new AbortController();
    controller.abort();
    await expect(sampleUniPc(o.denoiser, new Float32Array(16), grid(4), { signal: controller.signal })).rejects.toThrow();
    await expect(sampleUniPc(o.denoiser, new Float32Array(16), grid(4), { order: 0 })).rejects.toThrow(RangeError);
  });
});
