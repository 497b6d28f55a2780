/**
 * The sampler catalogue: every sampler the engine offers, under one name, with the paper it comes
 * from, its order as an ODE solver, and whether it injects noise. The UI's sampler picker, the CLI's
 * `--sampler` and the benchmark read this list.
 */
import type { Sampler, SamplerOptions } from './common.js';
import { sampleDdim } from './ddim.js';
import { sampleEuler, sampleEulerAncestral, sampleHeun } from './euler.js';

export interface SamplerInfo {
  /** Stable identifier, used in settings and PNG metadata. */
  name: string;
  /** Human-readable name, as AUTOMATIC1111-style metadata writes it. */
  label: string;
  paper: string;
  /** Convergence order of the deterministic solver (undefined for purely stochastic samplers). */
  order?: number;
  stochastic: boolean;
  run: Sampler;
}

const bind = <O extends SamplerOptions>(sampler: Sampler<O>, fixed: Partial<O>): Sampler =>
  (model, x, sigmas, opts = {}) => sampler(model, x, sigmas, { ...opts, ...fixed } as O);

export const SAMPLERS: readonly SamplerInfo[] = [
  { name: 'ddim', label: 'DDIM', paper: 'Song, Meng & Ermon 2021 (ICLR), eq. 12 with η = 0', order: 1, stochastic: false, run: bind(sampleDdim, { eta: 0 }) },
  { name: 'ddim_eta', label: 'DDIM η=1', paper: 'Song, Meng & Ermon 2021 (ICLR), eq. 12/16', stochastic: true, run: bind(sampleDdim, { eta: 1 }) },
  { name: 'euler', label: 'Euler', paper: 'Karras et al. 2022 (NeurIPS), Alg. 2 (Euler step)', order: 1, stochastic: false, run: sampleEuler },
  { name: 'euler_a', label: 'Euler a', paper: 'Karras et al. 2022; k-diffusion ancestral step', stochastic: true, run: sampleEulerAncestral },
  { name: 'heun', label: 'Heun', paper: 'Karras et al. 2022 (NeurIPS), Alg. 1', order: 2, stochastic: false, run: sampleHeun },
];

export function samplerByName(name: string): SamplerInfo {
  const s = SAMPLERS.find((x) => x.name === name);
  if (!s) throw new RangeError(`unknown sampler "${name}"; available: ${SAMPLERS.map((x) => x.name).join(', ')}`);
  return s;
}
