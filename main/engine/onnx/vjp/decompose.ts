/**
 * onnxruntime's contrib operators written out in standard ONNX operators before differentiation.
 * The transformer optimizer for Stable Diffusion (`optimize_pipeline`) and Olive fuse a UNet's
 * residual adds, normalisations, activations and convolutions into `com.microsoft` operators; several
 * have no CPU kernel (GroupNorm, SkipGroupNorm, BiasSplitGelu, BiasAdd, NhwcConv) and none has a
 * gradient rule. Each node is replaced by the standard operators that compute the same function, as
 * onnxruntime/docs/ContribOperators.md specifies it (GELU as Hendrycks & Gimpel, "Gaussian Error
 * Linear Units", 2016, §2), so the existing rules differentiate it and it runs on every provider:
 *
 *   Gelu(X)                   = ½·X·(1 + erf(X/√2))
 *   BiasGelu(A, B)            = Gelu(A + B)
 *   FastGelu(X, bias?)        = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))),  x = X + bias
 *   QuickGelu(X; alpha=1.702) = X·σ(alpha·X)
 *   BiasAdd(X, bias, skip)    = X + bias + skip
 *   BiasSplitGelu(X, bias)    = L·Gelu(R),  [L ‖ R] = X + bias halved along the last axis
 *   SkipLayerNormalization(input, skip, gamma, beta?, bias?; epsilon=1e-12)
 *                             = LayerNorm(s)·gamma + beta over the last axis, s = input + skip + bias;
 *                               outputs mean, inv_std_var and s (input_skip_bias_sum) where used
 *   GroupNorm(X, gamma, beta; groups, activation, channels_last=1, epsilon=1e-5)
 *                             = gamma·(X − μ_g)/√(σ²_g + ε) + beta per group of channels, then SiLU
 *                               (y·σ(y)) where activation = 1; X in NHWC when channels_last = 1
 *   SkipGroupNorm(X, gamma, beta, skip, bias?)
 *                             = GroupNorm(s), s = X + skip + bias, skip [N,H,W,C], [N,1,1,C] or [N,C];
 *                               s is output S where used
 *   NhwcConv(X, W, B?)        = Conv on X [N,H,W,C] with W [M,kH,kW,C/group], output [N,H',W',M]:
 *                               Transpose → Conv → Transpose, Conv's attributes
 *
 * The group normalisation is written as Reshape [N, G, −1] → InstanceNormalization → Reshape,
 * with the per-channel affine after it (the form torch exports; ONNX InstanceNormalization spec).
 * LayerNorm is LayerNormalization from opset 17, spelt out with ReduceMean below it or where its
 * mean or inv_std_var output is used.
 */
import type { onnx } from 'onnx-proto';
import { DATA_TYPE, attr, i64, type Attr, type OnnxModel, type TensorData } from '../builder.js';
import { GraphIndex, MS_DOMAIN, attrInt, attrInts, attrOf } from '../surgery/graph.js';
import { floatTensor, type FloatType } from './emit.js';
import { inferShapes, type Shape } from './shapes.js';

/** Writes the replacement nodes in place of one contrib node, in graph order. */
class Writer {
  readonly nodes: onnx.INodeProto[] = [];
  private readonly consts = new Map<string, string>();
  private shapes: Map<string, Shape> | undefined;

  constructor(readonly model: OnnxModel, readonly index: GraphIndex) {}

  /** One node; its output is `out` where given (a name the contrib node produced), else fresh. */
  op(opType: string, inputs: readonly string[], attrs?: Record<string, Attr>, out?: string): string {
    return this.ops(opType, inputs, [out ?? ''], attrs)[0];
  }

  /** A node with several outputs, '' for a fresh name. */
  ops(opType: string, inputs: readonly string[], outs: readonly string[], attrs?: Record<string, Attr>): string[] {
    const names = outs.map((o) => o || this.index.fresh(`decomposed/${opType}`));
    const before = this.model.graph.node?.length ?? 0;
    this.model.addNode(opType, inputs, { outputs: names, attrs, name: this.index.fresh(`decomposed/${opType}_node`) });
    this.nodes.push(...(this.model.graph.node ?? []).splice(before));
    return names;
  }

  ints(v: readonly number[]): string {
    return this.constant(`i:${v.join(',')}`, () => i64(v, [v.length]));
  }

  scalar(v: number, t: FloatType): string {
    return this.constant(`f:${t}:${v}`, () => floatTensor(v, t));
  }

  /** A float vector of n equal values. */
  filled(v: number, n: number, t: FloatType): string {
    return this.constant(`v:${t}:${v}:${n}`, () => floatTensor(v, t, [n]));
  }

  private constant(key: string, make: () => TensorData): string {
    const hit = this.consts.get(key);
    if (hit) return hit;
    const name = this.model.addInitializer(this.index.fresh('decomposed/const'), make());
    this.consts.set(key, name);
    return name;
  }

  /** Float type of a value (float32 where the graph does not say). */
  type(name: string): FloatType {
    const t = this.index.elemType(name);
    return t === 'float16' || t === 'float64' ? t : 'float32';
  }

