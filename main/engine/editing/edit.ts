/**
 * DiffEditor-style editing on any denoiser (Mou et al. 2024, "DiffEditor: Boosting Accuracy and
 * Flexibility on Diffusion-based Image Editing", §3; its predecessor DragonDiffusion, Mou et al.
 * 2023), forward-only:
 * 1. invert the image over the plan's levels (`inversion.ts`), keeping the reference trajectory;
 * 2. apply the edit to the inverted state — the object's region placed at its new position and
 *    scale (move, resize), patches carried from handles to targets (drag), a second image's
 *    inverted region placed on the base (paste), or nothing for appearance, whose change comes
 *    from guidance; the vacated area starts from fresh noise around its surroundings' colour;
 * 3. sample back with the same DDIM sampler the engine offers, through `sampleWithHooks`:
 *    - outside the edit region the reference trajectory is held (every step lands there again);
 *    - local SDE (§3.3): η > 0 only inside the edit region and only inside a window of steps,
 *      through the sampler's own `sde.window` and `sde.mask`;
 *    - region guidance on x̂₀ (`energies.ts`) on the guided steps: content around the edit
 *      against the reference's x̂₀, the target region against the placed source, the vacated area
 *      towards its surroundings and away from the old object;
 *    - time travel (§3.3): after chosen steps the state is rewound one level by a deterministic
 *      inversion step and the step is taken again, `tries` times in all;
 *    - with exact inversion, each step adds its recorded residual (placed with the region inside
 *      the target), so an empty edit returns the image;
 *    - attention memory (`memory.ts`), where the denoisers' network supports it: the inversion of
 *      the recorded image (the base for move and drag, the reference for appearance and paste,
 *      which is then inverted first) records its self-attention keys and values on the memory's
 *      steps, and sampling — the exact inversion's residual pass included, so a no-op edit still
 *      returns the image — attends to them on the same steps; time travel's rewinds do not.
 * All of it works on [C, h, w] states through a `Denoiser`, so it is tested on the exact Gaussian
 * model as well as on packs.
 */
import type { Vec } from '../tensor.js';
import { lin } from '../tensor.js';
import type { Denoiser, DenoiseContext } from '../samplers/common.js';
import { sampleDdim } from '../samplers/ddim.js';
import { sampleWithHooks, type StepAction } from '../samplers/hooks.js';
import { fillGaussian, seededNoise } from '../random.js';
import { broadcastMask, featherMask } from '../pipelines/mask.js';
import { contrastEnergy, fillEnergy, guidanceStep, matchEnergy, sumEnergies, type Energy } from './energies.js';
import { inversionEvaluations, invertTrajectory, rewindStep, type Trajectory } from './inversion.js';
import { isGuidedStep, stepAt, timeTravelSteps, type EditSettings, type EditTaskKind } from './presets.js';
import { featureGuidanceStep, tapEnergy, type FeatureModel, type FeatureTask } from './feature-guidance.js';
import type { MemoryLayerInfo, MemorySource, SpillStore } from './memory.js';
import { editMemory, type EditMemory, type EditMemoryOutcome, type MemoryModels } from './edit-memory.js';
import { area, dilate, matchStats, minus, placedMask, placeRegions, regionStats, union, type Grid, type Placement, type RegionCopy } from './regions.js';

export interface EditTask {
  kind: EditTaskKind;
  grid: Grid;
  /** The clean image state [C, h, w]. */
  image: Vec;
  /**
   * h × w: the object (move), the region that may change (drag; empty = around the pairs), the
   * base region whose appearance is replaced (appearance); unused for paste.
   */
  region: Float32Array;
  /** Move: where the region's anchor goes and its scale (anchor = top-left of its bounding box). */
  move?: { offset: { x: number; y: number }; scale: { x: number; y: number } };
  /** Drag: handle → target pairs in grid cells. */
  drag?: { handle: { x: number; y: number }; target: { x: number; y: number } }[];
  /** Paste: the reference image, its region, and where the region's top-left lands (and its scale). Appearance: the reference region. */
  reference?: { image: Vec; grid: { width: number; height: number }; region: Float32Array; offset?: { x: number; y: number }; scale?: { x: number; y: number } };
}

