/**
 * The editing engine on the exact Gaussian model (its denoiser is known in closed form), and its
 * pure parts: region operations, energies against finite differences, inversion, local SDE, time
 * travel, the preset schedule.
 */
import { describe, expect, it } from 'vitest';
import { gaussianOracle } from '../../main/engine/oracle.js';
import { karrasSigmas } from '../../main/engine/schedules.js';
import { contrastEnergy, fillEnergy, matchEnergy, sumEnergies, type Energy } from '../../main/engine/editing/energies.js';
import { ddimStep, invertTrajectory, rewindStep } from '../../main/engine/editing/inversion.js';
import { editMasks, runEdit, type EditTask } from '../../main/engine/editing/edit.js';
import { editEvaluations, isGuidedStep, resolveEditSettings, timeTravelSteps } from '../../main/engine/editing/presets.js';
import { dilate, matchStats, placeRegions, regionStats, type Grid } from '../../main/engine/editing/regions.js';
import { fillGaussian } from '../../main/engine/random.js';
import { rms } from '../../main/engine/tensor.js';

const g: Grid = { channels: 2, width: 8, height: 8 };
const n = g.width * g.height;
const levels = karrasSigmas(12, 0.02, 20);
const rand = (len: number, seed: number, scale = 1) => fillGaussian(new Float64Array(len), seed).map((v) => v * scale);
const box = (x0: number, y0: number, x1: number, y1: number) => {
  const m = new Float32Array(n);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) m[y * g.width + x] = 1;
  return m;
};

/** A Gaussian-model edit: the oracle is the sampling and inversion denoiser. */
function gaussianEdit(overrides = {}, task: Partial<EditTask> = {}) {
  const o = gaussianOracle(16);
  const image = o.marginal(0, (g.channels * n) / 16, 11);
  const t: EditTask = { kind: 'move', grid: g, image, region: box(1, 1, 3, 3), move: { offset: { x: 3, y: 2 }, scale: { x: 1, y: 1 } }, ...task };
  const settings = resolveEditSettings(t.kind, 'fast', { steps: 12, ...overrides });
  return { o, image, task: t, settings };
}

