/**
 * Editing on a loaded pack: the pack-level half of DiffEditor-style editing (the algorithm is
 * `editing/edit.ts`). Image and masks in pixels come in; the image goes to sampler space (the VAE's
 * latent, or the pixels of a pixel-space pack), masks and coordinates to its grid; the edit runs
 * on DDIM levels of the pack's own schedule with two denoisers — the prompt with classifier-free
 * guidance for sampling, the unguided prompt for inversion and time travel — and the result is
 * decoded and, by default, composited back onto the original outside the dilated edit region
 * with a feathered edge. Attention memory runs on the pack's derived UNet (`packs/memory-unet.ts`)
 * where the settings ask for it and the pack supports it, within a byte budget past which it goes
 * to a temporary folder; otherwise the edit runs without it and the result says why.
 */
import type { Tensor, Vec } from '../tensor.js';
import type { EditMemoryReport } from '../../api/contract.js';
import { makeDenoiser, usesGuidance } from '../denoiser.js';
import type { LoadedPack, UNetExtras } from '../packs/types.js';
import { alphaOf } from '../schedules.js';
import type { FeatureModel } from '../editing/feature-guidance.js';
import { planForSampler } from '../scheduler-config/index.js';
import { runEdit, type EditTask } from '../editing/edit.js';
import type { EditSettings, EditTaskKind } from '../editing/presets.js';
import { dilate } from '../editing/regions.js';
import { poolMask, resampleMask } from './mask.js';
import { diskSpill } from './memory-spill.js';
import { AttentionMemoryUnavailable, type MemoryLayer } from '../onnx/surgery/memory.js';
import type { Preview } from './preview.js';
import { composite, conditioning, decodeState, encodeImage, isPixelSpace, packNetwork, previewFor } from './stages.js';

type Point = { x: number; y: number };

export interface EditPipelineRequest {
  kind: EditTaskKind;
  /** [1, 3, height, width] in [−1, 1]. */
  image: Tensor;
  width: number;
  height: number;
  /** height × width, 1 marks the object / region. */
  mask: Float32Array;
  offset?: Point;
  scale?: Point;
  drag?: { handle: Point; target: Point }[];
  /** Paste / appearance: the reference image [1, 3, h, w] at its own size, its region, and its prompt (paste). */
  reference?: { image: Tensor; width: number; height: number; mask: Float32Array; prompt?: string };
  prompt: string;
  negativePrompt?: string;
  seed: number;
  settings: EditSettings;
  previewEvery?: number;
}

export interface EditPipelineResult {
  /** The edited image [1, 3, height, width] (composited when the settings say so). */
  image: Tensor;
  /** The decoded model output before compositing. */
  uncomposited: Tensor;
  /** Network calls made. */
  evaluations: number;
  invertMs: number;
  sampleMs: number;
  /** The edit region in pixels (what compositing keeps from the result). */
  region: Float32Array;
  /** Total guidance energy before each guided step. */
  energies: { step: number; value: number }[];
  memory: EditMemoryReport;
  /** The region guidance that ran, and why not feature guidance where it was asked for. */
  guidance: { kind: 'x0' | 'features'; reason?: string };
}

/** Attention memory held in RAM per edit before the rest goes to disk. */
export const DEFAULT_MEMORY_BUDGET = 1024 ** 3;

export interface EditPipelineOptions {
  signal?: AbortSignal;
  /** Bytes of attention memory kept in RAM (default DEFAULT_MEMORY_BUDGET); the rest is spilled to a temporary folder. */
  memoryBudgetBytes?: number;
  /** Where spilled attention memory goes (default: the system's temporary folder). */
  spillDir?: string;
  /** Why the caller runs this edit without attention memory though the settings ask for it (it did not fit the memory budget). */
  memoryDeclined?: string;
  onProgress?: (p: { phase: 'invert' | 'sample'; step: number; total: number; preview?: Preview }) => void;
}

/** Refuse what this pack cannot edit, with the reason. */
export function checkEditPack(pack: LoadedPack): void {
  const { family } = pack.info;
  if (family === 'upscaler' || family === 'pixel-sr') throw new RangeError('an upscaling model cannot edit images; choose a text-to-image model');
  if (family === 'inpaint') throw new RangeError('an inpainting UNet takes extra mask channels and cannot run the editor; choose the matching text-to-image model');
  if (!isPixelSpace(pack) && !pack.vaeEncode) throw new RangeError('this pack has no VAE encoder, so it cannot edit an image');
}

/** Pixel coordinates to grid cells (cell centres): (p + ½)/s − ½. */
const toCell = (p: Point, s: number): Point => ({ x: (p.x + 0.5) / s - 0.5, y: (p.y + 0.5) / s - 0.5 });
/** A pixel mask on the grid: a cell counts when at least a quarter of its pixels are marked. */
const maskToGrid = (m: Float32Array, w: number, h: number, s: number): Float32Array => poolMask(m, w, h, s).map((v) => (v >= 0.25 ? 1 : 0));

