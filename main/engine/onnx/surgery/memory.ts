/**
 * Attention memory by graph surgery: a UNet that outputs the keys and values of every
 * self-attention layer and accepts reference keys and values to attend to instead of, or beside,
 * its own — the memory bank of MasaCtrl (Cao et al. 2023, "mutual self-attention": the edit's
 * queries read the source image's keys and values), DragonDiffusion / DiffEditor (Mou et al. 2023,
 * 2024: keys and values recorded while inverting the source, replaced or concatenated while
 * sampling the edit, with region selection for appearance and paste) and RegionDrag (Lu et al.
 * 2024). In PyTorch a forward hook does this; here the ONNX graph is rewritten once per model.
 *
 * ## Interface of the derived model (L self-attention layers, i = 0 … L−1, in graph order)
 *
 * Everything the source model has is unchanged; added are
 *
 *   outputs  self_attn_k.{i}, self_attn_v.{i}   [B, N_i, C_i]  the layer's own keys and values, token-major
 *            (the projections' outputs before the head split; N_i = tokens at that layer's resolution,
 *            C_i = heads × head size), in the layer's dtype (float16 in fp16 models).
 *   inputs   self_attn_mode                     float32 [L]     per layer: 0 off, 1 replace, 2 concatenate.
 *            self_attn_ref_k.{i}, _ref_v.{i}    [1 or B, M_i, C_i]  reference keys and values (layer dtype);
 *                                                               a batch of 1 is broadcast over B.
 *            self_attn_ref_bias.{i}             float32 [M_i]   additive bias on the reference keys' scores:
 *                                                               0 lets a token take part, −∞ (or −1e4) leaves it out.
 *
 * Per layer, with own keys K [B, N, C] and values V, the attention reads
 *
 *   off (0)       K, V                         as the source model (bias ignored)
 *   replace (1)   K_ref, V_ref                 softmax(q K_refᵀ·s + bias) V_ref
 *   concat (2)    [K ‖ K_ref], [V ‖ V_ref]     softmax(q [K ‖ K_ref]ᵀ·s + [0 ‖ bias]) [V ‖ V_ref]
 *
 * concatenated along the token axis, so M_i may differ from N_i; a bias of −∞ on reference tokens
 * outside a region is DiffEditor's masked concatenation (only the region's tokens take part), and
 * a reference made of two memories ([base ‖ reference object]) with a bias per part is its
 * appearance/paste selection. The mode is data, not structure: one derived model serves all three
 * at run time — a Where on the mode picks how many own tokens (N or 0) and reference tokens (M or
 * 0) a Slice with run-time ends keeps before the Concat (ONNX operator specs: Where, Slice from
 * opset 10, Concat, If); values other than 0 and 1 act as 2. Every added
 * input must be fed, also in off mode: mode 0, references with 0 tokens ([1, 0, C_i]) and an empty
 * bias ([0]). (Defaults as initializers of the same name would be the ONNX way to make them
 * optional, but onnxruntime-node silently ignores feeds for such inputs and always uses the default.)
 *
 * How each form is rewritten (find.ts says how they are recognised):
 *   unfused             the projections' outputs K, V are exposed as outputs; everything that read
 *                       them reads the mode's selection instead; the bias [T] is added to the
 *                       Softmax's input (broadcast over the last axis — the keys — in either head
 *                       layout). Off mode computes exactly the source's numbers (+0 on the scores).
 *   MultiHeadAttention  packed QKV / KV are unpacked (Slice + Reshape to [B, S, C]); the node
 *                       becomes an If on mode = off: the then-branch is the source's computation on
 *                       the separate q, k, v (ONNX Runtime's CPU kernel runs only that layout), the
 *                       else-branch a MultiHeadAttention on the selected keys and values with the
 *                       bias as attention_bias [1, 1, S, T] (onnxruntime's contrib operator spec:
 *                       broadcast over batch and heads) — built only when memory is on.
 *   Attention           the fused input projection is written out (MatMul with the packed weight,
 *                       + bias, Split into q, k, v) and then handled as MultiHeadAttention.
 * Cross-attention layers are left as they are.
 */
