import { describe, expect, it, vi } from 'vitest';
import { GenerateRequest, type LabGrid, type ModelEntry, type SamplerEntry, type SolverLabRequest, type SolverLabResult, type SolverLabRow, type SolverTable } from '../../main/api/contract.js';
import { createAppState, type StatusMessage } from '../../renderer/src/ui/app-state.js';
import { AUTO_SAMPLER, catalogueSamplers, DEFAULT_SETTINGS, generateSamplerOptions, PACK_SAMPLER, samplerRanText, toGenerateRequest } from '../../renderer/src/ui/generate/settings.js';
import { Jobs } from '../../renderer/src/ui/jobs.js';
import { bestTable, BROKEN_RMS, DEFAULT_LAB_CHART_SIZE, defaultFamily, formatValue, labChart, logDomain, logTicks } from '../../renderer/src/ui/lab/lab-chart.js';
import { labHeadline, LabController, labProgressCaption, parseBudgets } from '../../renderer/src/ui/lab/lab-controller.js';
import { readSolverTable, type StoredTable } from '../../renderer/src/ui/lab/solver-table.js';

const MODELS: ModelEntry[] = [
  { name: 'emoji-sr-64', path: '/p/emoji-sr-64', source: 'embedded', family: 'pixel-sr', recommended: { steps: 10 } },
  { name: 'emoji-32', path: '/p/emoji-32', source: 'embedded', family: 'pixel' },
  { name: 'sd-turbo', path: '/p/sd-turbo', source: 'imported', family: 'sd2' },
];

const SAMPLERS: SamplerEntry[] = [
  { name: 'auto', label: 'Automatic', paper: 'the solver lab', stochastic: false },
  { name: 'euler', label: 'Euler', paper: 'Karras 2022', order: 1, stochastic: false },
  { name: 'dpmpp_2m', label: 'DPM++ 2M', paper: 'Lu 2022', order: 2, stochastic: false },
  { name: 'euler_a', label: 'Euler a', paper: 'k-diffusion', stochastic: true },
];

const row = (sampler: string, grid: LabGrid, nfe: number, rms: number, evaluations = nfe): SolverLabRow => ({ sampler, grid, nfe, steps: evaluations, evaluations, rms, images: [rms, rms] });

/**
 * Budgets 5, 10, 20. On the karras grid Euler halves its error per doubling and DPM++ 2M quarters
 * it; on the tuned grid DPM++ 2M is best at 20 (so tuned is the default family); the pack's plan
 * is worse than both. Heun (karras) takes one evaluation less than its budget at 5.
 */
function rows(): SolverLabRow[] {
  return [
    row('pack', 'pack', 5, 0.4), row('pack', 'pack', 10, 0.2), row('pack', 'pack', 20, 0.1),
    row('euler', 'karras', 5, 0.16), row('euler', 'karras', 10, 0.08), row('euler', 'karras', 20, 0.04),
    row('dpmpp_2m', 'karras', 5, 0.1), row('dpmpp_2m', 'karras', 10, 0.01), row('dpmpp_2m', 'karras', 20, 0.001),
    row('heun', 'karras', 5, 0.3, 4), row('heun', 'karras', 10, 0.05), row('heun', 'karras', 20, 0.004),
    row('dpmpp_2m', 'tuned', 5, 0.05), row('dpmpp_2m', 'tuned', 10, 0.004), row('dpmpp_2m', 'tuned', 20, 0.0005),
    row('euler', 'tuned', 5, 0.12), row('euler', 'tuned', 10, 0.06), row('euler', 'tuned', 20, 0.03),
  ];
}

