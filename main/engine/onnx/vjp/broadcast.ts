/**
 * Reducing a cotangent back to the shape of a broadcast operand. Under numpy broadcasting (ONNX
 * "Broadcasting in ONNX", onnx/docs/Broadcasting.md) an operand of shape s is aligned to the right
 * of the output shape and repeated along its missing leading axes and its size-1 axes; the adjoint
 * of that repetition is a sum over those axes (Griewank & Walther 2008, §3.1: a copied value's
 * adjoint is the sum of its copies' adjoints).
 *
 * Statically, where the known dims prove the operand already has the output's shape, the cotangent
 * passes through; with a fully known operand shape the axes are constants; otherwise they are
 * computed at run time from Shape: the axes where the operand's shape (padded with leading 1s to
 * the output's rank) differs from the output's, summed with ReduceSum (noop_with_empty_axes = 1,
 * so an empty list is the identity) and reshaped to Shape(operand).
 */
import type { Emitter } from './emit.js';
import type { Shape } from './ranks.js';
import { attr } from '../builder.js';

/** Whether `x` provably has the broadcast shape of `x` and `others` (shapes known statically). */
function coversOthers(x: Shape | undefined, others: readonly (Shape | undefined)[]): boolean {
  if (!x) return false;
  for (const o of others) {
    if (!o || o.length > x.length) return false;
    for (let k = 1; k <= o.length; k++) {
      const od = o[o.length - k], xd = x[x.length - k];
      if (od === 1) continue;
      if (od === null || xd === null || od !== xd) return false;
    }
  }
  return true;
}

/**
 * The cotangent `g` of a broadcasting operator's output, reduced to the shape of its operand `x`.
 * `others` are the shapes of the operator's other operands (for the static shortcut).
 */
export function unbroadcast(e: Emitter, g: string, x: string, xShape: Shape | undefined, others: readonly (Shape | undefined)[]): string {
  if (coversOthers(xShape, others)) return g;
  const knownOut = xShape && others.every((o) => o) ? Math.max(xShape.length, ...others.map((o) => o!.length)) : undefined;
  if (xShape && knownOut !== undefined && xShape.every((d) => d !== null)) {
    const lead = knownOut - xShape.length;
    const axes = [...Array.from({ length: lead }, (_, k) => k), ...xShape.flatMap((d, k) => (d === 1 ? [k + lead] : []))];
    if (axes.length === 0) return g;
    return e.op('Reshape', [e.reduceSum(g, axes, true), e.ints(xShape as number[])]);
  }
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