import type { onnx } from 'onnx-proto';
import { DATA_TYPE, f32, i64, type ElemType, type OnnxModel, type TensorData } from '../builder.js';
import { surveyAttention, type AttentionForm, type MhaLayout, type MhaSite, type FusedAttentionSite, type UnfusedSite, type Unrecognised } from './find.js';
import { GraphIndex, MS_DOMAIN, attrOf, inputsOf, sortTopologically } from './graph.js';

export const MODE = { off: 0, replace: 1, concat: 2 } as const;
export type MemoryMode = keyof typeof MODE;

export const MODE_INPUT = 'self_attn_mode';
export const names = {
  k: (i: number) => `self_attn_k.${i}`,
  v: (i: number) => `self_attn_v.${i}`,
  refK: (i: number) => `self_attn_ref_k.${i}`,
  refV: (i: number) => `self_attn_ref_v.${i}`,
  refBias: (i: number) => `self_attn_ref_bias.${i}`,
};

/** One self-attention layer of the derived model. */
export interface MemoryLayer {
  index: number;
  /** Module path where the export kept one ('up_blocks.1.attentions.0.transformer_blocks.0.attn1'), else 'attention.<node>'. */
  label: string;
  form: AttentionForm;
  layout?: MhaLayout;
  dtype: 'float32' | 'float16';
  /** C_i of keys and values (null where the graph does not say). */
  channels: number | null;
  valueChannels: number | null;
  heads: number | null;
  outputs: { k: string; v: string };
  inputs: { k: string; v: string; bias: string };
}

/** What the surgery did: the layer map written beside the derived model. */
export interface MemoryInterface {
  modeInput: string;
  modes: typeof MODE;
  layers: MemoryLayer[];
  /** Cross-attention blocks found and left alone. */
  crossAttention: string[];
  /** Softmax or fused attention nodes that were not read as attention, and why. */
  unrecognised: Unrecognised[];
}

/** The model has no self-attention the surgery can rewrite; editing runs without attention memory. */
export class AttentionMemoryUnavailable extends Error {
  readonly code = 'ATTENTION_MEMORY_UNAVAILABLE';
  constructor(readonly detail: string) {
    super(`attention memory is not available for this model: ${detail}`);
    this.name = 'AttentionMemoryUnavailable';
  }
}

const A = {
  int: (name: string, i: number): onnx.IAttributeProto => ({ name, type: 2, i }),
  ints: (name: string, ints: number[]): onnx.IAttributeProto => ({ name, type: 7, ints }),
  tensor: (name: string, t: TensorData): onnx.IAttributeProto => ({
    name, type: 4, t: { dims: t.dims, dataType: DATA_TYPE[t.type], rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) },
  }),
  graph: (name: string, g: onnx.IGraphProto): onnx.IAttributeProto => ({ name, type: 5, g }),
};

/** Appends nodes to one node list (the main graph's or a branch's), with fresh output names. */
class Emitter {
  constructor(private readonly g: GraphIndex, readonly nodes: onnx.INodeProto[], readonly created: Set<onnx.INodeProto>) {}

  op(opType: string, inputs: readonly string[], attrs: onnx.IAttributeProto[] = [], opts: { domain?: string; output?: string } = {}): string {
    const out = opts.output ?? this.g.fresh(`kv_${opType}`);
    const node: onnx.INodeProto = { opType, input: [...inputs], output: [out], name: this.g.fresh(`kv_${opType}_node`), attribute: attrs };
    if (opts.domain) node.domain = opts.domain;
    this.nodes.push(node);
    this.created.add(node);
    return out;
  }
}

/** Shared constants as main-graph initializers (branches read them from the outer scope). */
class Constants {
  private readonly cache = new Map<string, string>();
  constructor(private readonly model: OnnxModel, private readonly g: GraphIndex) {}
  private get(key: string, make: () => TensorData): string {
    let name = this.cache.get(key);
    if (!name) {
      name = this.g.fresh('kv_const');
      this.model.addInitializer(name, make());
      this.cache.set(key, name);
    }
    return name;
  }
  i64(values: number[], scalar = false): string { return this.get(`i64:${scalar}:${values.join(',')}`, () => i64(values, scalar ? [] : [values.length])); }
  f32(value: number): string { return this.get(`f32:${value}`, () => f32([value], [])); }
}

