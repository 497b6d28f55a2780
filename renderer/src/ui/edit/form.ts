/**
 * The Edit panel's fields and the settings they become (pure). Every knob is text so that an
 * empty field can mean "the preset's default"; parsing names the field that is wrong. Step
 * positions are fractions of the step count (0 … 1), as the contract takes them.
 */
import type { EditKind, EditOptions, EditPreset } from '../../../../main/api/contract.js';
import { MAX_SEED } from '../generate/settings.js';

export interface EditForm {
  /** The task picked where the canvas holds several; null: the first the canvas holds. */
  kind: EditKind | null;
  preset: EditPreset;
  /** Empty: the Generate panel's prompt. */
  prompt: string;
  /** Paste: what the pasted image shows (its inversion's prompt); empty: the prompt above. */
  referencePrompt: string;
  steps: string;
  cfg: string;
  seed: string;
  inversion: '' | 'exact' | 'ddim';
  eta: string;
  sdeFrom: string;
  sdeTo: string;
  /** Comma-separated fractions. */
  travelAt: string;
  travelTries: string;
  /** Empty: the preset's (x̂₀); features: exact region guidance through the model. */
  guidanceKind: '' | 'x0' | 'features';
  guidanceScale: string;
  featureStep: string;
  content: string;
  edit: string;
  contrast: string;
  inpaint: string;
  everyUntil: string;
  alternateUntil: string;
  composite: '' | 'on' | 'off';
  /** Attention memory: on unless the user turns it off (used where the model supports it). */
  memory: boolean;
  memoryLayers: '' | 'decoder' | 'all';
  memoryFrom: string;
  memoryTo: string;
}

export const DEFAULT_EDIT_FORM: EditForm = {
  kind: null,
  preset: 'fast',
  prompt: '',
  referencePrompt: '',
  steps: '',
  cfg: '',
  seed: '',
  inversion: '',
  eta: '',
  sdeFrom: '',
  sdeTo: '',
  travelAt: '',
  travelTries: '',
  guidanceKind: '',
  guidanceScale: '',
  featureStep: '',
  content: '',
  edit: '',
  contrast: '',
  inpaint: '',
  everyUntil: '',
  alternateUntil: '',
  composite: '',
  memory: true,
  memoryLayers: '',
  memoryFrom: '',
  memoryTo: '',
};

export const PRESET_LABELS: Record<EditPreset, string> = {
  fast: 'Fast (≤ 40 model evaluations)',
  diffeditor: 'DiffEditor (full schedule)',
};

/** The contract's presets, in the picker's order. */
export const EDIT_PRESETS = Object.keys(PRESET_LABELS) as EditPreset[];

export interface ParsedEditForm {
  steps?: number;
  cfgScale?: number;
  seed: number;
  options: EditOptions;
}

export type ParseOutcome = { ok: true; value: ParsedEditForm } | { ok: false; errors: string[] };

interface NumberRule {
  label: string;
  min: number;
  max: number;
  integer?: boolean;
}

/** Parse the form; empty fields are left out (the preset decides). */
export function parseEditForm(f: EditForm): ParseOutcome {
  const errors: string[] = [];
  const num = (text: string, rule: NumberRule): number | undefined => {
    const t = text.trim();
    if (t === '') return undefined;
    const v = Number(t);
    const ok = Number.isFinite(v) && v >= rule.min && v <= rule.max && (!rule.integer || Number.isInteger(v));
    if (!ok) errors.push(`${rule.label} must be ${rule.integer ? 'a whole number' : 'a number'} from ${rule.min} to ${rule.max}.`);
    return ok ? v : undefined;
  };
  const fraction = (text: string, label: string) => num(text, { label: `${label} (a fraction of the steps)`, min: 0, max: 1 });
  const weight = (text: string, label: string) => num(text, { label, min: 0, max: 100 });

  const steps = num(f.steps, { label: 'Steps', min: 2, max: 1000, integer: true });
  const cfgScale = num(f.cfg, { label: 'CFG', min: 0, max: 100 });
  const seed = num(f.seed, { label: 'Seed', min: 0, max: MAX_SEED, integer: true }) ?? 0;

  const options: EditOptions = {};
  if (f.inversion) options.inversion = f.inversion;
  const eta = num(f.eta, { label: 'η', min: 0, max: 1 });
  if (eta !== undefined) options.eta = eta;
  const from = fraction(f.sdeFrom, 'SDE window start');
  const to = fraction(f.sdeTo, 'SDE window end');
  if ((f.sdeFrom.trim() === '') !== (f.sdeTo.trim() === '')) {
    errors.push('The SDE window needs both its start and its end (or neither).');
  } else if (from !== undefined && to !== undefined) {
    if (from > to) errors.push('The SDE window must start before it ends.');
    else options.sdeWindow = [from, to];
  }
  const at = fractionList(f.travelAt, errors);
  const tries = num(f.travelTries, { label: 'Time-travel tries', min: 1, max: 10, integer: true });
  if (at !== undefined && tries !== undefined) options.timeTravel = { at, tries };
  else if ((f.travelAt.trim() === '') !== (f.travelTries.trim() === '')) errors.push('Time travel needs both its steps and its tries (or neither).');

  const guidance: NonNullable<EditOptions['guidance']> = {};
  const g = {
    scale: weight(f.guidanceScale, 'Guidance scale'),
    featureStep: num(f.featureStep, { label: 'Feature step', min: 0, max: 1e6 }),
    content: weight(f.content, 'Content weight'),
    edit: weight(f.edit, 'Edit weight'),
    contrast: weight(f.contrast, 'Contrast weight'),
    inpaint: weight(f.inpaint, 'Inpaint weight'),
    everyUntil: fraction(f.everyUntil, 'Guide every step until'),
    alternateUntil: fraction(f.alternateUntil, 'Guide every other step until'),
  };
  for (const [k, v] of Object.entries(g)) if (v !== undefined) guidance[k as keyof typeof g] = v;
  if (g.everyUntil !== undefined && g.alternateUntil !== undefined && g.alternateUntil < g.everyUntil) errors.push('"Every other step until" must not come before "every step until".');
  if (f.guidanceKind) guidance.kind = f.guidanceKind;
  if (Object.keys(guidance).length) options.guidance = guidance;
  if (f.composite) options.composite = f.composite === 'on';
  const memory: NonNullable<EditOptions['memory']> = { enabled: f.memory };
  if (f.memoryLayers) memory.layers = f.memoryLayers;
  const mFrom = fraction(f.memoryFrom, 'Memory from'), mTo = fraction(f.memoryTo, 'Memory to');
  if ((f.memoryFrom.trim() === '') !== (f.memoryTo.trim() === '')) errors.push('The attention-memory steps need both a start and an end (or neither).');
  else if (mFrom !== undefined && mTo !== undefined) {
    if (mFrom > mTo) errors.push('The attention-memory steps must start before they end.');
    else memory.window = [mFrom, mTo];
  }
  options.memory = memory;

  if (errors.length) return { ok: false, errors };
  const value: ParsedEditForm = { seed, options };
  if (steps !== undefined) value.steps = steps;
  if (cfgScale !== undefined) value.cfgScale = cfgScale;
  return { ok: true, value };
}

function fractionList(text: string, errors: string[]): number[] | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const parts = t.split(/[\s,;]+/).filter(Boolean);
  const values = parts.map(Number);
  if (parts.length > 64 || values.some((v) => !Number.isFinite(v) || v < 0 || v > 1)) {
    errors.push('Time-travel steps must be up to 64 fractions of the steps from 0 to 1, separated by commas.');
    return undefined;
  }
  return values;
}
