/**
 * Static shape inference with symbolic dims, enough for the gradient rules to avoid run-time shape
 * arithmetic where the graph already says it: the rank of every value (a MatMul's adjoint swaps
 * its last two axes), and dims that are numbers, symbols or null (unknown). Symbols start as the
 * graph inputs' dim_params ('batch', 'height') and are carried through the operators as canonical
 * expressions ('height*width', 'conv(height,3,2,1+1,1)'), so two values whose dims print the same
 * are the same size at run time — which proves an Add's operands have the output's shape, and the
 * broadcast adjoint can skip its reduction (broadcast.ts). Shape vectors (Shape → Gather → Concat
 * → Reshape, as torch exports attention's head split) are followed by value, as ONNX's data
 * propagation does for shape inference (onnx/docs/ShapeInference.md); output shapes per the
 * ONNX operator specs. A value whose rank cannot be told is absent from the map.
 */
import type { onnx } from 'onnx-proto';
import { GraphIndex, attrInt, attrInts, attrOf } from '../surgery/graph.js';

export type Dim = number | string | null;
export type Shape = Dim[];

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
const SAME_RANK = new Set(['Pad', 'Tile', 'AveragePool', 'MaxPool', 'ConvTranspose', 'ScatterElements', 'ScatterND', 'GatherElements', 'Trilu', 'CumSum', 'Upsample']);

/** Factors of a dim: its number, or its symbol's '*'-separated parts. */
function factors(d: Dim): { k: number; syms: string[] } | undefined {
  if (d === null) return undefined;
  if (typeof d === 'number') return { k: d, syms: [] };
  const syms: string[] = [];
  let k = 1;
  for (const p of d.split('*')) { if (/^\d+$/.test(p)) k *= Number(p); else syms.push(p); }
  return { k, syms };
}
function fromFactors(k: number, syms: string[]): Dim {
  if (syms.length === 0) return k;
  const sorted = [...syms].sort();
  return (k === 1 ? sorted : [String(k), ...sorted]).join('*');
}
export function mulDims(a: Dim, b: Dim): Dim {
  const fa = factors(a), fb = factors(b);
  return fa && fb ? fromFactors(fa.k * fb.k, [...fa.syms, ...fb.syms]) : null;
}
/** a / b where b's factors divide a's; else unknown. */
export function divDims(a: Dim, b: Dim): Dim {
  const fa = factors(a), fb = factors(b);
  if (!fa || !fb || fb.k === 0 || fa.k % fb.k !== 0) return null;
  const rest = [...fa.syms];
  for (const s of fb.syms) { const i = rest.indexOf(s); if (i < 0) return null; rest.splice(i, 1); }
  return fromFactors(fa.k / fb.k, rest);
}
const prod = (ds: readonly Dim[]) => ds.reduce<Dim>((a, b) => mulDims(a, b), 1);

/** One axis of numpy broadcasting. */
function broadcastDim(ds: readonly Dim[]): Dim {
  const real = ds.filter((d) => d !== 1);
  if (real.length === 0) return 1;
  if (real.some((d) => d === null)) return real.find((d) => typeof d === 'number') ?? null;
  const nums = real.filter((d) => typeof d === 'number');
  if (nums.length > 0) return nums[0];
  return real.every((d) => d === real[0]) ? real[0] : null;
}

/** Numpy broadcasting of shapes. */
export function broadcastShapes(shapes: readonly Shape[]): Shape {
  const r = Math.max(0, ...shapes.map((s) => s.length));
  return Array.from({ length: r }, (_, k) => broadcastDim(shapes.filter((s) => s.length - r + k >= 0).map((s) => s[s.length - r + k])));
}

function constantShape(n: onnx.INodeProto): Shape | undefined {
  const t = attrOf(n, 'value')?.t;
  if (t) return (t.dims ?? []).map(num);
  if (attrOf(n, 'value_float') || attrOf(n, 'value_int')) return [];
  const fs = attrOf(n, 'value_floats')?.floats ?? attrOf(n, 'value_ints')?.ints;
  return fs ? [fs.length] : undefined;
}

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Elementwise arithmetic on shape-vector values (with a 1-element side broadcast). */
function arith(op: string, a: Dim[], b: Dim[]): Dim[] | undefined {
  if (a.length !== b.length && a.length !== 1 && b.length !== 1) return undefined;
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, k) => {
    const x = a[a.length === 1 ? 0 : k], y = b[b.length === 1 ? 0 : k];
    if (typeof x === 'number' && typeof y === 'number') {
      if (op === 'Add') return x + y;
      if (op === 'Sub') return x - y;
      if (op === 'Mul') return x * y;
      return y === 0 ? null : Math.trunc(x / y);
    }
    if (op === 'Mul') return mulDims(x, y);
    if (op === 'Div') return divDims(x, y);
    return null;
  });
}

