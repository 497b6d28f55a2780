/**
 * One edit request as the engine host runs it: bytes decoded and resampled, the job sized before
 * anything runs, the settings resolved from the preset and the caller's knobs, the edit run with
 * progress, and the result encoded as PNGs whose `parameters` text carries every knob.
 */
import { imageSize } from './image-size.js';
import { ApiError, type EditRequest, type EditResult } from '../api/contract.js';
import type { z } from 'zod';
import type { LoadedPack } from '../engine/packs/types.js';
import { checkEditPack, DEFAULT_MEMORY_BUDGET, editImage } from '../engine/pipelines/edit.js';
import { editEvaluations, resolveEditSettings, type EditSettings } from '../engine/editing/presets.js';
import { encodePng, loadImage, loadMask } from '../engine/image/io.js';
import { formatParameters } from '../api/parameters.js';
import type { Preview } from '../engine/pipelines/preview.js';
import { jobCost, type JobShape } from '../engine/pipelines/cost.js';
import { isGuided } from '../engine/pipelines/generate.js';
import type { AdmitOptions, Admitted } from './limits.js';

type Request = z.output<typeof EditRequest>;

export interface EditJobOptions {
  signal: AbortSignal;
  onProgress: (p: { phase: 'invert' | 'sample'; step: number; total: number; preview?: Preview }) => void;
  /** Size the job against the host's budgets before its models run (the service's `PackJob.admit`). */
  admit?: (shape: JobShape, how?: AdmitOptions) => Admitted;
}

/** Largest image side an edit runs at, per pack: 4× the pack's native size, at most 2048 pixels. */
export const maxEditSide = (pack: LoadedPack): number => Math.min(2048, 4 * pack.info.defaultSize);
/** Model evaluations one edit may make. */
export const MAX_EDIT_EVALUATIONS = 5000;

const bad = (message: string) => new ApiError('BAD_REQUEST', message);

/** A side rounded to the nearest multiple of s (at least s). */
const toMultiple = (v: number, s: number): number => Math.max(s, Math.round(v / s) * s);

/** The knobs as the parameters text writes them. */
export function editParameterFields(kind: string, preset: string, s: EditSettings, memoryUsed: boolean): Record<string, string | number> {
  const g = s.guidance;
  return {
    'Edit': kind,
    'Edit preset': preset,
    'Inversion': s.inversion,
    'SDE eta': s.eta,
    'SDE window': s.sdeWindow.join('-'),
    'Time travel': s.timeTravel.tries > 1 ? `${s.timeTravel.at.join(' ')} x${s.timeTravel.tries}` : 'off',
    'Guidance': `${g.kind === 'features' ? `features step ${g.featureStep}` : `scale ${g.scale}`} content ${g.content} edit ${g.edit} contrast ${g.contrast} inpaint ${g.inpaint} every<${g.everyUntil} alternate<${g.alternateUntil}`,
    'Composite': s.composite ? 'on' : 'off',
    'Attention memory': memoryUsed ? `${s.memory.layers} ${s.memory.window.join('-')}` : 'off',
  };
}

