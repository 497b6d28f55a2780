/**
 * The sampling loop with per-step hooks: with no hook it is the sampler itself, bit for bit; the
 * denoiser learns the step it serves; a rewind re-enters the level list and redoes the steps,
 * with fresh noise per visit; a runaway hook is stopped.
 */
import { describe, expect, it } from 'vitest';
import { gaussianOracle } from '../../main/engine/oracle.js';
import { seededNoise, fillGaussian } from '../../main/engine/random.js';
import { sampleWithHooks } from '../../main/engine/samplers/hooks.js';
import { samplerByName } from '../../main/engine/samplers/index.js';
import { sampleDdim } from '../../main/engine/samplers/ddim.js';
import { karras } from '../../main/engine/scheduler-config/tables.js';

const sigmas = [...karras(10, 0.002, 80), 0];
const start = (dim: number) => fillGaussian(new Float64Array(dim), 7).map((v) => v * 80);

describe('sampleWithHooks', () => {
  it.each(['ddim', 'dpmpp_2m', 'unipc_bh2', 'euler_a', 'dpmpp_2m_sde'])('without hooks equals %s alone, bit for bit', async (name) => {
    const o = gaussianOracle(16);
    const s = samplerByName(name).run;
    const a = await s(o.denoiser, start(16), sigmas, { noise: seededNoise(3) });
    const b = await sampleWithHooks(s, o.denoiser, start(16), sigmas, { noise: seededNoise(3) });
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
  });

  it('tells the denoiser which step it serves, and the hook the absolute step', async () => {
    const o = gaussianOracle(8);
    const seen: number[] = [];
    const hooked: number[] = [];
    await sampleWithHooks(samplerByName('heun').run, async (x, s, ctx) => { seen.push(ctx!.step); return o.denoiser(x, s); }, start(8), sigmas, {
      afterStep: ({ i }) => { hooked.push(i); },
    });
    expect(hooked).toEqual([...Array(10).keys()]);
    // Heun evaluates twice per step except the last (σ → 0).
    expect(seen).toEqual([...Array(10).keys()].flatMap((i) => (i < 9 ? [i, i] : [i])));
  });

  it('rewinds: steps after the rewind run again from the given state, with new noise on the redone step', async () => {
    const o = gaussianOracle(8);
    const visits: number[] = [];
    let rewound = false;
    const out = await sampleWithHooks(sampleDdim, o.denoiser, start(8), sigmas, {
      eta: 1,
      noise: seededNoise(5),
      afterStep: ({ i, x }) => {
        visits.push(i);
        if (i === 4 && !rewound) {
          rewound = true;
          return { rewind: { to: 2, x: x.map(() => 1) } };
        }
      },
    });
    expect(visits).toEqual([0, 1, 2, 3, 4, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The same result as running the tail from the rewound state with the noise of second visits.
    const tail = await sampleDdim(o.denoiser, new Float64Array(8).fill(1), sigmas.slice(2), {
      eta: 1,
      noise: (stream, like) => seededNoise(5)(2 + stream + (2 + stream <= 4 ? sigmas.length : 0), like),
    });
    expect(Array.from(out)).toEqual(Array.from(tail));
  });

  it('refuses a rewind forwards and stops a hook that never stops rewinding', async () => {
    const o = gaussianOracle(4);
    await expect(sampleWithHooks(sampleDdim, o.denoiser, start(4), sigmas, { afterStep: ({ i, x }) => (i === 1 ? { rewind: { to: 3, x } } : undefined) }))
      .rejects.toThrow(/cannot rewind from step 1 to level 3/);
    await expect(sampleWithHooks(sampleDdim, o.denoiser, start(4), sigmas, { maxRewinds: 5, afterStep: ({ i, x }) => (i === 2 ? { rewind: { to: 0, x } } : undefined) }))
      .rejects.toThrow(/more than 5 rewinds/);
  });
});
