/**
 * Packed attention written out before differentiation. onnxruntime's `MultiHeadAttention` takes
 * its keys and values either separately or packed into one tensor (contrib operator spec:
 * query [B, S, h, 3, d] with key and value omitted — packed QKV; key [B, L, h, 2, d] with value
 * omitted — packed KV), as onnxruntime's optimizer and Olive write them for GPUs. ONNX Runtime has no
 * CPU kernel for the packed forms, and the attention rule differentiates separate q, k, v only; so
 * each packed input is sliced along its axis 3 and reshaped to [B, S, h·d] in front of the node,
 * which then takes them separately: the same function (the attention-memory surgery unpacks them the
 * same way), differentiable, and runnable on every execution provider.
 */
import type { onnx } from 'onnx-proto';
import { i64, type OnnxModel } from '../builder.js';
import { MS_DOMAIN } from '../surgery/graph.js';

/** Rewrite every packed MultiHeadAttention node of `model`'s main graph in place; returns how many. */
export function unpackAttention(model: OnnxModel): number {
  const graph = model.graph;
  const nodes: onnx.INodeProto[] = [];
  let rewritten = 0;
  const slice = (packed: string, j: number): string => {
    const part = model.uniqueName(`${packed}_part${j}`);
    const flat = model.uniqueName(`${packed}_unpacked${j}`);
    const c = (v: number[]) => model.constant(i64(v, [v.length]), 'unpack');
    nodes.push({ opType: 'Slice', name: model.uniqueName('unpack_Slice'), input: [packed, c([j]), c([j + 1]), c([3])], output: [part] });
    nodes.push({ opType: 'Reshape', name: model.uniqueName('unpack_Reshape'), input: [part, c([0, 0, -1])], output: [flat] });
    return flat;
  };
  for (const n of graph.node ?? []) {
    if (n.opType === 'MultiHeadAttention' && n.domain === MS_DOMAIN) {
      const ins = [...(n.input ?? [])];
      while (ins.length < 3) ins.push('');
      if (!ins[1] && !ins[2]) {
        const packed = ins[0];
        ins[0] = slice(packed, 0);
        ins[1] = slice(packed, 1);
        ins[2] = slice(packed, 2);
        rewritten++;
      } else if (ins[1] && !ins[2]) {
        const packed = ins[1];
        ins[1] = slice(packed, 0);
        ins[2] = slice(packed, 1);
        rewritten++;
      }
      n.input = ins;
    }
    nodes.push(n);
  }
  graph.node = nodes;
  return rewritten;
}
