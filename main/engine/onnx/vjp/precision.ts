/**
 * float16 models are differentiated in float32. A VJP sums many products of activations and
 * cotangents (Σ over tokens in attention, over channels and pixels in a Conv's input adjoint, the
 * normalisations' means of ĝ and ĝ ⊙ x̂), and in float16 such sums lose every bit below 2⁻¹¹ of
 * their running total — the gradients of a 64² latent UNet would be mostly rounding (Micikevicius
 * et al., "Mixed Precision Training", ICLR 2018, §3: float16 gradients need float32 accumulation
 * and loss scaling). Rather than decide per node, the whole model is converted before it is
 * differentiated, so the generated graph computes forward and backward in float32 and takes and
 * returns float32 tensors: weights widened, float16 Constant / ConstantOfShape values widened,
 * Casts to float16 made Casts to float32, and every float16 declaration (inputs, outputs,
 * value_info) retyped, subgraphs included. Its forward output then differs from the float16
 * model's by the float16 model's own rounding.
 */
import type { onnx } from 'onnx-proto';
import { DATA_TYPE, f32, type OnnxModel } from '../builder.js';
import { float16ToFloat32 } from '../../fp16.js';
import { subgraphsOf } from '../surgery/graph.js';

type Long = { toNumber(): number };
const num = (v: number | Long | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());
const F16 = DATA_TYPE.float16;
const F32 = DATA_TYPE.float32;

function widenTensor(t: onnx.ITensorProto): void {
  if (t.dataType !== F16) return;
  const bits = t.rawData && t.rawData.length > 0
    ? new Uint16Array(Uint8Array.from(t.rawData).buffer)
    : Uint16Array.from(t.int32Data ?? []);
  const wide = float16ToFloat32(bits);
  t.dataType = F32;
  t.rawData = new Uint8Array(wide.buffer, wide.byteOffset, wide.byteLength);
  t.int32Data = [];
}

function retype(values: readonly onnx.IValueInfoProto[] | null | undefined): void {
  for (const v of values ?? []) if (v.type?.tensorType?.elemType === F16) v.type.tensorType.elemType = F32;
}

function widenGraph(g: onnx.IGraphProto): number {
  let changed = 0;
  retype(g.input); retype(g.output); retype(g.valueInfo);
  for (const n of g.node ?? []) {
    for (const a of n.attribute ?? []) {
      if (a.t?.dataType === F16) { widenTensor(a.t); changed++; }
      for (const t of a.tensors ?? []) if (t.dataType === F16) { widenTensor(t); changed++; }
      if ((a.name === 'to' && n.opType === 'Cast') || a.name === 'dtype') {
        if (num(a.i) === F16) { a.i = F32; changed++; }
      }
    }
    for (const sub of subgraphsOf(n)) changed += widenGraph(sub);
  }
  for (const t of g.initializer ?? []) if (t.dataType === F16 && !t.externalData?.length) { widenTensor(t); changed++; }
  return changed;
}

/**
 * Convert every float16 tensor and type of `model` to float32, in place (weights in external
 * files are read and stored inline). Returns how many tensors and attributes changed; 0 means the
 * model had no float16 and is untouched.
 */
export async function widenToFloat32(model: OnnxModel): Promise<number> {
  let changed = 0;
  for (const name of model.initializerNames()) {
    const info = model.initializerInfo(name);
    if (info.type !== 'float16' || !info.external) continue;
    const t = await model.initializer(name);
    model.setInitializer(name, f32(float16ToFloat32(t.data as Uint16Array), t.dims));
    changed++;
  }
  return changed + widenGraph(model.graph);
}

/** Whether the model declares or stores anything in float16. */
export function hasFloat16(model: OnnxModel): boolean {
  const g = model.graph;
  const decl = [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])].some((v) => v.type?.tensorType?.elemType === F16);
  return decl || (g.initializer ?? []).some((t) => t.dataType === F16)
    || (g.node ?? []).some((n) => (n.attribute ?? []).some((a) => a.t?.dataType === F16 || (n.opType === 'Cast' && a.name === 'to' && num(a.i) === F16)));
}
