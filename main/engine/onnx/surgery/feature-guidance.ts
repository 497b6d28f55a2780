/**
 * The two models exact region guidance runs (DiffEditor, Mou et al. 2024, §3.2: energies on decoder
 * features, differentiated with respect to the noisy latent), derived from the user's UNet:
 *
 *   features  the UNet up to DiffEditor's decoder blocks (`features.ts`): same inputs, outputs
 *             `features.up_blocks.N` — the energies and their gradients ∂E/∂F are computed from them;
 *   gradient  the same, with a head  feature_dot = Σ_t ⟨F_t, cotangent.F_t⟩  whose cotangent inputs
 *             take ∂E/∂F, turned by the VJP generator (`../vjp`) into a model that returns
 *             grad.sample = Σ_t (∂F_t/∂sample)ᵀ ∂E/∂F_t = ∂E/∂sample — one reverse pass for every tap.
 *
 * float16 UNets are differentiated in float32 (the VJP generator widens them); the features model
 * keeps the source's types.
 */
import { attr, type ElemType, OnnxModel } from '../builder.js';
import { vjpModel } from '../vjp/index.js';
import { tapFeatures, type FeatureTap } from './features.js';

export const DOT_OUTPUT = 'feature_dot';
/** Protobuf's limit, less room for the graph itself. */
const MAX_MODEL_BYTES = 2 ** 31 - 2 ** 26;
export const cotangentOf = (tap: FeatureTap): string => `cotangent.${tap.output}`;

export interface FeatureGuidanceModels {
  features: OnnxModel;
  gradient: OnnxModel;
  taps: FeatureTap[];
  /** The gradient model's input for ∂(feature_dot) (feed 1) and its output ∂E/∂sample. */
  dotCotangent: string;
  sampleGradient: string;
  /** Whether the gradient model was widened from float16 to float32. */
  widened: boolean;
}

/** Derive both models from the UNet at `file` (see the module docstring). */
export async function featureGuidanceModels(file: string, blocks?: readonly string[]): Promise<FeatureGuidanceModels> {
  const features = await OnnxModel.load(file);
  // Both models are handed to ONNX Runtime as bytes, and a protobuf holds at most 2 GiB.
  const bytes = features.initializerNames().reduce((sum, n) => {
    const { type, dims } = features.initializerInfo(n);
    return sum + dims.reduce((a, b) => a * b, 1) * (type === 'float16' ? 2 : type === 'float64' || type === 'int64' ? 8 : 4);
  }, 0);
  const widenedBytes = bytes * (features.initializerNames().some((n) => features.initializerInfo(n).type === 'float16') ? 2 : 1);
  if (widenedBytes > MAX_MODEL_BYTES) {
    throw new Error(`the UNet's weights (${(widenedBytes / 2 ** 30).toFixed(1)} GiB as the gradient model holds them) are more than the 2 GiB a model built in memory can hold`);
  }
  const taps = tapFeatures(features, { blocks });
  const gradient = await OnnxModel.load(file);
  tapFeatures(gradient, { blocks: taps.map((t) => t.block) });
  const dtype: ElemType = gradient.outputs()[0]?.type ?? 'float32';
  const dots = taps.map((t) => {
    const cot = cotangentOf(t);
    gradient.addInput(cot, dtype, [null, null, null, null]);
    return gradient.op('ReduceSum', [gradient.op('Mul', [t.output, cot])], { keepdims: attr.int(0) });
  });
  const sum = dots.slice(1).reduce((acc, d) => gradient.op('Add', [acc, d]), dots[0]);
  gradient.opTo(DOT_OUTPUT, 'Identity', [sum]);
  for (const t of taps) gradient.removeOutput(t.output);
  gradient.addOutput(DOT_OUTPUT, dtype, []);
  const info = await vjpModel(gradient, { wrt: ['sample'], output: DOT_OUTPUT });
  return { features, gradient, taps, dotCotangent: info.cotangent, sampleGradient: info.gradients.sample, widened: info.widened };
}