export async function editImage(pack: LoadedPack, req: EditPipelineRequest, opts: EditPipelineOptions = {}): Promise<EditPipelineResult> {
  checkEditPack(pack);
  const { info } = pack;
  const s = info.vaeScale;
  const { width, height, settings } = req;
  const multiple = s * info.unetMultiple;
  if (width % multiple || height % multiple) throw new RangeError(`image size ${width}x${height} must be a multiple of ${multiple} for this model`);
  if (req.mask.length !== width * height) throw new RangeError(`mask has ${req.mask.length} values, expected ${width * height}`);
  const C = info.latentChannels, h = height / s, w = width / s;
  const shape = [1, C, h, w];
  const counter = { evaluations: 0 };
  const guided = info.family !== 'lcm' && info.hasTextEncoder && usesGuidance(settings.cfgScale);
  const plan = planForSampler(info.schedulerConfig, 'ddim', settings.steps);
  const extras: UNetExtras | undefined = info.family === 'lcm' ? { guidanceScale: settings.cfgScale } : undefined;
  // Each prompt is encoded once, with or without its unconditional pair, however many denoisers read it.
  const contexts = new Map<string, Promise<Tensor>>();
  const contextFor = (prompt: string, pair: boolean): Promise<Tensor> => {
    const key = `${pair ? 1 : 0}${prompt}`;
    if (!contexts.has(key)) contexts.set(key, conditioning(pack, prompt, req.negativePrompt, 1, pair));
    return contexts.get(key)!;
  };
  // `branches`: both guidance branches in one call, the conditional one's output — an inversion that
  // records attention memory for each branch of a guided sampling.
  const denoiserFor = async (prompt: string, withGuidance: boolean, branches = false) => makeDenoiser(
    packNetwork(pack, { context: await contextFor(prompt, withGuidance || branches), counter, extras }),
    { ...plan.denoiser, shape, guidanceScale: withGuidance ? settings.cfgScale : undefined, bothBranches: branches },
  );
  const sample = await denoiserFor(req.prompt, guided);
  const invert = await denoiserFor(req.prompt, false);
  const memory = opts.memoryDeclined && settings.memory.enabled ? { reason: opts.memoryDeclined } : await memoryLayers(pack, settings);

  const t0 = performance.now();
  const image = await encodeImage(pack, req.image);
  let reference: EditTask['reference'];
  let invertReference = invert;
  if (req.reference) {
    const rf = req.reference;
    if (rf.width % s || rf.height % s) throw new RangeError(`reference image size ${rf.width}x${rf.height} must be a multiple of ${s} for this model`);
    if (req.kind === 'paste' && (rf.width !== width || rf.height !== height)) {
      // Inversion runs on the base's shape; a reference of another size is placed from its own grid.
      throw new RangeError(`paste reference is ${rf.width}x${rf.height}; it must be resampled to the image size ${width}x${height} first`);
    }
    reference = {
      image: await encodeImage(pack, rf.image),
      grid: { width: rf.width / s, height: rf.height / s },
      region: maskToGrid(rf.mask, rf.width, rf.height, s),
      offset: req.kind === 'paste' && req.offset ? { x: req.offset.x / s, y: req.offset.y / s } : undefined,
      scale: req.kind === 'paste' ? req.scale : undefined,
    };
  }
  // A pasted image is inverted with its own prompt where it has one.
  const referencePrompt = req.kind === 'paste' && req.reference?.prompt !== undefined ? req.reference.prompt : req.prompt;
  if (req.reference && referencePrompt !== req.prompt) invertReference = await denoiserFor(referencePrompt, false);
  const task: EditTask = {
    kind: req.kind,
    grid: { channels: C, width: w, height: h },
    image,
    region: maskToGrid(req.mask, width, height, s),
    move: req.kind === 'move' ? { offset: { x: (req.offset?.x ?? 0) / s, y: (req.offset?.y ?? 0) / s }, scale: req.scale ?? { x: 1, y: 1 } } : undefined,
    drag: req.drag?.map((p) => ({ handle: toCell(p.handle, s), target: toCell(p.target, s) })),
    reference,
  };

  const features = settings.guidance.kind === 'features'
    ? await featureModel(pack, { context: await contextFor(req.prompt, false), shape, timestep: plan.denoiser.timestep, counter, extras })
    : { reason: 'x̂₀ guidance chosen' };
  const recordBase = memory.layers && guided ? await denoiserFor(req.prompt, false, true) : undefined;
  const recordReference = recordBase && referencePrompt !== req.prompt ? await denoiserFor(referencePrompt, false, true) : recordBase;
  const models = {
    sample, invert, invertReference, features: features.model,
    memory: memory.layers && {
      layers: memory.layers, budgetBytes: opts.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET, spill: diskSpill(opts.spillDir),
      invert: recordBase, invertReference: recordReference,
    },
  };
  let sampleStart = 0;
  const every = req.previewEvery ?? 0;
  const outcome = await runEdit(models, task, plan.sigmas, settings, {
    seed: req.seed,
    signal: opts.signal,
    onProgress: (p) => {
      if (p.phase === 'sample' && !sampleStart) sampleStart = performance.now();
      const preview = p.phase === 'sample' && every > 0 && (p.step % every === 0 || p.step === p.total) ? previewFor(info, p.denoised as Vec, shape) : undefined;
      opts.onProgress?.({ phase: p.phase, step: p.step, total: p.total, preview });
    },
  });
  const t1 = performance.now();
  const state: Tensor = { data: outcome.x instanceof Float32Array ? outcome.x : Float32Array.from(outcome.x), shape };
  const uncomposited = await decodeState(pack, state);
  const region = dilate(resampleMask(outcome.masks.edit, { width: w, height: h }, { width, height }), width, height, Math.max(1, s >> 1));
  const result = settings.composite ? composite(uncomposited, req.image, region, width, height, Math.max(1, s >> 1)) : uncomposited;
  const m = outcome.memory;
  const report: EditMemoryReport = m
    ? { used: true, layers: m.layers, steps: m.steps, bytesPerStep: m.bytesPerStep, peakBytes: m.stats.peakBytes, spilledBytes: m.stats.spilledBytes }
    : { used: false, reason: memory.reason, layers: [], steps: 0, bytesPerStep: 0, peakBytes: 0, spilledBytes: 0 };
  const guidance = features.model ? { kind: 'features' as const } : { kind: 'x0' as const, ...(settings.guidance.kind === 'features' ? { reason: features.reason } : {}) };
  return { image: result, uncomposited, evaluations: counter.evaluations, invertMs: (sampleStart || t1) - t0, sampleMs: t1 - (sampleStart || t1), region, energies: outcome.energies, memory: report, guidance };
}

