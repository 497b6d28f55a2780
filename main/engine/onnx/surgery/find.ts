/**
 * Finding the attention blocks of a UNet export, and telling self- from cross-attention by the
 * graph itself: an attention is *self*-attention when its queries, keys and values are projections
 * of one and the same tensor (the block's normalised hidden states), and *cross*-attention when
 * keys and values are projections of another (the text encoder's `encoder_hidden_states`). Names
 * are read only to label what the graph found (`up_blocks.1.attentions.0.transformer_blocks.0.attn1`).
 *
 * Three forms are recognised:
 *
 *   unfused    q = X·W_q, k = C·W_k, v = C·W_v (each [B, N, C_h], optional bias), split into heads
 *              by Reshape/Transpose in either layout ([B, h, N, d] as torch ≥ 2 exports scaled dot
 *              product attention, or [B·h, N, d] as diffusers' `head_to_batch_dim`), then
 *              Softmax(scale · q kᵀ [+ mask]) · v — as diffusers' ONNX script and Optimum export.
 *              Found from each Softmax: back to the scores MatMul, forward to the MatMul with v,
 *              and from both MatMuls' other inputs back through layout operators to the projections.
 *   MultiHeadAttention  `com.microsoft` (onnxruntime's transformer optimizer, FusionAttentionUnet;
 *              Olive): query [B, S, C] with key/value [B, L, C], or packed QKV [B, S, h, 3, d], or
 *              query with packed KV [B, L, h, 2, d]. The projections are traced back the same way.
 *   Attention  `com.microsoft`: X [B, S, C_in] with one weight [C_in, 3·C] holding W_q ‖ W_k ‖ W_v —
 *              self-attention by construction.
 *
 * Blocks with a key mask, an attention bias, past state or causal masking are reported as
 * unrecognised rather than guessed at (a diffusion UNet has none of these).
 */
import type { onnx } from 'onnx-proto';
import type { ElemType } from '../builder.js';
import { GraphIndex, MS_DOMAIN, attrInt, attrInts, inputsOf } from './graph.js';

export type AttentionForm = 'unfused' | 'MultiHeadAttention' | 'Attention';
export type AttentionKind = 'self' | 'cross';
/** How a MultiHeadAttention node receives its keys and values. */
export type MhaLayout = 'separate' | 'packed-qkv' | 'packed-kv';

/** A projection `out = source · W (+ b)`: where an attention's q, k or v comes from. */
export interface Projection {
  out: string;
  source: string;
  node: onnx.INodeProto;
  /** Output width (W's last dimension), where W's shape is known. */
  channels?: number;
}

interface SiteBase {
  kind: AttentionKind;
  label: string;
  /** The node that identifies the block: the Softmax (unfused) or the fused node. */
  node: onnx.INodeProto;
  /** Element type of keys and values. */
  dtype: ElemType;
  /** Key width (heads × head size) and value width. */
  channels: number | undefined;
  valueChannels: number | undefined;
  heads: number | undefined;
}

export interface UnfusedSite extends SiteBase {
  form: 'unfused';
  /** Token-major keys and values [B, N, C] as the projections output them, before the head split. */
  k: string;
  v: string;
  softmax: onnx.INodeProto;
  /** The MatMul of the attention weights with the values. */
  probsMatMul: onnx.INodeProto;
}

export interface MhaSite extends SiteBase {
  form: 'MultiHeadAttention';
  layout: MhaLayout;
}

export interface FusedAttentionSite extends SiteBase {
  form: 'Attention';
}

export type AttentionSite = UnfusedSite | MhaSite | FusedAttentionSite;

export interface Unrecognised {
  node: string;
  label: string | undefined;
  reason: string;
}

export interface AttentionSurvey {
  /** Every attention block found, self and cross, in graph order. */
  sites: AttentionSite[];
  /** Softmax or fused attention nodes that could not be read as an attention block, and why. */
  unrecognised: Unrecognised[];
}

