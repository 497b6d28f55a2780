/**
 * Reverse-mode differentiation of an ONNX graph (Griewank & Walther, "Evaluating Derivatives",
 * 2nd ed. 2008, §3.2: the adjoint sweep over the evaluation trace in reverse order). From a forward
 * model, inputs X₁…Xₖ to differentiate with respect to and values Y₁…Yₘ (graph outputs, or any
 * value the graph computes — a decoder block's features), the model is rewritten in place into one
 * that takes the forward inputs plus cotangents Ȳⱼ and returns
 *
 *     Yⱼ                            (the forward values, as outputs)
 *     grad.<Xᵢ> = Σⱼ (∂Yⱼ/∂Xᵢ)ᵀ Ȳⱼ   (the vector–Jacobian product, Xᵢ's shape and type)
 *
 * with Ȳⱼ fed as the input `grad.<Yⱼ>`. For an energy E(Y₁, …, Yₘ), feeding Ȳⱼ = ∂E/∂Yⱼ gives
 * grad.<Xᵢ> = ∂E/∂Xᵢ. The forward pass stays in the same graph and the backward
 * nodes read its values by name, so every activation is computed once and kept by ONNX Runtime
 * until its last backward reader has run (the "store all" strategy; docs/vjp.md has the memory it
 * costs). Only the forward nodes Y depends on are kept, and only the nodes on a path from some Xᵢ
 * to Y are differentiated; values computed from shapes, sizes, indices and comparisons
 * (NON_DIFFERENTIABLE, and any integer or bool value) are constants to the backward pass.
 * Adjoints of a value read by several nodes are summed (Sum).
 *
 * Requires opset ≥ 13 (axes and split sizes as inputs). float16 models are differentiated in
 * float32 (precision.ts) by the caller's choice; this module keeps whatever types the graph has.
 */
import type { onnx } from 'onnx-proto';
import { DATA_TYPE, type ElemType, type OnnxModel } from '../builder.js';
import { GraphIndex, outerReferences, sortTopologically, subgraphsOf } from '../surgery/graph.js';
import { Emitter, type FloatType } from './emit.js';
import { VjpUnsupported } from './errors.js';
import { inferShapes, type Shape } from './shapes.js';
import { NON_DIFFERENTIABLE, RULES, ruleKey } from './rules/index.js';
import type { RuleContext } from './rule.js';

export interface VjpOptions {
  /** Graph inputs to differentiate with respect to (float tensors). */
  wrt: readonly string[];
  /** The values whose cotangents are given: graph outputs or values computed inside the graph. */
  output: string | readonly string[];
}

/** Names of the VJP model's added input and outputs. */
export interface VjpInterface {
  /** The differentiated values, outputs of the VJP model. */
  outputs: string[];
  /** Inputs: each value's cotangent (same shape and type), by value name. */
  cotangents: Record<string, string>;
  /** The first (often the only) value's cotangent input. */
  cotangent: string;
  /** Outputs: input name → its VJP's name. */
  gradients: Record<string, string>;
  /** Nodes differentiated, and nodes the backward pass added. */
  differentiatedNodes: number;
  backwardNodes: number;
}

export const gradName = (value: string): string => `grad.${value}`;

const FLOAT: ReadonlySet<ElemType | undefined> = new Set(['float32', 'float16', 'float64', undefined]);

function inlineFloats(index: GraphIndex, name: string): number[] | undefined {
  const p = index.producer.get(name);
  const t = index.initializers.get(name) ?? (p?.opType === 'Constant' ? p.attribute?.find((a) => a.name === 'value')?.t ?? undefined : undefined);
  if (!t) return undefined;
  if (t.dataType === 1) {
    if (t.rawData && t.rawData.length > 0) return Array.from(new Float32Array(Uint8Array.from(t.rawData).buffer));
    return [...(t.floatData ?? [])];
  }
  if (t.dataType === 11) {
    if (t.rawData && t.rawData.length > 0) return Array.from(new Float64Array(Uint8Array.from(t.rawData).buffer));
    return [...(t.doubleData ?? [])];
  }
  return undefined;
}

