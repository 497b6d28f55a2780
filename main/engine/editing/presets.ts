/**
 * Every editing knob with its default per task and preset.
 *
 * `diffeditor` is DiffEditor's schedule (Mou et al. 2024; MC-E/DragonDiffusion `demo.py` and
 * `pipelines`): 50 DDIM steps; energy guidance on every step of the first fifth, then on every
 * other step to step 28 (0.58); local SDE η = 0.4 on steps 11–19 (0.22–0.38) inside the edit
 * region; time travel after steps 22, 24, 26, 28 with three tries each; the task's CFG and energy
 * weights (move: CFG 4, w_edit 4, w_content 6, w_contrast 0.2, w_inpaint 0.8; drag: CFG 4, 4 / 6,
 * w_inpaint 0.2; appearance: CFG 5, 3.5 / 5; paste: CFG 4, 4 / 6). Positions are fractions of the
 * step count so the schedule scales with it.
 *
 * `fast` keeps the same parts in 8 steps at most 40 model evaluations per edit (inversion, residual
 * pass, sampling, two time-travel retries; paste adds the reference's inversion), guiding every step
 * of the first half and every other step to three quarters, and is the default the studio starts with.
 *
 * Inversion defaults to `exact` for every task: the residuals make a no-op edit return the image,
 * so whatever changes comes from the edit, and they cost one evaluation per step. `ddim` is the
 * cheaper, approximate choice (DiffEditor's own).
 */
import { inversionEvaluations, type InversionKind } from './inversion.js';
import type { MemorySettings } from './memory.js';

export type EditTaskKind = 'move' | 'drag' | 'paste' | 'appearance';
export type EditPresetName = 'fast' | 'diffeditor';

export interface GuidanceSettings {
  /**
   * x0: energies on the predicted clean state, no backward pass (`energies.ts`); features:
   * DiffEditor's energies on the UNet's decoder features, differentiated through the model
   * (`feature-guidance.ts`), where the pack supports it.
   */
  kind: 'x0' | 'features';
  /** λ: the step size on x̂₀; λ·w is the fraction of the way a quadratic term pulls a cell per guided step. */
  scale: number;
  /** Feature guidance's c: DiffEditor's guidance step × energy scale (ε̂ = ε + c·∇E). */
  featureStep: number;
  content: number;
  edit: number;
  contrast: number;
  inpaint: number;
  /** Guide every step while i < everyUntil·N … */
  everyUntil: number;
  /** … then every even step while i < alternateUntil·N. */
  alternateUntil: number;
}

export interface EditSettings {
  steps: number;
  cfgScale: number;
  inversion: InversionKind;
  eta: number;
  /** Local SDE window as fractions of the steps [from, to], inclusive. */
  sdeWindow: [number, number];
  timeTravel: { at: number[]; tries: number };
  guidance: GuidanceSettings;
  composite: boolean;
  /** Attention memory (`memory.ts`): used where the pack supports it and `enabled`. */
  memory: MemorySettings;
}

/**
 * CFG per task is DiffEditor's. The energy weights keep its terms but are set for energies on x̂₀
 * with λ = 0.15 (so λ·w ≤ 0.9: no term overshoots its target in one guided step), measured on
 * the synthetic scenes of `bench:edit`: DiffEditor's own numbers (move 4 / 6 / 0.2 / 0.8) weigh
 * feature-space cosine energies and left the moved object in its old place here.
 */
const WEIGHTS: Record<EditTaskKind, { cfg: number; edit: number; content: number; contrast: number; inpaint: number }> = {
  move: { cfg: 4, edit: 6, content: 6, contrast: 0.2, inpaint: 6 },
  drag: { cfg: 4, edit: 6, content: 6, contrast: 0, inpaint: 1 },
  appearance: { cfg: 5, edit: 6, content: 5, contrast: 0, inpaint: 0 },
  paste: { cfg: 4, edit: 6, content: 6, contrast: 0, inpaint: 0 },
};

/**
 * Feature guidance keeps DiffEditor's own weights and steps (its energies are the ones these were
 * set for): move w_edit 4, w_content 6, w_contrast 0.2, w_inpaint 0.8, c = 0.08 × 500; drag 4 / 6,
 * w_inpaint 0.2, 0.04 × 2000; appearance 3.5 / 5, 0.04 × 2000; paste 4 / 6, 0.04 × 1500.
 */
const FEATURE_WEIGHTS: Record<EditTaskKind, { edit: number; content: number; contrast: number; inpaint: number; step: number }> = {
  move: { edit: 4, content: 6, contrast: 0.2, inpaint: 0.8, step: 40 },
  drag: { edit: 4, content: 6, contrast: 0, inpaint: 0.2, step: 80 },
  appearance: { edit: 3.5, content: 5, contrast: 0, inpaint: 0, step: 80 },
  paste: { edit: 4, content: 6, contrast: 0, inpaint: 0, step: 60 },
};

/**
 * DiffEditor's memory-bank schedule: injected from step 5 of 50 on for move and drag, on steps
 * 0–35 of 50 for appearance and paste; the decoder's self-attention layers.
 */
const MEMORY_WINDOW: Record<EditTaskKind, [number, number]> = { move: [0.1, 1], drag: [0.1, 1], appearance: [0, 0.7], paste: [0, 0.7] };

