/**
 * Adjoints of the element-wise operators (ONNX operator spec for each; derivatives as in
 * Griewank & Walther, "Evaluating Derivatives", 2008, Table 2.3 / §3.1). Binary operators broadcast,
 * so each operand's cotangent is reduced back to its own shape (broadcast.ts).
 */
import { DATA_TYPE, attr } from '../../builder.js';
import { unbroadcast } from '../broadcast.js';
import type { RuleContext, VjpRule } from '../rule.js';

/** The cotangent of output 0 (rules are only called where one exists). */
export const g0 = (c: RuleContext): string => c.gradOut(0)!;

/** `grad` reduced to the shape of input i, given the node's other broadcast operands. */
function toInput(c: RuleContext, grad: string, i: number, operands: readonly number[]): string {
  const others = operands.filter((k) => k !== i).map((k) => c.shape(c.inputs[k]));
  return unbroadcast(c.e, grad, c.inputs[i], c.shape(c.inputs[i]), others);
}

/** A unary rule: x̄ = ȳ · f'(x, y) with f' built by `deriv` from ȳ, x and y. */
const unary = (deriv: (c: RuleContext, g: string, x: string, y: string) => string): VjpRule => ({
  diff: [0],
  apply: (c) => [deriv(c, g0(c), c.inputs[0], c.outputs[0])],
});

const scalar = (c: RuleContext, v: number) => c.e.scalar(v, c.dtype(c.outputs[0]));

export const elementwiseRules: Record<string, VjpRule> = {
  Identity: unary((_c, g) => g),
  Neg: unary((c, g) => c.e.op('Neg', [g])),
  /** y = √x: x̄ = ȳ / (2y). */
  Sqrt: unary((c, g, _x, y) => c.e.op('Div', [g, c.e.op('Mul', [y, scalar(c, 2)])])),
  /** y = eˣ: x̄ = ȳ·y. */
  Exp: unary((c, g, _x, y) => c.e.op('Mul', [g, y])),
  /** y = ln x: x̄ = ȳ / x. */
  Log: unary((c, g, x) => c.e.op('Div', [g, x])),
  /** y = 1/x: x̄ = −ȳ·y². */
  Reciprocal: unary((c, g, _x, y) => c.e.op('Neg', [c.e.op('Mul', [g, c.e.op('Mul', [y, y])])])),
  /** y = σ(x): x̄ = ȳ·y·(1 − y). */
  Sigmoid: unary((c, g, _x, y) => c.e.op('Mul', [g, c.e.op('Mul', [y, c.e.op('Sub', [scalar(c, 1), y])])])),
  /** y = tanh x: x̄ = ȳ·(1 − y²). */
  Tanh: unary((c, g, _x, y) => c.e.op('Mul', [g, c.e.op('Sub', [scalar(c, 1), c.e.op('Mul', [y, y])])])),
  /** y = erf x: x̄ = ȳ · 2/√π · e^(−x²). */
  Erf: unary((c, g, x) => c.e.op('Mul', [g, c.e.op('Mul', [scalar(c, 2 / Math.sqrt(Math.PI)), c.e.op('Exp', [c.e.op('Neg', [c.e.op('Mul', [x, x])])])])])),
  Sin: unary((c, g, x) => c.e.op('Mul', [g, c.e.op('Cos', [x])])),
  Cos: unary((c, g, x) => c.e.op('Neg', [c.e.op('Mul', [g, c.e.op('Sin', [x])])])),
  /** y = max(x, 0): x̄ = ȳ where x > 0, else 0 (the subgradient 0 at x = 0, as PyTorch). */
  Relu: unary((c, g, x) => c.e.op('Where', [c.e.op('Greater', [x, scalar(c, 0)]), g, scalar(c, 0)])),
  /** |x|: x̄ = ȳ·sign(x). */
  Abs: unary((c, g, x) => c.e.op('Mul', [g, c.e.op('Sign', [x])])),
  /** Inference-mode Dropout is the identity on its first output. */
  Dropout: unary((_c, g) => g),
  /** Float-to-float Cast: the cotangent is cast back to the input's type (non-float inputs are not differentiated). */
  Cast: { diff: [0], apply: (c) => [c.e.op('Cast', [g0(c)], { to: attr.int(DATA_TYPE[c.dtype(c.inputs[0])]) })] },
  Add: { diff: 'all', apply: (c) => [0, 1].map((i) => (c.needs(i) ? toInput(c, g0(c), i, [0, 1]) : undefined)) },
  Sub: {
    diff: 'all',
    apply: (c) => [c.needs(0) ? toInput(c, g0(c), 0, [0, 1]) : undefined, c.needs(1) ? toInput(c, c.e.op('Neg', [g0(c)]), 1, [0, 1]) : undefined],
  },
  /** Sum of n operands: each gets ȳ, reduced to its shape. */
  Sum: { diff: 'all', apply: (c) => c.inputs.map((_, i) => (c.needs(i) ? toInput(c, g0(c), i, c.inputs.map((_x, k) => k)) : undefined)) },
  Mul: {
    diff: 'all',
    apply: (c) => [0, 1].map((i) => (c.needs(i) ? toInput(c, c.e.op('Mul', [g0(c), c.inputs[1 - i]]), i, [0, 1]) : undefined)),
  },
  /** y = a / b: ā = ȳ / b, b̄ = −ȳ·y / b. */
  Div: {
    diff: 'all',
    apply: (c) => {
      const ga = c.e.op('Div', [g0(c), c.inputs[1]]);
      return [
        c.needs(0) ? toInput(c, ga, 0, [0, 1]) : undefined,
        c.needs(1) ? toInput(c, c.e.op('Neg', [c.e.op('Mul', [ga, c.outputs[0]])]), 1, [0, 1]) : undefined,
      ];
    },
  },
  /** y = aᵇ: ā = ȳ·b·a^(b−1); b̄ = ȳ·y·ln a (only where the exponent depends on an input). */
  Pow: {
    diff: 'all',
    apply: (c) => {
      const [a, b] = c.inputs;
      const g = g0(c);
      const t = c.dtype(c.outputs[0]);
      const bb = c.e.index.elemType(b) === t ? b : c.e.op('Cast', [b], { to: attr.int(DATA_TYPE[t]) });
      const da = c.e.op('Mul', [bb, c.e.op('Pow', [a, c.e.op('Sub', [bb, scalar(c, 1)])])]);
      return [
        c.needs(0) ? toInput(c, c.e.op('Mul', [g, da]), 0, [0, 1]) : undefined,
        c.needs(1) ? toInput(c, c.e.op('Mul', [g, c.e.op('Mul', [c.outputs[0], c.e.op('Log', [a])])]), 1, [0, 1]) : undefined,
      ];
    },
  },
  /** y = c ? a : b: ā = ȳ where c (else 0), b̄ = ȳ where not c; each reduced to its operand's shape. */
  Where: {
    diff: [1, 2],
    apply: (c) => {
      const zero = scalar(c, 0);
      const g = g0(c);
      return [
        undefined,
        c.needs(1) ? toInput(c, c.e.op('Where', [c.inputs[0], g, zero]), 1, [0, 1, 2]) : undefined,
        c.needs(2) ? toInput(c, c.e.op('Where', [c.inputs[0], zero, g]), 2, [0, 1, 2]) : undefined,
      ];
    },
  },
  /** Expand broadcasts its input to a shape: the adjoint sums the repeated axes. */
  Expand: {
    diff: [0],
    apply: (c) => [unbroadcast(c.e, g0(c), c.inputs[0], c.shape(c.inputs[0]), [c.shape(c.outputs[0])])],
  },
};