export interface EditModels {
  /** Sampling denoiser: the prompt with classifier-free guidance. */
  sample: Denoiser;
  /** Inversion denoiser: the source prompt, unguided (also used to rewind in time travel). */
  invert: Denoiser;
  /** Paste: the inversion denoiser of the reference image (its own prompt); defaults to `invert`. */
  invertReference?: Denoiser;
  /**
   * Attention memory, where the denoisers' network supports it (`MemoryCall`s in their context): its
   * layers, byte budget and spill store, and the inversion denoisers its recording calls use (the
   * same numbers as `invert` / `invertReference` from one call over both guidance branches, so each
   * branch of a guided sampling attends to its own memory; default: `invert` / `invertReference`).
   */
  memory?: { layers: readonly MemoryLayerInfo[]; budgetBytes: number; spill?: SpillStore; invert?: Denoiser; invertReference?: Denoiser };
  /** Exact region guidance's model (decoder features and their gradient), where the pack supports it; used when the settings ask for feature guidance. */
  features?: FeatureModel;
}

export interface EditProgress {
  phase: 'invert' | 'sample';
  step: number;
  total: number;
  denoised: Vec;
}

export interface EditRunOptions {
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (p: EditProgress) => void;
}

/** The masks of an edit on the state grid (h × w, binary). */
export interface EditMasks {
  /** Where the edit reads from (object, handle patches, base region). */
  source: Float32Array;
  /** Where the edit writes (placed object, target patches, base region). */
  target: Float32Array;
  /** Source cells not covered by the target: the area to fill. */
  vacated: Float32Array;
  /** Everything that may change: source ∪ target (∪ the drag region), dilated. */
  edit: Float32Array;
}

export interface EditOutcome {
  /** The edited clean state [C, h, w]. */
  x: Vec;
  masks: EditMasks;
  /** The total energy before each guided step, in order (for diagnostics and tests). */
  energies: { step: number; value: number }[];
  trajectory: Trajectory;
  /** Present when attention memory took part. */
  memory?: EditMemoryOutcome;
}

/** The margin (cells) the edit region and the surroundings' ring take around the source and target. */
const editMargin = (g: Grid): number => Math.max(1, Math.round(Math.min(g.width, g.height) / 16));

/** Cells a drag patch covers around its handle: DiffEditor copies 3×3 latent patches; on small grids one cell of margin. */
const dragRadius = (g: Grid): number => Math.max(1, Math.round(Math.min(g.width, g.height) / 32));

/** The region copies of an edit, reading from `base` (and `ref` for paste) — one per placed piece. */
function copiesOf(task: EditTask, base: Vec, ref?: Vec): RegionCopy[] {
  const g = task.grid;
  switch (task.kind) {
    case 'move': {
      const box = bounds(task.region, g.width, g.height);
      if (!box || !task.move) return [];
      const placement: Placement = { from: { x: box.x, y: box.y }, to: { x: box.x + task.move.offset.x, y: box.y + task.move.offset.y }, scale: task.move.scale };
      return [{ source: base, mask: task.region, placement }];
    }
    case 'drag': {
      const r = dragRadius(g);
      return (task.drag ?? []).map(({ handle, target }) => ({
        source: base,
        mask: squareMask(g, handle, r),
        placement: { from: handle, to: target, scale: { x: 1, y: 1 } },
      }));
    }
    case 'paste': {
      const rf = task.reference;
      if (!rf || !ref) return [];
      const box = bounds(rf.region, rf.grid.width, rf.grid.height);
      if (!box) return [];
      const to = rf.offset ?? { x: box.x, y: box.y };
      return [{ source: ref, mask: rf.region, grid: rf.grid, placement: { from: { x: box.x, y: box.y }, to, scale: rf.scale ?? { x: 1, y: 1 } } }];
    }
    case 'appearance':
      return [];
  }
}

/** The masks of an edit (see `EditMasks`). */
export function editMasks(task: EditTask): EditMasks {
  const g = task.grid;
  const copies = copiesOf(task, task.image, task.reference?.image);
  let source: Float32Array = new Float32Array(g.width * g.height);
  if (task.kind === 'drag') for (const c of copies) source = union(source, c.mask);
  else if (task.kind !== 'paste') source = Float32Array.from(task.region, (v) => (v >= 0.5 ? 1 : 0));
  const target = task.kind === 'appearance' ? source.slice() : placedMask(g, copies);
  // The vacated area takes one cell of margin, so the object's soft edge goes with it.
  const vacated = task.kind === 'appearance' ? new Float32Array(source.length) : minus(dilate(source, g.width, g.height, 1), dilate(target, g.width, g.height, 1));
  let edit = dilate(union(source, target), g.width, g.height, editMargin(g));
  if (task.kind === 'drag') edit = union(edit, Float32Array.from(task.region, (v) => (v >= 0.5 ? 1 : 0)));
  return { source, target, vacated, edit };
}

