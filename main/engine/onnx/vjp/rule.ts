/**
 * What a gradient rule sees and returns. A rule is the adjoint of one operator (Griewank & Walther,
 * "Evaluating Derivatives", 2nd ed. 2008, ch. 3: the reverse mode propagates adjoints
 * x̄ᵢ += ȳ · ∂y/∂xᵢ through each elemental operation, in the opposite order of evaluation): given the
 * cotangents of the node's outputs it emits nodes that compute the cotangents of its inputs, reading
 * the forward values it needs by name — they are computed once, in the same graph.
 */
import type { onnx } from 'onnx-proto';
import type { Emitter, FloatType } from './emit.js';
import type { Shape } from './shapes.js';

export interface RuleContext {
  readonly e: Emitter;
  readonly node: onnx.INodeProto;
  readonly opset: number;
  /** The node's inputs, omitted optional ones as ''. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Cotangent of output i, or undefined where nothing downstream depends on it. */
  gradOut(i: number): string | undefined;
  /** Whether input i needs a cotangent (it depends on an input being differentiated). */
  needs(i: number): boolean;
  /** Element type of a forward value (float32 where the graph does not say). */
  dtype(name: string): FloatType;
  /** Rank of a forward value; throws VjpUnsupported where it cannot be told statically. */
  rank(name: string): number;
  /** Statically known shape of a forward value (dims may be null), if any. */
  shape(name: string): Shape | undefined;
  /** The constant integer contents of an input (a Reshape target, axes), if it is a constant. */
  ints(name: string): number[] | undefined;
  /** The constant float contents of an input (Resize scales), if it is an inline constant. */
  floats(name: string): number[] | undefined;
  /** Fail with VjpUnsupported naming this node. */
  unsupported(detail: string): never;
}

/** Cotangents of the node's inputs by position; undefined where none is produced. */
export type InputGrads = (string | undefined)[];

export interface VjpRule {
  /** Input positions through which the operator is differentiable (others: shapes, axes, indices, conditions). */
  readonly diff: readonly number[] | 'all';
  apply(c: RuleContext): InputGrads;
}
