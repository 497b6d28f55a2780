/**
 * Adjoints of the linear operators (ONNX operator spec: MatMul with numpy.matmul semantics, Gemm,
 * Conv). For Y = A·B: Ā = Ȳ·Bᵀ, B̄ = Aᵀ·Ȳ, batch axes reduced back where they were broadcast
 * (Griewank & Walther 2008, §3.1; Giles, "An extended collection of matrix derivative results for
 * forward and reverse mode algorithmic differentiation", 2008, §3.2).
 *
 * Conv's input adjoint is the transposed convolution with the same weight, strides, pads,
 * dilations and group (Dumoulin & Visin, "A guide to convolution arithmetic for deep learning",
 * 2016, §4). With stride 1 it is itself a convolution (ibid., §4.1–4.2: "full" padding): the
 * cotangent convolved with the kernel flipped in space and with input and output channels swapped
 * per group, pads d(k − 1) − p on each side. That form is used wherever those pads are ≥ 0, since
 * ONNX Runtime's CPU Conv is much faster than its ConvTranspose (and a constant weight is flipped
 * once, when the session folds constants). Otherwise ConvTranspose, which takes a
 * [C_out, C_in/group, k…] weight as its [C_in', C_out'/group, k…] one — exactly the Conv weight;
 * where a stride drops trailing input rows (floor in the output size), output_padding = stride − 1
 * makes its result at least as large as the input and a Slice cuts it to Shape(x). The weight adjoint correlates the input with the output
 * cotangent: batch and channel axes swapped, a Conv with stride and dilation exchanged, then cut to
 * the kernel size.
 */
import { attr } from '../../builder.js';
import { unbroadcast } from '../broadcast.js';
import { attrInt, attrInts, attrOf } from '../../surgery/graph.js';
import type { Shape } from '../shapes.js';
import type { RuleContext, VjpRule } from '../rule.js';
import { g0 } from './elementwise.js';

/** Swap the last two axes of a value of rank r. */
function swapLast(c: RuleContext, x: string, r: number): string {
  const perm = Array.from({ length: r }, (_, k) => k);
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return c.e.op('Transpose', [x], { perm: attr.ints(perm) });
}

/** Only the batch axes of a matrix operand's shape matter for reducing the other's adjoint. */
const batchOnly = (s: Shape | undefined): Shape | undefined => (s ? [...s.slice(0, -2), 1, 1] : undefined);

const matMul: VjpRule = {
  diff: 'all',
  apply: (c) => {
    const [a, b] = c.inputs;
    const ra = c.rank(a), rb = c.rank(b);
    const g = g0(c);
    const e = c.e;
    const unsq = (x: string, axis: number) => e.op('Unsqueeze', [x, e.ints([axis])]);
    if (ra === 1 && rb === 1) c.unsupported('of two vectors has no gradient rule');
    let ga: string | undefined, gb: string | undefined;
    if (c.needs(0)) {
      const full = rb === 1 ? e.op('MatMul', [unsq(g, -1), unsq(b, 0)])
        : ra === 1 ? e.op('MatMul', [unsq(g, -2), swapLast(c, b, rb)])
          : e.op('MatMul', [g, swapLast(c, b, rb)]);
      ga = unbroadcast(e, full, a, c.shape(a), [rb === 1 ? [] : batchOnly(c.shape(b))]);
    }
    if (c.needs(1)) {
      const full = ra === 1 ? e.op('MatMul', [unsq(a, -1), unsq(g, -2)])
        : rb === 1 ? e.op('Squeeze', [e.op('MatMul', [swapLast(c, a, ra), unsq(g, -1)]), e.ints([-1])])
          : e.op('MatMul', [swapLast(c, a, ra), g]);
      const sa = c.shape(a);
      // With a vector B the product drops B's axis: A's batch axes then one K axis.
      const other = ra === 1 ? [] : rb === 1 ? (sa ? [...sa.slice(0, -2), 1] : undefined) : batchOnly(sa);
      gb = unbroadcast(e, full, b, c.shape(b), [other]);
    }
    return [ga, gb];
  },
};

/** Y = α·A′·B′ + β·C with A′ = Aᵀ if transA, B′ likewise; each adjoint is again a Gemm. */
const gemm: VjpRule = {
  diff: 'all',
  apply: (c) => {
    const [a, b, cc] = c.inputs;
    const g = g0(c);
    const alpha = attrOf(c.node, 'alpha')?.f ?? 1;
    const beta = attrOf(c.node, 'beta')?.f ?? 1;
    const tA = attrInt(c.node, 'transA', 0), tB = attrInt(c.node, 'transB', 0);
    const gm = (x: string, y: string, ta: number, tb: number) =>
      c.e.op('Gemm', [x, y], { alpha: attr.float(alpha), transA: attr.int(ta), transB: attr.int(tb) });
    const ga = !c.needs(0) ? undefined : tA === 0 ? gm(g, b, 0, 1 - tB) : gm(b, g, tB, 1);
    const gb = !c.needs(1) ? undefined : tB === 0 ? gm(a, g, 1 - tA, 0) : gm(g, a, 1, tA);
    let gc: string | undefined;
    if (cc && c.needs(2)) {
      const scaled = beta === 1 ? g : c.e.op('Mul', [g, c.e.scalar(beta, c.dtype(c.outputs[0]))]);
      gc = unbroadcast(c.e, scaled, cc, c.shape(cc), [c.shape(c.outputs[0])]);
    }
    return [ga, gb, gc];
  },
};

