/**
 * The solver lab from the studio: opening the panel looks up the stored table of the chosen model
 * with `getSolverTable` (checked by solver-table.ts and kept per model); Measure runs `solverLab`
 * with the panel's budgets as the studio's one job (phase `search`, steps are model evaluations,
 * the engine's ETA, Cancel through `Jobs`), and its table replaces the model's. The table is what
 * sampler "Automatic" reads, so the chart shows what `auto` will pick. No DOM.
 */
import { createStore } from 'zustand/vanilla';
import type { LabGrid, ModelEntry, StudioApi } from '../../../../main/api/contract.js';
import type { AppStore, StatusMessage } from '../app-state.js';
import { formatDuration, type ProgressSnapshot } from '../generate/progress.js';
import { newJobId } from '../generate/settings.js';
import type { Jobs } from '../jobs.js';
import type { StudioModule } from '../module.js';
import { isUpscaler, type Parsed } from '../upscale/form.js';
import { isCancelled, srFailure } from '../upscale/summary.js';
import { formatValue, PACK_PLAN, ratioText, topBest, whatRan } from './lab-chart.js';
import { readSolverTable, type StoredTable } from './solver-table.js';

export interface LabHost {
  readonly app: AppStore;
  readonly jobs: Jobs;
  client(): Pick<StudioApi, 'solverLab' | 'getSolverTable'> | null;
  say(text: string, level?: StatusMessage['level']): void;
}

export interface LabForm {
  /** Any installed model that is not an upscaler. */
  model: string;
  /** Model-evaluation budgets, "5, 10, 20". */
  budgets: string;
  /** The engine's quick scope (one sampler per family, two prompts × one seed) instead of the full one. */
  quick: boolean;
}

export const DEFAULT_LAB_FORM: LabForm = { model: '', budgets: '5, 10, 20', quick: false };
/** The contract's limits on `nfes`. */
export const BUDGET_RANGE = { min: 2, max: 200, most: 8 } as const;

/** What is stored for the form's model. */
export type TableView =
  | { status: 'loading'; model: string }
  | { status: 'none'; model: string }
  | { status: 'found'; model: string; table: StoredTable }
  | { status: 'error'; model: string; error: string };

export interface LabState {
  form: LabForm;
  open: boolean;
  stored: TableView | null;
  /** The grid family the chart shows; null: the one of the best row at the largest budget. */
  family: LabGrid | null;
  /** Where the last measurement was written (the engine's data folder), per model. */
  lastPath: { model: string; path: string } | null;
}

type Found = Extract<TableView, { status: 'none' | 'found' }>;

const UNCHANGED = 'The stored solver table is unchanged.';
/** Samplers only the lab measures (they need what it estimates or searches for the pack). */
const LAB_ONLY: Record<string, string> = { dpm_solver_v3: 'DPM-Solver-v3', dpmpp_usf: 'DPM++ searched orders' };

/** Models the lab measures: every installed one that is not an upscaler. */
export function labModels(models: readonly ModelEntry[]): ModelEntry[] {
  return models.filter((m) => !isUpscaler(m));
}

/** "5, 10, 20" (commas or spaces) → [5, 10, 20]: whole numbers in the contract's range, sorted, each once. */
export function parseBudgets(text: string): Parsed<number[]> {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const { min, max, most } = BUDGET_RANGE;
  const values = parts.map(Number);
  if (!parts.length || values.some((v) => !Number.isInteger(v) || v < min || v > max)) {
    return { ok: false, errors: [`Budgets must be whole numbers of model evaluations from ${min} to ${max}, e.g. "5, 10, 20".`] };
  }
  const unique = [...new Set(values)].sort((a, b) => a - b);
  if (unique.length > most) return { ok: false, errors: [`Give at most ${most} budgets (${unique.length} given).`] };
  return { ok: true, value: unique };
}

/** The progress caption of a measurement: the count of model evaluations and the time left. */
export function labProgressCaption(p: ProgressSnapshot): string {
  if (p.total === 0) return 'Loading the model…';
  const what = `Measuring · ${p.step} / ${p.total} model evaluations`;
  if (p.step >= p.total) return `${what} · finishing`;
  return `${what} · ${p.etaMs === null ? 'estimating…' : `${formatDuration(p.etaMs)} left`}`;
}

/** The status line after a measurement: the best at the largest budget against the pack's plan. */
export function labHeadline(table: StoredTable, labelOf: (sampler: string) => string = (s) => s): string {
  const top = topBest(table);
  if (!top) return `Solver table stored for ${table.pack.name}, but no run finished: sampler "Automatic" keeps its default.`;
  const pack = top.packRms === null ? 'the pack plan broke' : `the pack plan's ${formatValue(top.packRms, 3)}`;
  const ratio = top.packRms !== null && top.rms > 0 ? ` (${ratioText(top.packRms / top.rms)})` : '';
  return `Solver table stored for ${table.pack.name}: at ${top.nfe} evaluations ${whatRan(top.sampler, top.grid, labelOf)} errs ${formatValue(top.rms, 3)} vs ${pack}${ratio}. Sampler "Automatic" now uses it.`;
}

