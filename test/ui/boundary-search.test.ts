import { describe, expect, it, vi } from 'vitest';
import type { BcSearchRequest, BcSearchResult, BoundaryRecord, ModelEntry } from '../../main/api/contract.js';
import { createAppState, type StatusMessage } from '../../renderer/src/ui/app-state.js';
import { Jobs } from '../../renderer/src/ui/jobs.js';
import { DEFAULT_SEARCH_FORM, parseSearchForm } from '../../renderer/src/ui/upscale/form.js';
import { BoundarySearchController } from '../../renderer/src/ui/upscale/search-controller.js';

const MODELS: ModelEntry[] = [
  { name: 'emoji-32', path: '/p/emoji-32', source: 'embedded', family: 'pixel' },
  { name: 'emoji-sr-64', path: '/p/emoji-sr-64', source: 'embedded', family: 'pixel-sr', recommended: { steps: 10 } },
];

function deferred<T>() {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
}

function record(steps: number, scores: number[] = [0.93, 0.96, 0.94, 0.95]): BoundaryRecord {
  return {
    version: 1, pack: { name: 'emoji-sr-64', digest: 'abc' }, sampler: 'pack', steps, tile: { width: 64, height: 64 }, shape: [1, 3, 64, 64],
    metric: 'ssim', seed: 0, calibration: { source: 'emoji-sr-64 calibration set', digest: 'd', count: 2 },
    candidates: scores.map((ssim, index) => ({ index, scores: { ssim, psnr: 30 + index, gmsd: 0.01 } })),
    best: scores.indexOf(Math.max(...scores)), evaluations: 16, seconds: 0.5, date: '2026-12-06T05:47:37.000Z', tensorSha256: '00',
  };
}