/** Shapes of the graph's values (see the module docstring). Nodes must be in topological order. */
export function inferShapes(graph: onnx.IGraphProto, index: GraphIndex, opset: number): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  /** Contents of small int vectors and scalars (shape arithmetic), by value name. */
  const values = new Map<string, Dim[]>();
  for (const t of graph.initializer ?? []) shapes.set(t.name ?? '', (t.dims ?? []).map(num));
  for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? [])]) {
    const s = v.type?.tensorType?.shape;
    if (v.name && s && !shapes.has(v.name)) {
      shapes.set(v.name, (s.dim ?? []).map((d) => (d.dimValue != null && num(d.dimValue) > 0 ? num(d.dimValue) : d.dimParam ? d.dimParam : null)));
    }
  }
  const valueOf = (name: string): Dim[] | undefined => {
    if (!name) return undefined;
    const v = values.get(name);
    if (v) return v;
    const c = index.constantInts(name);
    return c && c.length <= 64 ? c : undefined;
  };
  for (const n of graph.node ?? []) {
    const inNames = n.input ?? [];
    const ins = inNames.map((i) => (i ? shapes.get(i) : undefined));
    const x = ins[0];
    const op = n.opType ?? '';
    let out: Shape | undefined;
    let all: Shape[] | undefined;
    let value: Dim[] | undefined;
    if (op === 'Constant') out = constantShape(n);
    else if (SAME_AS_FIRST.has(op)) {
      out = x && [...x];
      if (op === 'Identity' || op === 'Cast') value = valueOf(inNames[0]);
    } else if (SAME_RANK.has(op)) out = x?.map(() => null);
    else if (BROADCASTING.has(op)) {
      out = ins.every((s) => s) ? broadcastShapes(ins as Shape[]) : undefined;
      const [a, b] = [valueOf(inNames[0]), valueOf(inNames[1] ?? '')];
      if (a && b && ['Add', 'Sub', 'Mul', 'Div'].includes(op)) value = arith(op, a, b);
    } else if (op === 'Shape') {
      if (x) {
        const r = x.length;
        const start = Math.min(r, Math.max(0, norm(attrInt(n, 'start', 0), r)));
        const end = Math.min(r, Math.max(0, norm(attrInt(n, 'end', r), r)));
        out = [Math.max(0, end - start)];
        value = x.slice(start, end);
      }
    } else if (op === 'Size') { out = []; if (x) value = [prod(x)]; }
    else if (op === 'Gather' && x) {
      const idx = ins[1];
      const a = norm(attrInt(n, 'axis', 0), x.length);
      if (idx) out = [...x.slice(0, a), ...idx, ...x.slice(a + 1)];
      const v = valueOf(inNames[0]), at = index.constantInts(inNames[1] ?? '');
      if (v && at && x.length === 1) value = at.map((i) => v[i < 0 ? i + v.length : i] ?? null);
    } else if ((op === 'Unsqueeze' || op === 'Squeeze') && x) {
      const axes = opset >= 13 ? index.constantInts(inNames[1] ?? '') : attrInts(n, 'axes');
      if (op === 'Unsqueeze' && axes) {
        const r = x.length + axes.length;
        const set = new Set(axes.map((a) => norm(a, r)));
        const rest = [...x];
        out = Array.from({ length: r }, (_, k) => (set.has(k) ? 1 : rest.shift() ?? null));
      } else if (op === 'Squeeze') {
        if (axes) { const set = new Set(axes.map((a) => norm(a, x.length))); out = x.filter((_, k) => !set.has(k)); }
        else if (x.every((d) => d !== null)) out = x.filter((d) => d !== 1);
      }
      value = valueOf(inNames[0]);
    } else if (op === 'Concat' && ins.every((s) => s) && x) {
      const a = norm(attrInt(n, 'axis', 0), x.length);
      out = x.map((d, k) => (k !== a ? d : (ins as Shape[]).reduce<Dim>((s, t) => (typeof s === 'number' && typeof t[a] === 'number' ? s + (t[a] as number) : null), 0)));
      const parts = inNames.map((i) => valueOf(i));
      if (x.length <= 1 && parts.every((p) => p)) value = (parts as Dim[][]).flat();
    } else if (op === 'Slice' && x) {
      const starts = valueOf(inNames[1] ?? ''), ends = valueOf(inNames[2] ?? '');
      const steps = inNames[4] ? valueOf(inNames[4]) : undefined;
      const count = starts?.length ?? (typeof ins[1]?.[0] === 'number' ? ins[1][0] : undefined);
      const axes = inNames[3] ? index.constantInts(inNames[3]) : count !== undefined ? Array.from({ length: count }, (_, k) => k) : undefined;
      out = x.map((d, k) => {
        const i = axes ? axes.findIndex((a) => norm(a, x.length) === k) : 0;
        if (axes && i < 0) return d;
        const [s0, e0, st] = [starts?.[i], ends?.[i], steps ? steps[i] : 1];
        if (!axes || typeof d !== 'number' || typeof s0 !== 'number' || typeof e0 !== 'number' || st !== 1) return null;
        const clamp = (v: number) => Math.min(d, Math.max(0, v < 0 ? v + d : v));
        return Math.max(0, clamp(e0) - clamp(s0));
      });
      const v = valueOf(inNames[0]);
      if (v && starts && ends && starts.length === 1 && typeof starts[0] === 'number' && typeof ends[0] === 'number' && (!steps || steps[0] === 1)) value = v.slice(starts[0], ends[0]);
    } else if (op === 'Reshape') {
      const target = valueOf(inNames[1] ?? '');
      if (target) {
        const dims: Dim[] = target.map((d, k) => (d === 0 && x ? x[k] ?? null : d === -1 ? -1 : d));
        const hole = dims.indexOf(-1);
        if (hole >= 0) dims[hole] = x ? divDims(prod(x), prod(dims.filter((_, k) => k !== hole))) : null;
        out = dims.map((d) => (typeof d === 'number' && d < 0 ? null : d));
      } else if (ins[1] && ins[1].length === 1 && typeof ins[1][0] === 'number') out = Array.from({ length: ins[1][0] }, () => null);
    } else if (op === 'Expand' && x) {
      const target = valueOf(inNames[1] ?? '');
      if (target) out = broadcastShapes([x, target]);
      else if (typeof ins[1]?.[0] === 'number') out = broadcastShapes([x, Array.from({ length: ins[1][0] }, () => null)]);
    } else if (op === 'ConstantOfShape') {
      const target = valueOf(inNames[0]);
      out = target ?? (typeof x?.[0] === 'number' ? Array.from({ length: x[0] }, () => null) : undefined);
    } else if (op === 'Range') out = [null];
    else if (op === 'Split' && x) {
      const a = norm(attrInt(n, 'axis', 0), x.length);
      const sizes = index.constantInts(inNames[1] ?? '') ?? attrInts(n, 'split');
      const parts = (n.output ?? []).length;
      all = (n.output ?? []).map((_, k) => x.map((d, j) => (j !== a ? d : sizes ? sizes[k] : divDims(d, parts))));
    } else if (op === 'Transpose' && x) {
      const perm = attrInts(n, 'perm') ?? x.map((_, k) => x.length - 1 - k);
      out = perm.map((p) => x[p] ?? null);
    } else if (op === 'MatMul' && x && ins[1]) {
      const [a, b] = [x, ins[1]];
      if (a.length >= 2 && b.length >= 2) out = [...broadcastShapes([a.slice(0, -2), b.slice(0, -2)]), a[a.length - 2], b[b.length - 1]];
      else if (a.length === 1 && b.length >= 2) out = [...b.slice(0, -2), b[b.length - 1]];
      else if (b.length === 1 && a.length >= 2) out = a.slice(0, -1);
      else out = [];
    } else if (op === 'Gemm') {
      const [a, b] = [x, ins[1]];
      out = [a ? a[attrInt(n, 'transA', 0) ? 1 : 0] ?? null : null, b ? b[attrInt(n, 'transB', 0) ? 0 : 1] ?? null : null];
    } else if (op === 'Conv' && x) out = convShape(n, x, ins[1]);
    else if (op === 'Resize' && x) {
      const scales = inNames[2] ? floatsOf(index, inNames[2]) : undefined;
      out = x.map((d, k) => (scales && Number.isInteger(scales[k]) ? mulDims(d, scales[k]) : null));
    } else if (op === 'DepthToSpace' && x) {
      const b = attrInt(n, 'blocksize', 1);
      out = [x[0], divDims(x[1], b * b), mulDims(x[2], b), mulDims(x[3], b)];
    } else if (op === 'SpaceToDepth' && x) {
      const b = attrInt(n, 'blocksize', 1);
      out = [x[0], mulDims(x[1], b * b), divDims(x[2], b), divDims(x[3], b)];
    } else if (op === 'Flatten' && x) {
      const a = norm(attrInt(n, 'axis', 1), x.length);
      out = [prod(x.slice(0, a)), prod(x.slice(a))];
    } else if (op.startsWith('Reduce') && x) {
      const keep = attrInt(n, 'keepdims', 1) === 1;
      const axes = attrInts(n, 'axes') ?? index.constantInts(inNames[1] ?? '');
      const set = axes ? new Set(axes.map((a) => norm(a, x.length))) : undefined;
      if (keep) out = x.map((d, k) => (!set || set.has(k) ? (set || !inNames[1] ? 1 : null) : d));
      else if (set) out = x.filter((_, k) => !set.has(k));
      else if (!inNames[1]) out = [];
    } else if (op === 'NonZero' && x) out = [x.length, null];
    else if (op === 'MultiHeadAttention' && x) out = [x[0], x[1], x.length === 3 ? ins[2]?.[2] ?? null : null];
    else if (op === 'Attention' && x && ins[1]) out = [x[0], x[1], divDims(ins[1][1], 3)];
    if (all) all.forEach((s, k) => { const o = (n.output ?? [])[k]; if (o) shapes.set(o, s); });
    else if (out) { const o = (n.output ?? [])[0]; if (o) shapes.set(o, out); }
    if (value) { const o = (n.output ?? [])[0]; if (o) values.set(o, value); }
  }
  return shapes;
}