describe('energies: analytic gradients match central finite differences', () => {
  const x = rand(g.channels * n, 1);
  const check = (name: string, e: Energy) => it(name, () => {
    const { grad } = e(x);
    for (const j of [0, 5, 9, 18, 27, 63, 64, 77, 100, 127]) {
      const h = 1e-5;
      const up = x.slice(), dn = x.slice();
      up[j] += h;
      dn[j] -= h;
      const fd = (e(up).value - e(dn).value) / (2 * h);
      expect(Math.abs(grad[j] - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
    }
  });
  const soft = Float32Array.from({ length: n }, (_, j) => ((j * 7) % 5) / 4);
  check('match (content / edit)', matchEnergy(g, 3, soft, rand(g.channels * n, 2)));
  check('fill', fillEnergy(g, 2, soft, [0.3, -0.2]));
  check('contrast', contrastEnergy(g, 1.5, soft, rand(g.channels * n, 3), [0.1, 0.4]));
  check('sum', sumEnergies([matchEnergy(g, 1, soft, rand(g.channels * n, 4)), contrastEnergy(g, 1, box(0, 0, 3, 7), rand(g.channels * n, 6), [1, 2])]));

  it('a guided step with λ·w = 1 lands on the target of a match term', () => {
    const target = rand(g.channels * n, 5);
    const m = box(2, 2, 5, 5);
    const e = matchEnergy(g, 4, m, target);
    const step = x.map((v, j) => v - 0.25 * e(x).grad[j]);
    for (let j = 0; j < n; j++) expect(step[j]).toBeCloseTo(m[j] ? target[j] : x[j], 12);
  });
});

describe('region operations', () => {
  it('a placement moves values and mask by the offset and scales about the anchor', () => {
    const src = Float64Array.from({ length: g.channels * n }, (_, j) => j);
    const mask = box(1, 1, 2, 2);
    const moved = placeRegions(new Float64Array(src.length), g, [{ source: src, mask, placement: { from: { x: 1, y: 1 }, to: { x: 4, y: 3 }, scale: { x: 1, y: 1 } } }]);
    expect(Array.from(moved.mask)).toEqual(Array.from(box(4, 3, 5, 4)));
    for (let c = 0; c < 2; c++) expect(moved.values[c * n + 3 * 8 + 4]).toBe(src[c * n + 1 * 8 + 1]);
    const scaled = placeRegions(new Float64Array(src.length), g, [{ source: src, mask, placement: { from: { x: 1, y: 1 }, to: { x: 1, y: 1 }, scale: { x: 2, y: 2 } } }]);
    expect(scaled.mask.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(9);
  });

  it('region statistics and their transfer (AdaIN) hit the target statistics', () => {
    const x = rand(g.channels * n, 6);
    const m = box(0, 0, 4, 4);
    const target = { mean: Float64Array.of(1, -2), std: Float64Array.of(0.5, 3) };
    const st = regionStats(matchStats(x, g, m, target), g, m);
    for (let c = 0; c < 2; c++) {
      expect(st.mean[c]).toBeCloseTo(target.mean[c], 10);
      expect(st.std[c]).toBeCloseTo(target.std[c], 10);
    }
  });

  it('masks of a move: vacated area is the source less the target, the edit region covers both with a margin', () => {
    const { task } = gaussianEdit();
    const m = editMasks(task);
    expect(m.target.reduce((a, b) => a + b, 0)).toBe(9);
    for (let j = 0; j < n; j++) {
      if (m.source[j] && !dilate(m.target, 8, 8, 1)[j]) expect(m.vacated[j]).toBe(1);
      if (m.source[j] || m.target[j]) expect(m.edit[j]).toBe(1);
    }
  });
});

describe('inversion on the Gaussian model', () => {
  it('exact inversion + no edit returns the image; its residuals are what plain DDIM misses', async () => {
    const { o, image, settings } = gaussianEdit({ eta: 0, inversion: 'exact' }, { move: { offset: { x: 0, y: 0 }, scale: { x: 1, y: 1 } } });
    const r = await runEdit({ sample: o.denoiser, invert: o.denoiser }, { ...gaussianEdit().task, move: { offset: { x: 0, y: 0 }, scale: { x: 1, y: 1 } } }, levels, settings);
    expect(rms(r.x, image)).toBeLessThan(1e-12);
    const plain = await runEdit({ sample: o.denoiser, invert: o.denoiser }, { ...gaussianEdit().task, move: { offset: { x: 0, y: 0 }, scale: { x: 1, y: 1 } } }, levels, { ...settings, inversion: 'ddim' });
    expect(rms(plain.x, image)).toBeGreaterThan(1e-6);
  });

  it('the exact trajectory follows the exact ODE up to DDIM inversion error, and the residuals close each step', async () => {
    const o = gaussianOracle(16);
    const image = o.marginal(0, 4, 3);
    const tr = await invertTrajectory('exact', { invert: o.denoiser, sample: o.denoiser }, image, levels);
    for (let k = 0; k + 1 < levels.length; k++) {
      const d = await o.denoiser(tr.states[k], levels[k]);
      const landed = ddimStep(tr.states[k], d, levels[k], levels[k + 1]).map((v, j) => v + tr.residuals![k][j]);
      expect(rms(landed, tr.states[k + 1])).toBeLessThan(1e-12);
    }
  });
});

describe('time travel', () => {
  it('a rewind inverts the deterministic step to within the solver error: same size as the step\'s own, second order in the step', async () => {
    const o = gaussianOracle(16);
    const roundTrip = async (s: number, h: number) => {
      const s1 = s * Math.exp(-h);
      const x = o.marginal(s, 4, 21);
      const stepped = ddimStep(x, await o.denoiser(x, s), s, s1);
      const back = await rewindStep(o.denoiser, stepped, s1, s);
      return { err: rms(back, x), stepErr: rms(stepped, o.exact(x, s, s1)) };
    };
    for (const s of [0.5, 2, 8]) {
      const coarse = await roundTrip(s, 0.4), fine = await roundTrip(s, 0.2);
      expect(coarse.err).toBeLessThan(4 * coarse.stepErr);
      expect(coarse.err / fine.err).toBeGreaterThan(3);
    }
  });

  it('one try equals no time travel, bit for bit; more tries cost two evaluations each', async () => {
    const { o, task, settings } = gaussianEdit();
    const run = async (tt: { at: number[]; tries: number }) => {
      o.nfe = 0;
      const r = await runEdit({ sample: o.denoiser, invert: o.denoiser }, task, levels, { ...settings, timeTravel: tt }, { seed: 4 });
      return { x: r.x, nfe: o.nfe };
    };
    const none = await run({ at: [], tries: 3 });
    const one = await run({ at: [0.5, 0.6], tries: 1 });
    const three = await run({ at: [0.5, 0.6], tries: 3 });
    expect(Array.from(one.x)).toEqual(Array.from(none.x));
    expect(three.nfe - none.nfe).toBe(2 * 2 * 2);
    expect(rms(three.x, none.x)).toBeGreaterThan(0);
    expect(timeTravelSteps({ ...settings, timeTravel: { at: [0.5, 0.6], tries: 3 } })).toEqual([6, 7]);
  });
});

describe('local SDE', () => {
  it('outside the edit region the result is the reference bit for bit; outside the window every step is deterministic; inside it differs', async () => {
    const { o, task, settings, image } = gaussianEdit({ guidance: { scale: 0 }, timeTravel: { at: [], tries: 1 } });
    const masks = editMasks(task);
    const trace = async (eta: number, window: [number, number]) => {
      const xs: Float64Array[] = [];
      const r = await runEdit({ sample: o.denoiser, invert: o.denoiser }, task, levels, { ...settings, eta, sdeWindow: window }, {
        seed: 9, onProgress: (p) => { if (p.phase === 'sample') xs.push(Float64Array.from(p.denoised)); },
      });
      return { x: r.x, xs };
    };
    const det = await trace(0, [0.25, 0.5]);
    const sde = await trace(0.8, [0.25, 0.5]);
    for (let c = 0; c < g.channels; c++) {
      for (let j = 0; j < n; j++) {
        if (!masks.edit[j]) {
          expect(sde.x[c * n + j]).toBe(image[c * n + j]);
          expect(det.x[c * n + j]).toBe(image[c * n + j]);
        }
      }
    }
    // Steps 0 … 2 precede the window (3 … 6 of 12): their denoised estimates agree exactly.
    for (let k = 0; k <= 3; k++) expect(Array.from(sde.xs[k])).toEqual(Array.from(det.xs[k]));
    expect(rms(sde.xs[5], det.xs[5])).toBeGreaterThan(1e-6);
    const inside = Array.from(masks.edit.keys()).filter((j) => masks.edit[j]);
    expect(Math.max(...inside.map((j) => Math.abs(sde.x[j] - det.x[j])))).toBeGreaterThan(1e-4);
  });
});

describe('presets and sizing', () => {
  it('DiffEditor schedule at 50 steps: guided 0–9 then even steps to 28, SDE 11–19, time travel 22–28', () => {
    const s = resolveEditSettings('move', 'diffeditor');
    const guided = [...Array(50).keys()].filter((k) => isGuidedStep(s.guidance, k, 50));
    expect(guided).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28]);
    expect(timeTravelSteps(s)).toEqual([22, 24, 26, 28]);
    expect(s.sdeWindow.map((f) => Math.round(f * 50))).toEqual([11, 19]);
    expect(s.eta).toBe(0.4);
  });

  it('the fast preset stays within 40 model evaluations for every task, with attention memory or without', () => {
    for (const kind of ['move', 'drag', 'paste', 'appearance'] as const) {
      for (const memory of [false, true]) expect(editEvaluations(resolveEditSettings(kind, 'fast'), kind, memory)).toBeLessThanOrEqual(40);
    }
  });

  it('overrides replace single knobs and keep the rest; a reversed SDE window is refused', () => {
    const s = resolveEditSettings('drag', 'fast', { guidance: { edit: 1 }, eta: 0 });
    expect(s.guidance.edit).toBe(1);
    expect(s.guidance.content).toBe(resolveEditSettings('drag', 'fast').guidance.content);
    expect(s.eta).toBe(0);
    expect(() => resolveEditSettings('move', 'fast', { sdeWindow: [0.6, 0.2] })).toThrow(/sdeWindow/);
  });

  it('clear errors for edits that cannot run', async () => {
    const { o, task, settings } = gaussianEdit();
    const models = { sample: o.denoiser, invert: o.denoiser };
    await expect(runEdit(models, { ...task, region: new Float32Array(n) }, levels, settings)).rejects.toThrow(/mask is empty/);
    await expect(runEdit(models, { ...task, move: { offset: { x: 40, y: 0 }, scale: { x: 1, y: 1 } } }, levels, settings)).rejects.toThrow(/entirely outside the image/);
    await expect(runEdit(models, { ...task, kind: 'paste' }, levels, settings)).rejects.toThrow(/needs a reference image/);
    await expect(runEdit(models, { ...task, kind: 'drag', drag: [] }, levels, settings)).rejects.toThrow(/at least one handle/);
    await expect(runEdit(models, { ...task, kind: 'drag', drag: [{ handle: { x: 1, y: 1 }, target: { x: 9, y: 1 } }] }, levels, settings)).rejects.toThrow(/outside the image/);
  });
});
