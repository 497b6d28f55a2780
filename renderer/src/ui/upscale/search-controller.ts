/**
 * The boundary-condition search from the studio (Ma et al. 2024): the panel's fields become the
 * contract's `bcSearch`, run as the studio's one job (phase `search`, the engine's ETA, Cancel
 * through `Jobs`); the stored search for the chosen model, sampler and steps is looked up with
 * `getBoundary` while the panel is open, checked (boundary-record.ts) and kept per key, so the
 * chart shows what upscales with "Boundary: auto" will start from. No DOM.
 */
import { createStore } from 'zustand/vanilla';
import type { BcMetric, StudioApi } from '../../../../main/api/contract.js';
import type { AppStore, StatusMessage } from '../app-state.js';
import { newJobId } from '../generate/settings.js';
import type { Jobs } from '../jobs.js';
import type { StudioModule } from '../module.js';
import { readBoundaryRecord, type StoredSearch } from './boundary-record.js';
import { boundaryKeyText, DEFAULT_SEARCH_FORM, followUpscalers, parseSearchForm, stepsFor, type BoundaryKey, type SearchForm } from './form.js';
import { chartSummary, scoreChart } from './score-chart.js';
import { isCancelled, srFailure } from './summary.js';

export interface SearchHost {
  readonly app: AppStore;
  readonly jobs: Jobs;
  client(): Pick<StudioApi, 'bcSearch' | 'getBoundary'> | null;
  say(text: string, level?: StatusMessage['level']): void;
}

/** What is stored for the form's model, sampler and steps. */
export type StoredView =
  | { status: 'loading'; key: string }
  | { status: 'none'; key: string }
  | { status: 'found'; key: string; record: StoredSearch }
  | { status: 'error'; key: string; error: string };

export interface SearchState {
  form: SearchForm;
  open: boolean;
  stored: StoredView | null;
  /** The metric the chart shows; null: the one the search optimised. */
  shown: BcMetric | null;
  /** Where the last search was written (the engine's data folder), under its key. */
  lastPath: { key: string; path: string } | null;
}

type Found = Extract<StoredView, { status: 'none' | 'found' }>;

export class BoundarySearchController implements StudioModule {
  readonly store = createStore<SearchState>()(() => ({ form: DEFAULT_SEARCH_FORM, open: false, stored: null, shown: null, lastPath: null }));
  private readonly cache = new Map<string, Found>();
  private off: (() => void) | null = null;

  constructor(private readonly host: SearchHost) {}

  initialize(): void {
    this.off = followUpscalers(this.host.app, () => this.form.model, (model) => this.updateForm({ model }), () => {
      if (this.state.open) void this.refresh();
    });
  }

  destroy(): void {
    this.off?.();
    this.off = null;
  }

  get state(): SearchState {
    return this.store.getState();
  }
  get form(): SearchForm {
    return this.state.form;
  }

  updateForm(patch: Partial<SearchForm>): void {
    this.store.setState({ form: { ...this.form, ...patch } });
  }

  /** The panel opened or closed; opening looks up the stored search. */
  setOpen(open: boolean): void {
    if (open === this.state.open) return;
    this.store.setState({ open });
    if (open) void this.refresh();
  }

  showMetric(metric: BcMetric | null): void {
    this.store.setState({ shown: metric });
  }

  /** The key the form stands for: what an upscale with the same model, sampler and steps looks up. */
  key(form: SearchForm = this.form): BoundaryKey {
    const model = this.host.app.getState().models.find((m) => m.name === form.model);
    return { model: form.model, sampler: form.sampler, steps: stepsFor(form.steps, model) };
  }

  /** Look up the stored search for the form's key (kept per key once known); a newer lookup wins. */
  async refresh(): Promise<void> {
    const key = this.key();
    const text = boundaryKeyText(key);
    const client = this.host.client();
    if (!key.model || !client) return this.store.setState({ stored: null });
    const known = this.cache.get(text);
    if (known) return this.store.setState({ stored: known });
    if (this.state.stored?.status === 'loading' && this.state.stored.key === text) return;
    this.store.setState({ stored: { status: 'loading', key: text } });
    let view: StoredView;
    try {
      const raw = await client.getBoundary(key);
      if (raw === null) view = { status: 'none', key: text };
      else {
        const r = readBoundaryRecord(raw);
        view = r.ok ? { status: 'found', key: text, record: r.record } : { status: 'error', key: text, error: r.error };
      }
    } catch (e) {
      view = { status: 'error', key: text, error: e instanceof Error ? e.message : String(e) };
    }
    if (view.status !== 'error') this.cache.set(text, view);
    // The form may have moved on while the engine answered.
    if (boundaryKeyText(this.key()) === text) this.store.setState({ stored: view });
  }

  /** Run: search, store, and show the chart; resolves when it has finished, failed or been cancelled. */
  async run(): Promise<void> {
    const { jobs } = this.host;
    const say = (t: string, l?: StatusMessage['level']) => this.host.say(t, l);
    const client = jobs.ready(this.host.client(), 'The boundary search', say);
    if (!client) return;
    const parsed = parseSearchForm(this.form, this.host.app.getState().models);
    if (!parsed.ok) return say(parsed.errors.join(' '), 'error');
    const req = parsed.value;
    const key = boundaryKeyText(this.key());
    const jobId = newJobId();
    jobs.begin('search', jobId, req.seed ?? 0);
    say(`Searching ${req.candidates} boundary conditions for ${req.model} (${req.metric}${req.limit ? `, ${req.limit} calibration images at most` : ''})…`);
    try {
      const result = await client.bcSearch({ ...req, jobId });
      if (jobs.isCancelled(jobId)) return say('Cancelled. The stored boundary condition is unchanged.');
      const r = readBoundaryRecord(result.record);
      if (!r.ok) return say(`The search finished and was stored in ${result.path}, but ${r.error}.`, 'error');
      const view: Found = { status: 'found', key, record: r.record };
      this.cache.set(key, view);
      this.store.setState({ stored: view, shown: null, lastPath: { key, path: result.path } });
      const chart = scoreChart(r.record);
      const what = `${r.record.pack.name} · ${r.record.sampler === 'pack' ? 'pack scheduler' : r.record.sampler} · ${r.record.steps} steps`;
      say(`Boundary condition stored for ${what}; upscales with these settings and Boundary "auto" start from it. ${chart ? chartSummary(r.record, chart) : ''}`.trim());
    } catch (e) {
      if (isCancelled(e) || jobs.isCancelled(jobId)) say('Cancelled. The stored boundary condition is unchanged.');
      else say(srFailure(e, 'search', 'The stored boundary condition is unchanged.'), 'error');
    } finally {
      jobs.end(jobId);
    }
  }
}
