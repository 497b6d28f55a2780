/**
 * The sampler catalogue: every sampler the engine offers, under one name, with the paper it comes
 * from (and where it computes something other than the paper's formula, what it computes), its
 * convergence order as an ODE solver with the defaults bound here, and whether it injects noise.
 * The UI's sampler picker, the CLI's `--sampler`, the self-check and the benchmark read this list.
 * Stochastic samplers accept `opts.sde` (the mixed ODE–SDE window and mask); their ODE limit is noted.
 *
 * Orders (test/samplers/catalogue.test.ts measures every one): several updates are third order or
 * more, but a first-order warm-up step (every multistep method), a first-order last step (UniPC's
 * `lower_order_final`) or a first-order remainder group (singlestep third order when the step count
 * is not a multiple of 3) leaves an O(h²) global term. It is small where D barely moves (warm-up at
 * a large σ), so those methods show their step order at everyday step counts — the `paper` text
 * gives the measurement over 16–64 λ-uniform steps (σ 20 → 0.05, Gaussian oracle) — and `order`
 * is the one they reach as the steps grow.
 *
 * Where a step is giant (σ ratio above `GIANT_STEP_RATIO`, only on schedules whose σ_max is huge),
 * the higher-order families take their first-order step there; each sampler's docstring says how.
 */
import type { Sampler, SamplerOptions } from './common.js';
import { sampleDdim } from './ddim.js';
import { sampleDdpm } from './ddpm.js';
import { sampleDeis } from './deis.js';
import { sampleDpmSolver, sampleDpmSolverMultistep } from './dpm-solver.js';
import {
  sampleDpmpp2m, sampleDpmpp2mSde, sampleDpmpp2sAncestral, sampleDpmpp3m, sampleDpmpp3mSde, sampleDpmppSde, sampleDpmppSinglestep,
} from './dpmpp.js';
import { sampleEuler, sampleEulerAncestral, sampleHeun } from './euler.js';
import { sampleLcm } from './lcm.js';
import { sampleLms } from './lms.js';
import { sampleDpmpp2mMomentum } from './momentum.js';
import { samplePc } from './pc.js';
import { samplePndm } from './pndm.js';
import { sampleUniPc } from './unipc.js';

export interface SamplerInfo {
  /** Stable identifier, used in settings, the CLI and PNG metadata. */
  name: string;
  /** Display name (AUTOMATIC1111's naming where one exists). */
  label: string;
  /** Paper, and the equation or algorithm. */
  paper: string;
  /**
   * Convergence order of the deterministic solver, with the defaults bound here, on smooth
   * non-uniform grids as the steps grow (see the module comment), as the test suite measures it;
   * undefined for samplers that inject noise.
   */
  order?: number;
  stochastic: boolean;
  run: Sampler;
}

/** Fix some options of a sampler; the caller's options still apply to everything else. */
const bind = <O extends SamplerOptions>(sampler: (...a: Parameters<Sampler<O>>) => Promise<Float32Array | Float64Array>, fixed: Partial<O>): Sampler =>
  (model, x, sigmas, opts = {}) => sampler(model, x, sigmas, { ...opts, ...fixed } as O);

const ode = (name: string, label: string, paper: string, order: number, run: Sampler): SamplerInfo => ({ name, label, paper, order, stochastic: false, run });
const sde = (name: string, label: string, paper: string, run: Sampler): SamplerInfo => ({ name, label, paper, stochastic: true, run });

const LU22 = 'Lu et al. 2022, "DPM-Solver" (NeurIPS)';
const LU22B = 'Lu et al. 2022, "DPM-Solver++" (arXiv:2211.01095)';

