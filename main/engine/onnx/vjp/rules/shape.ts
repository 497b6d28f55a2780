/**
 * Adjoints of the operators that move or select elements without arithmetic (ONNX operator spec of
 * each). Reshapes are undone by reshaping the cotangent to Shape(input); Transpose by the inverse
 * permutation; Concat and Split by each other. Slice and Gather select elements, so their adjoint
 * scatters the cotangent into zeros: the positions are found by running the same Slice / Gather on
 * a tensor of flat element indices (Range over Size(x), reshaped like x), which reproduces every
 * detail of the forward's index arithmetic (negative, clamped and stepped bounds, negative
 * indices) without restating it, and ScatterElements puts the cotangent there — with
 * reduction = add for Gather, whose indices may repeat (Griewank & Walther 2008, §3.1: a value
 * read twice receives the sum of both adjoints).
 */
import { attr } from '../../builder.js';
import { attrInt, attrInts, attrOf } from '../../surgery/graph.js';
import type { RuleContext, VjpRule } from '../rule.js';
import { g0 } from './elementwise.js';

/** x̄ = Reshape(ȳ, Shape(x)): for every operator whose output holds x's elements in x's order. */
const reshapeBack: VjpRule = { diff: [0], apply: (c) => [c.e.reshapeLike(g0(c), c.inputs[0])] };

/** Flat element indices of `x`, shaped like `x`: Reshape(Range(0, Size(x), 1), Shape(x)). */
function flatIndices(c: RuleContext, x: string): { indices: string; size: string } {
  const size = c.e.op('Size', [x]);
  const range = c.e.op('Range', [c.e.ints([0], []), size, c.e.ints([1], [])]);
  return { indices: c.e.op('Reshape', [range, c.e.shape(x)]), size };
}

/** Scatter ȳ into zeros shaped like x at the flat positions `picked` (same shape as ȳ). */
function scatterBack(c: RuleContext, picked: string, size: string, add: boolean): string {
  const e = c.e;
  const t = c.dtype(c.inputs[0]);
  const zeros = e.op('ConstantOfShape', [e.op('Reshape', [size, e.ints([1])])], { value: attr.tensor({ type: 'float32', dims: [1], data: new Float32Array(1) }) });
  const zerosT = t === 'float32' ? zeros : e.op('Cast', [zeros], { to: attr.int(t === 'float16' ? 10 : 11) });
  const flat = (v: string) => e.op('Reshape', [v, e.ints([-1])]);
  const scattered = e.op('ScatterElements', [zerosT, flat(picked), flat(g0(c))], { axis: attr.int(0), ...(add ? { reduction: attr.string('add') } : {}) });
  return e.reshapeLike(scattered, c.inputs[0]);
}

/**
 * DepthToSpace moves b×b channel groups into space: y = Reshape(Transpose(Reshape(x, blocks), perm)).
 * Its adjoint runs that backwards: ȳ viewed as [N, C, H, b, W, b], the inverse permutation, then
 * Shape(x). Modes DCR and CRD differ only in where the block axes sit among the channels; SpaceToDepth
 * is the inverse of DCR, so its adjoint is DepthToSpace DCR.
 */
function depthToSpaceBack(c: RuleContext): string {
  const e = c.e;
  const b = attrInt(c.node, 'blocksize', 1);
  const mode = new TextDecoder().decode(attrOf(c.node, 'mode')?.s ?? new Uint8Array()) || 'DCR';
  const sx = e.shape(c.inputs[0]);
  const spaced = e.op('Concat', [e.pick(sx, 0), e.ints([-1]), e.pick(sx, 2), e.ints([b]), e.pick(sx, 3), e.ints([b])], { axis: attr.int(0) });
  // [N, C, H, b, W, b] → DCR's [N, b, b, C, H, W] or CRD's [N, C, b, b, H, W].
  const perm = mode === 'CRD' ? [0, 1, 3, 5, 2, 4] : [0, 3, 5, 1, 2, 4];
  return e.reshapeLike(e.op('Transpose', [e.op('Reshape', [g0(c), spaced])], { perm: attr.ints(perm) }), c.inputs[0]);
}

