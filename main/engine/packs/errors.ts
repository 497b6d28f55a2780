/**
 * Errors for packs that cannot be used. Each one says what is wrong and what would fix it, and
 * carries a stable `code` that the UI and tests can rely on (messages may be reworded).
 */
export type PackErrorCode =
  | 'not-found' // the folder does not exist or is not a folder
  | 'not-diffusers' // no model_index.json
  | 'pytorch-not-onnx' // a diffusers PyTorch folder, not an ONNX export
  | 'malformed-json' // a JSON file does not parse
  | 'missing-file' // a component's model.onnx, or another required file, is absent
  | 'not-a-file' // a pipe, socket or device where a pack file should be (reading it would block)
  | 'missing-external-data' // model.onnx names a weights file that is not there
  | 'truncated-model' // a model file ends early
  | 'invalid-model' // a model file is not ONNX, or ONNX Runtime cannot load it
  | 'wrong-inputs' // a model lacks an input or output the layout requires
  | 'unsupported-family' // a model kind the engine does not run (SDXL, unknown channel count)
  | 'missing-tokenizer' // no tokenizer files, or broken ones
  | 'missing-scheduler' // no scheduler/scheduler_config.json
  | 'invalid-scheduler' // a scheduler config the engine cannot run (unknown class, bad or out-of-bounds value)
  | 'invalid-limit'; // model_index.json declares a limit (driftline.max_side) that is not a usable number

import type { ComponentName } from './types.js';

export const EXPORT_HINT =
  'export the model with `optimum-cli export onnx --model <model id or folder> <output folder>` ' +
  "(or diffusers' scripts/convert_stable_diffusion_checkpoint_to_onnx.py)";

export class PackError extends Error {
  constructor(
    readonly code: PackErrorCode,
    /** What is wrong. */
    readonly problem: string,
    /** What would fix it. */
    readonly fix: string,
    /** The file concerned, relative to the pack folder, where there is one. */
    readonly file?: string,
  ) {
    super(`${problem}: ${fix}`);
    this.name = 'PackError';
  }
}

/**
 * A model component returned NaN or ±Infinity. Decoded, such values become a black (or garbage)
 * image that would otherwise be reported as a success. `source` says whether the component made
 * them ('model': fp16 overflow, broken weights, a provider computing wrongly) or was handed them
 * ('input': the sampler's state had already diverged).
 */
export class NonFiniteOutputError extends Error {
  readonly code = 'NON_FINITE_OUTPUT';
  override name = 'NonFiniteOutputError';
  constructor(
    readonly component: ComponentName,
    readonly source: 'model' | 'input',
    message: string,
  ) {
    super(message);
  }
}