function table(over: Partial<SolverTable> = {}): SolverTable {
  return {
    version: 1, pack: { name: 'sd-turbo', digest: 'abc' }, date: '2026-12-06T05:47:37.000Z', seconds: 12.5, evaluations: 4000,
    prompts: ['a fox', 'a house'], seeds: [1, 2], cfgScale: 5, width: 64, height: 64,
    reference: { method: 'dpmpp_3m_exact', check: 'heun', steps: 400, agreement: 1e-5 },
    nfes: [5, 10, 20], rows: rows(),
    tuned: [{ nfe: 5, sigmaHi: 2.5, rho: 5, seeds: [9] }],
    best: [
      { nfe: 5, sampler: 'dpmpp_2m', grid: 'tuned', rms: 0.05, packRms: 0.4 },
      { nfe: 10, sampler: 'dpmpp_2m', grid: 'tuned', rms: 0.004, packRms: 0.2 },
      { nfe: 20, sampler: 'dpmpp_2m', grid: 'tuned', rms: 0.0005, packRms: 0.1 },
    ],
    ...over,
  };
}

function stored(raw: unknown = table()): StoredTable {
  const r = readSolverTable(raw);
  if (!r.ok) throw new Error(r.error);
  return r.table;
}

describe('a solver table from the engine', () => {
  it('is accepted; errors a run could not measure (NaN, ∞ over IPC, null over JSON) are kept as null', () => {
    const t = stored(table({ rows: [...rows(), row('lms', 'karras', 5, NaN), row('lms', 'karras', 10, Infinity), { ...row('lms', 'karras', 20, 0), rms: null as unknown as number }] }));
    expect(t.rows).toHaveLength(21);
    expect(t.rows.slice(-3).map((r) => r.rms)).toEqual([null, null, null]);
    expect(t.rows[0].rms).toBe(0.4);
  });

  it('is refused with the wrong field named', () => {
    const fail = (raw: unknown) => {
      const r = readSolverTable(raw);
      expect(r.ok).toBe(false);
      return r.ok ? '' : r.error;
    };
    expect(fail({ version: 1, rows: [] })).toMatch(/^the solver table could not be read \(pack: /);
    expect(fail(table({ version: 2 as 1 }))).toMatch(/version/);
    expect(fail(table({ rows: [row('euler', 'linear' as LabGrid, 5, 0.1)] }))).toMatch(/rows\.0\.grid/);
    expect(fail(table({ rows: [...rows(), row('lms', 'karras', 5, -0.1)] }))).toMatch(/rows\.18\.rms/);
    expect(fail(table({ rows: [...rows(), row('lms', 'karras', 7, 0.1)] }))).toMatch(/rows\.18\.nfe: 7 is not one of the measured budgets/);
    expect(fail(table({ rows: [...rows(), { ...row('lms', 'karras', 5, 0.1), evaluations: 6 }] }))).toMatch(/rows\.18\.evaluations: a row took more model evaluations than its budget/);
    expect(fail(table({ rows: [...rows(), row('euler', 'karras', 5, 0.2)] }))).toMatch(/euler on the karras grid at 5 is measured twice/);
    expect(fail(table({ best: [{ nfe: 5, sampler: 'unipc_bh2', grid: 'tuned', rms: 0.05, packRms: 0.4 }] }))).toMatch(/best\.0: the best of budget 5 \(unipc_bh2, tuned\) is not among the rows/);
    expect(fail(table({ best: [{ nfe: 5, sampler: 'dpmpp_2m', grid: 'tuned', rms: NaN, packRms: 0.4 }] }))).toMatch(/best\.0\.rms/);
  });
});

describe('the error-vs-evaluations chart', () => {
  it('defaults to the grid family of the best row at the largest budget; the selector lists the measured ones', () => {
    const t = stored();
    expect(defaultFamily(t)).toBe('tuned');
    const c = labChart(t);
    expect(c.family).toBe('tuned');
    expect(c.families).toEqual(['pack', 'karras', 'tuned']);
    expect(labChart(t, 'logsnr').family, 'an unmeasured family falls back to the default').toBe('tuned');
  });

  it('draws one line per sampler of the family, sorted by error at the largest budget, and the pack plan apart', () => {
    const t = stored();
    const c = labChart(t, 'karras', (s) => ({ euler: 'Euler', dpmpp_2m: 'DPM++ 2M', heun: 'Heun' })[s] ?? s);
    expect(c.lines.map((l) => l.sampler)).toEqual(['dpmpp_2m', 'heun', 'euler']);
    expect(c.lines.map((l) => l.label)).toEqual(['DPM++ 2M', 'Heun', 'Euler']);
    expect(c.lines.every((l) => !l.pack && l.points.every((p) => p.grid === 'karras'))).toBe(true);
    expect(c.lines.map((l) => l.points.length)).toEqual([3, 3, 3]);
    expect(c.pack).toMatchObject({ sampler: 'pack', pack: true, label: 'Pack scheduler (pack default)', color: -1 });
    expect(c.pack!.points.map((p) => p.rms)).toEqual([0.4, 0.2, 0.1]);
    expect(c.lines.some((l) => l.sampler === 'pack'), 'the pack plan is not one of the family lines').toBe(false);
    // Colours follow the table, not the family: Euler keeps its colour on every grid.
    const tuned = labChart(t, 'tuned');
    expect(tuned.lines.find((l) => l.sampler === 'euler')!.color).toBe(c.lines.find((l) => l.sampler === 'euler')!.color);
    expect(new Set(c.lines.map((l) => l.color)).size).toBe(3);
    // On the pack family only the pack plan remains.
    expect(labChart(t, 'pack')).toMatchObject({ family: 'pack', lines: [] });
    expect(labChart(t, 'pack').pack!.points).toHaveLength(3);
  });

  it('both axes are logarithmic: equal ratios are equal distances, smaller errors lower', () => {
    const c = labChart(stored(), 'karras');
    const euler = c.lines.find((l) => l.sampler === 'euler')!.points;
    expect(euler.map((p) => p.evaluations)).toEqual([5, 10, 20]);
    // ×2 evaluations per step along x; ×½ error per step along y.
    expect(euler[1].x - euler[0].x).toBeCloseTo(euler[2].x - euler[1].x, 9);
    expect(euler[1].y - euler[0].y).toBeCloseTo(euler[2].y - euler[1].y, 9);
    expect(euler[1].y).toBeGreaterThan(euler[0].y);
    // DPM++ 2M falls ×10 per doubling: its slope is log(10)/log(2) of Euler's in the same pixels.
    const dpm = c.lines.find((l) => l.sampler === 'dpmpp_2m')!.points;
    expect((dpm[2].y - dpm[1].y) / (euler[2].y - euler[1].y)).toBeCloseTo(Math.log(10) / Math.log(2), 9);
    // Heun's 5-budget run took 4 evaluations: it sits at x(4), left of the others.
    const heun = c.lines.find((l) => l.sampler === 'heun')!.points[0];
    const px = (euler[1].x - euler[0].x) / Math.log10(2);
    expect(euler[0].x - heun.x).toBeCloseTo(px * Math.log10(5 / 4), 9);
    expect(c.lines[0].path).toMatch(/^M[\d.]+ [\d.]+ L[\d.]+ [\d.]+ L[\d.]+ [\d.]+$/);
  });

  it('every point, tick and best ring lies inside the plot; ticks are nice values of the domain', () => {
    const c = labChart(stored(), 'tuned');
    const { x0, x1, y0, y1 } = c.plot;
    expect([x0, x1, y0, y1]).toEqual([DEFAULT_LAB_CHART_SIZE.left, DEFAULT_LAB_CHART_SIZE.width - DEFAULT_LAB_CHART_SIZE.right, DEFAULT_LAB_CHART_SIZE.top, DEFAULT_LAB_CHART_SIZE.height - DEFAULT_LAB_CHART_SIZE.bottom]);
    for (const l of [...c.lines, c.pack!]) for (const p of l.points) {
      expect(p.x).toBeGreaterThan(x0);
      expect(p.x).toBeLessThan(x1);
      expect(p.y).toBeGreaterThan(y0);
      expect(p.y).toBeLessThan(y1);
    }
    // Errors 5e-4 … 0.4: four decades fit, so the ticks are decades only.
    expect(c.yTicks.map((t) => t.label)).toEqual(['0.001', '0.01', '0.1']);
    expect(c.yTicks.every((t) => t.major && t.at >= y0 && t.at <= y1)).toBe(true);
    // 5 … 20 evaluations hold one decade: the 1–2–5 series labels them.
    expect(c.xTicks.map((t) => t.label)).toEqual(['5', '10', '20']);
    expect(c.xTicks.map((t) => t.major)).toEqual([false, true, false]);
    expect(c.xTicks[0].at).toBeCloseTo(c.lines[0].points[0].x, 9);
  });

  it('a broken run (NaN, ∞ or a huge error) is clipped to the top edge, marked and counted — not dropped, and it does not stretch the axis', () => {
    const t = stored(table({ rows: [...rows(), row('lms', 'karras', 5, 3e5), row('lms', 'karras', 10, NaN), row('lms', 'karras', 20, 0.002), row('dpmpp_3m', 'karras', 20, Infinity)] }));
    const c = labChart(t, 'karras');
    const lms = c.lines.find((l) => l.sampler === 'lms')!;
    expect(lms.points.map((p) => p.clipped)).toEqual(['high', 'high', null]);
    expect(lms.points.map((p) => p.rms)).toEqual([3e5, null, 0.002]);
    expect(lms.points[0].y).toBe(c.plot.y0);
    expect(lms.points[1].y).toBe(c.plot.y0);
    expect(lms.points[2].y).toBeGreaterThan(c.plot.y0);
    expect(lms.path, 'the path joins no broken run').toBe(`M${Math.round(lms.points[2].x * 100) / 100} ${Math.round(lms.points[2].y * 100) / 100}`);
    const gap = labChart(stored(table({ rows: [...rows(), row('lms', 'karras', 5, 0.2), row('lms', 'karras', 10, NaN), row('lms', 'karras', 20, 0.002)] })), 'karras');
    expect(gap.lines.find((l) => l.sampler === 'lms')!.path).toMatch(/^M[\d.]+ [\d.]+ M[\d.]+ [\d.]+$/);
    const broken3m = c.lines.find((l) => l.sampler === 'dpmpp_3m')!;
    expect(broken3m).toMatchObject({ last: null, points: [{ clipped: 'high' }] });
    expect(c.lines.at(-1)!.sampler, 'broken at the largest budget sorts last').toBe('dpmpp_3m');
    expect(c.broken).toBe(3);
    expect(c.yDomain[1]).toBeLessThan(BROKEN_RMS);
    expect(labChart(stored(), 'karras').broken).toBe(0);
  });

  it('an error of exactly 0 sits on the bottom edge; a table with only broken runs still draws', () => {
    const zero = labChart(stored(table({ rows: [...rows(), row('lms', 'karras', 5, 0)] })), 'karras');
    const p = zero.lines.find((l) => l.sampler === 'lms')!.points[0];
    expect(p).toMatchObject({ clipped: 'low', y: zero.plot.y1 });
    const empty = labChart(stored(table({ rows: [], best: [] })));
    expect(empty).toMatchObject({ families: [], lines: [], pack: null, best: [], broken: 0 });
    const allBroken = labChart(stored(table({ rows: [row('pack', 'pack', 5, NaN), row('euler', 'karras', 5, Infinity)], best: [] })), 'karras');
    expect(allBroken.broken).toBe(2);
    expect(allBroken.yDomain).toEqual([1e-3, 1]);
  });

  it('rings the best of each budget: on the line when the family holds it, alone (marked) otherwise', () => {
    const t = stored();
    const tuned = labChart(t, 'tuned');
    expect(tuned.best.map((b) => [b.nfe, b.inFamily])).toEqual([[5, true], [10, true], [20, true]]);
    const dpm = tuned.lines.find((l) => l.sampler === 'dpmpp_2m')!;
    expect(dpm.points.every((p) => p.best)).toBe(true);
    expect(tuned.lines.find((l) => l.sampler === 'euler')!.points.some((p) => p.best)).toBe(false);
    expect(tuned.best[2].x).toBeCloseTo(dpm.points[2].x, 9);
    expect(tuned.best[2].y).toBeCloseTo(dpm.points[2].y, 9);
    expect(tuned.best[0].what).toBe('dpmpp_2m · tuned grid');
    const karras = labChart(t, 'karras');
    expect(karras.best.every((b) => !b.inFamily)).toBe(true);
    expect(karras.lines.flatMap((l) => l.points).some((p) => p.best)).toBe(false);
  });

  it('the table under it: budget → best sampler · grid · error vs the pack plan, with the ratio', () => {
    const labels = (s: string) => (s === 'dpmpp_2m' ? 'DPM++ 2M' : s);
    const t = stored(table({ nfes: [20, 5, 10, 40], best: [...table().best.slice(0, 2), { nfe: 20, sampler: 'pack', grid: 'pack', rms: 0.1, packRms: 0.1 }] }));
    const b = bestTable(t, labels);
    expect(b.map((r) => r.text)).toEqual([
      '5 → DPM++ 2M · tuned grid · 0.05 vs pack plan 0.4 (8.0× lower)',
      '10 → DPM++ 2M · tuned grid · 0.004 vs pack plan 0.2 (50.0× lower)',
      '20 → Pack scheduler · pack grid · 0.1 vs pack plan 0.1 (same as the pack plan)',
      '40 → no best measured',
    ]);
    expect(b[0].ratio).toBeCloseTo(8, 12);
    expect(bestTable(stored(table({ best: [{ nfe: 5, sampler: 'euler', grid: 'karras', rms: 0.16, packRms: null as unknown as number }] })))[0].text).toBe('5 → euler · Karras grid · 0.16 vs the pack plan broke');
  });

  it('axis helpers: log domains, tick series, compact numbers', () => {
    expect(logDomain([])).toEqual([1e-3, 1]);
    const [lo, hi] = logDomain([0.01]);
    expect([Math.log10(lo), Math.log10(hi)].map((v) => Number(v.toFixed(9)))).toEqual([-2.5, -1.5]);
    expect(logTicks(0.0005, 0.5).map((t) => t.value)).toEqual([0.001, 0.01, 0.1]);
    expect(logTicks(0.015, 0.3).map((t) => t.value)).toEqual([0.02, 0.05, 0.1, 0.2]);
    expect(logTicks(3.2, 4.5).map((t) => t.value)).toEqual([4]);
    expect(logTicks(3.2, 3.4).map((t) => t.value)).toEqual([3.3]);
    expect([formatValue(0.00012), formatValue(0.02), formatValue(12), formatValue(3e5), formatValue(0.012345, 3)]).toEqual(['1.2e-4', '0.02', '12', '3e+5', '0.0123']);
  });
});

function deferred<T>() {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
}

function setup(settingsModel = 'sd-turbo') {
  const app = createAppState();
  app.setState({ models: MODELS, samplers: SAMPLERS, settings: { ...app.getState().settings, model: settingsModel } });
  const jobs = new Jobs(app, () => 0);
  const lookups: { model: string }[] = [];
  const answers: ReturnType<typeof deferred<SolverTable | null>>[] = [];
  const runs: SolverLabRequest[] = [];
  const pending = deferred<SolverLabResult>();
  const client = {
    getSolverTable: vi.fn((ref: { model: string }) => {
      lookups.push(ref);
      const d = deferred<SolverTable | null>();
      answers.push(d);
      return d.promise;
    }),
    solverLab: vi.fn((req: SolverLabRequest) => {
      runs.push(req);
      return pending.promise;
    }),
    cancel: vi.fn(async () => ({ cancelled: true })),
  };
  const said: StatusMessage[] = [];
  const ctl = new LabController({ app, jobs, client: () => client, say: (text, level = 'info') => said.push({ text, level, at: 0 }) });
  ctl.initialize();
  return { app, jobs, client, ctl, lookups, answers, runs, said, respond: (r: SolverLabResult) => pending.resolve(r), fail: (e: unknown) => pending.reject(e) };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('the solver lab controller: the stored table', () => {
  it('takes the Generate panel\'s model unless it upscales, and never offers an upscaler', () => {
    expect(setup('sd-turbo').ctl.form.model).toBe('sd-turbo');
    expect(setup('emoji-sr-64').ctl.form.model, 'the first model that is not an upscaler').toBe('emoji-32');
    const t = setup();
    t.app.setState({ models: MODELS.filter((m) => m.name !== 'sd-turbo') });
    expect(t.ctl.form.model, 'a removed model gives way').toBe('emoji-32');
  });

  it('opening the panel looks the table up once per model, and a model switch while open looks up the new one', async () => {
    const t = setup();
    expect(t.client.getSolverTable).not.toHaveBeenCalled();
    t.ctl.setOpen(true);
    expect(t.lookups).toEqual([{ model: 'sd-turbo' }]);
    expect(t.ctl.state.stored).toEqual({ status: 'loading', model: 'sd-turbo' });
    t.answers[0].resolve(table());
    await flush();
    expect(t.ctl.state.stored).toMatchObject({ status: 'found', model: 'sd-turbo', table: { pack: { name: 'sd-turbo' } } });

    t.ctl.showFamily('karras');
    t.ctl.updateForm({ model: 'emoji-32' });
    expect(t.ctl.state.family, 'another model starts on its default family').toBeNull();
    expect(t.lookups[1]).toEqual({ model: 'emoji-32' });
    t.answers[1].resolve(null);
    await flush();
    expect(t.ctl.state.stored).toEqual({ status: 'none', model: 'emoji-32' });

    t.ctl.updateForm({ model: 'sd-turbo' });
    expect(t.lookups, 'the table kept for sd-turbo answers').toHaveLength(2);
    expect(t.ctl.state.stored).toMatchObject({ status: 'found', model: 'sd-turbo' });
  });

  it('an answer for a model the form has left is not shown; a damaged table or a failed lookup is reported, and asked again', async () => {
    const t = setup();
    t.ctl.setOpen(true);
    t.ctl.updateForm({ model: 'emoji-32' });
    t.answers[1].resolve({ ...table(), best: [{ nfe: 5, sampler: 'ghost', grid: 'tuned', rms: 0.1, packRms: 0.2 }] });
    await flush();
    t.answers[0].resolve(table());
    await flush();
    expect(t.ctl.state.stored).toMatchObject({ status: 'error', model: 'emoji-32', error: expect.stringMatching(/^the solver table could not be read \(best\.0: the best of budget 5 \(ghost, tuned\)/) });
    const again = t.ctl.refresh();
    expect(t.lookups, 'errors are not kept').toHaveLength(3);
    t.answers[2].reject(new Error('engine restarting'));
    await again;
    expect(t.ctl.state.stored).toEqual({ status: 'error', model: 'emoji-32', error: 'engine restarting' });
  });
});

describe('the solver lab controller: Measure', () => {
  it('sends the model and budgets, shows progress with the engine\'s ETA, then shows and keeps the new table', async () => {
    const t = setup();
    t.ctl.updateForm({ budgets: '20 5, 10;10' });
    const running = t.ctl.run();
    await vi.waitFor(() => expect(t.runs).toHaveLength(1));
    expect(t.runs[0]).toEqual({ jobId: expect.stringMatching(/^job-/), model: 'sd-turbo', nfes: [5, 10, 20], scope: 'full' });
    const job = t.app.getState().job!;
    expect(job).toMatchObject({ kind: 'lab', id: t.runs[0].jobId });
    expect(t.said.at(-1)?.text).toBe('Measuring the samplers and grids on sd-turbo at 5, 10, 20 model evaluations…');
    t.jobs.progress({ jobId: job.id, phase: 'search', step: 120, total: 960, etaMs: 65_000 });
    expect(t.app.getState().job).toMatchObject({ phase: 'search', progress: { step: 120, total: 960, etaMs: 65_000 } });
    expect(labProgressCaption(t.app.getState().job!.progress)).toBe('Measuring · 120 / 960 model evaluations · 1 min 05 s left');
    expect(t.jobs.busy()).toBe('A solver lab measurement is already running; cancel it or wait for it to finish.');

    t.ctl.showFamily('karras');
    t.respond({ jobId: job.id, table: table(), path: '/home/u/.driftline/solvers/abc.json', providers: [] });
    await running;
    expect(t.app.getState().job).toBeNull();
    expect(t.ctl.state).toMatchObject({ stored: { status: 'found', model: 'sd-turbo' }, family: null, lastPath: { model: 'sd-turbo', path: '/home/u/.driftline/solvers/abc.json' } });
    expect(t.said.at(-1)).toEqual({ level: 'info', at: 0, text: 'Solver table stored for sd-turbo: at 20 evaluations DPM++ 2M · tuned grid errs 5e-4 vs the pack plan\'s 0.1 (200.0× lower). Sampler "Automatic" now uses it.' });
    t.ctl.setOpen(true);
    expect(t.client.getSolverTable, 'the new table answers the lookup').not.toHaveBeenCalled();
  });

  it('Cancel goes to the engine with the job id and keeps the stored table', async () => {
    const t = setup();
    const running = t.ctl.run();
    await vi.waitFor(() => expect(t.runs).toHaveLength(1));
    await t.jobs.cancel(t.client, () => {});
    expect(t.client.cancel).toHaveBeenCalledWith({ jobId: t.runs[0].jobId });
    expect(t.app.getState().job?.cancelling).toBe(true);
    t.fail(Object.assign(new Error('cancelled'), { code: 'CANCELLED' }));
    await running;
    expect(t.said.at(-1)).toEqual({ level: 'info', at: 0, text: 'Cancelled. The stored solver table is unchanged.' });
    expect(t.ctl.state.stored).toBeNull();
    expect(t.app.getState().job).toBeNull();
  });

  it('a result that arrives after Cancel is dropped', async () => {
    const t = setup();
    const running = t.ctl.run();
    await vi.waitFor(() => expect(t.runs).toHaveLength(1));
    await t.jobs.cancel(t.client, () => {});
    t.respond({ jobId: t.runs[0].jobId, table: table(), path: '/x.json', providers: [] });
    await running;
    expect(t.said.at(-1)?.text).toBe('Cancelled. The stored solver table is unchanged.');
    expect(t.ctl.state.stored).toBeNull();
  });

  it('an engine error, or a damaged table, is said in the status line', async () => {
    const t = setup();
    const failing = t.ctl.run();
    await vi.waitFor(() => expect(t.runs).toHaveLength(1));
    t.fail(Object.assign(new Error('the engine host exited'), { code: 'ENGINE_CRASHED' }));
    await failing;
    expect(t.said.at(-1)).toEqual({ level: 'error', at: 0, text: 'The engine stopped during the solver lab measurement and is restarting: the engine host exited. The stored solver table is unchanged. Try again.' });
    expect(t.app.getState().job).toBeNull();

    const u = setup();
    const damaged = u.ctl.run();
    await vi.waitFor(() => expect(u.runs).toHaveLength(1));
    u.respond({ jobId: u.runs[0].jobId, table: { ...table(), nfes: [] }, path: '/d/t.json', providers: [] });
    await damaged;
    expect(u.said.at(-1)).toMatchObject({ level: 'error', text: expect.stringMatching(/^The measurement finished and was stored in \/d\/t\.json, but the solver table could not be read \(nfes: /) });
    expect(u.ctl.state.stored).toBeNull();
  });

  it('refuses before calling the engine: bad budgets, a job running, no model', async () => {
    const t = setup();
    t.ctl.updateForm({ budgets: '5, 1' });
    await t.ctl.run();
    expect(t.said.at(-1)).toEqual({ level: 'error', at: 0, text: 'Budgets must be whole numbers of model evaluations from 2 to 200, e.g. "5, 10, 20".' });
    t.ctl.updateForm({ budgets: '5' });
    t.jobs.begin('generate', 'g1', 0);
    await t.ctl.run();
    expect(t.said.at(-1)).toMatchObject({ level: 'warn', text: expect.stringMatching(/^A generation is already running/) });
    t.jobs.end('g1');
    t.ctl.updateForm({ model: 'emoji-sr-64' });
    await t.ctl.run();
    expect(t.said.at(-1)?.text).toBe('emoji-sr-64 is not a model the solver lab can measure.');
    expect(t.client.solverLab).not.toHaveBeenCalled();
  });

  it('budgets: commas or spaces, sorted and each once, within the contract', () => {
    expect(parseBudgets('5, 10, 20')).toEqual({ ok: true, value: [5, 10, 20] });
    expect(parseBudgets(' 40 8 8 ')).toEqual({ ok: true, value: [8, 40] });
    for (const bad of ['', '5, x', '2.5', '201', '1']) expect(parseBudgets(bad).ok, bad).toBe(false);
    expect(parseBudgets('2 3 4 5 6 7 8 9 10')).toEqual({ ok: false, errors: ['Give at most 8 budgets (9 given).'] });
  });

  it('the headline when no run finished says Automatic keeps its default', () => {
    expect(labHeadline(stored(table({ best: [] })))).toBe('Solver table stored for sd-turbo, but no run finished: sampler "Automatic" keeps its default.');
  });
});

describe('sampler Automatic in the Generate panel', () => {
  it('lists what listSamplers returns in its order, Automatic first and the pack scheduler right after it', () => {
    const options = generateSamplerOptions(SAMPLERS);
    expect(options.map((o) => o.name)).toEqual([AUTO_SAMPLER, PACK_SAMPLER, 'euler', 'dpmpp_2m', 'euler_a']);
    expect(options.map((o) => o.label)).toEqual(['Automatic', "Pack scheduler (the model's own)", 'Euler', 'DPM++ 2M', 'Euler a (SDE)']);
    expect(generateSamplerOptions(SAMPLERS.slice(1)).map((o) => o.name), 'an engine without auto: the pack scheduler first').toEqual([PACK_SAMPLER, 'euler', 'dpmpp_2m', 'euler_a']);
    expect(catalogueSamplers(SAMPLERS).map((s) => s.name), 'upscaling and the boundary search do not offer it').toEqual(['euler', 'dpmpp_2m', 'euler_a']);
  });

  it('is sent as the sampler the contract accepts', () => {
    const req = toGenerateRequest({ ...DEFAULT_SETTINGS, model: 'sd-turbo', sampler: AUTO_SAMPLER }, 'j', 1);
    expect(req.sampler).toBe('auto');
    expect(GenerateRequest.safeParse(req).success).toBe(true);
  });

  it('says what actually ran', () => {
    expect(samplerRanText('auto', { name: 'dpmpp_2m', label: 'DPM++ 2M', grid: 'tuned', reason: 'solver lab, 20 evaluations' })).toBe('auto → DPM++ 2M · tuned grid');
    expect(samplerRanText('auto', { name: 'auto', label: 'Euler', grid: 'karras' })).toBe('auto → Euler · Karras grid');
    expect(samplerRanText('dpmpp_2m', { name: 'dpmpp_2m', label: 'DPM++ 2M' })).toBe('DPM++ 2M');
    expect(samplerRanText('pack', { name: 'pndm', label: 'PNDM', grid: 'pack' })).toBe('pack → PNDM · pack grid');
    expect(samplerRanText('auto', { name: 'dpmpp_2m', label: 'DPM++ 2M (auto)', grid: 'tuned σ_hi 2.5 ρ 5' }), 'the tuned grid keeps its searched detail').toBe('auto → DPM++ 2M · tuned grid (σ_hi 2.5 ρ 5)');
    expect(samplerRanText('auto', { name: 'x', label: 'X', grid: 'beta' })).toBe('auto → X · beta grid');
    expect(samplerRanText('auto', undefined)).toBeNull();
  });
});
