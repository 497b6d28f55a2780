/**
 * Decoder features as outputs (main/engine/onnx/surgery/features.ts), on emoji-32's UNet (diffusers'
 * module names) and the SD-shaped attention test pack: the blocks found by the graph, the features
 * the same numbers whether the rest of the UNet is kept or pruned away, `out_sample` untouched when
 * kept, and the pruned model smaller.
 */
import * as ort from 'onnxruntime-node';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OnnxModel } from '../../main/engine/onnx/builder.js';
import { blockOutput, diffEditorBlocks, featureOutput, tapFeatures, upBlocks } from '../../main/engine/onnx/surgery/features.js';
import { gaussian } from '../../main/engine/random.js';
import { buildAttentionPack } from '../fixtures/attention-unets.js';

const EMOJI_UNET = new URL('../../models/packs/emoji-32/unet/model.onnx', import.meta.url).pathname;
const opts: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, intraOpNumThreads: 1 };

async function run(model: OnnxModel, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(await model.toBytes(), opts);
  try {
    return (await s.run(feeds)) as Record<string, ort.Tensor>;
  } finally {
    await s.release();
  }
}

describe('decoder features of emoji-32', () => {
  it('finds the up blocks and DiffEditor\'s two, taps them, and prunes what they do not need', async () => {
    const source = await OnnxModel.load(EMOJI_UNET);
    expect(upBlocks(source.graph)).toEqual(['up_blocks.0', 'up_blocks.1', 'up_blocks.2']);
    expect(diffEditorBlocks(upBlocks(source.graph))).toEqual(['up_blocks.0', 'up_blocks.1']);
    expect(blockOutput(source.graph, 'up_blocks.0')).toBe('/up_blocks.0/upsamplers.0/conv/Conv_output_0');
    expect(() => blockOutput(source.graph, 'up_blocks.9')).toThrow(/no nodes named \/up_blocks\.9\//);

    const feeds = {
      sample: new ort.Tensor('float32', gaussian(2 * 3 * 32 * 32, 1), [2, 3, 32, 32]),
      timestep: new ort.Tensor('float32', new Float32Array([400, 400]), [2]),
      encoder_hidden_states: new ort.Tensor('float32', gaussian(2 * 77 * 128, 2).map((v) => 0.3 * v), [2, 77, 128]),
    };
    const plain = await run(source, feeds);
    const kept = await OnnxModel.load(EMOJI_UNET);
    const taps = tapFeatures(kept, { keepOutput: true });
    expect(taps.map((t) => t.output)).toEqual([featureOutput('up_blocks.0'), featureOutput('up_blocks.1')]);
    const withAll = await run(kept, feeds);
    expect(withAll.out_sample.data).toEqual(plain.out_sample.data);

    const pruned = await OnnxModel.load(EMOJI_UNET);
    tapFeatures(pruned);
    expect(pruned.outputs().map((o) => o.name)).toEqual(taps.map((t) => t.output));
    expect(pruned.graph.node!.length).toBeLessThan(source.graph.node!.length - 66); // up_blocks.2 (66 nodes) and the output head go
    expect(pruned.graph.node!.some((n) => (n.name ?? '').startsWith('/up_blocks.2/'))).toBe(false);
    const only = await run(pruned, feeds);
    expect(only[taps[0].output].dims).toEqual([2, expect.any(Number), 16, 16]);
    expect(only[taps[1].output].dims).toEqual([2, expect.any(Number), 32, 32]);
    for (const t of taps) expect(only[t.output].data).toEqual(withAll[t.output].data);
  });

  it('an SD-shaped pack of two up blocks taps the first', async () => {
    const dir = await buildAttentionPack(await mkdtemp(join(tmpdir(), 'driftline-features-')), { form: 'unfused' });
    const m = await OnnxModel.load(join(dir, 'unet', 'model.onnx'));
    expect(tapFeatures(m).map((t) => t.block)).toEqual(['up_blocks.0']);
  });

  it('a UNet without diffusers\' module names is refused with the reason', () => {
    const m = OnnxModel.create();
    m.addInput('x', 'float32', [1]);
    m.opTo('out_sample', 'Identity', ['x']);
    m.addOutput('out_sample', 'float32', [1]);
    expect(() => tapFeatures(m)).toThrow(/no up blocks named as diffusers exports them/);
  });
});