/**
 * With unit steps and constant axes, a Slice's adjoint is a Pad of the cotangent with zeros: before
 * each sliced axis by the effective start, after it by dim − effective end, where "effective" is
 * the spec's normalisation (negative bounds count from the end, both clamped to [0, dim], an end
 * before the start gives an empty slice) computed at run time on the bound vectors. Cheaper than
 * the scatter (no index tensor). Undefined where it does not apply.
 */
function sliceAsPad(c: RuleContext): string | undefined {
  const e = c.e;
  const [x, starts, ends, axesIn, stepsIn] = c.inputs;
  if (stepsIn && !c.ints(stepsIn)?.every((v) => v === 1)) return undefined;
  const xShape = c.shape(x);
  const declared = c.shape(starts)?.[0];
  const count = typeof declared === 'number' ? declared : c.ints(starts)?.length;
  if (!xShape || count == null) return undefined;
  const r = xShape.length;
  const axes = axesIn ? c.ints(axesIn) : Array.from({ length: count }, (_, k) => k);
  if (!axes) return undefined;
  const norm = axes.map((a) => (a < 0 ? a + r : a));
  const int64 = (v: string) => (c.e.index.elemType(v) === 'int32' ? e.op('Cast', [v], { to: attr.int(7) }) : v);
  const dims = e.op('Gather', [e.shape(x), e.ints(norm)], { axis: attr.int(0) });
  const zero = e.ints([0], []);
  const effective = (v: string) => {
    const wrapped = e.op('Where', [e.op('Less', [v, zero]), e.op('Add', [v, dims]), v]);
    return e.op('Min', [e.op('Max', [wrapped, zero]), dims]);
  };
  const s0 = effective(int64(starts));
  const e0 = e.op('Max', [effective(int64(ends)), s0]);
  const where = e.ints([...norm, ...norm.map((a) => a + r)]);
  const pads = e.op('ScatterElements', [e.ints(new Array<number>(2 * r).fill(0)), where, e.op('Concat', [s0, e.op('Sub', [dims, e0])], { axis: attr.int(0) })], { axis: attr.int(0) });
  return e.op('Pad', [g0(c), pads]);
}