/** Check that an edit can run, with errors that name what is wrong; returns its masks. */
export function checkEditTask(task: EditTask): EditMasks {
  const g = task.grid, n = g.width * g.height;
  if (task.image.length !== g.channels * n) throw new RangeError(`image state has ${task.image.length} values, expected ${g.channels * n}`);
  if (task.region.length !== n) throw new RangeError(`mask has ${task.region.length} cells, expected ${n}`);
  if ((task.kind === 'paste' || task.kind === 'appearance') && !task.reference) throw new RangeError(`a ${task.kind} edit needs a reference image and its mask`);
  if (task.kind === 'drag' && !task.drag?.length) throw new RangeError('a drag edit needs at least one handle → target pair');
  if (task.kind === 'move' && !task.move) throw new RangeError('a move edit needs an offset (and optionally a scale)');
  if (task.kind !== 'paste' && task.kind !== 'drag' && area(task.region) === 0) throw new RangeError('mask is empty: mark the object or region to edit (white)');
  if (task.reference) {
    const rg = task.reference.grid;
    if (task.reference.image.length !== g.channels * rg.width * rg.height) throw new RangeError('reference image state does not match its grid');
    if (area(task.reference.region) === 0) throw new RangeError('reference mask is empty: mark the region of the reference image to use (white)');
  }
  const masks = editMasks(task);
  if ((task.kind === 'move' || task.kind === 'paste') && area(masks.target) === 0) throw new RangeError('the edit places the region entirely outside the image');
  if (task.kind === 'drag') {
    for (const { target } of task.drag!) {
      if (target.x < 0 || target.y < 0 || target.x > g.width - 1 || target.y > g.height - 1) throw new RangeError(`drag target (${target.x}, ${target.y}) is outside the image`);
    }
  }
  return masks;
}

/** Run an edit over the levels `sigmas` (σ₀ > … > 0) with resolved settings. */
export async function runEdit(models: EditModels, task: EditTask, sigmas: ArrayLike<number>, s: EditSettings, opts: EditRunOptions = {}): Promise<EditOutcome> {
  const masks = checkEditTask(task);
  const N = sigmas.length - 1;

  const memory = editMemory(models, task, N, s.memory);
  try {
    return await editWith(memory.models, task, masks, sigmas, s, opts, memory);
  } finally {
    memory.dispose();
  }
}