/** Rewrite `model` into its VJP model (see the module docstring). Throws VjpUnsupported for an operator without a rule on the path. */
export function addVjp(model: OnnxModel, opts: VjpOptions): VjpInterface {
  const graph = model.graph;
  const opset = model.opset;
  if (opset < 13) throw new Error(`cannot differentiate the model: it is opset ${opset}, the generator needs opset 13 or later`);
  sortTopologically(graph);
  const index = new GraphIndex(graph);
  const shapes = inferShapes(graph, index, opset);
  const inputs = model.inputs();
  const targets = typeof opts.output === 'string' ? [opts.output] : [...opts.output];
  if (targets.length === 0) throw new Error('no output to differentiate');
  for (const y of targets) {
    if (!index.producer.has(y) && !index.isGraphInput(y)) throw new Error(`'${y}' is not a value the model computes`);
    if (!FLOAT.has(index.elemType(y))) throw new Error(`'${y}' is not a float value`);
  }
  for (const x of opts.wrt) {
    const info = inputs.find((i) => i.name === x);
    if (!info) throw new Error(`'${x}' is not an input of the model`);
    if (!FLOAT.has(info.type)) throw new Error(`'${x}' is a ${info.type} input: only float inputs can be differentiated`);
  }
  const nodes = graph.node ?? [];

  const needed = new Set<string>(targets);
  const neededNodes = new Set<onnx.INodeProto>();
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if (!(n.output ?? []).some((o) => needed.has(o))) continue;
    neededNodes.add(n);
    for (const i of n.input ?? []) if (i) needed.add(i);
  }

  const active = new Set<string>(opts.wrt);
  for (const n of nodes) {
    if (!neededNodes.has(n) || NON_DIFFERENTIABLE.has(ruleKey(n))) continue;
    const rule = RULES[ruleKey(n)];
    const ins = n.input ?? [];
    const slots = rule ? (rule.diff === 'all' ? ins.map((_, k) => k) : rule.diff) : ins.map((_, k) => k);
    if (!slots.some((k) => active.has(ins[k] ?? ''))) continue;
    const outs = (n.output ?? []).filter((o) => o && needed.has(o) && FLOAT.has(index.elemType(o)));
    if (outs.length === 0) continue;
    if (!rule) throw new VjpUnsupported(ruleKey(n), n.name || (n.output ?? [])[0] || '?');
    for (const o of outs) active.add(o);
  }

  const e = new Emitter(model, index, opset);
  const cotangents: Record<string, string> = {};
  const contributions = new Map<string, string[]>();
  for (const y of targets) {
    cotangents[y] = index.claim(gradName(y));
    contributions.set(y, [cotangents[y]]);
  }
  const total = (v: string): string | undefined => {
    const parts = contributions.get(v);
    if (!parts || parts.length === 0) return undefined;
    if (parts.length > 1) contributions.set(v, [e.op('Sum', parts)]);
    return contributions.get(v)![0];
  };
  const dtype = (v: string): FloatType => {
    const t = index.elemType(v);
    return t === 'float16' || t === 'float64' ? t : 'float32';
  };

  let differentiated = 0;
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    const outs = n.output ?? [];
    if (!neededNodes.has(n) || !outs.some((o) => active.has(o) && contributions.has(o))) continue;
    const rule = RULES[ruleKey(n)]!;
    const ins = [...(n.input ?? [])];
    const slots = rule.diff === 'all' ? ins.map((_, i) => i) : rule.diff;
    const nodeName = n.name || outs[0] || '?';
    const ctx: RuleContext = {
      e, node: n, opset, inputs: ins, outputs: outs,
      gradOut: (i) => (active.has(outs[i] ?? '') ? total(outs[i]) : undefined),
      needs: (i) => slots.includes(i) && active.has(ins[i] ?? ''),
      dtype,
      rank: (v) => {
        const s = shapes.get(v);
        if (!s) throw new VjpUnsupported(ruleKey(n), nodeName, `needs the rank of '${v}', which the graph does not tell`);
        return s.length;
      },
      shape: (v) => shapes.get(v),
      ints: (v) => index.constantInts(v),
      floats: (v) => inlineFloats(index, v),
      unsupported: (detail) => { throw new VjpUnsupported(ruleKey(n), nodeName, detail); },
    };
    const grads = rule.apply(ctx);
    differentiated++;
    grads.forEach((g, i) => {
      if (!g || !ctx.needs(i)) return;
      const list = contributions.get(ins[i]);
      if (list) list.push(g); else contributions.set(ins[i], [g]);
    });
  }

  const gradients: Record<string, string> = {};
  const declarations = targets.map((y) => declaration(graph, y, index.elemType(y) ?? 'float32', shapes.get(y)));
  const newOutputs: onnx.IValueInfoProto[] = [...declarations];
  for (const x of opts.wrt) {
    const info = inputs.find((i) => i.name === x)!;
    const name = index.claim(gradName(x));
    const g = total(x) ?? e.zerosLike(x, dtype(x));
    model.addNode('Identity', [g], { outputs: [name], name: index.fresh('vjp/out') });
    e.nodes.push(graph.node!.pop()!);
    gradients[x] = name;
    newOutputs.push({ name, type: { tensorType: { elemType: (graph.input ?? []).find((v) => v.name === x)!.type!.tensorType!.elemType, shape: shapeProto(info.shape) } } });
  }
  graph.node = [...nodes.filter((n) => neededNodes.has(n)), ...e.nodes];
  graph.output = newOutputs;
  graph.input = [...(graph.input ?? []), ...targets.map((y, j) => ({ name: cotangents[y], type: declarations[j].type }))];
  // Weights only the dropped forward nodes read go too (and their listing as inputs, as IR < 4 models
  // have it, which would otherwise turn them into inputs to feed).
  const used = new Set<string>(graph.output.map((o) => o.name ?? ''));
  for (const n of graph.node) {
    for (const i of n.input ?? []) used.add(i);
    for (const sub of subgraphsOf(n)) for (const r of outerReferences(sub)) used.add(r);
  }
  const unused = new Set((graph.initializer ?? []).map((t) => t.name ?? '').filter((name) => !used.has(name)));
  graph.initializer = (graph.initializer ?? []).filter((t) => !unused.has(t.name ?? ''));
  graph.input = graph.input.filter((v) => !unused.has(v.name ?? ''));
  return { outputs: targets, cotangents, cotangent: cotangents[targets[0]], gradients, differentiatedNodes: differentiated, backwardNodes: e.nodes.length };
}

/** A value's declaration: the graph's own where it has one, else its type and inferred shape (symbols as dim_params where they are plain names). */
function declaration(graph: onnx.IGraphProto, name: string, type: ElemType, shape: Shape | undefined): onnx.IValueInfoProto {
  const own = [...(graph.output ?? []), ...(graph.valueInfo ?? [])].find((v) => v.name === name && v.type?.tensorType);
  if (own) return { name, type: own.type };
  const dims = shape?.map((d) => (typeof d === 'string' && !/^[A-Za-z_][\w.]*$/.test(d) ? null : d));
  return { name, type: { tensorType: { elemType: DATA_TYPE[type], shape: shapeProto(dims) } } };
}

function shapeProto(shape: readonly (number | string | null)[] | undefined): onnx.ITensorShapeProto | undefined {
  if (!shape) return undefined;
  return { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})) };
}
