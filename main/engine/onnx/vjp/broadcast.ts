/**
 * Reducing a cotangent back to the shape of a broadcast operand. Under numpy broadcasting (ONNX
 * "Broadcasting in ONNX", onnx/docs/Broadcasting.md) an operand of shape s is aligned to the right
 * of the output shape and repeated along its missing leading axes and its size-1 axes; the adjoint
 * of that repetition is a sum over those axes (Griewank & Walther 2008, §3.1: a copied value's
 * adjoint is the sum of its copies' adjoints).
 *
 * Where the (symbolic) dims decide the axes (shapes.ts), they are constants — none at all in the
 * common case of operands of one shape, and the cotangent passes through. Otherwise they are
 * computed at run time from Shape: the axes where the operand's shape (padded with leading 1s to
 * the output's rank) differs from the output's, summed with ReduceSum (noop_with_empty_axes = 1,
 * so an empty list is the identity) and reshaped to Shape(operand).
 */
import type { Emitter } from './emit.js';
import type { Shape } from './shapes.js';
import { attr } from '../builder.js';

/**
 * The output axes over which `x` was repeated, where its known dims decide it: its missing leading
 * axes and its size-1 axes. A dim known to be > 1 is never repeated (valid broadcasting keeps it);
 * a symbolic dim is not where every other operand has 1 or the same symbol there. Undefined where
 * the dims leave it open (a symbol that may be 1 at run time against another size).
 */
function staticAxes(x: Shape | undefined, others: readonly (Shape | undefined)[]): number[] | undefined {
  if (!x || others.some((o) => !o)) return undefined;
  const r = Math.max(x.length, ...others.map((o) => o!.length));
  const lead = r - x.length;
  const axes = Array.from({ length: lead }, (_, k) => k);
  for (let k = 0; k < x.length; k++) {
    const xd = x[k];
    if (xd === 1) { axes.push(k + lead); continue; }
    if (typeof xd === 'number') continue;
    for (const o of others as Shape[]) {
      const j = k + lead - (r - o.length);
      if (j < 0 || o[j] === 1) continue;
      if (xd === null || o[j] !== xd) return undefined;
    }
  }
  return axes;
}

/**
 * The cotangent `g` of a broadcasting operator's output, reduced to the shape of its operand `x`.
 * `others` are the shapes of the operator's other operands.
 */
export function unbroadcast(e: Emitter, g: string, x: string, xShape: Shape | undefined, others: readonly (Shape | undefined)[]): string {
  const known = staticAxes(xShape, others);
  if (known) {
    if (known.length === 0) return g;
    const summed = e.reduceSum(g, known, true);
    if (xShape!.length === Math.max(xShape!.length, ...others.map((o) => o!.length))) return summed;
    return e.op('Reshape', [summed, xShape!.every((d) => typeof d === 'number') ? e.ints(xShape as number[]) : e.shape(x)]);
  }
  const knownOut = xShape && others.every((o) => o) ? Math.max(xShape.length, ...others.map((o) => o!.length)) : undefined;
  const sy = e.shape(g);
  const sx = e.shape(x);
  let padded = sx;
  if (knownOut === undefined || xShape!.length !== knownOut) {
    const lead = e.op('Sub', [e.op('Shape', [sy]), e.op('Shape', [sx])]);
    const ones = e.op('ConstantOfShape', [lead], { value: attr.tensor({ type: 'int64', dims: [1], data: BigInt64Array.from([1n]) }) });
    padded = e.op('Concat', [ones, sx], { axis: attr.int(0) });
  }
  const differs = e.op('Not', [e.op('Equal', [padded, sy])]);
  const axes = e.op('Reshape', [e.op('NonZero', [differs]), e.ints([-1])]);
  const summed = e.op('ReduceSum', [g, axes], { keepdims: attr.int(1), noop_with_empty_axes: attr.int(1) });
  return e.op('Reshape', [summed, sx]);
}
