/**
 * Vector–Jacobian products of ONNX models (docs/vjp.md): `vjpModel` turns a forward model into one
 * that also returns grad.<input> for a cotangent grad.<output>, float16 models differentiated in
 * float32.
 */
import type { OnnxModel } from '../builder.js';
import { hasFloat16, widenToFloat32 } from './precision.js';
import { addVjp, type VjpInterface, type VjpOptions } from './vjp.js';
import { unpackAttention } from './unpack.js';
import { decomposeContribOps } from './decompose.js';

export { VjpUnsupported } from './errors.js';
export { addVjp, gradName, type VjpInterface, type VjpOptions } from './vjp.js';
export { hasFloat16, widenToFloat32 } from './precision.js';
export { unpackAttention } from './unpack.js';
export { DECOMPOSED_OPS, decomposeContribOps } from './decompose.js';

export interface VjpModelInfo extends VjpInterface {
  /** Whether a float16 source was converted: the VJP model then takes and returns float32. */
  widened: boolean;
}

/**
 * Rewrite `model` in place into its VJP model, widening float16 to float32, writing out packed
 * attention and onnxruntime's fused contrib operators (decompose.ts) first.
 */
export async function vjpModel(model: OnnxModel, opts: VjpOptions): Promise<VjpModelInfo> {
  const widened = hasFloat16(model);
  if (widened) await widenToFloat32(model);
  unpackAttention(model);
  decomposeContribOps(model);
  return { ...addVjp(model, opts), widened };
}