async function editWith(
  models: MemoryModels, task: EditTask, masks: EditMasks, sigmas: ArrayLike<number>, s: EditSettings, opts: EditRunOptions,
  memory: EditMemory,
): Promise<EditOutcome> {
  const g = task.grid, n = g.width * g.height, N = sigmas.length - 1;
  const seed = opts.seed ?? 0;

  // 1. Inversion: the reference first (paste; appearance with attention memory), so its memory is
  // there when the base's exact-inversion pass samples with injection; then the base.
  const withRef = task.kind === 'paste';
  // Feature guidance compares against the reference image's features along its own trajectory (appearance too).
  const featureModel = s.guidance.kind === 'features' ? models.features : undefined;
  const invertRef = withRef || models.recordReference !== undefined || (featureModel !== undefined && task.kind === 'appearance');
  // The recorded image is also evaluated at the top level when the memory's window starts at step 0.
  const topOf = (source: MemorySource) => memory.plan !== undefined && memory.plan.source === source && memory.plan.steps[0] === 0;
  const invTotal = inversionEvaluations(s.inversion, N, topOf('base')) + (invertRef ? inversionEvaluations('ddim', N, topOf('reference')) : 0);
  let invDone = 0;
  const onInv = (_d: number, _t: number, denoised: Vec) => opts.onProgress?.({ phase: 'invert', step: ++invDone, total: invTotal, denoised });
  const inv = { signal: opts.signal, onStep: onInv };
  const refInverted = invertRef
    ? await invertTrajectory('ddim', { invert: models.recordReference ?? models.invertReference ?? models.invert, sample: models.sample }, task.reference!.image, sigmas, { ...inv, top: topOf('reference') })
    : undefined;
  const refTraj = withRef ? refInverted : undefined;
  const traj = await invertTrajectory(s.inversion, models, task.image, sigmas, { ...inv, top: topOf('base') });

  // 2. The edit on the inverted state.
  const place = (base: Vec, ref: Vec | undefined) => placeRegions(base, g, copiesOf(task, base, ref)).values;
  const surround = surroundings(task.image, g, masks);
  const z = fillGaussian(new Float32Array(g.channels * n), seed, 2 ** 30);
  let x: Vec = place(traj.states[0], refTraj?.states[0]);
  const vac = masks.vacated;
  for (let c = 0; c < g.channels; c++) {
    for (let j = 0; j < n; j++) if (vac[j]) x[c * n + j] = surround[c] + traj.sigmas[0] * z[c * n + j];
  }

  // 3. Sampling.
  // Soft inside the region's edge, exactly the reference outside it.
  const free = featherMask(masks.edit, g.width, g.height, 1).map((v, j) => (masks.edit[j] ? Math.max(v, 0.5) : 0));
  const freeC = broadcastMask(free, 1, g.channels);
  const hold = (v: Vec, k: number): Vec => lin(1, traj.states[k], 1, mulEach(freeC, lin(1, v, -1, traj.states[k])));
  const residualAt = traj.residuals ? (k: number): Vec => {
    const r = place(traj.residuals![k], refTraj ? new Float32Array(refTraj.states[0].length) : undefined);
    for (let c = 0; c < g.channels; c++) for (let j = 0; j < n; j++) if (vac[j]) r[c * n + j] = 0;
    return r;
  } : undefined;

  const energies: { step: number; value: number }[] = [];
  const energyFor = stepEnergies(task, g, masks, s, surround);
  const energyAt = (k: number): Energy => energyFor(traj.denoised[k], place(traj.denoised[k], refTraj?.denoised[k]));
  const featureEnergiesAt = featureModel ? featureStepEnergies(featureModel, task, masks, s, traj, refInverted) : undefined;
  const guided: Denoiser = async (v, sigma, ctx?: DenoiseContext) => {
    const d = await models.sample(v, sigma, ctx);
    const k = ctx?.step ?? 0;
    if (!isGuidedStep(s.guidance, k, N)) return d;
    const { x0, value } = featureModel && featureEnergiesAt
      ? await featureGuidanceStep(featureModel, v, sigma, d, await featureEnergiesAt(k), s.guidance.featureStep)
      : guidanceStep(d, energyAt(k), s.guidance.scale);
    energies.push({ step: k, value });
    return x0;
  };

  const travel = new Set(timeTravelSteps(s));
  const tries = new Map<number, number>();
  const [w0, w1] = [stepAt(s.sdeWindow[0], N), stepAt(s.sdeWindow[1], N)];
  const sdeMask = broadcastMask(masks.edit, 1, g.channels);
  const out = await sampleWithHooks(sampleDdim, guided, x, traj.sigmas, {
    signal: opts.signal,
    noise: seededNoise(seed),
    eta: s.eta,
    sde: { window: { sigmaMin: traj.sigmas[w1], sigmaMax: traj.sigmas[w0] }, mask: sdeMask },
    afterStep: async ({ i, x: xi, denoised }): Promise<StepAction> => {
      opts.onProgress?.({ phase: 'sample', step: i + 1, total: N, denoised });
      let next = residualAt ? lin(1, xi, 1, residualAt(i)) : xi;
      next = hold(next, i + 1);
      const done = (tries.get(i) ?? 0) + 1;
      tries.set(i, done);
      if (travel.has(i) && done < s.timeTravel.tries && traj.sigmas[i + 1] > 0) {
        const back = await rewindStep(models.invert, next, traj.sigmas[i + 1], traj.sigmas[i]);
        return { rewind: { to: i, x: hold(back, i) } };
      }
      return { x: next };
    },
  });
  return { x: out, masks, energies, trajectory: traj, memory: memory.outcome() };
}

/**
 * Feature guidance's energies of a step, one per tap (`feature-guidance.ts`): the reference's
 * features at the step's level — the base image's, and the pasted or appearance image's where the
 * task has one — computed once per step and kept for time travel's retries.
 */
