/**
 * The Upscale panel's and the boundary search's fields, and the requests they become (pure).
 * Number fields are text so that an empty one can mean "the model's default"; parsing names the
 * field that is wrong, with the contract's ranges.
 */
import type { AppStore } from '../app-state.js';
import { BC_METRICS, type BcMetric, type BcMode, type BcSearchRequest, type ModelEntry, type UpscaleRequest } from '../../../../main/api/contract.js';
import type { UpscalePlacement } from '../../store/actions/upscale.js';
import { MAX_SEED, PACK_SAMPLER } from '../generate/settings.js';

/** Model families that upscale (pixel SR and the x4 upscaler layout). */
export const UPSCALER_FAMILIES = ['pixel-sr', 'upscaler'] as const;

export function isUpscaler(m: Pick<ModelEntry, 'family'>): boolean {
  return (UPSCALER_FAMILIES as readonly (string | undefined)[]).includes(m.family);
}

export function upscalerModels(models: readonly ModelEntry[]): ModelEntry[] {
  return models.filter(isUpscaler);
}

/** The model a form keeps: its own while it is still an installed upscaler, else the first upscaler ('' when none). */
export function keptUpscaler(current: string, models: readonly ModelEntry[]): string {
  const ups = upscalerModels(models);
  return ups.some((m) => m.name === current) ? current : (ups[0]?.name ?? '');
}

/**
 * Keep a form's model an installed upscaler as the model list arrives and changes: `set` gets the
 * model to switch to, `changed` hears every new list. Returns the unsubscribe.
 */
export function followUpscalers(app: AppStore, get: () => string, set: (model: string) => void, changed?: () => void): () => void {
  const sync = () => {
    const model = keptUpscaler(get(), app.getState().models);
    if (model !== get()) set(model);
  };
  sync();
  return app.subscribe((s, prev) => {
    if (s.models === prev.models) return;
    sync();
    changed?.();
  });
}

export interface UpscaleForm {
  model: string;
  /** A catalogue sampler or 'pack'; a searched boundary condition belongs to one sampler and step count. */
  sampler: string;
  /** Empty: the model's recommended steps. */
  steps: string;
  bc: BcMode;
  /** Empty: 0. */
  seed: string;
  placement: UpscalePlacement;
}

export const DEFAULT_UPSCALE_FORM: UpscaleForm = { model: '', sampler: PACK_SAMPLER, steps: '', bc: 'auto', seed: '', placement: 'grow' };

export interface SearchForm {
  model: string;
  sampler: string;
  steps: string;
  candidates: string;
  metric: BcMetric;
  /** A folder on the engine's machine; empty: the model's own calibration set. */
  calibration: string;
  /** At most this many calibration images; empty: all of them. */
  limit: string;
  seed: string;
}

export const DEFAULT_SEARCH_FORM: SearchForm = { model: '', sampler: PACK_SAMPLER, steps: '', candidates: '32', metric: 'ssim', calibration: '', limit: '', seed: '' };

export const METRIC_LABELS: Record<BcMetric, string> = {
  ssim: 'SSIM (structure, higher is better)',
  psnr: 'PSNR (dB, higher is better)',
  gmsd: 'GMSD (gradient deviation, lower is better)',
};
export const SEARCH_METRICS: readonly BcMetric[] = BC_METRICS;

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: string[] };

interface Rule {
  label: string;
  min: number;
  max: number;
}

/** A whole number in range, or undefined for an empty field; a wrong one is added to `errors`. */
function whole(text: string, rule: Rule, errors: string[]): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const v = Number(t);
  if (Number.isInteger(v) && v >= rule.min && v <= rule.max) return v;
  errors.push(`${rule.label} must be a whole number from ${rule.min} to ${rule.max}.`);
  return undefined;
}

/** Steps a field stands for: its own, else the model's recommended, else undefined (the engine's default). */
export function stepsFor(text: string, model: Pick<ModelEntry, 'recommended'> | undefined): number | undefined {
  const v = Number(text.trim());
  if (text.trim() !== '' && Number.isInteger(v) && v >= 1) return v;
  return model?.recommended?.steps;
}

/** The upscale request of a form (without the job id and the image). */
export function parseUpscaleForm(f: UpscaleForm, models: readonly ModelEntry[]): Parsed<Omit<UpscaleRequest, 'jobId' | 'image'>> {
  const errors: string[] = [];
  const model = models.find((m) => m.name === f.model);
  if (!f.model) errors.push('Pick an upscaling model (none is installed that upscales).');
  else if (model && !isUpscaler(model)) errors.push(`${f.model} is not an upscaling model.`);
  const steps = whole(f.steps, { label: 'Steps', min: 1, max: 1000 }, errors);
  const seed = whole(f.seed, { label: 'Seed', min: 0, max: MAX_SEED }, errors) ?? 0;
  if (errors.length) return { ok: false, errors };
  const value: Omit<UpscaleRequest, 'jobId' | 'image'> = { model: f.model, sampler: f.sampler || PACK_SAMPLER, bc: f.bc, seed, previewEvery: 0 };
  const s = steps ?? model?.recommended?.steps;
  if (s !== undefined) value.steps = s;
  return { ok: true, value };
}

/** The search request of a form (without the job id). */
export function parseSearchForm(f: SearchForm, models: readonly ModelEntry[]): Parsed<Omit<BcSearchRequest, 'jobId'>> {
  const errors: string[] = [];
  const model = models.find((m) => m.name === f.model);
  if (!f.model) errors.push('Pick an upscaling model (none is installed that upscales).');
  else if (model && !isUpscaler(model)) errors.push(`${f.model} is not an upscaling model.`);
  const steps = whole(f.steps, { label: 'Steps', min: 1, max: 200 }, errors);
  const candidates = whole(f.candidates, { label: 'Candidates', min: 2, max: 1024 }, errors);
  const limit = whole(f.limit, { label: 'Calibration images', min: 1, max: 1024 }, errors);
  const seed = whole(f.seed, { label: 'Seed', min: 0, max: MAX_SEED }, errors) ?? 0;
  if (f.candidates.trim() === '') errors.push('Candidates must be a whole number from 2 to 1024.');
  const calibration = f.calibration.trim();
  if (calibration.length > 4096) errors.push('The calibration folder path is too long.');
  if (errors.length) return { ok: false, errors };
  const value: Omit<BcSearchRequest, 'jobId'> = { model: f.model, sampler: f.sampler || PACK_SAMPLER, metric: f.metric, candidates: candidates!, seed };
  const s = steps ?? model?.recommended?.steps;
  if (s !== undefined) value.steps = s;
  if (limit !== undefined) value.limit = limit;
  if (calibration) value.calibration = calibration;
  return { ok: true, value };
}

/** What a stored search is looked up by: the model, sampler and steps an upscale would run with. */
export interface BoundaryKey {
  model: string;
  sampler: string;
  steps: number | undefined;
}

export const boundaryKeyText = (k: BoundaryKey) => `${k.model}\u0000${k.sampler}\u0000${k.steps ?? ''}`;
