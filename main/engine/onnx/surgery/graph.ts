/**
 * A read index over an ONNX graph for pattern matching and rewriting: who produces and who consumes
 * each value, which values are constants (weights and what is computed from weights alone), the
 * element type of any value (declared, or traced back through the operators that keep it), and a
 * source of fresh names. Plus the two edits every rewrite needs: renaming a value everywhere and
 * putting the node list back in topological order (the ONNX IR requires it; onnxruntime resolves
 * either way).
 *
 * Operator semantics relied on are those of the ONNX operator specs (onnx/docs/Operators.md) and,
 * for the `com.microsoft` domain, onnxruntime's contrib operator specs (docs/ContribOperators.md).
 */
import type { onnx } from 'onnx-proto';
import { DATA_TYPE, elemTypeOf, type ElemType } from '../builder.js';

type Long = { toNumber(): number };
const num = (v: number | Long | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

export const MS_DOMAIN = 'com.microsoft';

/** Attribute readers (protobufjs decodes int64 fields as Long or number). */
export function attrOf(n: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return (n.attribute ?? []).find((a) => a.name === name);
}
export function attrInt(n: onnx.INodeProto, name: string, fallback: number): number {
  const a = attrOf(n, name);
  return a ? num(a.i) : fallback;
}
export function attrInts(n: onnx.INodeProto, name: string): number[] | undefined {
  const a = attrOf(n, name);
  return a ? (a.ints ?? []).map(num) : undefined;
}

/** Node inputs with omitted optional inputs as '' and the list padded to `len`. */
export function inputsOf(n: onnx.INodeProto, len = 0): string[] {
  const ins = [...(n.input ?? [])];
  while (ins.length < len) ins.push('');
  return ins;
}

/** Names a subgraph reads from the scopes around it (values it uses but neither defines nor receives). */
export function outerReferences(g: onnx.IGraphProto): Set<string> {
  const defined = new Set<string>();
  for (const v of g.input ?? []) defined.add(v.name ?? '');
  for (const t of g.initializer ?? []) defined.add(t.name ?? '');
  for (const n of g.node ?? []) for (const o of n.output ?? []) defined.add(o);
  const refs = new Set<string>();
  for (const n of g.node ?? []) {
    for (const i of n.input ?? []) if (i && !defined.has(i)) refs.add(i);
    for (const sub of subgraphsOf(n)) for (const r of outerReferences(sub)) if (!defined.has(r)) refs.add(r);
  }
  for (const o of g.output ?? []) if (o.name && !defined.has(o.name)) refs.add(o.name);
  return refs;
}

export function subgraphsOf(n: onnx.INodeProto): onnx.IGraphProto[] {
  const out: onnx.IGraphProto[] = [];
  for (const a of n.attribute ?? []) {
    if (a.g) out.push(a.g);
    for (const g of a.graphs ?? []) out.push(g);
  }
  return out;
}

/** Operators whose output has the element type of their first input. */
const SAME_TYPE_AS_FIRST = new Set([
  'Identity', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten', 'Expand', 'Slice', 'Split', 'Concat', 'Gather',
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Neg', 'Abs', 'Sqrt', 'Exp', 'Log', 'Tanh', 'Sigmoid', 'Relu', 'Erf', 'Sin', 'Cos',
  'MatMul', 'Gemm', 'Conv', 'Softmax', 'LayerNormalization', 'InstanceNormalization', 'GroupNormalization',
  'ReduceMean', 'ReduceSum', 'Resize', 'DepthToSpace', 'SpaceToDepth', 'Pad', 'Tile', 'Dropout', 'Max', 'Min', 'Clip',
  'Attention', 'MultiHeadAttention', 'Gelu', 'FastGelu', 'BiasGelu', 'SkipLayerNormalization', 'Einsum',
]);
const INT64_OUT = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin']);
const BOOL_OUT = new Set(['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);

/** Operators through which a constant stays a constant (weights transposed, cast, dequantised, …). */
const CONSTANT_PRESERVING = new Set(['Identity', 'Cast', 'Transpose', 'Reshape', 'Squeeze', 'Unsqueeze', 'DequantizeLinear', 'Flatten', 'Concat', 'Slice', 'Gather', 'Mul', 'Add', 'Div', 'Sub', 'Sqrt']);

export class GraphIndex {
  readonly producer = new Map<string, onnx.INodeProto>();
  readonly consumers = new Map<string, onnx.INodeProto[]>();
  readonly initializers = new Map<string, onnx.ITensorProto>();
  /** Values read by subgraphs (If/Loop bodies) of the main graph's nodes. */
  readonly usedInSubgraphs = new Set<string>();
  private readonly declared = new Map<string, number>();
  private readonly graphInputs = new Set<string>();
  private readonly graphOutputs = new Set<string>();
  private readonly constCache = new Map<string, boolean>();
  private readonly usedNames = new Set<string>();
  private counter = 0;

  constructor(readonly graph: onnx.IGraphProto) {
    for (const t of graph.initializer ?? []) this.initializers.set(t.name ?? '', t);
    for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
      const et = v.type?.tensorType?.elemType;
      if (v.name && et) this.declared.set(v.name, et);
    }
    for (const v of graph.input ?? []) if (v.name && !this.initializers.has(v.name)) this.graphInputs.add(v.name);
    for (const v of graph.output ?? []) if (v.name) this.graphOutputs.add(v.name);
    for (const n of graph.node ?? []) this.indexNode(n);
    this.collectNames(graph);
  }

  private indexNode(n: onnx.INodeProto): void {
    for (const o of n.output ?? []) if (o) this.producer.set(o, n);
    for (const i of n.input ?? []) {
      if (!i) continue;
      const list = this.consumers.get(i);
      if (list) list.push(n); else this.consumers.set(i, [n]);
    }
    for (const sub of subgraphsOf(n)) for (const r of outerReferences(sub)) this.usedInSubgraphs.add(r);
  }

  private collectNames(g: onnx.IGraphProto): void {
    for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) this.usedNames.add(v.name ?? '');
    for (const t of g.initializer ?? []) this.usedNames.add(t.name ?? '');
    for (const n of g.node ?? []) {
      this.usedNames.add(n.name ?? '');
      for (const o of n.output ?? []) this.usedNames.add(o);
      for (const sub of subgraphsOf(n)) this.collectNames(sub);
    }
  }

  /** A name no value, node or initializer of the model (subgraphs included) uses yet. */
  fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`; while (this.usedNames.has(name));
    this.usedNames.add(name);
    return name;
  }

  /** Reserve a chosen name; throws if the model already uses it. */
  claim(name: string): string {
    if (this.usedNames.has(name)) throw new Error(`the model already has a value named '${name}'`);
    this.usedNames.add(name);
    return name;
  }

  isGraphInput(name: string): boolean { return this.graphInputs.has(name); }
  isGraphOutput(name: string): boolean { return this.graphOutputs.has(name); }

  consumersOf(name: string): onnx.INodeProto[] { return this.consumers.get(name) ?? []; }

  /** True for weights and for values computed from weights alone (no graph input reaches them). */
  isConstant(name: string): boolean {
    if (!name) return false;
    const hit = this.constCache.get(name);
    if (hit !== undefined) return hit;
    let result: boolean;
    if (this.initializers.has(name)) result = !this.graphInputs.has(name);
    else {
      const p = this.producer.get(name);
      if (!p) result = false;
      else if (p.opType === 'Constant' || p.opType === 'ConstantOfShape' && this.isConstant((p.input ?? [])[0] ?? '')) result = true;
      else if (CONSTANT_PRESERVING.has(p.opType ?? '')) {
        this.constCache.set(name, false); // cycle guard (graphs are acyclic; malformed ones must not loop)
        result = (p.input ?? []).filter((i) => i).every((i) => this.isConstant(i));
      } else result = false;
    }
    this.constCache.set(name, result);
    return result;
  }

  /** Dims of a weight given as an initializer (possibly through Cast/Identity/DequantizeLinear), else undefined. */
  weightDims(name: string): number[] | undefined {
    let cur = name;
    for (let hops = 0; hops < 8; hops++) {
      const t = this.initializers.get(cur);
      if (t) return (t.dims ?? []).map(num);
      const p = this.producer.get(cur);
      if (!p) return undefined;
      if (p.opType === 'Constant') {
        const v = attrOf(p, 'value')?.t;
        return v ? (v.dims ?? []).map(num) : undefined;
      }
      if (p.opType === 'Transpose') {
        const inner = this.weightDims((p.input ?? [])[0] ?? '');
        if (!inner) return undefined;
        const perm = attrInts(p, 'perm') ?? inner.map((_, i) => inner.length - 1 - i);
        return perm.map((i) => inner[i]);
      }
      if (!['Cast', 'Identity', 'DequantizeLinear'].includes(p.opType ?? '')) return undefined;
      cur = (p.input ?? [])[0] ?? '';
    }
    return undefined;
  }

  /** Integer contents of a constant 1-D tensor (an initializer or a Constant node), e.g. a Reshape target. */
  constantInts(name: string): number[] | undefined {
    const t = this.initializers.get(name) ?? (this.producer.get(name)?.opType === 'Constant' ? attrOf(this.producer.get(name)!, 'value')?.t ?? undefined : undefined);
    if (!t) return undefined;
    const type = elemTypeOf(t.dataType ?? 0);
    if (type !== 'int64' && type !== 'int32') return undefined;
    if (t.rawData && t.rawData.length > 0) {
      const copy = Uint8Array.from(t.rawData);
      return type === 'int64' ? Array.from(new BigInt64Array(copy.buffer), Number) : Array.from(new Int32Array(copy.buffer));
    }
    return type === 'int64' ? (t.int64Data ?? []).map((v) => Number(typeof v === 'number' ? v : v.toString())) : [...(t.int32Data ?? [])];
  }

  /**
   * The element type of a value: its declaration if the model has one, else traced back through
   * its producers (Cast → its `to`, Shape → int64, comparisons → bool, most others → the type of
   * their first input). Undefined where it cannot be told.
   */
  elemType(name: string): ElemType | undefined {
    let cur = name;
    for (let hops = 0; hops < 10_000 && cur; hops++) {
      const d = this.declared.get(cur);
      if (d) return elemTypeOf(d);
      const t = this.initializers.get(cur);
      if (t) return elemTypeOf(t.dataType ?? 0);
      const p = this.producer.get(cur);
      if (!p) return undefined;
      const op = p.opType ?? '';
      if (op === 'Cast') return elemTypeOf(attrInt(p, 'to', 0));
      if (op === 'Constant') {
        const v = attrOf(p, 'value');
        return v?.t ? elemTypeOf(v.t.dataType ?? 0) : attrOf(p, 'value_float') || attrOf(p, 'value_floats') ? 'float32' : 'int64';
      }
      if (op === 'ConstantOfShape') {
        const v = attrOf(p, 'value')?.t;
        return v ? elemTypeOf(v.dataType ?? 0) : 'float32';
      }
      if (INT64_OUT.has(op)) return 'int64';
      if (BOOL_OUT.has(op)) return 'bool';
      if (op === 'CastLike') { cur = (p.input ?? [])[1] ?? ''; continue; }
      if (op === 'Where') { cur = (p.input ?? [])[1] ?? ''; continue; }
      if (!SAME_TYPE_AS_FIRST.has(op) && p.domain && p.domain !== 'ai.onnx') return undefined;
      cur = (p.input ?? [])[0] ?? '';
    }
    return undefined;
  }

  /** Replace every read of `from` by `to` in the main graph's nodes (not in `except`) and their subgraphs; graph outputs keep their names. */
  replaceUses(from: string, to: string, except: ReadonlySet<onnx.INodeProto> = new Set()): void {
    for (const n of this.graph.node ?? []) {
      if (except.has(n)) continue;
      n.input = (n.input ?? []).map((i) => (i === from ? to : i));
      for (const sub of subgraphsOf(n)) renameReads(sub, from, to);
    }
  }

  /** Rename a value produced by a main-graph node, everywhere it appears (producer, readers, declarations). */
  renameValue(from: string, to: string): void {
    const p = this.producer.get(from);
    if (!p) throw new Error(`'${from}' is not produced by a node`);
    p.output = (p.output ?? []).map((o) => (o === from ? to : o));
    this.replaceUses(from, to);
    for (const v of [...(this.graph.valueInfo ?? []), ...(this.graph.output ?? [])]) if (v.name === from) v.name = to;
    this.producer.delete(from);
    this.producer.set(to, p);
    const cons = this.consumers.get(from);
    if (cons) { this.consumers.delete(from); this.consumers.set(to, cons); }
  }
}

function renameReads(g: onnx.IGraphProto, from: string, to: string): void {
  const defined = new Set<string>([...(g.input ?? []).map((v) => v.name ?? ''), ...(g.initializer ?? []).map((t) => t.name ?? '')]);
  for (const n of g.node ?? []) for (const o of n.output ?? []) defined.add(o);
  if (defined.has(from)) return; // shadowed inside (not valid SSA, but never rename a subgraph's own value)
  for (const n of g.node ?? []) {
    n.input = (n.input ?? []).map((i) => (i === from ? to : i));
    for (const sub of subgraphsOf(n)) renameReads(sub, from, to);
  }
  for (const o of g.output ?? []) if (o.name === from) o.name = to;
}

/**
 * Put the main graph's nodes in topological order, keeping the original order wherever the data
 * allows (Kahn's algorithm, the lowest original position first). A subgraph's outer references
 * count as inputs of the node that owns it.
 */
export function sortTopologically(graph: onnx.IGraphProto): void {
  const nodes = graph.node ?? [];
  const producerIndex = new Map<string, number>();
  nodes.forEach((n, i) => { for (const o of n.output ?? []) if (o) producerIndex.set(o, i); });
  const deps = nodes.map((n) => {
    const names = new Set((n.input ?? []).filter((x) => x));
    for (const sub of subgraphsOf(n)) for (const r of outerReferences(sub)) names.add(r);
    const d = new Set<number>();
    for (const x of names) {
      const p = producerIndex.get(x);
      if (p !== undefined) d.add(p);
    }
    return d;
  });
  const waiting = deps.map((d) => d.size);
  const dependents: number[][] = nodes.map(() => []);
  deps.forEach((d, i) => { for (const p of d) dependents[p].push(i); });
  const heap = new MinHeap();
  waiting.forEach((w, i) => { if (w === 0) heap.push(i); });
  const order: onnx.INodeProto[] = [];
  while (heap.size > 0) {
    const i = heap.pop();
    order.push(nodes[i]);
    for (const j of dependents[i]) if (--waiting[j] === 0) heap.push(j);
  }
  if (order.length !== nodes.length) throw new Error('the graph has a cycle');
  graph.node = order;
}

class MinHeap {
  private readonly a: number[] = [];
  get size(): number { return this.a.length; }
  push(v: number): void {
    const a = this.a;
    a.push(v);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (a[p] <= a[i]) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): number {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

export const FLOAT_TYPES: ReadonlySet<ElemType> = new Set(['float32', 'float16']);
export { DATA_TYPE };