export const shapeRules: Record<string, VjpRule> = {
  DepthToSpace: { diff: [0], apply: (c) => [depthToSpaceBack(c)] },
  SpaceToDepth: {
    diff: [0],
    apply: (c) => [c.e.op('DepthToSpace', [g0(c)], { blocksize: attr.int(attrInt(c.node, 'blocksize', 1)), mode: attr.string('DCR') })],
  },
  Reshape: reshapeBack,
  Flatten: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Transpose: {
    diff: [0],
    apply: (c) => {
      const perm = attrInts(c.node, 'perm') ?? Array.from({ length: c.rank(c.inputs[0]) }, (_, k, ) => k).reverse();
      const inv = new Array<number>(perm.length);
      perm.forEach((p, k) => { inv[p] = k; });
      return [c.e.op('Transpose', [g0(c)], { perm: attr.ints(inv) })];
    },
  },
  /** Concat along an axis: the cotangent is split back into pieces of the inputs' sizes along it. */
  Concat: {
    diff: 'all',
    apply: (c) => {
      const axis = attrInt(c.node, 'axis', 0);
      const sizes = c.inputs.map((x) => {
        const s = c.shape(x);
        const d = s ? s[axis < 0 ? axis + s.length : axis] : null;
        return d ?? null;
      });
      const split = sizes.every((d) => typeof d === 'number')
        ? c.e.ints(sizes as number[])
        : c.e.op('Concat', c.inputs.map((x) => c.e.pick(c.e.shape(x), axis)), { axis: attr.int(0) });
      return c.e.ops('Split', [g0(c), split], c.inputs.length, { axis: attr.int(axis) }).map((g, i) => (c.needs(i) ? g : undefined));
    },
  },
  /** Split: the pieces' cotangents concatenated back (zeros for pieces nothing depends on). */
  Split: {
    diff: [0],
    apply: (c) => {
      const t = c.dtype(c.inputs[0]);
      const parts = c.outputs.map((y, i) => c.gradOut(i) ?? c.e.zerosLike(y, t));
      return [c.e.op('Concat', parts, { axis: attr.int(attrInt(c.node, 'axis', 0)) })];
    },
  },
  Slice: {
    diff: [0],
    apply: (c) => {
      const padded = sliceAsPad(c);
      if (padded) return [padded];
      const { indices, size } = flatIndices(c, c.inputs[0]);
      const picked = c.e.op('Slice', [indices, ...c.inputs.slice(1)]);
      return [scatterBack(c, picked, size, false)];
    },
  },
  Gather: {
    diff: [0],
    apply: (c) => {
      const { indices, size } = flatIndices(c, c.inputs[0]);
      const picked = c.e.op('Gather', [indices, c.inputs[1]], { axis: attr.int(attrInt(c.node, 'axis', 0)) });
      const idx = c.ints(c.inputs[1]);
      const unique = idx !== undefined && new Set(idx).size === idx.length && idx.every((i) => i >= 0);
      if (!unique && c.opset < 16) c.unsupported('with indices that may repeat needs opset 16 (ScatterElements with reduction)');
      return [scatterBack(c, picked, size, !unique)];
    },
  },
  /**
   * Nearest-neighbour Resize copies input elements to output positions, so its adjoint sums the
   * cotangent back onto the elements it came from. Where the copies form whole s₁×s₂… blocks —
   * integer spatial scales under asymmetric + floor, or s = 2 with round_prefer_floor under
   * asymmetric, half_pixel or pytorch_half_pixel — that sum is AveragePool(kernel = stride = s) × ∏s.
   * Otherwise (run-time sizes, e.g. diffusers' upsample_size; other modes of rounding), the same
   * Resize is run on a tensor of flat element indices (int32) to learn where each output element
   * came from, and ScatterElements adds the cotangent there (reduction = add, opset ≥ 16). Linear
   * and cubic modes are refused.
   */
  Resize: {
    diff: [0],
    apply: (c) => {
      const s = (n: string) => new TextDecoder().decode(attrOf(c.node, n)?.s ?? new Uint8Array());
      const mode = s('mode') || 'nearest';
      const ctm = s('coordinate_transformation_mode') || 'half_pixel';
      const nearest = s('nearest_mode') || 'round_prefer_floor';
      if (mode !== 'nearest') c.unsupported(`in mode '${mode}' has no gradient rule (only nearest)`);
      const scales = c.inputs[2] ? c.floats(c.inputs[2]) : undefined;
      const spatial = scales?.slice(2) ?? [];
      const integral = !!scales && scales[0] === 1 && scales[1] === 1 && spatial.every((v) => Number.isInteger(v) && v >= 1);
      const blocks = integral && ((ctm === 'asymmetric' && nearest === 'floor')
        || (spatial.every((v) => v === 2 || v === 1) && nearest === 'round_prefer_floor' && ['asymmetric', 'half_pixel', 'pytorch_half_pixel'].includes(ctm)));
      if (blocks) {
        const pooled = c.e.op('AveragePool', [g0(c)], { kernel_shape: attr.ints(spatial), strides: attr.ints(spatial) });
        const area = spatial.reduce((a, b) => a * b, 1);
        return [area === 1 ? pooled : c.e.op('Mul', [pooled, c.e.scalar(area, c.dtype(c.inputs[0]))])];
      }
      if (c.opset < 16) c.unsupported(`with these sizes or scales needs opset 16 for its gradient (ScatterElements with reduction)`);
      const { indices, size } = flatIndices(c, c.inputs[0]);
      const narrow = c.e.op('Cast', [indices], { to: attr.int(6) });
      const from = c.e.copyNode(c.node, [narrow, ...c.inputs.slice(1)]);
      return [scatterBack(c, c.e.op('Cast', [from], { to: attr.int(7) }), size, true)];
    },
  },
};