  /** `v` cast to `t` where its declared type differs (GroupNorm's gamma and beta may be another float type). */
  as(v: string, t: FloatType): string {
    const own = this.index.elemType(v);
    return own && own !== t ? this.op('Cast', [v], { to: attr.int(DATA_TYPE[t]) }) : v;
  }

  /** Statically inferred rank of a value, if known (shapes inferred once, on first use). */
  rank(name: string): number | undefined {
    this.shapes ??= inferShapes(this.model.graph, this.index, this.model.opset);
    return this.shapes.get(name)?.length;
  }
}

/** ½·x·(1 + erf(x/√2)) into `out`. */
function gelu(w: Writer, x: string, out?: string): string {
  const t = w.type(x);
  const erf = w.op('Erf', [w.op('Mul', [x, w.scalar(Math.SQRT1_2, t)])]);
  return w.op('Mul', [w.op('Mul', [x, w.scalar(0.5, t)]), w.op('Add', [erf, w.scalar(1, t)])], undefined, out);
}

const addAll = (w: Writer, terms: readonly string[], out?: string): string => {
  const present = terms.filter((v) => v);
  return present.slice(1).reduce((acc, v, i) => w.op('Add', [acc, v], undefined, i === present.length - 2 ? out : undefined), present[0]);
};

/**
 * y = LayerNorm(s)·gamma + beta over the last axis; outputs [y, mean, inv_std_var] where named.
 * LayerNormalization (opset 17) where only y is used; spelt out otherwise, so that the statistics
 * are values of their own the backward pass can differentiate.
 */
function layerNorm(w: Writer, s: string, gamma: string, beta: string, eps: number, outs: readonly string[]): void {
  const [y, mean, invStd] = outs;
  if (w.model.opset >= 17 && !mean && !invStd) {
    w.ops('LayerNormalization', beta ? [s, gamma, beta] : [s, gamma], [y], { axis: attr.int(-1), epsilon: attr.float(eps) });
    return;
  }
  const t = w.type(s);
  const keep = { keepdims: attr.int(1) };
  const reduce = (v: string, out?: string) => (w.model.opset >= 18
    ? w.op('ReduceMean', [v, w.ints([-1])], keep, out)
    : w.op('ReduceMean', [v], { ...keep, axes: attr.ints([-1]) }, out));
  const mu = reduce(s, mean || undefined);
  const d = w.op('Sub', [s, mu]);
  const rstd = w.op('Reciprocal', [w.op('Sqrt', [w.op('Add', [reduce(w.op('Mul', [d, d])), w.scalar(eps, t)])])], undefined, invStd || undefined);
  const scaled = w.op('Mul', [w.op('Mul', [d, rstd]), gamma], undefined, beta ? undefined : y);
  if (beta) w.op('Add', [scaled, beta], undefined, y);
}

/** SkipGroupNorm's skip in X's rank: [N, C] → [N, 1, 1, C] (NHWC) or [N, C, 1, 1]; 4-D unchanged. */
function skipTo4d(w: Writer, skip: string, channelsLast: boolean): string {
  const r = w.rank(skip);
  if (r === 4) return skip;
  if (r === 2) return w.op('Reshape', [skip, w.ints(channelsLast ? [0, 1, 1, -1] : [0, -1, 1, 1])]);
  const shape = w.op('Shape', [skip]);
  const ones = w.op('Slice', [w.ints([1, 1]), w.ints([0]), w.op('Sub', [w.ints([4]), w.op('Shape', [shape])]), w.ints([0])]);
  const first = w.op('Slice', [shape, w.ints([0]), w.ints([1]), w.ints([0])]);
  const rest = w.op('Slice', [shape, w.ints([1]), w.ints([Number.MAX_SAFE_INTEGER]), w.ints([0])]);
  const target = w.op('Concat', channelsLast ? [first, ones, rest] : [shape, ones], { axis: attr.int(0) });
  return w.op('Reshape', [skip, target]);
}

/** GroupNorm of 4-D `x` (the contrib operators' normalisation, affine and activation) into `out`. */
function groupNorm(w: Writer, n: onnx.INodeProto, x: string, gamma: string, beta: string, out: string): void {
  const t = w.type(x);
  const groups = attrInt(n, 'groups', 0);
  const channelsLast = attrInt(n, 'channels_last', 1) === 1;
  const swish = attrInt(n, 'activation', 0) === 1;
  const eps = attrOf(n, 'epsilon')?.f ?? 1e-5;
  const nchw = channelsLast ? w.op('Transpose', [x], { perm: attr.ints([0, 3, 1, 2]) }) : x;
  const grouped = w.op('Reshape', [nchw, w.ints([0, groups, -1])]);
  const normed = w.op('InstanceNormalization', [grouped, w.filled(1, groups, t), w.filled(0, groups, t)], { epsilon: attr.float(eps) });
  const back = w.op('Reshape', [normed, w.op('Shape', [nchw])]);
  const layout = channelsLast ? w.op('Transpose', [back], { perm: attr.ints([0, 2, 3, 1]) }) : back;
  const perChannel = (v: string) => (channelsLast ? w.as(v, t) : w.op('Reshape', [w.as(v, t), w.ints([-1, 1, 1])]));
  const y = w.op('Add', [w.op('Mul', [layout, perChannel(gamma)]), perChannel(beta)], undefined, swish ? undefined : out);
  if (swish) w.op('Mul', [y, w.op('Sigmoid', [y])], undefined, out);
}

