/**
 * Adjoints of onnxruntime's fused attention operators (com.microsoft contrib operators,
 * onnxruntime/docs/ContribOperators.md), as onnxruntime's transformer optimizer and Olive write
 * them into SD UNet exports:
 *
 *   MultiHeadAttention(q [B, S, D], k [B, L, D], v [B, L, Dv]; num_heads h, scale)
 *   Attention(x [B, S, Din], W [Din, 3D], b [3D]; num_heads h, scale) = MultiHeadAttention of x·W + b split in three
 *
 * with O = softmax(s·Q Kᵀ) V per head (s = 1/√(D/h) unless given). The backward pass recomputes the
 * attention probabilities P from the stored q and k (the kernel keeps nothing) and applies, per head,
 *
 *   V̄ = Pᵀ Ō,   P̄ = Ō Vᵀ,   S̄ = P ⊙ (P̄ − rowsum(P̄ ⊙ P)),   Q̄ = s·S̄ K,   K̄ = s·S̄ᵀ Q
 *
 * (Vaswani et al., "Attention Is All You Need", 2017, eq. 1; the Softmax and MatMul adjoints of
 * this module's other rules, composed). Packed QKV and KV are written out before differentiation
 * (`../unpack.ts`); masks, attention biases, past keys/values and unequal qkv_hidden_sizes are refused.
 */
import { attr } from '../../builder.js';
import { attrInt, attrInts, attrOf } from '../../surgery/graph.js';
import type { RuleContext, VjpRule } from '../rule.js';
import { g0 } from './elementwise.js';

const SWAP = [0, 1, 3, 2];

interface Heads { q: string; k: string; v: string }

/** [B, S, h·d] → [B, h, S, d]. */
const split = (c: RuleContext, x: string, h: number) =>
  c.e.op('Transpose', [c.e.op('Reshape', [x, c.e.ints([0, 0, h, -1])])], { perm: attr.ints([0, 2, 1, 3]) });
/** [B, h, S, d] → [B, S, h·d]. */
const merge = (c: RuleContext, x: string) =>
  c.e.op('Reshape', [c.e.op('Transpose', [x], { perm: attr.ints([0, 2, 1, 3]) }), c.e.ints([0, 0, -1])]);

/** The scale s: the attribute, else 1/√(D/h) from q's width (statically where it is known). */
function scaleOf(c: RuleContext, q: string, h: number): string {
  const t = c.dtype(q);
  const given = attrOf(c.node, 'scale')?.f;
  if (given) return c.e.scalar(given, t);
  const width = c.shape(q)?.[2];
  if (typeof width === 'number') return c.e.scalar(1 / Math.sqrt(width / h), t);
  const w = c.e.op('Cast', [c.e.pick(c.e.shape(q), 2)], { to: attr.int(t === 'float16' ? 10 : t === 'float64' ? 11 : 1) });
  return c.e.op('Reciprocal', [c.e.op('Sqrt', [c.e.op('Div', [w, c.e.scalar(h, t)])])]);
}

/** Q̄, K̄, V̄ ([B, S, D] layouts) of multi-head attention on q, k, v for the output cotangent ȳ. */
function attentionAdjoint(c: RuleContext, x: Heads, h: number, gy: string): Heads {
  const e = c.e;
  const s = scaleOf(c, x.q, h);
  const [q, k, v] = [split(c, x.q, h), split(c, x.k, h), split(c, x.v, h)];
  const p = e.op('Softmax', [e.op('Mul', [e.op('MatMul', [q, e.op('Transpose', [k], { perm: attr.ints(SWAP) })]), s])], { axis: attr.int(-1) });
  const go = split(c, gy, h);
  const gv = e.op('MatMul', [e.op('Transpose', [p], { perm: attr.ints(SWAP) }), go]);
  const gp = e.op('MatMul', [go, e.op('Transpose', [v], { perm: attr.ints(SWAP) })]);
  const gs = e.op('Mul', [e.op('Mul', [p, e.op('Sub', [gp, e.reduceSum(e.op('Mul', [gp, p]), [-1], true)])]), s]);
  const gq = e.op('MatMul', [gs, k]);
  const gk = e.op('MatMul', [e.op('Transpose', [gs], { perm: attr.ints(SWAP) }), q]);
  return { q: merge(c, gq), k: merge(c, gk), v: merge(c, gv) };
}

function refuseExtras(c: RuleContext, from: number, what: string): void {
  if (c.inputs.slice(from).some((i) => i)) c.unsupported(`with ${what} has no gradient rule (only plain attention)`);
  if (c.outputs.slice(1).some((o, i) => o && c.gradOut(i + 1))) c.unsupported('with its present key/value outputs in use has no gradient rule');
  if (attrInt(c.node, 'unidirectional', 0) !== 0) c.unsupported('with unidirectional (causal) masking has no gradient rule');
}

const multiHeadAttention: VjpRule = {
  diff: [0, 1, 2],
  apply: (c) => {
    const [q, k, v] = c.inputs;
    if (!k || !v) c.unsupported('with packed QKV or KV has no gradient rule (separate q, k, v only)');
    refuseExtras(c, 3, 'a bias, mask, attention bias or past keys/values');
    const g = attentionAdjoint(c, { q, k, v }, attrInt(c.node, 'num_heads', 1), g0(c));
    return [g.q, g.k, g.v];
  },
};

const attention: VjpRule = {
  diff: [0, 1, 2],
  apply: (c) => {
    const e = c.e;
    const [x, w, b] = c.inputs;
    if (attrInts(c.node, 'qkv_hidden_sizes')) c.unsupported('with qkv_hidden_sizes has no gradient rule');
    refuseExtras(c, 3, 'a mask, past state or attention bias');
    const projected = b ? e.op('Add', [e.op('MatMul', [x, w]), b]) : e.op('MatMul', [x, w]);
    const [q, k, v] = e.ops('Split', [projected], 3, { axis: attr.int(-1) });
    const g = attentionAdjoint(c, { q, k, v }, attrInt(c.node, 'num_heads', 1), g0(c));
    const gqkv = e.op('Concat', [g.q, g.k, g.v], { axis: attr.int(-1) });
    return [
      c.needs(0) ? e.op('MatMul', [gqkv, e.op('Transpose', [w], { perm: attr.ints([1, 0]) })]) : undefined,
      c.needs(1) ? e.reduceSum(e.op('MatMul', [e.op('Transpose', [x], { perm: attr.ints([0, 2, 1]) }), gqkv]), [0], false) : undefined,
      b && c.needs(2) ? e.reduceSum(gqkv, [0, 1], false) : undefined,
    ];
  },
};

export const attentionRules: Record<string, VjpRule> = {
  'com.microsoft.MultiHeadAttention': multiHeadAttention,
  'com.microsoft.Attention': attention,
};
