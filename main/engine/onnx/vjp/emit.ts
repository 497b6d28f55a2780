/**
 * Writes the backward pass into the model being differentiated: nodes with fresh names (from the
 * forward graph's GraphIndex, so nothing collides with the user's names), small constants as
 * initializers shared by every rule that asks for the same value, and the few shape idioms every
 * rule needs (Shape of a value, zeros like a value, a ReduceMean that reads its axes the way the
 * model's opset says — an attribute before opset 18, an input from 18 on; ONNX operator spec).
 */
import type { onnx } from 'onnx-proto';
import { attr, f32, i64, type Attr, type ElemType, type OnnxModel, type TensorData } from '../builder.js';
import { float32ToFloat16 } from '../../fp16.js';
import type { GraphIndex } from '../surgery/graph.js';

export type FloatType = 'float32' | 'float16' | 'float64';

/** A typed scalar tensor of a float type (0-d, or [1] where ConstantOfShape wants one). */
export function floatTensor(value: number, type: FloatType, dims: number[] = []): TensorData {
  const n = dims.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n).fill(value);
  if (type === 'float16') return { type: 'float16', dims, data: float32ToFloat16(v) };
  if (type === 'float64') return { type: 'float64', dims, data: new Float64Array(n).fill(value) };
  return f32(v, dims);
}

export class Emitter {
  /** Nodes of the backward pass, in the order they were emitted (already topological). */
  readonly nodes: onnx.INodeProto[] = [];
  private readonly consts = new Map<string, string>();
  private readonly shapes = new Map<string, string>();

  constructor(readonly model: OnnxModel, readonly index: GraphIndex, readonly opset: number) {}

  /** Emit a node with `outputs` fresh outputs. */
  ops(opType: string, inputs: readonly string[], outputs: number, attrs?: Record<string, Attr>): string[] {
    const outs = Array.from({ length: outputs }, () => this.index.fresh(`vjp/${opType}`));
    const before = this.model.graph.node?.length ?? 0;
    this.model.addNode(opType, inputs, { outputs: outs, attrs, name: this.index.fresh(`vjp/${opType}_node`) });
    this.nodes.push(...(this.model.graph.node ?? []).splice(before));
    return outs;
  }

  /** Emit a single-output node. */
  op(opType: string, inputs: readonly string[], attrs?: Record<string, Attr>): string {
    return this.ops(opType, inputs, 1, attrs)[0];
  }

  /** A copy of a forward node (same operator, domain and attributes) on other inputs; returns its first output. */
  copyNode(node: onnx.INodeProto, inputs: readonly string[]): string {
    const outs = this.ops(node.opType ?? '', inputs, 1);
    const copy = this.nodes[this.nodes.length - 1];
    copy.attribute = [...(node.attribute ?? [])];
    if (node.domain) copy.domain = node.domain;
    return outs[0];
  }

  /** A constant int64 vector (or scalar with `dims` []), shared. */
  ints(values: readonly number[], dims: number[] = [values.length]): string {
    return this.constant(`i:${dims.join('x')}:${values.join(',')}`, i64(values, dims));
  }

  /** A float scalar of `type`, shared. */
  scalar(value: number, type: FloatType): string {
    return this.constant(`f:${type}:${value}`, floatTensor(value, type));
  }

  private constant(key: string, t: TensorData): string {
    const hit = this.consts.get(key);
    if (hit) return hit;
    const name = this.model.addInitializer(this.index.fresh('vjp/const'), t);
    this.consts.set(key, name);
    return name;
  }

  /** Shape(x), computed once per value. */
  shape(x: string): string {
    let s = this.shapes.get(x);
    if (!s) { s = this.op('Shape', [x]); this.shapes.set(x, s); }
    return s;
  }

  /** Zeros with the shape of `x` and element type `type`. */
  zerosLike(x: string, type: FloatType): string {
    return this.op('ConstantOfShape', [this.shape(x)], { value: attr.tensor(floatTensor(0, type, [1])) });
  }

  /** Reshape `x` to the shape of `like`. */
  reshapeLike(x: string, like: string): string {
    return this.op('Reshape', [x, this.shape(like)]);
  }

  /** ReduceSum over constant axes (axes are an input from opset 13 on). */
  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    return this.op('ReduceSum', [x, this.ints(axes)], { keepdims: attr.int(keepdims ? 1 : 0) });
  }

  /** ReduceMean over constant axes: an attribute before opset 18, an input from 18 on. */
  reduceMean(x: string, axes: readonly number[], keepdims: boolean): string {
    const k = { keepdims: attr.int(keepdims ? 1 : 0) };
    return this.opset >= 18 ? this.op('ReduceMean', [x, this.ints(axes)], k) : this.op('ReduceMean', [x], { ...k, axes: attr.ints(axes) });
  }

  /** Element i of a 1-D int64 vector as a [1] vector (for building shapes). */
  pick(vec: string, i: number): string {
    return this.op('Slice', [vec, this.ints([i]), this.ints([i === -1 ? Number.MAX_SAFE_INTEGER : i + 1]), this.ints([0])]);
  }
}

export type { ElemType };