/** The mode's selection of keys, values and bias for one layer (see the module docstring). */
interface Selection { k: string; v: string; bias: string }

function select(e: Emitter, c: Constants, flags: { isOff: string; isReplace: string }, own: { k: string; v: string }, ref: { k: string; v: string; bias: string }): Selection {
  const axis0 = A.int('axis', 0);
  const kShape = e.op('Shape', [own.k]);
  const batch = e.op('Gather', [kShape, c.i64([0])], [axis0]);
  const nOwn = e.op('Gather', [kShape, c.i64([1])], [axis0]);
  const nKeep = e.op('Where', [flags.isReplace, c.i64([0]), nOwn]);
  const mRef = e.op('Gather', [e.op('Shape', [ref.k]), c.i64([1])], [axis0]);
  const nRef = e.op('Where', [flags.isOff, c.i64([0]), mRef]);
  const tile = e.op('Concat', [batch, c.i64([1, 1])], [axis0]);
  const cat = (mine: string, theirs: string) => e.op('Concat', [
    e.op('Slice', [mine, c.i64([0]), nKeep, c.i64([1])]),
    e.op('Slice', [e.op('Expand', [theirs, tile]), c.i64([0]), nRef, c.i64([1])]),
  ], [A.int('axis', 1)]);
  const zeros = e.op('ConstantOfShape', [nKeep], [A.tensor('value', f32([0], [1]))]);
  const bias = e.op('Concat', [zeros, e.op('Slice', [ref.bias, c.i64([0]), nRef, c.i64([0])])], [axis0]);
  return { k: cat(own.k, ref.k), v: cat(own.v, ref.v), bias };
}

const castTo = (e: Emitter, x: string, from: ElemType, to: ElemType) => (from === to ? x : e.op('Cast', [x], [A.int('to', DATA_TYPE[to])]));

/**
 * Rewrite `model` in place (see the module docstring) and return its interface. Throws
 * AttentionMemoryUnavailable where no self-attention layer is recognised.
 */
export function addAttentionMemory(model: OnnxModel): MemoryInterface {
  const opset = model.opset;
  if (opset < 11) throw new AttentionMemoryUnavailable(`opset ${opset} is older than 11`);
  const graph = model.graph;
  const g = new GraphIndex(graph);
  const survey = surveyAttention(graph, opset, g);
  const selfSites = survey.sites.filter((s) => s.kind === 'self');
  if (selfSites.length === 0) {
    const found = survey.sites.length > 0 ? `${survey.sites.length} cross-attention block(s) and no self-attention` : 'no attention block recognised';
    const why = survey.unrecognised.length > 0 ? `; ${survey.unrecognised.length} unrecognised (${survey.unrecognised[0].reason})` : '';
    throw new AttentionMemoryUnavailable(found + why);
  }
  const batchDim = (() => {
    const first = model.inputs()[0]?.shape?.[0];
    return typeof first === 'string' ? first : null;
  })();

  const created = new Set<onnx.INodeProto>();
  const main = new Emitter(g, [], created);
  const c = new Constants(model, g);
  const L = selfSites.length;
  g.claim(MODE_INPUT);
  model.addInput(MODE_INPUT, 'float32', [L]);

  const removed = new Set<onnx.INodeProto>();
  const changed: string[] = [];
  const stops = new Set<onnx.INodeProto>();
  const layers: MemoryLayer[] = selfSites.map((site, i) => {
    const dtype = site.dtype as 'float32' | 'float16';
    const io = {
      outputs: { k: g.claim(names.k(i)), v: g.claim(names.v(i)) },
      inputs: { k: g.claim(names.refK(i)), v: g.claim(names.refV(i)), bias: g.claim(names.refBias(i)) },
    };
    const cK = site.channels ?? null, cV = site.valueChannels ?? site.channels ?? null;
    model.addInput(io.inputs.k, dtype, [null, `self_attn_ref_tokens_${i}`, cK]);
    model.addInput(io.inputs.v, dtype, [null, `self_attn_ref_tokens_${i}`, cV]);
    model.addInput(io.inputs.bias, 'float32', [`self_attn_ref_tokens_${i}`]);
    model.addOutput(io.outputs.k, dtype, [batchDim, `self_attn_tokens_${i}`, cK]);
    model.addOutput(io.outputs.v, dtype, [batchDim, `self_attn_tokens_${i}`, cV]);

    const mode = main.op('Gather', [MODE_INPUT, c.i64([i], true)], [A.int('axis', 0)]);
    const flags = { isOff: main.op('Equal', [mode, c.f32(MODE.off)]), isReplace: main.op('Equal', [mode, c.f32(MODE.replace)]) };
    const ref = io.inputs;
    if (site.form === 'unfused') {
      changed.push(...rewriteUnfused(site, { opset, g, main, c, flags, ref, out: io.outputs }));
      stops.add(site.probsMatMul);
    } else rewriteFused(site, { opset, g, main, c, flags, ref, out: io.outputs, dtype, removed });
    return {
      index: i, label: site.label, form: site.form, ...(site.form === 'MultiHeadAttention' ? { layout: site.layout } : {}),
      dtype, channels: cK, valueChannels: cV, heads: site.heads ?? null, ...io,
    };
  });

  graph.node = [...(graph.node ?? []).filter((n) => !removed.has(n)), ...main.nodes];
  // Shapes recorded for values whose token count now depends on the mode would contradict the new graph.
  const reshaped = forwardCone(graph.node, changed, stops);
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => !reshaped.has(v.name ?? ''));
  if (!(model.proto.opsetImport ?? []).some((o) => o.domain === MS_DOMAIN) && layers.some((l) => l.form !== 'unfused')) {
    (model.proto.opsetImport ??= []).push({ domain: MS_DOMAIN, version: 1 });
  }
  sortTopologically(graph);
  return {
    modeInput: MODE_INPUT, modes: MODE, layers,
    crossAttention: survey.sites.filter((s) => s.kind === 'cross').map((s) => s.label),
    unrecognised: survey.unrecognised,
  };
}