/** Layout operators between a projection and the attention MatMuls (followed through their data input). */
const LAYOUT_OPS = new Set(['Reshape', 'Transpose', 'Cast', 'Identity', 'Squeeze', 'Unsqueeze', 'Flatten']);
/** Scaling (q·√s, k·√s as torch's scaled_dot_product_attention exports it): followed through the non-constant side. */
const SCALE_OPS = new Set(['Mul', 'Div']);
/** Between the scores MatMul and the Softmax: scale, additive mask, upcast. */
const SCORE_OPS = new Set(['Mul', 'Div', 'Add', 'Sub', 'Cast', 'Identity', 'Where']);

/** The module path of a node or weight name, up to its attention module: '/up_blocks.1/…/attn1/to_k/MatMul' → 'up_blocks.1.….attn1'. */
export function moduleLabel(name: string | null | undefined): string | undefined {
  if (!name) return undefined;
  const segs = name.replace(/^\/+/, '').split(/[/.]/).filter((s) => s.length > 0);
  const i = segs.findIndex((s) => /^attn\d*$/.test(s));
  return i < 0 ? undefined : segs.slice(0, i + 1).join('.');
}

/** Every attention block of `graph` (opset: the model's default-domain opset), self and cross. */
export function surveyAttention(graph: onnx.IGraphProto, opset: number, index = new GraphIndex(graph)): AttentionSurvey {
  const sites: AttentionSite[] = [];
  const unrecognised: Unrecognised[] = [];
  const finder = new Finder(index, opset);
  for (const n of graph.node ?? []) {
    const op = n.opType ?? '';
    const ms = n.domain === MS_DOMAIN;
    let r: AttentionSite | Unrecognised | undefined;
    if (op === 'Softmax' && !n.domain) r = finder.unfused(n);
    else if (ms && op === 'MultiHeadAttention') r = finder.mha(n);
    else if (ms && op === 'Attention') r = finder.attention(n);
    if (!r) continue;
    if ('reason' in r) unrecognised.push(r); else sites.push(r);
  }
  // Labels must be unique: they name the layer map's entries.
  const seen = new Map<string, number>();
  for (const s of sites) {
    const k = seen.get(s.label) ?? 0;
    seen.set(s.label, k + 1);
    if (k > 0) s.label = `${s.label}#${k + 1}`;
  }
  return { sites, unrecognised };
}

class Finder {
  constructor(private readonly g: GraphIndex, private readonly opset: number) {}

  /** `value` is a projection's output: MatMul/Gemm with a constant weight, optionally + a constant bias. */
  private projectionAt(value: string): Projection | undefined {
    const p = this.g.producer.get(value);
    if (!p) return undefined;
    const [a, b] = inputsOf(p, 2);
    if ((p.opType === 'MatMul' || p.opType === 'Gemm') && this.g.isConstant(b) && a && !this.g.isConstant(a)) {
      const dims = this.g.weightDims(b);
      const channels = dims && dims.length >= 2 ? (p.opType === 'Gemm' && attrInt(p, 'transB', 0) ? dims[0] : dims[dims.length - 1]) : undefined;
      return { out: value, source: a, node: p, channels };
    }
    if (p.opType === 'Add') {
      for (const [x, c] of [[a, b], [b, a]]) {
        if (!this.g.isConstant(c)) continue;
        const inner = this.projectionAt(x);
        if (inner && inner.node.opType !== 'Add') return { ...inner, out: value };
      }
    }
    return undefined;
  }

