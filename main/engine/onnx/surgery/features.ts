/**
 * The UNet's decoder features as outputs of a derived model: what DiffEditor's region guidance
 * compares (Mou et al. 2024, "DiffEditor", §3.2; DragonDiffusion, Mou et al. 2023, §3.2 — the outputs
 * of the second and third up blocks of SD's UNet, at 1/2 and 1/1 of the latent's resolution).
 *
 * A block's output is found by the graph, not assumed: the one value produced inside the block's
 * nodes (names `/up_blocks.N/…`, as torch exports module paths) and read outside them — after the
 * block's upsampler where it has one. The VJP generator (`../vjp`) makes the models that return
 * them: with no inputs to differentiate, the UNet pruned to what the features need (DiffEditor runs
 * a separate UNet that stops after them); with `sample`, their vector–Jacobian product.
 */
import type { onnx } from 'onnx-proto';
import { outerReferences, subgraphsOf } from './graph.js';

/** The up blocks the export names, in order (`up_blocks.0`, `up_blocks.1`, …). */
export function upBlocks(graph: onnx.IGraphProto): string[] {
  const found = new Set<number>();
  for (const n of graph.node ?? []) {
    const m = /^\/up_blocks\.(\d+)\//.exec(n.name ?? '');
    if (m) found.add(Number(m[1]));
  }
  return [...found].sort((a, b) => a - b).map((i) => `up_blocks.${i}`);
}

/**
 * DiffEditor's choice for a UNet of n up blocks: blocks n − 3 and n − 2 (SD's four: 1 and 2); with
 * fewer than three, the first and the second-to-last (so the last block, which maps to the output,
 * is never the only one).
 */
export function diffEditorBlocks(blocks: readonly string[]): string[] {
  const n = blocks.length;
  if (n >= 3) return [blocks[n - 3], blocks[n - 2]];
  return n === 2 ? [blocks[0]] : [];
}

/** The one value a block hands on: produced by the block's nodes and read by a node outside it (or a graph output). */
export function blockOutput(graph: onnx.IGraphProto, block: string): string {
  const prefix = `/${block}/`;
  const inside = (n: onnx.INodeProto) => (n.name ?? '').startsWith(prefix);
  const produced = new Set<string>();
  for (const n of graph.node ?? []) if (inside(n)) for (const o of n.output ?? []) if (o) produced.add(o);
  if (!produced.size) throw new Error(`the UNet has no nodes named ${prefix}…`);
  const handed = new Set<string>();
  for (const n of graph.node ?? []) {
    if (inside(n)) continue;
    for (const i of [...(n.input ?? []), ...subgraphsOf(n).flatMap((g) => [...outerReferences(g)])]) if (produced.has(i)) handed.add(i);
  }
  for (const o of graph.output ?? []) if (produced.has(o.name ?? '')) handed.add(o.name ?? '');
  if (handed.size !== 1) throw new Error(`${block} hands on ${handed.size} values (${[...handed].slice(0, 4).join(', ')}); expected one`);
  return [...handed][0];
}

export interface FeatureTap {
  block: string;
  /** The graph value that carries it, [B, C, h, w]. */
  output: string;
}

/** The values of `blocks` (default DiffEditor's) in the UNet's graph. */
export function featureTaps(graph: onnx.IGraphProto, blocks?: readonly string[]): FeatureTap[] {
  const chosen = blocks ?? diffEditorBlocks(upBlocks(graph));
  if (!chosen.length) throw new Error('the UNet has no up blocks named as diffusers exports them (/up_blocks.N/…)');
  return chosen.map((block) => ({ block, output: blockOutput(graph, block) }));
}
