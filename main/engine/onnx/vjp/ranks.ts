/**
 * Static shape inference, just enough for the gradient rules: the rank of every value (a MatMul's
 * gradient transposes its last two axes, a Transpose without `perm` reverses all of them) and, for
 * the 1-D int64 vectors that shapes are built from, their length (which is a Reshape's output
 * rank). Dims are kept where they follow directly (weights, constants, Concat of known parts) and
 * are null otherwise; a value whose rank cannot be told is absent from the map. Semantics as the
 * ONNX operator specs (onnx/docs/Operators.md) define each operator's output shape.
 */
import type { onnx } from 'onnx-proto';
import { GraphIndex, attrInt, attrInts, attrOf } from '../surgery/graph.js';

export type Shape = (number | null)[];

type Long = { toNumber(): number };
const num = (v: number | Long | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

const SAME_AS_FIRST = new Set([
  'Identity', 'Cast', 'CastLike', 'Neg', 'Abs', 'Sqrt', 'Exp', 'Log', 'Sigmoid', 'Tanh', 'Erf', 'Sin', 'Cos', 'Relu', 'Softmax',
  'LogSoftmax', 'Floor', 'Ceil', 'Round', 'Not', 'Dropout', 'LayerNormalization', 'InstanceNormalization', 'GroupNormalization',
  'BatchNormalization', 'Gelu', 'Clip', 'LeakyRelu', 'Elu', 'HardSigmoid', 'Softplus', 'Reciprocal', 'Sign', 'IsNaN', 'IsInf',
]);
const BROADCASTING = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Where', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor',
  'Sum', 'Max', 'Min', 'Mean', 'Mod', 'PRelu',
]);
const SAME_RANK = new Set(['Slice', 'Resize', 'Pad', 'Tile', 'AveragePool', 'MaxPool', 'ConvTranspose', 'ScatterElements', 'ScatterND', 'GatherElements', 'Trilu', 'CumSum', 'DepthToSpace', 'SpaceToDepth', 'Upsample']);

/** Numpy broadcasting of shapes (unknown dims stay unknown unless another input fixes them). */
export function broadcastShapes(shapes: readonly Shape[]): Shape {
  const r = Math.max(0, ...shapes.map((s) => s.length));
  const out: Shape = [];
  for (let k = 0; k < r; k++) {
    let known: number | null = 1;
    let unknown = false;
    for (const s of shapes) {
      const d = s[s.length - r + k];
      if (s.length - r + k < 0) continue;
      if (d === null || d === undefined) unknown = true;
      else if (d !== 1) known = d;
    }
    out.push(known !== 1 ? known : unknown ? null : 1);
  }
  return out;
}