/**
 * Exact region guidance's model on a pack (`editing/feature-guidance.ts`): features of the state's
 * network input z = α·x under the sampling prompt's conditional branch, and the gradient with
 * respect to z. Where the pack cannot make its derived models the edit falls back to x̂₀ guidance
 * and the result says why.
 */
async function featureModel(
  pack: LoadedPack,
  call: { context: Tensor; shape: readonly number[]; timestep: (sigma: number) => number; counter: { evaluations: number }; extras?: UNetExtras },
): Promise<{ model?: FeatureModel; reason?: string }> {
  if (!pack.featureTaps || !pack.unetFeatures || !pack.unetFeatureGradient) return { reason: 'feature guidance is not available for this model' };
  try {
    await pack.featureTaps();
  } catch (e) {
    return { reason: `feature guidance is not available for this model: ${(e as Error).message}` };
  }
  const input = (x: Vec, sigma: number): Tensor => ({ data: Float32Array.from(x, (v) => v * alphaOf(sigma)), shape: [...call.shape] });
  // Every state has the same grid, so the taps' shapes from any features call fit every gradient call.
  let shapes: (readonly number[])[] | undefined;
  return {
    model: {
      features: async (x, sigma) => {
        call.counter.evaluations++;
        const out = await pack.unetFeatures!(input(x, sigma), call.timestep(sigma), call.context, call.extras);
        shapes = out.map((f) => f.shape);
        return out.map((f) => ({ grid: { channels: f.shape[1], width: f.shape[3], height: f.shape[2] }, data: f.data }));
      },
      gradient: async (x, sigma, cotangents) => {
        if (!shapes) throw new Error('feature guidance takes a gradient before any features were computed');
        call.counter.evaluations++;
        const cots = cotangents.map((c, t) => ({ data: Float32Array.from(c), shape: shapes![t] }));
        return Float64Array.from(await pack.unetFeatureGradient!(input(x, sigma), call.timestep(sigma), call.context, cots, call.extras));
      },
    },
  };
}

/** The pack's attention-memory layers when the settings want memory, else why there are none (the edit then runs without it). */
async function memoryLayers(pack: LoadedPack, settings: EditSettings): Promise<{ layers?: readonly MemoryLayer[]; reason?: string }> {
  if (!settings.memory.enabled) return { reason: 'turned off' };
  if (!pack.attentionMemory) return { reason: 'attention memory is not available for this model' };
  try {
    return { layers: await pack.attentionMemory() };
  } catch (e) {
    if (e instanceof AttentionMemoryUnavailable) return { reason: e.message };
    throw e;
  }
}