  /**
   * Follow `value` back through layout and scaling operators to the projection it comes from.
   * With `throughSplits`, Split/Slice/Gather are crossed too (packed projections: the answer is then
   * the packed projection, good for telling sources apart but not a per-tensor K or V).
   */
  traceProjection(value: string, throughSplits = false): Projection | undefined {
    const stack: [string, number][] = [[value, 0]];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const [v, depth] = stack.pop()!;
      if (!v || seen.has(v) || depth > 16) continue;
      seen.add(v);
      const proj = this.projectionAt(v);
      if (proj) return proj;
      const p = this.g.producer.get(v);
      if (!p || p.domain) continue;
      const op = p.opType ?? '';
      const ins = inputsOf(p);
      if (LAYOUT_OPS.has(op) || (throughSplits && (op === 'Split' || op === 'Slice' || op === 'Gather'))) stack.push([ins[0], depth + 1]);
      else if (SCALE_OPS.has(op)) for (const i of ins) if (!this.g.isConstant(i)) stack.push([i, depth + 1]);
    }
    return undefined;
  }

  private labelFor(node: onnx.INodeProto, near: readonly (onnx.INodeProto | undefined)[], fallbackIndex: string): string {
    const candidates: (string | null | undefined)[] = [node.name];
    for (const n of near) if (n) candidates.push(n.name, ...inputsOf(n).filter((i) => this.g.initializers.has(i)));
    for (const c of candidates) {
      const l = moduleLabel(c);
      if (l) return l;
    }
    // Downstream: the output projection (to_out) keeps its module name even where the attention was fused.
    const queue: [string, number][] = (node.output ?? []).slice(0, 1).map((o) => [o, 0]);
    const seen = new Set<string>();
    while (queue.length > 0) {
      const [v, d] = queue.shift()!;
      if (seen.has(v) || d > 6) continue;
      seen.add(v);
      for (const c of this.g.consumersOf(v)) {
        const l = moduleLabel(c.name) ?? inputsOf(c).map((i) => (this.g.initializers.has(i) ? moduleLabel(i) : undefined)).find((x) => x);
        if (l) return l;
        for (const o of c.output ?? []) queue.push([o, d + 1]);
      }
    }
    return `attention.${fallbackIndex}`;
  }

  private unrecognised(n: onnx.INodeProto, reason: string, near: readonly (onnx.INodeProto | undefined)[] = []): Unrecognised {
    const label = this.labelFor(n, near, n.name ?? '');
    return { node: n.name ?? '', label: label.startsWith('attention.') ? undefined : label, reason };
  }

  unfused(softmax: onnx.INodeProto): UnfusedSite | Unrecognised {
    const scores = this.scoresMatMul(inputsOf(softmax)[0]);
    if (!scores) return this.unrecognised(softmax, 'Softmax is not fed by a query·key MatMul');
    const pv = this.probsMatMul((softmax.output ?? [])[0] ?? '');
    if (!pv) return this.unrecognised(softmax, 'Softmax output does not feed a MatMul with values', [scores]);
    const [qIn, kIn] = inputsOf(scores, 2);
    const q = this.traceProjection(qIn), k = this.traceProjection(kIn), v = this.traceProjection(inputsOf(pv, 2)[1]);
    if (!q || !k || !v) return this.unrecognised(softmax, `cannot trace the ${!q ? 'queries' : !k ? 'keys' : 'values'} back to a projection`, [scores]);
    const rank = this.scoresRank(kIn) ?? this.scoresRank(qIn);
    // Softmax's default axis is -1 from opset 13, 1 before (where it also flattens from `axis` on):
    // either way only the last axis alone is a softmax over the keys.
    const axis = attrInt(softmax, 'axis', this.opset >= 13 ? -1 : 1);
    if (!(axis === -1 || (rank !== undefined && axis === rank - 1))) {
      return this.unrecognised(softmax, `Softmax over axis ${axis} is not over the keys`, [q.node, k.node]);
    }
    if (this.g.usedInSubgraphs.has(k.out) || this.g.usedInSubgraphs.has(v.out)) {
      return this.unrecognised(softmax, 'keys or values are read inside a subgraph', [q.node, k.node]);
    }
    const dtype = this.g.elemType(k.out);
    if (dtype !== 'float32' && dtype !== 'float16') return this.unrecognised(softmax, `keys of type ${dtype ?? 'unknown'}`, [q.node, k.node]);
    const kind: AttentionKind = k.source === q.source && v.source === q.source ? 'self' : 'cross';
    return {
      form: 'unfused', kind, node: softmax, softmax, probsMatMul: pv, k: k.out, v: v.out, dtype,
      channels: k.channels, valueChannels: v.channels, heads: this.headsFromReshape(kIn),
      label: this.labelFor(softmax, [q.node, k.node, v.node], softmax.name ?? ''),
    };
  }

  /** Back from the Softmax input through scaling, masking and casts to the one MatMul of two non-constant operands. */
  private scoresMatMul(value: string): onnx.INodeProto | undefined {
    const found = new Set<onnx.INodeProto>();
    const queue: [string, number][] = [[value, 0]];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const [v, d] = queue.shift()!;
      if (!v || seen.has(v) || d > 6) continue;
      seen.add(v);
      const p = this.g.producer.get(v);
      if (!p || p.domain) continue;
      const [a, b] = inputsOf(p, 2);
      if (p.opType === 'MatMul') {
        if (!this.g.isConstant(a) && !this.g.isConstant(b)) found.add(p);
        continue;
      }
      if (!SCORE_OPS.has(p.opType ?? '')) continue;
      const ins = p.opType === 'Where' ? inputsOf(p, 3).slice(1) : inputsOf(p);
      for (const i of ins) if (i && !this.g.isConstant(i)) queue.push([i, d + 1]);
    }
    return found.size === 1 ? [...found][0] : undefined;
  }

  /** Forward from the Softmax output (through casts) to the MatMul that takes it as its first operand. */
  private probsMatMul(value: string): onnx.INodeProto | undefined {
    const found: onnx.INodeProto[] = [];
    const queue = [value];
    for (let hops = 0; queue.length > 0 && hops < 8; hops++) {
      const v = queue.shift()!;
      for (const c of this.g.consumersOf(v)) {
        if (c.opType === 'MatMul' && inputsOf(c)[0] === v) found.push(c);
        else if (c.opType === 'Cast' || c.opType === 'Identity' || c.opType === 'Dropout') queue.push((c.output ?? [])[0] ?? '');
      }
    }
    return found.length === 1 ? found[0] : undefined;
  }

  /** Rank of the head-split keys (from the nearest Transpose's perm or Reshape's constant target). */
  private scoresRank(value: string): number | undefined {
    let v = value;
    for (let hops = 0; hops < 8; hops++) {
      const p = this.g.producer.get(v);
      if (!p) return undefined;
      if (p.opType === 'Transpose') { const perm = attrInts(p, 'perm'); if (perm) return perm.length; }
      if (p.opType === 'Reshape') { const t = this.g.constantInts(inputsOf(p, 2)[1]); if (t) return t.length; }
      if (!LAYOUT_OPS.has(p.opType ?? '') && !SCALE_OPS.has(p.opType ?? '')) return undefined;
      v = inputsOf(p)[0];
    }
    return undefined;
  }

  /** Heads from a head-split Reshape with a constant target [B, N, h, d] / [0, -1, h, d], where there is one. */
  private headsFromReshape(value: string): number | undefined {
    let v = value;
    for (let hops = 0; hops < 8; hops++) {
      const p = this.g.producer.get(v);
      if (!p) return undefined;
      if (p.opType === 'Reshape') {
        const t = this.g.constantInts(inputsOf(p, 2)[1]);
        if (t && t.length === 4 && t[2] > 0) return t[2];
      }
      v = inputsOf(p)[0];
    }
    return undefined;
  }

  mha(n: onnx.INodeProto): MhaSite | Unrecognised {
    const [q, k, v, , keyMask, attnBias, pastK, pastV, ...rest] = inputsOf(n, 8);
    if (keyMask || attnBias || pastK || pastV || rest.some((x) => x)) return this.unrecognised(n, 'has a key padding mask, an attention bias or past state');
    if (attrInt(n, 'unidirectional', 0) !== 0) return this.unrecognised(n, 'is causal (unidirectional)');
    if ((n.output ?? []).slice(1).some((o) => o && (this.g.consumersOf(o).length > 0 || this.g.isGraphOutput(o)))) {
      return this.unrecognised(n, 'its present key/value outputs are used');
    }
    const heads = attrInt(n, 'num_heads', 0) || undefined;
    const dtype = this.g.elemType(q);
    const pq = this.traceProjection(q, true);
    const near = [pq?.node];
    if (dtype !== 'float32' && dtype !== 'float16') return this.unrecognised(n, `queries of type ${dtype ?? 'unknown'}`, near);
    const base = { form: 'MultiHeadAttention' as const, node: n, dtype, heads, label: '' };
    if (!k && !v) {
      if (!pq) return this.unrecognised(n, 'cannot trace the packed QKV back to a projection');
      const c = pq.channels !== undefined ? pq.channels / 3 : undefined;
      return { ...base, layout: 'packed-qkv', kind: 'self', channels: c, valueChannels: c, label: this.labelFor(n, near, n.name ?? '') };
    }
    if (k && !v) {
      const pk = this.traceProjection(k, true);
      if (!pq || !pk) return this.unrecognised(n, `cannot trace the ${!pq ? 'queries' : 'packed KV'} back to a projection`, near);
      const c = pk.channels !== undefined ? pk.channels / 2 : undefined;
      return { ...base, layout: 'packed-kv', kind: pk.source === pq.source ? 'self' : 'cross', channels: c, valueChannels: c, label: this.labelFor(n, [pq.node, pk.node], n.name ?? '') };
    }
    if (k && v) {
      const pk = this.traceProjection(k, true), pv = this.traceProjection(v, true);
      if (!pq || !pk || !pv) return this.unrecognised(n, `cannot trace the ${!pq ? 'queries' : !pk ? 'keys' : 'values'} back to a projection`, near);
      const kind: AttentionKind = pk.source === pq.source && pv.source === pq.source ? 'self' : 'cross';
      // A packed projection split into k and v: the widths are not W's.
      const kc = pk.node === pv.node ? undefined : pk.channels;
      return { ...base, layout: 'separate', kind, channels: kc, valueChannels: pk.node === pv.node ? undefined : pv.channels, label: this.labelFor(n, [pq.node, pk.node, pv.node], n.name ?? '') };
    }
    return this.unrecognised(n, 'has values but no keys');
  }

  attention(n: onnx.INodeProto): FusedAttentionSite | Unrecognised {
    const [x, w, , mask, past, attnBias, pastLen, ...rest] = inputsOf(n, 7);
    if (mask || past || attnBias || pastLen || rest.some((r) => r)) return this.unrecognised(n, 'has a mask, past state or an attention bias');
    if (attrInt(n, 'unidirectional', 0) !== 0) return this.unrecognised(n, 'is causal (unidirectional)');
    for (const a of ['do_rotary', 'past_present_share_buffer']) if (attrInt(n, a, 0) !== 0) return this.unrecognised(n, `sets ${a}`);
    if ((n.output ?? []).slice(1).some((o) => o && (this.g.consumersOf(o).length > 0 || this.g.isGraphOutput(o)))) {
      return this.unrecognised(n, 'its present output is used');
    }
    const dtype = this.g.elemType(x);
    if (dtype !== 'float32' && dtype !== 'float16') return this.unrecognised(n, `input of type ${dtype ?? 'unknown'}`);
    const sizes = attrInts(n, 'qkv_hidden_sizes');
    const wd = this.g.weightDims(w);
    const [cq, ck, cv] = sizes && sizes.length === 3 ? sizes : wd && wd.length === 2 && wd[1] % 3 === 0 ? [wd[1] / 3, wd[1] / 3, wd[1] / 3] : [];
    if (cq === undefined) return this.unrecognised(n, 'the widths of q, k and v are unknown (no qkv_hidden_sizes, weight shape unknown)');
    return {
      form: 'Attention', kind: 'self', node: n, dtype, channels: ck, valueChannels: cv,
      heads: attrInt(n, 'num_heads', 0) || undefined, label: this.labelFor(n, [], n.name ?? ''),
    };
  }
}
