/**
 * The UNet's decoder features as outputs of a derived model: what DiffEditor's region guidance
 * compares (Mou et al. 2024, "DiffEditor", §3.2; DragonDiffusion, Mou et al. 2023, §3.2 — the outputs
 * of the second and third up blocks of SD's UNet, at 1/2 and 1/1 of the latent's resolution).
 *
 * A block's output is found by the graph, not assumed: the one value produced inside the block's
 * nodes (names `/up_blocks.N/…`, as torch exports module paths) and read outside them — after the
 * block's upsampler where it has one. `tapFeatures` adds each as an output `features.up_blocks.N`
 * and, unless asked to keep it, drops everything the features do not need (the rest of the decoder
 * and `out_sample`): DiffEditor runs a separate UNet that stops after the features, which halves a
 * forward pass and the reverse pass built on it.
 */
import type { onnx } from 'onnx-proto';
import type { ElemType, OnnxModel } from '../builder.js';
import { outerReferences, subgraphsOf } from './graph.js';

export const featureOutput = (block: string): string => `features.${block}`;

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
  /** The graph output that carries it, [B, C, h, w]. */
  output: string;
}

/**
 * Add `features.<block>` outputs for `blocks` (default DiffEditor's) to `model`, in place; unless
 * `keepOutput`, remove `out_sample` and every node the features do not need. Inputs stay as they
 * are, so the derived model is fed exactly like the UNet.
 */
export function tapFeatures(model: OnnxModel, opts: { blocks?: readonly string[]; keepOutput?: boolean } = {}): FeatureTap[] {
  const graph = model.graph;
  const blocks = opts.blocks ?? diffEditorBlocks(upBlocks(graph));
  if (!blocks.length) throw new Error('the UNet has no up blocks named as diffusers exports them (/up_blocks.N/…)');
  const dtype: ElemType = model.outputs().find((o) => o.name === 'out_sample')?.type ?? 'float32';
  const taps = blocks.map((block) => {
    const value = blockOutput(graph, block);
    const output = featureOutput(block);
    model.opTo(output, 'Identity', [value]);
    model.addOutput(output, dtype, [null, null, null, null]);
    return { block, output };
  });
  if (!opts.keepOutput) {
    model.removeOutput('out_sample');
    prune(graph);
  }
  return taps;
}

/** Keep only the nodes (and initializers) some graph output depends on. */
function prune(graph: onnx.IGraphProto): void {
  const producer = new Map<string, onnx.INodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) if (o) producer.set(o, n);
  const needed = new Set<onnx.INodeProto>();
  const values = new Set<string>();
  const stack = (graph.output ?? []).map((o) => o.name ?? '');
  while (stack.length) {
    const v = stack.pop()!;
    if (!v || values.has(v)) continue;
    values.add(v);
    const n = producer.get(v);
    if (!n || needed.has(n)) continue;
    needed.add(n);
    stack.push(...(n.input ?? []), ...subgraphsOf(n).flatMap((g) => [...outerReferences(g)]));
  }
  graph.node = (graph.node ?? []).filter((n) => needed.has(n));
  graph.initializer = (graph.initializer ?? []).filter((t) => values.has(t.name ?? ''));
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => values.has(v.name ?? ''));
}