function constantShape(n: onnx.INodeProto): Shape | undefined {
  const t = attrOf(n, 'value')?.t;
  if (t) return (t.dims ?? []).map(num);
  if (attrOf(n, 'value_float') || attrOf(n, 'value_int')) return [];
  const fs = attrOf(n, 'value_floats')?.floats ?? attrOf(n, 'value_ints')?.ints;
  return fs ? [fs.length] : undefined;
}

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Shapes of the graph's values (see the module docstring). */
export function inferShapes(graph: onnx.IGraphProto, index: GraphIndex, opset: number): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  for (const t of graph.initializer ?? []) shapes.set(t.name ?? '', (t.dims ?? []).map(num));
  for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? [])]) {
    const s = v.type?.tensorType?.shape;
    if (v.name && s && !shapes.has(v.name)) shapes.set(v.name, (s.dim ?? []).map((d) => (d.dimValue != null && num(d.dimValue) > 0 ? num(d.dimValue) : null)));
  }
  const ints = (name: string) => (name ? index.constantInts(name) : undefined);
  for (const n of graph.node ?? []) {
    const ins = (n.input ?? []).map((i) => (i ? shapes.get(i) : undefined));
    const x = ins[0];
    const op = n.opType ?? '';
    let out: Shape | undefined;
    let all: Shape[] | undefined;
    if (op === 'Constant') out = constantShape(n);
    else if (SAME_AS_FIRST.has(op) || SAME_RANK.has(op)) out = x && (SAME_RANK.has(op) ? x.map(() => null) : [...x]);
    else if (BROADCASTING.has(op)) out = ins.every((s) => s) ? broadcastShapes(ins as Shape[]) : undefined;
    else if (op === 'Shape') {
      if (x) {
        const r = x.length;
        const start = Math.min(r, Math.max(0, norm(attrInt(n, 'start', 0), r)));
        const end = Math.min(r, Math.max(0, norm(attrInt(n, 'end', r), r)));
        out = [Math.max(0, end - start)];
      }
    } else if (op === 'Size') out = [];
    else if (op === 'Gather' && x) {
      const idx = ins[1];
      const a = norm(attrInt(n, 'axis', 0), x.length);
      if (idx) out = [...x.slice(0, a), ...idx, ...x.slice(a + 1)];
    } else if ((op === 'Unsqueeze' || op === 'Squeeze') && x) {
      const axes = opset >= 13 ? ints((n.input ?? [])[1] ?? '') : attrInts(n, 'axes');
      if (op === 'Unsqueeze' && axes) {
        const r = x.length + axes.length;
        const set = new Set(axes.map((a) => norm(a, r)));
        const rest = [...x];
        out = Array.from({ length: r }, (_, k) => (set.has(k) ? 1 : rest.shift() ?? null));
      } else if (op === 'Squeeze') {
        if (axes) { const set = new Set(axes.map((a) => norm(a, x.length))); out = x.filter((_, k) => !set.has(k)); }
        else if (x.every((d) => d !== null)) out = x.filter((d) => d !== 1);
      }
    } else if (op === 'Concat' && ins.every((s) => s) && x) {
      const a = norm(attrInt(n, 'axis', 0), x.length);
      out = x.map((d, k) => (k !== a ? d : (ins as Shape[]).reduce<number | null>((s, t) => (s === null || t[a] === null ? null : s + (t[a] as number)), 0)));
    } else if (op === 'Reshape') {
      const target = ints((n.input ?? [])[1] ?? '');
      if (target) out = target.map((d, k) => (d > 0 ? d : d === 0 && x ? x[k] ?? null : null));
      else if (ins[1] && ins[1].length === 1 && ins[1][0] !== null) out = Array.from({ length: ins[1][0] }, () => null);
    } else if (op === 'Expand' && x) {
      const target = ints((n.input ?? [])[1] ?? '');
      if (target) out = broadcastShapes([x, target]);
      else if (ins[1]?.[0] != null) out = broadcastShapes([x, Array.from({ length: ins[1][0] }, () => null)]);
    } else if (op === 'ConstantOfShape') {
      const target = ints((n.input ?? [])[0] ?? '');
      out = target ?? (x?.[0] != null ? Array.from({ length: x[0] }, () => null) : undefined);
    } else if (op === 'Range') out = [null];
    else if (op === 'Split' && x) all = (n.output ?? []).map(() => x.map(() => null));
    else if (op === 'Transpose' && x) {
      const perm = attrInts(n, 'perm') ?? x.map((_, k) => x.length - 1 - k);
      out = perm.map((p) => x[p] ?? null);
    } else if (op === 'MatMul' && x && ins[1]) {
      const [a, b] = [x, ins[1]];
      if (a.length >= 2 && b.length >= 2) out = [...broadcastShapes([a.slice(0, -2), b.slice(0, -2)]), a[a.length - 2], b[b.length - 1]];
      else if (a.length === 1 && b.length >= 2) out = [...b.slice(0, -2), b[b.length - 1]];
      else if (b.length === 1 && a.length >= 2) out = a.slice(0, -1);
      else out = [];
    } else if (op === 'Gemm') out = [null, null];
    else if (op === 'Conv' && x) out = x.map((_, k) => (k === 1 ? ins[1]?.[0] ?? null : k === 0 ? x[0] : null));
    else if (op === 'Flatten') out = [null, null];
    else if (op.startsWith('Reduce') && x) {
      const keep = attrInt(n, 'keepdims', 1) === 1;
      const axes = attrInts(n, 'axes') ?? ints((n.input ?? [])[1] ?? '');
      if (keep) out = x.map(() => null);
      else if (axes) { const set = new Set(axes.map((a) => norm(a, x.length))); out = x.filter((_, k) => !set.has(k)).map(() => null); }
      else if (!(n.input ?? [])[1]) out = [];
    } else if (op === 'NonZero' && x) out = [x.length, null];
    if (all) all.forEach((s, k) => { const o = (n.output ?? [])[k]; if (o) shapes.set(o, s); });
    else if (out) { const o = (n.output ?? [])[0]; if (o) shapes.set(o, out); }
  }
  return shapes;
}