export class LabController implements StudioModule {
  readonly store = createStore<LabState>()(() => ({ form: DEFAULT_LAB_FORM, open: false, stored: null, family: null, lastPath: null }));
  private readonly cache = new Map<string, Found>();
  private off: (() => void) | null = null;

  constructor(private readonly host: LabHost) {}

  /** Keep the form's model an installed non-upscaler (the Generate panel's first) as the list arrives and changes. */
  initialize(): void {
    const { app } = this.host;
    const sync = () => {
      const models = labModels(app.getState().models);
      if (models.some((m) => m.name === this.form.model)) return;
      const preferred = app.getState().settings.model;
      this.updateForm({ model: models.find((m) => m.name === preferred)?.name ?? models[0]?.name ?? '' });
    };
    sync();
    this.off = app.subscribe((s, prev) => {
      if (s.models === prev.models) return;
      const names = new Set(s.models.map((m) => m.name));
      for (const model of [...this.cache.keys()]) if (!names.has(model)) this.cache.delete(model);
      sync();
      if (this.state.open) void this.refresh();
    });
  }

  destroy(): void {
    this.off?.();
    this.off = null;
  }

  get state(): LabState {
    return this.store.getState();
  }
  get form(): LabForm {
    return this.state.form;
  }

  /** Change fields; another model shows its own table (looked up while the panel is open). */
  updateForm(patch: Partial<LabForm>): void {
    const modelChanged = patch.model !== undefined && patch.model !== this.form.model;
    this.store.setState({ form: { ...this.form, ...patch }, ...(modelChanged ? { family: null } : {}) });
    if (modelChanged && this.state.open) void this.refresh();
  }

  /** The panel opened or closed; opening looks up the stored table. */
  setOpen(open: boolean): void {
    if (open === this.state.open) return;
    this.store.setState({ open });
    if (open) void this.refresh();
  }

  showFamily(family: LabGrid | null): void {
    this.store.setState({ family });
  }

  /** A sampler's label from the catalogue or the lab's own samplers (its name when unknown). */
  labelOf = (sampler: string): string =>
    sampler === PACK_PLAN.sampler ? 'Pack scheduler' : (this.host.app.getState().samplers.find((s) => s.name === sampler)?.label ?? LAB_ONLY[sampler] ?? sampler);

  /** Look up the stored table of the form's model (kept per model once known); a newer lookup wins. */
  async refresh(): Promise<void> {
    const model = this.form.model;
    const client = this.host.client();
    if (!model || !client) return this.store.setState({ stored: null });
    const known = this.cache.get(model);
    if (known) return this.store.setState({ stored: known });
    if (this.state.stored?.status === 'loading' && this.state.stored.model === model) return;
    this.store.setState({ stored: { status: 'loading', model } });
    let view: TableView;
    try {
      const raw = await client.getSolverTable({ model });
      if (raw === null) view = { status: 'none', model };
      else {
        const r = readSolverTable(raw);
        view = r.ok ? { status: 'found', model, table: r.table } : { status: 'error', model, error: r.error };
      }
    } catch (e) {
      view = { status: 'error', model, error: e instanceof Error ? e.message : String(e) };
    }
    if (view.status !== 'error') this.cache.set(model, view);
    // The form may have moved to another model while the engine answered.
    if (this.form.model === model) this.store.setState({ stored: view });
  }

  /** Measure: run the lab, store its table and show it; resolves when it has finished, failed or been cancelled. */
  async run(): Promise<void> {
    const { jobs } = this.host;
    const say = (t: string, l?: StatusMessage['level']) => this.host.say(t, l);
    const client = jobs.ready(this.host.client(), 'The solver lab', say);
    if (!client) return;
    const { model } = this.form;
    const installed = labModels(this.host.app.getState().models).some((m) => m.name === model);
    const budgets = parseBudgets(this.form.budgets);
    const errors = [...(installed ? [] : [model ? `${model} is not a model the solver lab can measure.` : 'Pick a model to measure.']), ...(budgets.ok ? [] : budgets.errors)];
    if (errors.length || !budgets.ok) return say(errors.join(' '), 'error');
    const nfes = budgets.value;
    const jobId = newJobId();
    jobs.begin('lab', jobId, 0);
    say(`Measuring ${this.form.quick ? 'one sampler per family' : 'the samplers'} and grids on ${model} at ${nfes.join(', ')} model evaluations…`);
    try {
      const result = await client.solverLab({ jobId, model, nfes, scope: this.form.quick ? 'quick' : 'full' });
      if (jobs.isCancelled(jobId)) return say(`Cancelled. ${UNCHANGED}`);
      const r = readSolverTable(result.table);
      if (!r.ok) return say(`The measurement finished and was stored in ${result.path}, but ${r.error}.`, 'error');
      const view: Found = { status: 'found', model, table: r.table };
      this.cache.set(model, view);
      if (this.form.model === model) this.store.setState({ stored: view, family: null });
      this.store.setState({ lastPath: { model, path: result.path } });
      say(labHeadline(r.table, this.labelOf));
    } catch (e) {
      if (isCancelled(e) || jobs.isCancelled(jobId)) say(`Cancelled. ${UNCHANGED}`);
      else say(srFailure(e, 'lab', UNCHANGED), 'error');
    } finally {
      jobs.end(jobId);
    }
  }
}