function setup() {
  const app = createAppState();
  app.setState({ models: MODELS });
  const jobs = new Jobs(app, () => 0);
  const lookups: { model: string; sampler?: string; steps?: number }[] = [];
  const answers: ReturnType<typeof deferred<BoundaryRecord | null>>[] = [];
  const searches: BcSearchRequest[] = [];
  let pending = deferred<BcSearchResult>();
  const client = {
    getBoundary: vi.fn((ref: { model: string; sampler?: string; steps?: number }) => {
      lookups.push(ref);
      const d = deferred<BoundaryRecord | null>();
      answers.push(d);
      return d.promise;
    }),
    bcSearch: vi.fn((req: BcSearchRequest) => {
      searches.push(req);
      return pending.promise;
    }),
    cancel: vi.fn(async () => ({ cancelled: true })),
  };
  const said: StatusMessage[] = [];
  const ctl = new BoundarySearchController({ app, jobs, client: () => client, say: (text, level = 'info') => said.push({ text, level, at: 0 }) });
  ctl.initialize();
  return {
    app, jobs, client, ctl, lookups, answers, searches, said,
    respond: (r: BcSearchResult) => pending.resolve(r),
    fail: (e: unknown) => pending.reject(e),
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('the stored search', () => {
  it('opening the panel looks it up for the model, sampler and the model\'s recommended steps, once per key', async () => {
    const t = setup();
    expect(t.ctl.form.model).toBe('emoji-sr-64');
    expect(t.client.getBoundary).not.toHaveBeenCalled();
    t.ctl.setOpen(true);
    expect(t.lookups).toEqual([{ model: 'emoji-sr-64', sampler: 'pack', steps: 10 }]);
    expect(t.ctl.state.stored).toMatchObject({ status: 'loading' });
    t.answers[0].resolve(null);
    await flush();
    expect(t.ctl.state.stored).toMatchObject({ status: 'none' });
    await t.ctl.refresh();
    expect(t.lookups, 'known keys are not asked again').toHaveLength(1);

    t.ctl.updateForm({ steps: '2' });
    const pending = t.ctl.refresh();
    t.answers[1].resolve(record(2));
    await pending;
    expect(t.lookups[1]).toEqual({ model: 'emoji-sr-64', sampler: 'pack', steps: 2 });
    expect(t.ctl.state.stored).toMatchObject({ status: 'found', record: { steps: 2, best: 1 } });
  });

  it('an answer for settings the form has left is not shown', async () => {
    const t = setup();
    t.ctl.setOpen(true);
    t.ctl.updateForm({ steps: '2' });
    const second = t.ctl.refresh();
    t.answers[1].resolve(record(2));
    await second;
    t.answers[0].resolve(record(10));
    await flush();
    expect(t.ctl.state.stored).toMatchObject({ status: 'found', record: { steps: 2 } });
  });

  it('a damaged record is reported, not drawn', async () => {
    const t = setup();
    t.ctl.setOpen(true);
    t.answers[0].resolve({ ...record(10), best: 99 });
    await flush();
    expect(t.ctl.state.stored).toMatchObject({ status: 'error', error: expect.stringMatching(/best: the chosen candidate is not among the candidates/) });
  });
});

describe('Run search', () => {
  it('sends the form, reports progress with the engine\'s ETA, and shows and keeps the new record', async () => {
    const t = setup();
    t.ctl.updateForm({ candidates: '4', steps: '2', limit: '2', metric: 'gmsd' });
    const running = t.ctl.run();
    await vi.waitFor(() => expect(t.searches).toHaveLength(1));
    expect(t.searches[0]).toMatchObject({ model: 'emoji-sr-64', sampler: 'pack', candidates: 4, steps: 2, limit: 2, metric: 'gmsd', seed: 0 });
    expect('calibration' in t.searches[0]).toBe(false);
    const job = t.app.getState().job!;
    expect(job).toMatchObject({ kind: 'search', id: t.searches[0].jobId });
    t.jobs.progress({ jobId: job.id, phase: 'search', step: 3, total: 8, etaMs: 4000 });
    expect(t.app.getState().job).toMatchObject({ phase: 'search', progress: { step: 3, total: 8, etaMs: 4000 } });

    t.respond({ jobId: job.id, record: { ...record(2), metric: 'gmsd' }, path: '/home/u/.driftline/boundaries/abc/pack-2steps-64x64.json', providers: [] });
    await running;
    expect(t.app.getState().job).toBeNull();
    expect(t.ctl.state.stored).toMatchObject({ status: 'found', record: { steps: 2, metric: 'gmsd' } });
    expect(t.ctl.state.lastPath?.path).toMatch(/pack-2steps-64x64\.json$/);
    expect(t.said.at(-1)).toMatchObject({ level: 'info', text: expect.stringMatching(/^Boundary condition stored for emoji-sr-64 · pack scheduler · 2 steps; .* GMSD \(lower is better\): Chosen/) });
    t.ctl.setOpen(true);
    expect(t.client.getBoundary, 'the new record answers the lookup').not.toHaveBeenCalled();
  });

  it('Cancel keeps the stored search; an engine error is said with the stored one unchanged', async () => {
    const t = setup();
    const running = t.ctl.run();
    await vi.waitFor(() => expect(t.searches).toHaveLength(1));
    await t.jobs.cancel(t.client, () => {});
    t.fail(Object.assign(new Error('cancelled'), { code: 'CANCELLED' }));
    await running;
    expect(t.said.at(-1)).toMatchObject({ level: 'info', text: 'Cancelled. The stored boundary condition is unchanged.' });
    expect(t.ctl.state.stored).toBeNull();

    const u = setup();
    u.ctl.updateForm({ calibration: 'relative/dir' });
    const failing = u.ctl.run();
    await vi.waitFor(() => expect(u.searches).toHaveLength(1));
    expect(u.searches[0].calibration).toBe('relative/dir');
    u.fail(Object.assign(new Error('calibration: give an absolute folder path'), { code: 'BAD_REQUEST' }));
    await failing;
    expect(u.said.at(-1)).toEqual({ level: 'error', at: 0, text: 'The engine could not run this boundary search: calibration: give an absolute folder path. The stored boundary condition is unchanged.' });
    expect(u.app.getState().job).toBeNull();
  });

  it('refuses before calling the engine: a bad field, a job running', async () => {
    const t = setup();
    t.ctl.updateForm({ candidates: '1' });
    await t.ctl.run();
    expect(t.said.at(-1)?.text).toBe('Candidates must be a whole number from 2 to 1024.');
    t.ctl.updateForm({ candidates: '4' });
    t.jobs.begin('upscale', 'u1', 0);
    await t.ctl.run();
    expect(t.said.at(-1)).toMatchObject({ level: 'warn', text: expect.stringMatching(/^An upscale is already running/) });
    expect(t.client.bcSearch).not.toHaveBeenCalled();
  });
});

describe('the search form', () => {
  it('leaves out what is empty, checks the contract\'s ranges, and trims the folder', () => {
    const f = { ...DEFAULT_SEARCH_FORM, model: 'emoji-sr-64' };
    expect(parseSearchForm(f, MODELS)).toEqual({ ok: true, value: { model: 'emoji-sr-64', sampler: 'pack', metric: 'ssim', candidates: 32, seed: 0, steps: 10 } });
    expect(parseSearchForm({ ...f, calibration: '  /data/hr  ', limit: '3' }, MODELS)).toMatchObject({ ok: true, value: { calibration: '/data/hr', limit: 3 } });
    expect(parseSearchForm({ ...f, steps: '201' }, MODELS)).toMatchObject({ ok: false, errors: ['Steps must be a whole number from 1 to 200.'] });
    expect(parseSearchForm({ ...f, candidates: '' }, MODELS).ok).toBe(false);
    expect(parseSearchForm({ ...f, limit: '0' }, MODELS).ok).toBe(false);
    expect(parseSearchForm({ ...f, model: '' }, MODELS)).toMatchObject({ ok: false, errors: [expect.stringMatching(/^Pick an upscaling model/)] });
  });
});