interface RewriteContext {
  opset: number;
  g: GraphIndex;
  main: Emitter;
  c: Constants;
  flags: { isOff: string; isReplace: string };
  ref: { k: string; v: string; bias: string };
  out: { k: string; v: string };
}

/** Make `value` available under the output name `name`: rename it where a node produces it, else copy through Identity. */
function expose(g: GraphIndex, main: Emitter, value: string, name: string): string {
  if (g.producer.has(value) && !g.isGraphInput(value) && !g.isGraphOutput(value) && !g.initializers.has(value)) {
    g.renameValue(value, name);
    return name;
  }
  return main.op('Identity', [value], [], { output: name });
}

/** Returns the values whose token count now follows the mode (for dropping their recorded shapes). */
function rewriteUnfused(site: UnfusedSite, x: RewriteContext): string[] {
  const { g, main, c } = x;
  const kOwn = expose(g, main, site.k, x.out.k);
  const vOwn = expose(g, main, site.v, x.out.v);
  const sel = select(main, c, x.flags, { k: kOwn, v: vOwn }, x.ref);
  g.replaceUses(kOwn, sel.k, main.created);
  g.replaceUses(vOwn, sel.v, main.created);
  const scores = inputsOf(site.softmax)[0];
  const scoresType = g.elemType(scores) ?? site.dtype;
  const biased = main.op('Add', [scores, castTo(main, sel.bias, 'float32', scoresType)]);
  site.softmax.input = [biased, ...inputsOf(site.softmax).slice(1)];
  return [sel.k, sel.v, biased];
}

/** Values computed from `starts` before any of the `stops`: their recorded shapes may no longer hold. */
function forwardCone(nodes: readonly onnx.INodeProto[], starts: readonly string[], stops: ReadonlySet<onnx.INodeProto>): Set<string> {
  const readers = new Map<string, onnx.INodeProto[]>();
  for (const n of nodes) for (const i of n.input ?? []) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  const out = new Set<string>();
  const queue: [string, number][] = starts.map((s) => [s, 0]);
  while (queue.length > 0) {
    const [v, d] = queue.shift()!;
    if (d > 16) continue;
    for (const n of readers.get(v) ?? []) {
      if (stops.has(n)) continue;
      for (const o of n.output ?? []) if (o && !out.has(o)) { out.add(o); queue.push([o, d + 1]); }
    }
  }
  return out;
}