export async function runEditJob(pack: LoadedPack, req: Request, opts: EditJobOptions): Promise<Omit<EditResult, 'providers'>> {
  const t0 = performance.now();
  try {
    checkEditPack(pack);
  } catch (e) {
    throw new ApiError('MODEL_CANNOT_EDIT', (e as Error).message);
  }
  const s = pack.info.vaeScale * pack.info.unetMultiple;
  const natural = await imageSize(req.image, 'image');
  const width = toMultiple(natural.width, s), height = toMultiple(natural.height, s);
  const limit = maxEditSide(pack);
  if (width > limit || height > limit) {
    throw bad(`image is ${natural.width}x${natural.height}; ${pack.info.name} edits images up to ${limit}x${limit} pixels — scale it down or crop it first`);
  }
  if ((req.kind === 'paste' || req.kind === 'appearance') && !req.reference) throw bad(`reference: a ${req.kind} edit needs a reference image and its mask`);
  if (req.kind === 'drag' && !req.drag?.length) throw bad('drag: give at least one handle → target pair');
  if (req.kind !== 'paste' && !req.mask) throw bad(`mask: a ${req.kind} edit needs a mask (white marks the ${req.kind === 'move' ? 'object' : 'region'})`);
  let settings: EditSettings;
  try {
    // A pack that declares its measured feature-guidance step gets it unless the caller sets one.
    const featureStep = req.options.guidance?.featureStep ?? pack.info.featureGuidanceStep;
    settings = resolveEditSettings(req.kind, req.preset, { ...req.options, guidance: { ...req.options.guidance, featureStep }, steps: req.steps, cfgScale: req.cfgScale });
  } catch (e) {
    throw bad(`options: ${(e as Error).message}`);
  }
  // Sized as if attention memory runs wherever it is enabled: at most a few calls more than without.
  const evaluations = editEvaluations(settings, req.kind, settings.memory.enabled);
  if (evaluations > MAX_EDIT_EVALUATIONS) throw bad(`these settings need ${evaluations} model evaluations; at most ${MAX_EDIT_EVALUATIONS} per edit (fewer steps or time-travel tries)`);
  // One image, guided rows, encoded (and the reference too) and decoded once with the composite.
  // Attention memory opens a second copy of the UNet (ONNX Runtime re-packs its weights): when that
  // does not fit, the edit runs without it and says why; its bank gets what the budget leaves, the
  // rest goes to disk.
  const memoryBytes = settings.memory.enabled ? 2 * pack.info.geometry.weightBytes : 0;
  // Feature guidance's reverse pass keeps every activation of its forward pass: 6–10× one forward
  // call's (docs/vjp.md), counted at 10×; and its two models (the pruned features, the gradient) are
  // two more copies of the weights, each counted twice as ONNX Runtime re-packs them.
  const featureBytes = settings.guidance.kind === 'features'
    ? 10 * jobCost(pack.info, { width, height, batch: 1, guided: false, evaluations: 1, decodes: 0 }).parts.unet + 4 * pack.info.geometry.weightBytes : 0;
  const admitted = opts.admit?.(
    { width, height, batch: 1, guided: isGuided(pack.info, settings.cfgScale), evaluations, decodes: 1, encodes: true, extraBytes: featureBytes },
    { bounds: { multiple: s, maxSide: limit }, what: featureBytes ? `${width}×${height} with feature guidance` : undefined, optional: memoryBytes ? { bytes: memoryBytes, what: 'attention memory (a second copy of the UNet)' } : undefined },
  );
  const memoryDeclined = admitted?.optional?.admitted === false ? admitted.optional.why : undefined;
  const memoryBudgetBytes = Math.min(DEFAULT_MEMORY_BUDGET, Math.max(0, admitted?.headroomBytes ?? DEFAULT_MEMORY_BUDGET));

  const image = await loadImage(Buffer.from(req.image), width, height, 'fill');
  const mask = req.mask ? await loadMask(Buffer.from(req.mask), width, height, 'fill') : new Float32Array(width * height);
  let reference;
  let scale = req.scale;
  if (req.reference) {
    const rn = await imageSize(req.reference.image, 'reference.image');
    await imageSize(req.reference.mask, 'reference.mask');
    // The reference is resampled to the image's grid; a pasted region keeps its own size through the scale.
    if (req.kind === 'paste') {
      const sc = req.scale ?? { x: 1, y: 1 };
      scale = { x: (sc.x * rn.width) / width, y: (sc.y * rn.height) / height };
    }
    reference = {
      image: await loadImage(Buffer.from(req.reference.image), width, height, 'fill'),
      mask: await loadMask(Buffer.from(req.reference.mask), width, height, 'fill'),
      width, height, prompt: req.reference.prompt,
    };
  }
  const k = { x: width / natural.width, y: height / natural.height };
  const at = (p: { x: number; y: number }) => ({ x: p.x * k.x, y: p.y * k.y });
  let result;
  try {
    result = await editImage(pack, {
      kind: req.kind, image, width, height, mask,
      offset: req.offset ? at(req.offset) : undefined, scale,
      drag: req.drag?.map((d) => ({ handle: at(d.handle), target: at(d.target) })),
      reference, prompt: req.prompt, negativePrompt: req.negativePrompt, seed: req.seed, settings, previewEvery: req.previewEvery,
    }, { signal: opts.signal, onProgress: opts.onProgress, memoryBudgetBytes, memoryDeclined });
  } catch (e) {
    // The engine's own checks (empty mask, a target outside the image …) are the caller's to fix.
    if (e instanceof RangeError) throw bad(e.message);
    throw e;
  }
  const parameters = formatParameters({
    prompt: req.prompt, negativePrompt: req.negativePrompt, steps: settings.steps, sampler: 'DDIM', cfgScale: settings.cfgScale,
    seed: req.seed, width, height, model: pack.info.name, extra: editParameterFields(req.kind, req.preset, { ...settings, guidance: { ...settings.guidance, kind: result.guidance.kind } }, result.memory.used),
  });
  const png = new Uint8Array(await encodePng(result.image, { parameters }));
  const uncomposited = settings.composite ? new Uint8Array(await encodePng(result.uncomposited, { parameters })) : undefined;
  return {
    jobId: req.jobId,
    image: { png, seed: req.seed, parameters },
    ...(uncomposited ? { uncomposited } : {}),
    width, height,
    settings: { kind: req.kind, preset: req.preset, ...settings },
    timings: { totalMs: performance.now() - t0, invertMs: result.invertMs, sampleMs: result.sampleMs, evaluations: result.evaluations },
    memory: result.memory,
    guidance: result.guidance,
  };
}