/**
 * The weight of the stride-1 input adjoint: W [M, C/g, k…] → W′ [C, M/g, k…] with
 * W′[(j, c), m, u] = W[(j, m), c, k − 1 − u] for group j (channels swapped within each group, space flipped).
 */
function flippedWeight(c: RuleContext, w: string, dims: readonly number[], group: number): string {
  const e = c.e;
  const [M, Cg, ...k] = dims;
  const n = k.length;
  const spatial = Array.from({ length: n }, (_, i) => i + 3);
  const grouped = e.op('Reshape', [w, e.ints([group, M / group, Cg, ...k])]);
  const swapped = e.op('Transpose', [grouped], { perm: attr.ints([0, 2, 1, ...spatial]) });
  const merged = e.op('Reshape', [swapped, e.ints([group * Cg, M / group, ...k])]);
  const axes = Array.from({ length: n }, (_, i) => i + 2);
  return e.op('Slice', [merged, e.ints(axes.map(() => -1)), e.ints(axes.map(() => -Number.MAX_SAFE_INTEGER)), e.ints(axes), e.ints(axes.map(() => -1))]);
}

const conv: VjpRule = {
  diff: 'all',
  apply: (c) => {
    const [x, w, bias] = c.inputs;
    const e = c.e;
    const g = g0(c);
    const autoPad = new TextDecoder().decode(attrOf(c.node, 'auto_pad')?.s ?? new Uint8Array());
    if (autoPad && autoPad !== 'NOTSET' && autoPad !== 'VALID') c.unsupported(`with auto_pad ${autoPad} has no gradient rule (explicit pads only)`);
    const wShape = c.shape(w);
    const kernel = attrInts(c.node, 'kernel_shape') ?? (wShape && wShape.slice(2).every((d) => typeof d === 'number') ? (wShape.slice(2) as number[]) : undefined);
    if (!kernel) return c.unsupported('needs a known kernel shape');
    const n = kernel.length;
    const strides = attrInts(c.node, 'strides') ?? kernel.map(() => 1);
    const dilations = attrInts(c.node, 'dilations') ?? kernel.map(() => 1);
    const pads = attrInts(c.node, 'pads') ?? [...kernel, ...kernel].map(() => 0);
    const group = attrInt(c.node, 'group', 1);
    const spatialAxes = Array.from({ length: n }, (_, k) => k + 2);
    const cutTo = (v: string, ends: string) => e.op('Slice', [v, e.ints(kernel.map(() => 0)), ends, e.ints(spatialAxes)]);
    let gx: string | undefined, gw: string | undefined, gb: string | undefined;
    const fullPads = pads.map((p, i) => dilations[i % n] * (kernel[i % n] - 1) - p);
    const wShapeKnown = wShape && wShape.every((d) => typeof d === 'number') ? (wShape as number[]) : undefined;
    if (c.needs(0) && strides.every((s) => s === 1) && fullPads.every((p) => p >= 0) && wShapeKnown) {
      gx = e.op('Conv', [g, flippedWeight(c, w, wShapeKnown, group)], {
        kernel_shape: attr.ints(kernel), dilations: attr.ints(dilations), pads: attr.ints(fullPads), group: attr.int(group),
      });
    } else if (c.needs(0)) {
      const strided = strides.some((s) => s > 1);
      gx = e.op('ConvTranspose', [g, w], {
        kernel_shape: attr.ints(kernel), strides: attr.ints(strides), dilations: attr.ints(dilations), pads: attr.ints(pads),
        group: attr.int(group), ...(strided ? { output_padding: attr.ints(strides.map((s) => s - 1)) } : {}),
      });
      if (strided) gx = cutTo(gx, e.op('Slice', [e.shape(x), e.ints([2]), e.ints([n + 2]), e.ints([0])]));
    }
    if (c.needs(1)) {
      if (group !== 1) c.unsupported('weight gradient with group > 1 has no gradient rule');
      const swap = [1, 0, ...spatialAxes];
      const corr = e.op('Conv', [e.op('Transpose', [x], { perm: attr.ints(swap) }), e.op('Transpose', [g], { perm: attr.ints(swap) })], {
        strides: attr.ints(dilations), dilations: attr.ints(strides), pads: attr.ints(pads),
      });
      gw = cutTo(e.op('Transpose', [corr], { perm: attr.ints(swap) }), e.ints(kernel));
    }
    if (bias && c.needs(2)) gb = e.reduceSum(g, [0, ...spatialAxes], false);
    return [gx, gw, gb];
  },
};

export const linearRules: Record<string, VjpRule> = { MatMul: matMul, Gemm: gemm, Conv: conv };
