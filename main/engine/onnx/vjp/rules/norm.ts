/**
 * Adjoints of the operators that couple elements along axes: Softmax (y = eˣ/Σeˣ:
 * x̄ = y ⊙ (ȳ − Σ ȳ⊙y)), LogSoftmax (x̄ = ȳ − eʸ·Σȳ), the reductions (the cotangent is broadcast
 * back over the reduced axes, divided by their size for the mean), and the normalisations
 * (ONNX operator specs: InstanceNormalization, LayerNormalization). For x̂ = (x − μ)/σ over n
 * elements, with ĝ = ȳ ⊙ scale the cotangent of x̂,
 *
 *     x̄ = (1/σ) · (ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)),   scāle = Σ ȳ ⊙ x̂,   B̄ = Σ ȳ
 *
 * (Ioffe & Szegedy, "Batch Normalization", 2015, §3, the same derivation over other axes; Wu & He,
 * "Group Normalization", 2018, for the grouping). The
 * statistics are recomputed from x in the backward pass rather than taken from the forward kernel.
 * GroupNorm exported as Reshape → InstanceNormalization → Reshape → Mul → Add, or spelt out with
 * ReduceMean / Sub / Pow / Sqrt / Div, is differentiated through those operators' own rules.
 */
import { attr } from '../../builder.js';
import { attrInt, attrInts, attrOf } from '../../surgery/graph.js';
import type { RuleContext, VjpRule } from '../rule.js';
import { g0 } from './elementwise.js';

/** Σ along one axis, kept. */
const sumKeep = (c: RuleContext, x: string, axis: number) => c.e.reduceSum(x, [axis], true);

/**
 * The normalisation adjoint on a value reshaped so that the normalised elements lie along `axis`:
 * returns x̄ (same layout) and x̂ for the parameter adjoints.
 */
function normalisedAdjoint(c: RuleContext, x: string, g: string, scale: string, axis: number, eps: number): { gx: string; xh: string } {
  const e = c.e;
  const t = c.dtype(c.inputs[0]);
  const mean = e.reduceMean(x, [axis], true);
  const xc = e.op('Sub', [x, mean]);
  const variance = e.reduceMean(e.op('Mul', [xc, xc]), [axis], true);
  const rstd = e.op('Reciprocal', [e.op('Sqrt', [e.op('Add', [variance, e.scalar(eps, t)])])]);
  const xh = e.op('Mul', [xc, rstd]);
  const gh = e.op('Mul', [g, scale]);
  const inner = e.op('Sub', [e.op('Sub', [gh, e.reduceMean(gh, [axis], true)]), e.op('Mul', [xh, e.reduceMean(e.op('Mul', [gh, xh]), [axis], true)])]);
  return { gx: e.op('Mul', [inner, rstd]), xh };
}

const epsilonOf = (c: RuleContext) => attrOf(c.node, 'epsilon')?.f ?? 1e-5;

/** Broadcast a reduction's cotangent back over the reduced axes. */
function unreduce(c: RuleContext): string {
  const e = c.e;
  const x = c.inputs[0];
  let g = g0(c);
  const keep = attrInt(c.node, 'keepdims', 1) === 1;
  const axesAttr = attrInts(c.node, 'axes');
  const axesInput = c.inputs[1] ?? '';
  if (!keep && (axesAttr || axesInput)) g = e.op('Unsqueeze', [g, axesAttr ? e.ints(axesAttr) : axesInput]);
  return e.op('Expand', [g, e.shape(x)]);
}