/** The defaults of a task under a preset. */
export function editDefaults(kind: EditTaskKind, preset: EditPresetName, guidanceKind: GuidanceSettings['kind'] = 'x0'): EditSettings {
  const w = WEIGHTS[kind];
  const f = FEATURE_WEIGHTS[kind];
  const weights = guidanceKind === 'features' ? f : w;
  const guidance = { kind: guidanceKind, scale: 0.15, featureStep: f.step, content: weights.content, edit: weights.edit, contrast: weights.contrast, inpaint: weights.inpaint };
  const memory: MemorySettings = { enabled: true, layers: 'decoder', window: MEMORY_WINDOW[kind] };
  if (preset === 'diffeditor') {
    return {
      steps: 50, cfgScale: w.cfg, inversion: 'exact', eta: 0.4, sdeWindow: [0.22, 0.38],
      timeTravel: { at: [0.44, 0.48, 0.52, 0.56], tries: 3 },
      guidance: { ...guidance, everyUntil: 0.2, alternateUntil: 0.58 }, composite: true, memory,
    };
  }
  return {
    steps: 8, cfgScale: w.cfg, inversion: 'exact', eta: 0.4, sdeWindow: [0.25, 0.4],
    timeTravel: { at: [0.5], tries: 3 },
    guidance: { ...guidance, everyUntil: 0.5, alternateUntil: 0.75 }, composite: true, memory,
  };
}

/** Overrides as the API carries them: any subset of the knobs. */
export interface EditOverrides {
  steps?: number;
  cfgScale?: number;
  inversion?: InversionKind;
  eta?: number;
  sdeWindow?: [number, number];
  timeTravel?: { at: number[]; tries: number };
  guidance?: Partial<GuidanceSettings>;
  composite?: boolean;
  memory?: Partial<MemorySettings>;
}

/** The settings an edit runs with: the preset's defaults for the task, then the caller's overrides. */
export function resolveEditSettings(kind: EditTaskKind, preset: EditPresetName, o: EditOverrides = {}): EditSettings {
  const d = editDefaults(kind, preset, o.guidance?.kind);
  const defined = <T extends object>(v: T): Partial<T> => Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) as Partial<T>;
  const s: EditSettings = {
    ...d, ...defined({ ...o, guidance: undefined, memory: undefined }),
    guidance: { ...d.guidance, ...defined(o.guidance ?? {}) },
    memory: { ...d.memory, ...defined(o.memory ?? {}) },
  };
  if (s.sdeWindow[0] > s.sdeWindow[1]) throw new RangeError(`sdeWindow [${s.sdeWindow.join(', ')}] must run from an earlier to a later step`);
  if (s.memory.window[0] > s.memory.window[1]) throw new RangeError(`memory.window [${s.memory.window.join(', ')}] must run from an earlier to a later step`);
  if (s.guidance.alternateUntil < s.guidance.everyUntil) s.guidance.alternateUntil = s.guidance.everyUntil;
  return s;
}

/**
 * Model evaluations an edit of `kind` will make (network calls; a CFG pair is one call). With
 * attention memory (`memory`: the pack supports it and it is enabled), appearance inverts its
 * reference too, and a window that starts at step 0 costs one more call (the recorded image at
 * the top level).
 */
export function editEvaluations(s: EditSettings, kind: EditTaskKind, memory = false): number {
  const N = s.steps;
  const images = kind === 'paste' || (memory && kind === 'appearance') ? 2 : 1;
  const inversion = inversionEvaluations(s.inversion, N);
  const reference = images === 2 ? inversionEvaluations('ddim', N) : 0;
  const top = memory && stepAt(s.memory.window[0], N) === 0 ? 1 : 0;
  const tt = timeTravelSteps(s).length * (s.timeTravel.tries - 1) * 2;
  return inversion + reference + top + N + tt + (s.guidance.kind === 'features' ? featureEvaluations(s, kind, memory) : 0);
}

/**
 * The UNet calls feature guidance adds: per guided call its features and its gradient (a reverse
 * pass, counted as one call though it costs a few forward passes), and per guided step the
 * reference's features (twice where a second image is compared: paste, appearance). Appearance
 * also inverts its reference for it when memory does not already.
 */
export function featureEvaluations(s: EditSettings, kind: EditTaskKind, memory = false): number {
  const N = s.steps;
  const travel = new Set(timeTravelSteps(s));
  let calls = 0, steps = 0;
  for (let k = 0; k < N; k++) {
    if (!isGuidedStep(s.guidance, k, N)) continue;
    steps++;
    calls += travel.has(k) ? s.timeTravel.tries : 1;
  }
  const second = kind === 'paste' || kind === 'appearance';
  const inverts = kind === 'appearance' && !memory ? inversionEvaluations('ddim', N) : 0;
  return 2 * calls + steps * (second ? 2 : 1) + inverts;
}

/** Step index of a fraction of N steps. */
export const stepAt = (f: number, N: number): number => Math.min(N - 1, Math.max(0, Math.round(f * N)));

/** The steps after which time travel rewinds (never the last step, which ends at σ = 0). */
export function timeTravelSteps(s: EditSettings): number[] {
  if (s.timeTravel.tries <= 1) return [];
  return [...new Set(s.timeTravel.at.map((f) => stepAt(f, s.steps)))].filter((k) => k < s.steps - 1).sort((a, b) => a - b);
}

/** Whether step k is guided under the schedule. */
export function isGuidedStep(g: GuidanceSettings, k: number, N: number): boolean {
  if (!((g.kind === 'features' ? g.featureStep : g.scale) > 0)) return false;
  return k < Math.round(g.everyUntil * N) || (k < Math.round(g.alternateUntil * N) && k % 2 === 0);
}