function featureStepEnergies(model: FeatureModel, task: EditTask, m: EditMasks, s: EditSettings, traj: Trajectory, refTraj?: Trajectory): (k: number) => Promise<Energy[]> {
  const g = task.grid;
  const ring = contentRing(m);
  const ftask: FeatureTask = {
    kind: task.kind, grid: g, source: m.source, target: m.target, vacated: m.vacated, ring,
    copies: copiesOf(task, task.image, task.reference?.image).map((c) => ({ mask: c.mask, grid: c.grid, placement: c.placement, fromReference: task.kind === 'paste' })),
    referenceRegion: task.reference ? { mask: task.reference.region, ...task.reference.grid } : undefined,
  };
  const w = s.guidance;
  const cache = new Map<number, Promise<Energy[]>>();
  return (k) => {
    let e = cache.get(k);
    if (!e) {
      e = (async () => {
        const base = await model.features(traj.states[k], traj.sigmas[k]);
        const other = refTraj ? await model.features(refTraj.states[k], refTraj.sigmas[k]) : undefined;
        return base.map((r, t) => tapEnergy(ftask, w, r, other?.[t]));
      })();
      cache.set(k, e);
    }
    return e;
  };
}

/**
 * The energy of a step, from the reference's x̂₀ there and that x̂₀ placed by the edit: content
 * around the edit, the target against the placed source (appearance: the base region with the
 * reference region's statistics), and the vacated-area terms. What does not change from step to
 * step (the content ring, the reference statistics) is computed once.
 */
function stepEnergies(task: EditTask, g: Grid, m: EditMasks, s: EditSettings, surround: Float64Array): (refDenoised: Vec, placed: Vec) => Energy {
  const w = s.guidance;
  const ring = contentRing(m);
  const content = w.content > 0 && area(ring) > 0;
  const edit = w.edit > 0 && area(m.target) > 0;
  const vacated = area(m.vacated) > 0;
  const refStats = task.kind === 'appearance' ? regionStats(task.reference!.image, { channels: g.channels, ...task.reference!.grid }, task.reference!.region) : undefined;
  return (refDenoised, placed) => {
    const terms: Energy[] = [];
    if (content) terms.push(matchEnergy(g, w.content, ring, refDenoised));
    if (edit) terms.push(matchEnergy(g, w.edit, m.target, refStats ? matchStats(refDenoised, g, m.target, refStats) : placed));
    if (vacated && w.inpaint > 0) terms.push(fillEnergy(g, w.inpaint, m.vacated, surround));
    if (vacated && w.contrast > 0) terms.push(contrastEnergy(g, w.contrast, m.vacated, refDenoised, surround));
    return sumEnergies(terms);
  };
}

/** The ring the content term holds: the edit region less the source, the vacated area and the target. */
const contentRing = (m: EditMasks): Float32Array => minus(minus(minus(m.edit, m.source), m.vacated), m.target);

/** Per-channel mean of the clean image on a ring around the source, outside the edit's source and target (else the whole rest). */
function surroundings(image: Vec, g: Grid, m: EditMasks): Float64Array {
  let ring = minus(minus(dilate(m.source, g.width, g.height, editMargin(g)), m.source), m.target);
  if (area(ring) === 0) ring = minus(minus(new Float32Array(m.source.length).fill(1), m.source), m.target);
  if (area(ring) === 0) ring = new Float32Array(m.source.length).fill(1);
  return regionStats(image, g, ring).mean;
}

function bounds(mask: Float32Array, width: number, height: number): { x: number; y: number; width: number; height: number } | null {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!(mask[y * width + x] >= 0.5)) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

function squareMask(g: Grid, c: { x: number; y: number }, r: number): Float32Array {
  const m = new Float32Array(g.width * g.height);
  const cx = Math.round(c.x), cy = Math.round(c.y);
  for (let y = Math.max(0, cy - r); y <= Math.min(g.height - 1, cy + r); y++) {
    for (let x = Math.max(0, cx - r); x <= Math.min(g.width - 1, cx + r); x++) m[y * g.width + x] = 1;
  }
  return m;
}

function mulEach<V extends Vec>(a: Float32Array, b: V): V {
  const out = b.slice() as V;
  for (let j = 0; j < out.length; j++) out[j] = a[j] * b[j];
  return out;
}