export const normRules: Record<string, VjpRule> = {
  Softmax: {
    diff: [0],
    apply: (c) => {
      const axis = attrInt(c.node, 'axis', -1);
      if (c.opset < 13) c.unsupported('before opset 13 (2-D coerced axis) has no gradient rule');
      const y = c.outputs[0];
      const gy = c.e.op('Mul', [g0(c), y]);
      return [c.e.op('Sub', [gy, c.e.op('Mul', [y, sumKeep(c, gy, axis)])])];
    },
  },
  LogSoftmax: {
    diff: [0],
    apply: (c) => {
      if (c.opset < 13) c.unsupported('before opset 13 (2-D coerced axis) has no gradient rule');
      const g = g0(c);
      return [c.e.op('Sub', [g, c.e.op('Mul', [c.e.op('Exp', [c.outputs[0]]), sumKeep(c, g, attrInt(c.node, 'axis', -1))])])];
    },
  },
  ReduceSum: {
    diff: [0],
    apply: (c) => {
      if (attrInt(c.node, 'noop_with_empty_axes', 0) === 1 && !c.inputs[1]) return [g0(c)];
      return [unreduce(c)];
    },
  },
  ReduceMean: {
    diff: [0],
    apply: (c) => {
      if (attrInt(c.node, 'noop_with_empty_axes', 0) === 1 && !c.inputs[1] && !attrInts(c.node, 'axes')) return [g0(c)];
      const e = c.e;
      const n = e.op('Cast', [e.op('Div', [e.op('Size', [c.inputs[0]]), e.op('Size', [c.outputs[0]])])], { to: attr.int(c.dtype(c.inputs[0]) === 'float16' ? 10 : c.dtype(c.inputs[0]) === 'float64' ? 11 : 1) });
      return [e.op('Div', [unreduce(c), n])];
    },
  },
  /** Per (n, c) over the spatial axes: x is viewed as [N, C, S]. */
  InstanceNormalization: {
    diff: 'all',
    apply: (c) => {
      const e = c.e;
      const [x, scale, bias] = c.inputs;
      const view = (v: string) => e.op('Reshape', [v, e.ints([0, 0, -1])]);
      const g3 = view(g0(c));
      const s3 = e.op('Reshape', [scale, e.ints([1, -1, 1])]);
      const { gx, xh } = normalisedAdjoint(c, view(x), g3, s3, 2, epsilonOf(c));
      return [
        c.needs(0) ? e.reshapeLike(gx, x) : undefined,
        c.needs(1) ? e.reduceSum(e.op('Mul', [g3, xh]), [0, 2], false) : undefined,
        bias && c.needs(2) ? e.reduceSum(g3, [0, 2], false) : undefined,
      ];
    },
  },
  /**
   * GroupNormalization (opset 18, 21): x viewed as [N, G, rest]. Its scale and bias are per group
   * before opset 21 (applied in that view) and per channel from 21 (applied in x's own shape).
   */
  GroupNormalization: {
    diff: [0, 1, 2],
    apply: (c) => {
      const e = c.e;
      const [x, scale, bias] = c.inputs;
      const groups = attrInt(c.node, 'num_groups', 1);
      const r = c.rank(x);
      const spatial = Array.from({ length: r - 2 }, (_, k) => k + 2);
      const view = (v: string) => e.op('Reshape', [v, e.ints([0, groups, -1])]);
      const perChannel = c.opset >= 21;
      const channelScale = perChannel ? e.op('Reshape', [scale, e.ints([1, -1, ...spatial.map(() => 1)])]) : '';
      const g = g0(c);
      const gh = view(perChannel ? e.op('Mul', [g, channelScale]) : g);
      const one = e.scalar(1, c.dtype(x));
      const { gx, xh } = normalisedAdjoint(c, view(x), gh, perChannel ? one : e.op('Reshape', [scale, e.ints([1, -1, 1])]), 2, epsilonOf(c));
      let gs: string | undefined, gb: string | undefined;
      if (c.needs(1)) {
        gs = perChannel
          ? e.reduceSum(e.op('Mul', [g, e.reshapeLike(xh, x)]), [0, ...spatial], false)
          : e.reduceSum(e.op('Mul', [view(g), xh]), [0, 2], false);
      }
      if (bias && c.needs(2)) gb = perChannel ? e.reduceSum(g, [0, ...spatial], false) : e.reduceSum(view(g), [0, 2], false);
      return [c.needs(0) ? e.reshapeLike(gx, x) : undefined, gs, gb];
    },
  },
  /** Over the axes from `axis` on: x is viewed as [outer, inner] (Flatten). */
  LayerNormalization: {
    diff: [0, 1, 2],
    apply: (c) => {
      if (c.gradOut(1) || c.gradOut(2)) c.unsupported('with its Mean / InvStdDev outputs in use has no gradient rule');
      const e = c.e;
      const [x, scale, bias] = c.inputs;
      const axis = attrInt(c.node, 'axis', -1);
      const flat = (v: string) => e.op('Flatten', [v], { axis: attr.int(axis) });
      const g2 = flat(g0(c));
      const { gx, xh } = normalisedAdjoint(c, flat(x), g2, e.op('Reshape', [scale, e.ints([1, -1])]), 1, epsilonOf(c));
      return [
        c.needs(0) ? e.reshapeLike(gx, x) : undefined,
        c.needs(1) ? e.reshapeLike(e.reduceSum(e.op('Mul', [g2, xh]), [0], false), scale) : undefined,
        bias && c.needs(2) ? e.reshapeLike(e.reduceSum(g2, [0], false), bias) : undefined,
      ];
    },
  },
};
