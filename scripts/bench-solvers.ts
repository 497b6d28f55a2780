/**
 * `npm run bench:solvers`: every sampler × NFE 5 / 10 / 20 / 50 on the exact Gaussian oracle, and
 * the engine's own overhead per step on a 4×64×64 latent.
 *
 * Error: deterministic samplers — RMS distance to the exact probability-flow ODE solution at σ = 0
 * from the same start; stochastic samplers — the per-dimension 2-Wasserstein distance between the
 * Gaussian fitted to 2,000 samples and the data distribution, √((m − μ)² + (√v − s)²), averaged.
 * Grid: Karras et al. (ρ = 7) from σ = 80 to 0.002, then 0; the step count is the largest whose
 * model evaluations fit the NFE budget.
 * Overhead: wall time per step with a network that costs nothing (it returns a preallocated
 * output), through the real denoiser wrapper with classifier-free guidance on — everything the
 * engine does outside the model call. A timing, never an assertion: machines are noisy.
 */
import { performance } from 'node:perf_hooks';
import { makeDenoiser } from '../main/engine/denoiser.js';
import { gaussianOracle } from '../main/engine/oracle.js';
import { gaussian, seededNoise } from '../main/engine/random.js';
import { karrasSigmas } from '../main/engine/schedules.js';
import { SAMPLERS, type SamplerInfo } from '../main/engine/samplers/index.js';
import type { Denoiser } from '../main/engine/samplers/common.js';

const NFES = [5, 10, 20, 50];
const SIGMA_MAX = 80, SIGMA_MIN = 0.002;

async function countNfe(info: SamplerInfo, steps: number): Promise<number> {
  let n = 0;
  const model: Denoiser = async (x) => (n++, x.slice());
  await info.run(model, new Float64Array(1).fill(1), karrasSigmas(steps, SIGMA_MIN, SIGMA_MAX), { noise: seededNoise(1) });
  return n;
}

async function stepsFor(info: SamplerInfo, nfe: number): Promise<number | undefined> {
  let best: number | undefined;
  for (let steps = 1; steps <= nfe; steps++) {
    if ((await countNfe(info, steps)) <= nfe) best = steps;
    else break;
  }
  return best;
}

async function odeError(info: SamplerInfo, steps: number): Promise<number> {
  const oracle = gaussianOracle(16);
  const sigmas = karrasSigmas(steps, SIGMA_MIN, SIGMA_MAX);
  const x = oracle.marginal(SIGMA_MAX, 8, 21);
  const exact = oracle.exact(x, SIGMA_MAX, 0);
  const got = await info.run(oracle.denoiser, x.slice(), sigmas, { noise: seededNoise(2) });
  let e = 0;
  for (let j = 0; j < x.length; j++) e += (got[j] - exact[j]) ** 2;
  return Math.sqrt(e / x.length);
}

async function w2Error(info: SamplerInfo, steps: number): Promise<number> {
  const dim = 16, count = 2000;
  const oracle = gaussianOracle(dim);
  const sigmas = karrasSigmas(steps, SIGMA_MIN, SIGMA_MAX);
  const x = await info.run(oracle.denoiser, oracle.marginal(SIGMA_MAX, count, 22), sigmas, { noise: seededNoise(3) });
  let total = 0;
  for (let k = 0; k < dim; k++) {
    let m = 0, v = 0;
    for (let i = 0; i < count; i++) m += x[i * dim + k] / count;
    for (let i = 0; i < count; i++) v += (x[i * dim + k] - m) ** 2 / (count - 1);
    total += Math.sqrt((m - oracle.mu[k]) ** 2 + (Math.sqrt(v) - oracle.s[k]) ** 2);
  }
  return total / dim;
}

async function overheadMicros(info: SamplerInfo): Promise<number> {
  const shape = [1, 4, 64, 64];
  const size = 4 * 64 * 64;
  const out = gaussian(2 * size, 4);
  const denoiser = makeDenoiser(async () => out, { prediction: 'epsilon', shape, timestep: (s) => s, guidanceScale: 7 });
  const steps = 20;
  const sigmas = karrasSigmas(steps, 0.03, 14.6);
  const x0 = gaussian(size, 5);
  await info.run(denoiser, x0.slice(), sigmas, { noise: seededNoise(6) }); // warm up
  const reps = 5;
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) await info.run(denoiser, x0.slice(), sigmas, { noise: seededNoise(6) });
  return ((performance.now() - t0) * 1000) / (reps * steps);
}

const fmt = (v: number | undefined) => (v === undefined ? '—' : v < 1e-3 ? v.toExponential(2) : v.toFixed(4));

console.log(`Gaussian oracle (16 dims), Karras grid σ ${SIGMA_MAX} → ${SIGMA_MIN} → 0; overhead on a 4×64×64 latent with CFG.`);
console.log('ODE: RMS error vs the exact solution. SDE: mean per-dimension W2 to the data distribution (2,000 samples).\n');
const header = ['sampler', 'kind', ...NFES.map((n) => `NFE ${n}`), 'µs/step'];
console.log(`| ${header.join(' | ')} |`);
console.log(`|${header.map(() => '---').join('|')}|`);
for (const info of SAMPLERS) {
  const cells: string[] = [];
  for (const nfe of NFES) {
    const steps = await stepsFor(info, nfe);
    cells.push(steps === undefined ? '—' : fmt(info.stochastic ? await w2Error(info, steps) : await odeError(info, steps)));
  }
  console.log(`| ${info.name} | ${info.stochastic ? 'SDE' : 'ODE'} | ${cells.join(' | ')} | ${(await overheadMicros(info)).toFixed(0)} |`);
}
