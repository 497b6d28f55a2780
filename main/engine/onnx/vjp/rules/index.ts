/**
 * The gradient rule table: operator type → its adjoint, keyed by the type for the default ONNX
 * domain and by 'domain.type' for others ('com.microsoft.MultiHeadAttention'). An operator missing
 * here stops the generator with VjpUnsupported where it lies between a differentiated input and
 * the output.
 */
import type { VjpRule } from '../rule.js';
import { attentionRules } from './attention.js';
import { elementwiseRules } from './elementwise.js';
import { linearRules } from './linear.js';
import { normRules } from './norm.js';
import { shapeRules } from './shape.js';

export const RULES: Readonly<Record<string, VjpRule>> = { ...elementwiseRules, ...shapeRules, ...linearRules, ...normRules, ...attentionRules };

/** The table's key of a node's operator. */
export const ruleKey = (n: { opType?: string | null; domain?: string | null }): string =>
  n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType ?? ''}` : n.opType ?? '';

/**
 * Operators whose outputs carry no derivative: shapes, sizes, index and comparison results, and
 * piecewise-constant functions (their derivative is zero wherever it exists). Values they produce
 * are constants to the backward pass.
 */
export const NON_DIFFERENTIABLE: ReadonlySet<string> = new Set([
  'Shape', 'Size', 'ConstantOfShape', 'Range', 'NonZero', 'ArgMax', 'ArgMin', 'Equal', 'Less', 'LessOrEqual', 'Greater',
  'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf', 'Floor', 'Ceil', 'Round', 'Sign', 'Constant', 'EyeLike',
  'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Bernoulli', 'Multinomial', 'OneHot',
]);