/** Conv output: (d + pads − dil·(k − 1) − 1) / stride + 1 per spatial axis; symbolic where d is. */
function convShape(n: onnx.INodeProto, x: Shape, w: Shape | undefined): Shape {
  const sp = x.length - 2;
  const k = attrInts(n, 'kernel_shape') ?? (w ? w.slice(2) : []);
  const strides = attrInts(n, 'strides') ?? Array(sp).fill(1);
  const dil = attrInts(n, 'dilations') ?? Array(sp).fill(1);
  const pads = attrInts(n, 'pads') ?? Array(2 * sp).fill(0);
  const autoPad = new TextDecoder().decode(attrOf(n, 'auto_pad')?.s ?? new Uint8Array());
  const spatial = x.slice(2).map((d, i) => {
    const ki = k[i];
    if (typeof ki !== 'number' || (autoPad && autoPad !== 'NOTSET')) return null;
    const extra = pads[i] + pads[i + sp] - dil[i] * (ki - 1) - 1;
    if (typeof d === 'number') return Math.floor((d + extra) / strides[i]) + 1;
    if (d === null) return null;
    if (strides[i] === 1 && extra === -1) return d;
    return `conv(${d},${ki},${strides[i]},${pads[i]}+${pads[i + sp]},${dil[i]})`;
  });
  return [x[0], w?.[0] ?? null, ...spatial];
}

function floatsOf(index: GraphIndex, name: string): number[] | undefined {
  const p = index.producer.get(name);
  const t = index.initializers.get(name) ?? (p?.opType === 'Constant' ? attrOf(p, 'value')?.t ?? undefined : undefined);
  if (!t || t.dataType !== 1) return undefined;
  if (t.rawData && t.rawData.length > 0) return Array.from(new Float32Array(Uint8Array.from(t.rawData).buffer));
  return [...(t.floatData ?? [])];
}
