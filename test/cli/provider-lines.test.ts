/** The CLI says which execution providers a job ran on once and short; `--verbose` gives every reason in full. */
import { describe, expect, it } from 'vitest';
import { providerLines } from '../../main/cli/args.js';

const missing = 'its binaries are not installed (install the CUDA 12 binaries: ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node)';
const noAdapter = 'failed to create: Failed to get a WebGPU adapter: No supported adapters (needs a GPU with a Vulkan, Metal or D3D12 driver)';
const skipped = [{ provider: 'cuda', reason: missing }, { provider: 'webgpu', reason: noAdapter }];
const report = [
  { component: 'text_encoder', provider: 'cpu', skipped },
  { component: 'unet', provider: 'cpu', skipped },
  { component: 'vae_decoder', provider: 'webgpu', skipped: [] },
];

describe('provider lines', () => {
  it('group components by provider and name each passed-over provider once, with the short reason', () => {
    expect(providerLines(report)).toEqual([
      'text_encoder, unet: cpu; vae_decoder: webgpu · not used: cuda (its binaries are not installed), webgpu (failed to create: Failed to get a WebGPU adapter: No supported adapters) — --verbose for why in full',
    ]);
    expect(providerLines([{ component: 'unet', provider: 'cuda', skipped: [] }])).toEqual(['unet: cuda']);
  });

  it('give every component and every reason in full when asked', () => {
    const lines = providerLines(report, true);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`text_encoder: cpu (skipped cuda: ${missing}; webgpu: ${noAdapter})`);
    expect(lines[2]).toBe('vae_decoder: webgpu');
  });
});