function rewriteFused(site: MhaSite | FusedAttentionSite, x: RewriteContext & { dtype: ElemType; removed: Set<onnx.INodeProto> }): void {
  const { g, main, c } = x;
  const n = site.node;
  const ins = inputsOf(n, 4);
  const unpack = (packed: string, j: number, output: string) =>
    main.op('Reshape', [main.op('Slice', [packed, c.i64([j]), c.i64([j + 1]), c.i64([3])]), c.i64([0, 0, -1])], [], { output });
  let q: string, kOwn: string, vOwn: string, bias = '';
  let attrs: onnx.IAttributeProto[];
  if (site.form === 'MultiHeadAttention') {
    attrs = [...(n.attribute ?? [])];
    bias = ins[3];
    if (site.layout === 'packed-qkv') {
      q = unpack(ins[0], 0, g.fresh('kv_q'));
      kOwn = unpack(ins[0], 1, x.out.k);
      vOwn = unpack(ins[0], 2, x.out.v);
    } else if (site.layout === 'packed-kv') {
      q = ins[0];
      kOwn = unpack(ins[1], 0, x.out.k);
      vOwn = unpack(ins[1], 1, x.out.v);
    } else {
      kOwn = expose(g, main, ins[1], x.out.k);
      vOwn = expose(g, main, ins[2], x.out.v);
      q = ins[0] === ins[1] ? kOwn : ins[0] === ins[2] ? vOwn : ins[0]; // renamed if one tensor serves twice
    }
  } else {
    // Attention(X, W, b) = MultiHeadAttention(q, k, v) with [q ‖ k ‖ v] = X·W + b (contrib op specs).
    const [X, W, b] = ins;
    let qkv = main.op('MatMul', [X, W]);
    if (b) qkv = main.op('Add', [qkv, b]);
    const sizes = [site.channels!, site.channels!, site.valueChannels!];
    const qc = attrOf(n, 'qkv_hidden_sizes')?.ints;
    if (qc && qc.length === 3) sizes[0] = Number(qc[0]);
    const outs = [g.fresh('kv_q'), x.out.k, x.out.v];
    const split: onnx.INodeProto = {
      opType: 'Split', name: g.fresh('kv_Split_node'), output: outs,
      // Split's sizes are an input from opset 13, an attribute before.
      input: x.opset >= 13 ? [qkv, c.i64(sizes)] : [qkv],
      attribute: [A.int('axis', -1), ...(x.opset >= 13 ? [] : [A.ints('split', sizes)])],
    };
    main.nodes.push(split);
    main.created.add(split);
    [q, kOwn, vOwn] = outs;
    attrs = (n.attribute ?? []).filter((a) => ['num_heads', 'scale', 'mask_filter_value'].includes(a.name ?? ''));
  }

  const outName = (n.output ?? [])[0];
  const branch = (name: string, build: (e: Emitter) => string): onnx.IGraphProto => {
    const e = new Emitter(g, [], main.created);
    const y = build(e);
    return { name, node: e.nodes, output: [{ name: y, type: { tensorType: { elemType: DATA_TYPE[x.dtype] } } }] };
  };
  const mha = (e: Emitter, inputs: string[]) => e.op('MultiHeadAttention', inputs, attrs.map((a) => ({ ...a })), { domain: MS_DOMAIN });
  const thenBranch = branch(g.fresh('kv_memory_off'), (e) => mha(e, [q, kOwn, vOwn, bias]));
  const elseBranch = branch(g.fresh('kv_memory_on'), (e) => {
    const sel = select(e, c, x.flags, { k: kOwn, v: vOwn }, x.ref);
    const axis0 = A.int('axis', 0);
    const s = e.op('Gather', [e.op('Shape', [q]), c.i64([1])], [axis0]);
    const b4 = e.op('Reshape', [castTo(e, sel.bias, 'float32', x.dtype), c.i64([1, 1, 1, -1])]);
    const attnBias = e.op('Expand', [b4, e.op('Concat', [c.i64([1, 1]), s, c.i64([1])], [axis0])]);
    return mha(e, [q, sel.k, sel.v, bias, '', attnBias]);
  });
  main.op('If', [x.flags.isOff], [A.graph('then_branch', thenBranch), A.graph('else_branch', elseBranch)], { output: outName });
  x.removed.add(n);
}