export const SAMPLERS: readonly SamplerInfo[] = [
  ode('euler', 'Euler', 'Karras et al. 2022, "Elucidating the Design Space…" (NeurIPS), Alg. 2 without the correction', 1, sampleEuler),
  ode('heun', 'Heun', 'Karras et al. 2022 (NeurIPS), Alg. 1', 2, sampleHeun),
  ode('ddim', 'DDIM', 'Song, Meng & Ermon 2021, "DDIM" (ICLR), eq. 12 with η = 0', 1, bind(sampleDdim, { eta: 0 })),
  ode('lms', 'LMS', 'Variable-step 4-step Adams–Bashforth in σ (k-diffusion sample_lms; Karras et al. 2022, §3); warm-up orders 1–3 (measured 3.3 at 16–64 steps)', 2, sampleLms),
  ode('plms', 'PLMS', 'Liu et al. 2022, "PNDM" (ICLR), eq. 12 with a Heun warm-up; 4th order only on σ-uniform grids', 2, bind(samplePndm, { warmup: 'heun' })),
  ode('pndm', 'PNDM', 'Liu et al. 2022, "PNDM" (ICLR), eq. 12 with the pseudo Runge–Kutta warm-up', 2, bind(samplePndm, { warmup: 'prk' })),
  ode('dpm_solver_1', 'DPM-Solver-1', `${LU22}, eq. 3.7 (= DDIM)`, 1, bind(sampleDpmSolver, { order: 1 })),
  ode('dpm_solver_2', 'DPM-Solver-2', `${LU22}, Alg. 1 (singlestep; the stage at the grid's next level, r₁ = ½ on λ-uniform grids)`, 2, bind(sampleDpmSolver, { order: 2 })),
  ode('dpm_solver_3', 'DPM-Solver-3', `${LU22}, Alg. 2 (singlestep; stages at the grid's levels, r = ⅓, ⅔ on λ-uniform grids); third order at multiples of 3 steps (measured 3.4 at 16–64)`, 2, bind(sampleDpmSolver, { order: 3, middleStage: 'phi' })),
  ode('dpm_solver_2m', 'DPM-Solver 2M', `${LU22B}, §3.2 multistep applied to ε`, 2, bind(sampleDpmSolverMultistep, { order: 2 })),
  ode('dpmpp_2s', 'DPM++ 2S', `${LU22B}, Alg. 1`, 2, bind(sampleDpmpp2sAncestral, { eta: 0 })),
  ode('dpmpp_3s', 'DPM++ 3S', `${LU22B}, data-prediction singlestep third order as diffusers' DPMSolverSinglestepScheduler (midpoint middle stage, grid-grouped); third order at multiples of 3 steps (measured 2.9 at 16–64)`, 2, bind(sampleDpmppSinglestep, { order: 3 })),
  ode('dpmpp_2m', 'DPM++ 2M', `${LU22B}, Alg. 2`, 2, sampleDpmpp2m),
  // The third-order multistep weight shared by the reference implementations is half the Taylor
  // weight: second order in practice (test/samplers/dpmpp.test.ts). Kept for parity with other tools.
  ode('dpmpp_2m_hb', 'DPM++ 2M HB', 'Wizadwongsa et al. 2023, "Diffusion Sampling with Momentum for Mitigating Divergence Artifacts" (ICCV), heavy-ball momentum β = 0.8 on DPM++ 2M (Alg. 2); trades order for stability at few steps', 1, bind(sampleDpmpp2mMomentum, { beta: 0.8 })),
  ode('dpmpp_3m', 'DPM++ 3M', `${LU22B}, multistep third order (reference weight)`, 2, sampleDpmpp3m),
  ode('dpmpp_3m_exact', 'DPM++ 3M (Taylor weight)', `${LU22B}, multistep third order with the Taylor weight of D₂; first-order warm-up (measured 2.9 at 16–64 steps)`, 2, bind(sampleDpmpp3m, { thirdOrderWeight: 'taylor' })),
  ode('deis_2', 'DEIS 2', 'Zhang & Chen 2023, "DEIS" (ICLR), tAB-DEIS eq. 14, order 2', 2, bind(sampleDeis, { order: 2 })),
  ode('deis_3', 'DEIS 3', 'Zhang & Chen 2023, "DEIS" (ICLR), tAB-DEIS eq. 14, third order; first-order warm-up (measured 2.9 at 16–64 steps)', 2, bind(sampleDeis, { order: 3 })),
  ode('unipc_bh1', 'UniPC (bh1)', 'Zhao et al. 2023, "UniPC" (NeurIPS), Alg. 3 with B(h) = h, UniP-2 + UniC (third order); first-order warm-up and last step (measured 3.1 at 16–64 steps)', 2, bind(sampleUniPc, { order: 2, variant: 'bh1' })),
  ode('unipc_bh2', 'UniPC (bh2)', 'Zhao et al. 2023, "UniPC" (NeurIPS), Alg. 3 with B(h) = eʰ − 1, UniP-2 + UniC (third order); first-order warm-up and last step (measured 3.0 at 16–64 steps)', 2, bind(sampleUniPc, { order: 2, variant: 'bh2' })),
  sde('euler_a', 'Euler a', 'Ancestral Euler (k-diffusion); Song et al. 2021 DDIM eq. 16 in σ form', sampleEulerAncestral),
  sde('ddpm', 'DDPM', 'Ho, Jain & Abbeel 2020, "DDPM" (NeurIPS), Alg. 2', sampleDdpm),
  sde('dpmpp_2s_a', 'DPM++ 2S a', `${LU22B}, Alg. 1 with ancestral noise`, sampleDpmpp2sAncestral),
  sde('dpmpp_sde', 'DPM++ SDE', `${LU22B}, stochastic singlestep (k-diffusion sample_dpmpp_sde)`, sampleDpmppSde),
  sde('dpmpp_2m_sde', 'DPM++ 2M SDE', `${LU22B}, App. (SDE solver), second order`, sampleDpmpp2mSde),
  sde('dpmpp_3m_sde', 'DPM++ 3M SDE', `${LU22B}, App. (SDE solver), third order`, sampleDpmpp3mSde),
  sde('pc', 'Predictor–corrector', 'Song et al. 2021, "Score-Based Generative Modeling through SDEs" (ICLR), Alg. 2–3', samplePc),
  sde('lcm', 'LCM', 'Luo et al. 2023, "Latent Consistency Models", Alg. 3 (multistep consistency sampling)', sampleLcm),
];

export function samplerByName(name: string): SamplerInfo {
  const s = SAMPLERS.find((x) => x.name === name);
  if (!s) throw new RangeError(`unknown sampler "${name}"; available: ${SAMPLERS.map((x) => x.name).join(', ')}`);
  return s;
}
