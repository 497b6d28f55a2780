/**
 * Decoder features (main/engine/onnx/surgery/features.ts) on emoji-32's UNet (diffusers' module
 * names) and the SD-shaped attention test pack: the blocks found by the graph, and the features
 * model the VJP generator makes from them (no inputs differentiated: the UNet pruned to what the
 * features need) giving the same numbers as the values inside the whole UNet, in less time.
 */
import * as ort from 'onnxruntime-node';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OnnxModel } from '../../main/engine/onnx/builder.js';
import { blockOutput, diffEditorBlocks, featureTaps, upBlocks } from '../../main/engine/onnx/surgery/features.js';
import { cachedVjpModel } from '../../main/engine/onnx/vjp/cache.js';
import { gaussian } from '../../main/engine/random.js';
import { buildAttentionPack } from '../fixtures/attention-unets.js';

const EMOJI_UNET = new URL('../../models/packs/emoji-32/unet/model.onnx', import.meta.url).pathname;
const opts: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, intraOpNumThreads: 1 };

describe('decoder features of emoji-32', () => {
  it('finds the up blocks and DiffEditor\'s two; the pruned features model gives the values the whole UNet computes', async () => {
    const source = await OnnxModel.load(EMOJI_UNET);
    expect(upBlocks(source.graph)).toEqual(['up_blocks.0', 'up_blocks.1', 'up_blocks.2']);
    expect(diffEditorBlocks(upBlocks(source.graph))).toEqual(['up_blocks.0', 'up_blocks.1']);
    expect(blockOutput(source.graph, 'up_blocks.0')).toBe('/up_blocks.0/upsamplers.0/conv/Conv_output_0');
    expect(() => blockOutput(source.graph, 'up_blocks.9')).toThrow(/no nodes named \/up_blocks\.9\//);
    const taps = featureTaps(source.graph);
    expect(taps).toEqual([
      { block: 'up_blocks.0', output: '/up_blocks.0/upsamplers.0/conv/Conv_output_0' },
      { block: 'up_blocks.1', output: '/up_blocks.1/upsamplers.0/conv/Conv_output_0' },
    ]);

    const feeds = {
      sample: new ort.Tensor('float32', gaussian(2 * 3 * 32 * 32, 1), [2, 3, 32, 32]),
      timestep: new ort.Tensor('float32', new Float32Array([400, 400]), [2]),
      encoder_hidden_states: new ort.Tensor('float32', gaussian(2 * 77 * 128, 2).map((v) => 0.3 * v), [2, 77, 128]),
    };
    // The values inside the whole UNet: the same graph with them as extra outputs.
    const whole = await OnnxModel.load(EMOJI_UNET);
    for (const t of taps) whole.addOutput(t.output, 'float32', [null, null, null, null]);
    const ws = await ort.InferenceSession.create(await whole.toBytes(), opts);
    const want = await ws.run(feeds);

    const dataDir = await mkdtemp(join(tmpdir(), 'driftline-features-'));
    const pruned = await cachedVjpModel(EMOJI_UNET, { wrt: [], output: taps.map((t) => t.output) }, { dataDir });
    expect(pruned.info.backwardNodes).toBe(0);
    const m = await OnnxModel.load(pruned.file);
    expect(m.graph.node!.length).toBeLessThan(source.graph.node!.length - 66); // up_blocks.2 (66 nodes) and the output head go
    expect(m.graph.node!.some((n) => (n.name ?? '').startsWith('/up_blocks.2/'))).toBe(false);
    const ps = await ort.InferenceSession.create(pruned.file, opts);
    const unread = Object.fromEntries(ps.inputMetadata.filter((i) => i.name.startsWith('grad.')).map((i) => {
      const dims = (i as { shape: readonly (number | string)[] }).shape.map((d) => (typeof d === 'number' ? d : 1));
      return [i.name, new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims)];
    }));
    const got = await ps.run({ ...feeds, ...unread });
    expect(got[taps[0].output].dims).toEqual([2, 96, 16, 16]);
    expect(got[taps[1].output].dims).toEqual([2, 64, 32, 32]);
    for (const t of taps) expect(got[t.output].data).toEqual(want[t.output].data);
    await ws.release();
    await ps.release();
  });

  it('an SD-shaped pack of two up blocks taps the first', async () => {
    const dir = await buildAttentionPack(await mkdtemp(join(tmpdir(), 'driftline-features-')), { form: 'unfused' });
    const m = await OnnxModel.load(join(dir, 'unet', 'model.onnx'));
    expect(featureTaps(m.graph).map((t) => t.block)).toEqual(['up_blocks.0']);
  });

  it('a UNet without diffusers\' module names is refused with the reason', () => {
    const m = OnnxModel.create();
    m.addInput('x', 'float32', [1]);
    m.opTo('out_sample', 'Identity', ['x']);
    m.addOutput('out_sample', 'float32', [1]);
    expect(() => featureTaps(m.graph)).toThrow(/no up blocks named as diffusers exports them/);
  });
});
