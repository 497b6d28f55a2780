/**
 * The sampling loop with per-step hooks (layer 6 of the engine): any catalogue sampler, run over
 * a level list, with an awaited hook after every step that may replace the state, or rewind to an
 * earlier level and run the steps from there again — the time travel of DiffEditor (Mou et al.
 * 2024, §3.3) and "Universal Guidance"'s time-travel strategy (Bansal et al. 2023, §3.3), and the
 * per-step guidance and region holding of editing. The denoiser sees which step it serves
 * (`DenoiseContext`).
 *
 * A rewind re-enters the sampler at level `to` from the given state: the sampler starts afresh
 * there, so a multistep method's history restarts (its first step from a rewind is its warm-up
 * step). Noise for stochastic steps is drawn per absolute step and per visit — stream
 * `step + visit·levels` — so a redone step gets new noise and a run without rewinds draws exactly
 * what the sampler alone would.
 */
import type { NoiseSource } from '../random.js';
import type { Denoiser, Sampler, SamplerOptions, StepInfo, Vec } from './common.js';
import { checkSigmas, noiseOf } from './common.js';

/** What the hook asks for after a step: nothing, a replacement state, or a rewind. */
export type StepAction = void | { x: Vec } | { rewind: { to: number; x: Vec } };

export interface HookOptions extends SamplerOptions {
  /** Called (and awaited) after every step with the absolute step index; see `StepAction`. */
  afterStep?: (step: StepInfo) => StepAction | Promise<StepAction>;
  /** Upper bound on rewinds, against a hook that never stops rewinding. Default 1000. */
  maxRewinds?: number;
}

class Rewind {
  constructor(readonly to: number, readonly x: Vec) {}
}

/** Run `sampler` over `sigmas` with per-step hooks; returns the state at the last level. */
export async function sampleWithHooks<O extends SamplerOptions>(sampler: Sampler<O>, model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: O & HookOptions = {} as O & HookOptions): Promise<Vec> {
  checkSigmas(sigmas);
  const levels = Array.from(sigmas);
  const { afterStep, maxRewinds = 1000, callback, ...rest } = opts;
  const noise = noiseOf(opts);
  const visits = new Map<number, number>();
  let start = 0;
  let rewinds = 0;
  for (;;) {
    const offset = start;
    let current = offset;
    const stepModel: Denoiser = (v, sigma) => model(v, sigma, { step: current });
    const visitNoise: NoiseSource = (stream, like) => {
      const step = offset + stream;
      return noise(step + (visits.get(step) ?? 0) * levels.length, like);
    };
    try {
      return await sampler(stepModel, x, levels.slice(offset), {
        ...(rest as unknown as O),
        noise: visitNoise,
        callback: async (info) => {
          const step = { ...info, i: offset + info.i };
          visits.set(step.i, (visits.get(step.i) ?? 0) + 1);
          current = step.i + 1;
          const replaced = await callback?.(step);
          const action = await afterStep?.(replaced ? { ...step, x: replaced } : step);
          if (action && 'rewind' in action) {
            const { to, x: back } = action.rewind;
            if (!Number.isInteger(to) || to < 0 || to > step.i) throw new RangeError(`cannot rewind from step ${step.i} to level ${to}`);
            if (back.length !== info.x.length) throw new RangeError(`rewind state has ${back.length} values for a state of ${info.x.length}`);
            if (++rewinds > maxRewinds) throw new RangeError(`more than ${maxRewinds} rewinds`);
            throw new Rewind(to, back);
          }
          return action && 'x' in action ? action.x : replaced;
        },
      });
    } catch (e) {
      if (!(e instanceof Rewind)) throw e;
      start = e.to;
      x = e.x;
    }
  }
}