type Decomposition = (w: Writer, n: onnx.INodeProto, ins: readonly string[], outs: readonly string[]) => void;

const DECOMPOSITIONS: Readonly<Record<string, Decomposition>> = {
  Gelu: (w, _n, [x], [y]) => { gelu(w, x, y); },
  BiasGelu: (w, _n, [a, b], [y]) => { gelu(w, w.op('Add', [a, b]), y); },
  FastGelu: (w, _n, [x0, bias], [y]) => {
    const x = bias ? w.op('Add', [x0, bias]) : x0;
    const t = w.type(x);
    const cube = w.op('Mul', [w.op('Mul', [x, x]), x]);
    const inner = w.op('Mul', [w.op('Add', [x, w.op('Mul', [cube, w.scalar(0.044715, t)])]), w.scalar(Math.sqrt(2 / Math.PI), t)]);
    w.op('Mul', [w.op('Mul', [x, w.scalar(0.5, t)]), w.op('Add', [w.op('Tanh', [inner]), w.scalar(1, t)])], undefined, y);
  },
  QuickGelu: (w, n, [x], [y]) => {
    const alpha = attrOf(n, 'alpha')?.f ?? 1.702;
    w.op('Mul', [x, w.op('Sigmoid', [w.op('Mul', [x, w.scalar(alpha, w.type(x))])])], undefined, y);
  },
  BiasAdd: (w, _n, [x, bias, skip], [y]) => { addAll(w, [x, bias, skip], y); },
  BiasSplitGelu: (w, _n, [x, bias], [y]) => {
    const split: Record<string, Attr> = { axis: attr.int(-1) };
    if (w.model.opset >= 18) split.num_outputs = attr.int(2);
    const [left, right] = w.ops('Split', [w.op('Add', [x, bias])], ['', ''], split);
    w.op('Mul', [left, gelu(w, right)], undefined, y);
  },
  SkipLayerNormalization: (w, n, [input, skip, gamma, beta, bias], [y, mean, invStd, sum]) => {
    const s = addAll(w, [input, skip, bias ?? ''], sum || undefined);
    layerNorm(w, s, gamma, beta ?? '', attrOf(n, 'epsilon')?.f ?? 1e-12, [y, mean ?? '', invStd ?? '']);
  },
  GroupNorm: (w, n, [x, gamma, beta], [y]) => { groupNorm(w, n, x, gamma, beta, y); },
  SkipGroupNorm: (w, n, [x, gamma, beta, skip, bias], [y, sum]) => {
    const channelsLast = attrInt(n, 'channels_last', 1) === 1;
    const b = bias && !channelsLast ? w.op('Reshape', [bias, w.ints([-1, 1, 1])]) : bias ?? '';
    const s = addAll(w, [x, skipTo4d(w, skip, channelsLast), b], sum || undefined);
    groupNorm(w, n, s, gamma, beta, y);
  },
  NhwcConv: (w, n, [x, weight, bias], [y]) => {
    const rank = w.index.weightDims(weight)?.length ?? (attrInts(n, 'kernel_shape')?.length ?? 2) + 2;
    const spatial = Array.from({ length: rank - 2 }, (_, k) => k + 1);
    const first = { perm: attr.ints([0, rank - 1, ...spatial]) };
    const conv = w.op('Conv', [w.op('Transpose', [x], first), w.op('Transpose', [weight], first), ...(bias ? [bias] : [])]);
    w.nodes[w.nodes.length - 1].attribute = [...(n.attribute ?? [])];
    w.op('Transpose', [conv], { perm: attr.ints([0, ...spatial.map((k) => k + 1), 1]) }, y);
  },
};

/** The contrib operators `decomposeContribOps` writes out. */
export const DECOMPOSED_OPS: readonly string[] = Object.keys(DECOMPOSITIONS);

/**
 * Rewrite every node of `model`'s main graph that is one of the contrib operators above into
 * standard operators, in place (outputs keep their names); returns how many were rewritten.
 */
export function decomposeContribOps(model: OnnxModel): number {
  const graph = model.graph;
  const w = new Writer(model, new GraphIndex(graph));
  let rewritten = 0;
  for (const n of [...(graph.node ?? [])]) {
    const decompose = n.domain === MS_DOMAIN ? DECOMPOSITIONS[n.opType ?? ''] : undefined;
    if (!decompose) { w.nodes.push(n); continue; }
    decompose(w, n, [...(n.input ?? [])], [...(n.output ?? [])]);
    rewritten++;
  }
  graph.node = w.nodes;
  return rewritten;
}
