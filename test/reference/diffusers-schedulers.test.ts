/**
 * diffusers' scheduler test suite, reproduced through `planFromConfig` + `makeDenoiser`.
 *
 * Every deterministic full-loop value published in `tests/schedulers/test_scheduler_*.py`
 * (huggingface/diffusers at 58eb52c, verified by running it; /tmp/research/diffusers-ref.md §0)
 * is recomputed here with the engine: the test's config is validated and planned, the dummy model
 * `sample·t/(t + 1)` (in float32, t cast to float32 as the test's model does) is wrapped by
 * `makeDenoiser` with the plan's denoiser options, and the plan runs from `dummy_sample_deter`.
 * The assertion is the reference's own: |sum|x| − expected| and |mean|x| − expected| below the
 * test's tolerance, over the VP sample the reference returns.
 *
 * The harness, not the product, reproduces what the test loops themselves do:
 * - Euler / Heun / LMS loops feed `scale_model_input`'s output back as the state
 *   (`sample = scheduler.scale_model_input(sample, t)`), so every step starts from x/√(σ² + 1)
 *   and the model sees that state directly (not α·x). The harness divides the state by
 *   √(σ² + 1) in the step callback (and the initial state), and the network wrapper undoes the
 *   denoiser's α so the model sees the state. Heun's second stage is scaled the same way (the
 *   loop calls `scale_model_input` before it too) through a denoiser wrapper.
 * - `*_with_noise` tests start mid-schedule from `add_noise` (computed in float32 as the
 *   scheduler does) with `plan.startingAt(k)`, k = `t_start·scheduler.order`.
 * - LMS started mid-schedule (`test_full_loop_with_noise`) applies 4th-order coefficients to the
 *   one or two derivatives it has: the harness runs the whole plan with a zero derivative on the
 *   steps the test skipped (the reference's missing history), which is exactly that truncation.
 * - `test_switch` passes the config through other classes with `from_config`; diffusers keeps
 *   the keys a class does not read, so the harness merges each class's validated config into the
 *   accumulated dictionary. (UniPC's and DEIS's `full_loop` ignore the scheduler passed in, so their
 *   test_switch is the default loop twice.)
 *
 * Not reproduced, by design: the stochastic tests draw `torch.randn` from torch's CPU generator
 * (`torch.manual_seed(0)`: mt19937 with torch's 16-wide Box–Muller, §3.3) — DDPM's three full
 * loops, EulerAncestral's four and LCM's multistep loop. The engine's noise is Philox (portable and
 * counter-based, `random.ts`); matching torch's stream would test a torch RNG emulation, not the
 * samplers. DPMSolverSDE (torchsde's Brownian tree) and EDMDPMSolverMultistep (EDM σ
 * preconditioning, not a diffusers VP config class here) are out of scope too.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { makeDenoiser, type Network } from '../../main/engine/denoiser.js';
import type { Denoiser, StepInfo, Vec } from '../../main/engine/samplers/common.js';
import {
  parseSchedulerConfig, planFromConfig, stringifySchedulerConfig, validateSchedulerConfig, type SchedulerPlan,
} from '../../main/engine/scheduler-config/index.js';

const f32 = Math.fround;

/** `dummy_sample_deter` (and `dummy_noise_deter` with `flip`) in logical row-major [B, C, …] order. */
function dummy(shape: readonly number[], flip = false): Float64Array {
  const [b, c, ...rest] = shape;
  const inner = rest.reduce((p, d) => p * d, 1);
  const total = b * c * inner;
  const out = new Float64Array(total);
  for (let bi = 0; bi < b; bi++) {
    for (let ci = 0; ci < c; ci++) {
      for (let k = 0; k < inner; k++) {
        const n = (ci * inner + k) * b + bi; // arange reshaped to (C, …, B), permuted to (B, C, …)
        out[(bi * c + ci) * inner + k] = f32((flip ? total - 1 - n : n) / total);
      }
    }
  }
  return out;
}

/** The test's `dummy_model`: sample·t/(t + 1) in float32, t cast to float32. */
const dummyModel: Network = async (x, t) => {
  const tt = f32(t);
  const denom = f32(tt + 1);
  return x.data.map((v) => f32(f32(v * tt) / denom));
};

interface Case {
  /** `file::Class::test` of the reference. */
  ref: string;
  config: Record<string, unknown>;
  steps: number;
  /** The reference test loop: VP state as returned by `step`, or the Euler-family scaled-state loop. */
  loop?: 'vp' | 'scaled';
  /** Start at this level index (`timesteps[start:]`), from `add_noise` unless `clean`. */
  start?: number;
  /** Start mid-schedule from the clean sample (DPM-Solver's test_full_uneven_loop). */
  clean?: boolean;
  /** A known, explained divergence: asserted with `it.fails`. */
  fails?: string;
  shape?: number[];
  sum?: [number, number];
  mean: [number, number];
  /** A second assertion set (test_switch after the from_config round trip). */
  switchChain?: string[];
}

const DDIM = { _class_name: 'DDIMScheduler', num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear', clip_sample: true };
const DDIM_INV = { ...DDIM, _class_name: 'DDIMInverseScheduler' };
const DPM_MULTI = {
  _class_name: 'DPMSolverMultistepScheduler', num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear',
  solver_order: 2, prediction_type: 'epsilon', thresholding: false, sample_max_value: 1.0, algorithm_type: 'dpmsolver++',
  solver_type: 'midpoint', lower_order_final: false, euler_at_final: false, lambda_min_clipped: -Infinity, variance_type: null,
  final_sigmas_type: 'sigma_min',
};
const DPM_SINGLE = {
  _class_name: 'DPMSolverSinglestepScheduler', num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear',
  solver_order: 2, prediction_type: 'epsilon', thresholding: false, sample_max_value: 1.0, algorithm_type: 'dpmsolver++',
  solver_type: 'midpoint', lambda_min_clipped: -Infinity, variance_type: null, final_sigmas_type: 'sigma_min',
};
const UNIPC = {
  _class_name: 'UniPCMultistepScheduler', num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear',
  solver_order: 2, solver_type: 'bh2', final_sigmas_type: 'sigma_min',
};
const DEIS = { _class_name: 'DEISMultistepScheduler', num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear', solver_order: 2 };
const K1100 = { num_train_timesteps: 1100, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' };
const EULER = { _class_name: 'EulerDiscreteScheduler', ...K1100 };
const HEUN = { _class_name: 'HeunDiscreteScheduler', ...K1100 };
const LMS = { _class_name: 'LMSDiscreteScheduler', ...K1100 };
const PNDM = { _class_name: 'PNDMScheduler', num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' };
const LCM = { _class_name: 'LCMScheduler', num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', prediction_type: 'epsilon' };
const V = { prediction_type: 'v_prediction' };
const S = 1e-2, M = 1e-3;

const CASES: Case[] = [
  // tests/schedulers/test_scheduler_ddim.py
  { ref: 'test_scheduler_ddim::DDIMSchedulerTest::test_full_loop_no_noise', config: DDIM, steps: 10, sum: [172.0067, S], mean: [0.223967, M] },
  { ref: 'test_scheduler_ddim::DDIMSchedulerTest::test_full_loop_with_v_prediction', config: { ...DDIM, ...V }, steps: 10, sum: [52.5302, S], mean: [0.0684, M] },
  { ref: 'test_scheduler_ddim::DDIMSchedulerTest::test_full_loop_with_set_alpha_to_one', config: { ...DDIM, set_alpha_to_one: true, beta_start: 0.01 }, steps: 10, sum: [149.8295, S], mean: [0.1951, M] },
  { ref: 'test_scheduler_ddim::DDIMSchedulerTest::test_full_loop_with_no_set_alpha_to_one', config: { ...DDIM, set_alpha_to_one: false, beta_start: 0.01 }, steps: 10, sum: [149.0784, S], mean: [0.1941, M] },
  { ref: 'test_scheduler_ddim::DDIMSchedulerTest::test_full_loop_with_noise', config: DDIM, steps: 10, start: 8, sum: [354.5418, S], mean: [0.4616, M] },
  // tests/schedulers/test_scheduler_ddim_inverse.py
  { ref: 'test_scheduler_ddim_inverse::DDIMInverseSchedulerTest::test_full_loop_no_noise', config: DDIM_INV, steps: 10, sum: [671.6816, S], mean: [0.8746, M] },
  { ref: 'test_scheduler_ddim_inverse::DDIMInverseSchedulerTest::test_full_loop_with_v_prediction', config: { ...DDIM_INV, ...V }, steps: 10, sum: [1394.2185, S], mean: [1.8154, M] },
  { ref: 'test_scheduler_ddim_inverse::DDIMInverseSchedulerTest::test_full_loop_with_set_alpha_to_one', config: { ...DDIM_INV, set_alpha_to_one: true, beta_start: 0.01 }, steps: 10, sum: [539.9622, S], mean: [0.7031, M] },
  { ref: 'test_scheduler_ddim_inverse::DDIMInverseSchedulerTest::test_full_loop_with_no_set_alpha_to_one', config: { ...DDIM_INV, set_alpha_to_one: false, beta_start: 0.01 }, steps: 10, sum: [542.6722, S], mean: [0.7066, M] },
  // tests/schedulers/test_scheduler_dpm_multi.py
  { ref: 'test_scheduler_dpm_multi::DPMSolverMultistepSchedulerTest::test_full_loop_no_noise', config: DPM_MULTI, steps: 10, mean: [0.3301, M] },
  { ref: 'test_scheduler_dpm_multi::DPMSolverMultistepSchedulerTest::test_full_loop_with_noise', config: DPM_MULTI, steps: 10, start: 5, sum: [318.4111, S], mean: [0.4146, M] },
  { ref: 'test_scheduler_dpm_multi::DPMSolverMultistepSchedulerTest::test_full_loop_no_noise_thres', config: { ...DPM_MULTI, thresholding: true, dynamic_thresholding_ratio: 0.87, sample_max_value: 0.5 }, steps: 10, mean: [1.1364, M] },
  { ref: 'test_scheduler_dpm_multi::DPMSolverMultistepSchedulerTest::test_full_loop_with_v_prediction', config: { ...DPM_MULTI, ...V }, steps: 10, mean: [0.2251, M] },
  { ref: 'test_scheduler_dpm_multi::DPMSolverMultistepSchedulerTest::test_full_loop_with_karras_and_v_prediction', config: { ...DPM_MULTI, ...V, use_karras_sigmas: true }, steps: 10, mean: [0.2096, M] },
  { ref: 'test_scheduler_dpm_multi::DPMSolverMultistepSchedulerTest::test_full_loop_with_lu_and_v_prediction', config: { ...DPM_MULTI, ...V, use_lu_lambdas: true }, steps: 10, mean: [0.1554, M] },
  {
    ref: 'test_scheduler_dpm_multi::DPMSolverMultistepSchedulerTest::test_switch', config: DPM_MULTI, steps: 10, mean: [0.3301, M],
    switchChain: ['DPMSolverSinglestepScheduler', 'UniPCMultistepScheduler', 'DEISMultistepScheduler', 'DPMSolverMultistepScheduler'],
  },
  // tests/schedulers/test_scheduler_dpm_single.py
  { ref: 'test_scheduler_dpm_single::DPMSolverSinglestepSchedulerTest::test_full_loop_no_noise', config: DPM_SINGLE, steps: 10, mean: [0.2791, M] },
  { ref: 'test_scheduler_dpm_single::DPMSolverSinglestepSchedulerTest::test_full_uneven_loop', config: DPM_SINGLE, steps: 50, start: 3, clean: true, mean: [0.2574, M] },
  {
    ref: 'test_scheduler_dpm_single::DPMSolverSinglestepSchedulerTest::test_switch', config: DPM_SINGLE, steps: 10, mean: [0.2791, M],
    switchChain: ['DEISMultistepScheduler', 'DPMSolverMultistepScheduler', 'UniPCMultistepScheduler', 'DPMSolverSinglestepScheduler'],
  },
  { ref: 'test_scheduler_dpm_single::DPMSolverSinglestepSchedulerTest::test_full_loop_with_karras', config: { ...DPM_SINGLE, use_karras_sigmas: true }, steps: 10, mean: [0.2248, M] },
  { ref: 'test_scheduler_dpm_single::DPMSolverSinglestepSchedulerTest::test_full_loop_with_v_prediction', config: { ...DPM_SINGLE, ...V }, steps: 10, mean: [0.1453, M] },
  { ref: 'test_scheduler_dpm_single::DPMSolverSinglestepSchedulerTest::test_full_loop_with_karras_and_v_prediction', config: { ...DPM_SINGLE, ...V, use_karras_sigmas: true }, steps: 10, mean: [0.0649, M] },
  { ref: 'test_scheduler_dpm_single::DPMSolverSinglestepSchedulerTest::test_full_loop_with_noise', config: DPM_SINGLE, steps: 10, start: 5, sum: [269.2187, S], mean: [0.3505, M] },
  // tests/schedulers/test_scheduler_euler.py
  { ref: 'test_scheduler_euler::EulerDiscreteSchedulerTest::test_full_loop_no_noise', config: EULER, steps: 10, loop: 'scaled', sum: [10.0807, S], mean: [0.0131, M] },
  { ref: 'test_scheduler_euler::EulerDiscreteSchedulerTest::test_full_loop_with_v_prediction', config: { ...EULER, ...V }, steps: 10, loop: 'scaled', sum: [0.0002, S], mean: [2.2676e-6, M] },
  { ref: 'test_scheduler_euler::EulerDiscreteSchedulerTest::test_full_loop_device', config: EULER, steps: 10, loop: 'scaled', sum: [10.0807, S], mean: [0.0131, M] },
  { ref: 'test_scheduler_euler::EulerDiscreteSchedulerTest::test_full_loop_device_karras_sigmas', config: { ...EULER, use_karras_sigmas: true }, steps: 10, loop: 'scaled', sum: [124.52299499511719, S], mean: [0.16213932633399963, M] },
  { ref: 'test_scheduler_euler::EulerDiscreteSchedulerTest::test_full_loop_with_noise', config: EULER, steps: 10, loop: 'scaled', start: 8, sum: [57062.9297, S], mean: [74.3007, M] },
  // tests/schedulers/test_scheduler_heun.py
  { ref: 'test_scheduler_heun::HeunDiscreteSchedulerTest::test_full_loop_no_noise', config: HEUN, steps: 10, loop: 'scaled', sum: [0.1233, S], mean: [0.0002, M] },
  { ref: 'test_scheduler_heun::HeunDiscreteSchedulerTest::test_full_loop_with_v_prediction', config: { ...HEUN, ...V }, steps: 10, loop: 'scaled', sum: [4.6934e-7, S], mean: [6.1112e-10, M] },
  { ref: 'test_scheduler_heun::HeunDiscreteSchedulerTest::test_full_loop_device', config: HEUN, steps: 10, loop: 'scaled', sum: [0.1233, S], mean: [0.0002, M] },
  { ref: 'test_scheduler_heun::HeunDiscreteSchedulerTest::test_full_loop_device_karras_sigmas', config: { ...HEUN, use_karras_sigmas: true }, steps: 10, loop: 'scaled', sum: [0.00015, S], mean: [1.9869554535034695e-7, 1e-2] },
  { ref: 'test_scheduler_heun::HeunDiscreteSchedulerTest::test_full_loop_with_noise', config: HEUN, steps: 10, loop: 'scaled', start: 8, sum: [75074.8906, S], mean: [97.7538, M] },
  // tests/schedulers/test_scheduler_unipc.py (UniPCMultistepSchedulerTest, 4×3×8×8)
  { ref: 'test_scheduler_unipc::UniPCMultistepSchedulerTest::test_full_loop_no_noise', config: UNIPC, steps: 10, mean: [0.2464, M] },
  { ref: 'test_scheduler_unipc::UniPCMultistepSchedulerTest::test_switch', config: UNIPC, steps: 10, mean: [0.2464, M] },
  { ref: 'test_scheduler_unipc::UniPCMultistepSchedulerTest::test_full_loop_with_karras', config: { ...UNIPC, use_karras_sigmas: true }, steps: 10, mean: [0.2925, M] },
  { ref: 'test_scheduler_unipc::UniPCMultistepSchedulerTest::test_full_loop_with_v_prediction', config: { ...UNIPC, ...V }, steps: 10, mean: [0.1014, M] },
  { ref: 'test_scheduler_unipc::UniPCMultistepSchedulerTest::test_full_loop_with_karras_and_v_prediction', config: { ...UNIPC, ...V, use_karras_sigmas: true }, steps: 10, mean: [0.1966, M] },
  { ref: 'test_scheduler_unipc::UniPCMultistepSchedulerTest::test_full_loop_with_noise', config: UNIPC, steps: 10, start: 8, sum: [315.5757, S], mean: [0.4109, M] },
  // tests/schedulers/test_scheduler_unipc.py (UniPCMultistepScheduler1DTest, 4×3×8)
  { ref: 'test_scheduler_unipc::UniPCMultistepScheduler1DTest::test_full_loop_no_noise', config: UNIPC, steps: 10, shape: [4, 3, 8], mean: [0.2441, M] },
  { ref: 'test_scheduler_unipc::UniPCMultistepScheduler1DTest::test_switch', config: UNIPC, steps: 10, shape: [4, 3, 8], mean: [0.2441, M] },
  { ref: 'test_scheduler_unipc::UniPCMultistepScheduler1DTest::test_full_loop_with_karras', config: { ...UNIPC, use_karras_sigmas: true }, steps: 10, shape: [4, 3, 8], mean: [0.2898, M] },
  { ref: 'test_scheduler_unipc::UniPCMultistepScheduler1DTest::test_full_loop_with_v_prediction', config: { ...UNIPC, ...V }, steps: 10, shape: [4, 3, 8], mean: [0.1014, M] },
  { ref: 'test_scheduler_unipc::UniPCMultistepScheduler1DTest::test_full_loop_with_karras_and_v_prediction', config: { ...UNIPC, ...V, use_karras_sigmas: true }, steps: 10, shape: [4, 3, 8], mean: [0.1944, M] },
  { ref: 'test_scheduler_unipc::UniPCMultistepScheduler1DTest::test_full_loop_with_noise', config: UNIPC, steps: 10, shape: [4, 3, 8], start: 8, sum: [39.087, S], mean: [0.4072, M] },
  // tests/schedulers/test_scheduler_deis.py
  { ref: 'test_scheduler_deis::DEISMultistepSchedulerTest::test_full_loop_no_noise', config: DEIS, steps: 10, mean: [0.23916, M] },
  { ref: 'test_scheduler_deis::DEISMultistepSchedulerTest::test_switch', config: DEIS, steps: 10, mean: [0.23916, M] },
  { ref: 'test_scheduler_deis::DEISMultistepSchedulerTest::test_full_loop_with_v_prediction', config: { ...DEIS, ...V }, steps: 10, mean: [0.091, M] },
  { ref: 'test_scheduler_deis::DEISMultistepSchedulerTest::test_full_loop_with_noise', config: DEIS, steps: 10, start: 8, sum: [315.3016, S], mean: [0.41054, M] },
  // tests/schedulers/test_scheduler_lms.py
  { ref: 'test_scheduler_lms::LMSDiscreteSchedulerTest::test_full_loop_no_noise', config: LMS, steps: 10, loop: 'scaled', sum: [1006.388, S], mean: [1.31, M] },
  { ref: 'test_scheduler_lms::LMSDiscreteSchedulerTest::test_full_loop_with_v_prediction', config: { ...LMS, ...V }, steps: 10, loop: 'scaled', sum: [0.0017, S], mean: [2.2676e-6, M] },
  { ref: 'test_scheduler_lms::LMSDiscreteSchedulerTest::test_full_loop_device', config: LMS, steps: 10, loop: 'scaled', sum: [1006.388, S], mean: [1.31, M] },
  { ref: 'test_scheduler_lms::LMSDiscreteSchedulerTest::test_full_loop_device_karras_sigmas', config: { ...LMS, use_karras_sigmas: true }, steps: 10, loop: 'scaled', sum: [3812.9927, 2e-2], mean: [4.9648, M] },
  { ref: 'test_scheduler_lms::LMSDiscreteSchedulerTest::test_full_loop_with_noise', config: LMS, steps: 10, loop: 'scaled', start: 8, sum: [27663.6895, S], mean: [36.0204, M] },
  // tests/schedulers/test_scheduler_pndm.py
  { ref: 'test_scheduler_pndm::PNDMSchedulerTest::test_full_loop_no_noise', config: PNDM, steps: 10, sum: [198.1318, S], mean: [0.258, M] },
  {
    ref: 'test_scheduler_pndm::PNDMSchedulerTest::test_full_loop_with_v_prediction', config: { ...PNDM, ...V }, steps: 10, sum: [67.3986, S], mean: [0.0878, M],
    // PNDMScheduler._get_prev_sample converts v to ε *after* combining: the PRK stages' v's with
    // the ᾱ and sample of the Runge–Kutta step's start, the PLMS history of v's with the current
    // ᾱ and sample. The plan converts each evaluation with its own ᾱ and sample (the denoiser), as
    // for every other class; diffusers' own PNDM fed per-evaluation ε gives 86.5913, which is what
    // the plan gives (86.5913). Needs a sampler option to combine raw v outputs (see the report).
    fails: 'diffusers PNDM combines raw v outputs before converting them to ε',
  },
  { ref: 'test_scheduler_pndm::PNDMSchedulerTest::test_full_loop_with_set_alpha_to_one', config: { ...PNDM, set_alpha_to_one: true, beta_start: 0.01 }, steps: 10, sum: [230.0399, S], mean: [0.2995, M] },
  { ref: 'test_scheduler_pndm::PNDMSchedulerTest::test_full_loop_with_no_set_alpha_to_one', config: { ...PNDM, set_alpha_to_one: false, beta_start: 0.01 }, steps: 10, sum: [186.9482, S], mean: [0.2434, M] },
  // tests/schedulers/test_scheduler_lcm.py
  { ref: 'test_scheduler_lcm::LCMSchedulerTest::test_full_loop_onestep', config: LCM, steps: 1, sum: [18.7097, 1e-3], mean: [0.0244, M] },
];

/** torch float32 `(σ² + 1) ** 0.5`, the divisor of `scale_model_input`. */
const inputScale = (sigma: number) => f32(Math.sqrt(f32(f32(sigma * sigma) + 1)));

function divide(x: Vec, c: number): Vec {
  return x.map((v) => v / c) as Vec;
}

/** The reference's VP `add_noise` at level `k` of `plan` (float32, as the scheduler computes it). */
function addNoiseVp(plan: SchedulerPlan, k: number, x: Float64Array, noise: Float64Array): Float64Array {
  const cls = plan.config._class_name;
  let a: number, s: number;
  if (cls === 'DDIMScheduler' || cls === 'DDPMScheduler' || cls === 'PNDMScheduler' || cls === 'LCMScheduler') {
    const ac = plan.schedule.alphasCumprod[plan.timesteps[k]];
    a = f32(Math.sqrt(ac));
    s = f32(Math.sqrt(f32(1 - ac)));
  } else {
    // DPM-Solver / UniPC / DEIS: α_t = 1/√(σ² + 1), σ_t = σ·α_t from the float32 σ of the level.
    const sigma = plan.sigmas[k];
    a = f32(1 / inputScale(sigma));
    s = f32(sigma * a);
  }
  return x.map((v, j) => f32(f32(a * v) + f32(s * noise[j])));
}

/** A VP-state loop (DDIM, DDIMInverse, PNDM, LCM, DPM-Solver, UniPC, DEIS): `sample = step(model(sample, t), t, sample)`. */
async function runVp(c: Case, config: unknown): Promise<Vec> {
  const shape = c.shape ?? [4, 3, 8, 8];
  let plan = planFromConfig(config, c.steps);
  let xVp = dummy(shape);
  if (c.start !== undefined) {
    if (!c.clean) xVp = addNoiseVp(plan, c.start, xVp, dummy(shape, true));
    plan = plan.startingAt(c.start);
  }
  const model = makeDenoiser(dummyModel, { ...plan.denoiser, shape });
  return plan.toVp(await plan.run(model, plan.fromVp(xVp), { batch: shape[0] }));
}

/**
 * The Euler / Heun / LMS loop: `sample = scale_model_input(sample, t)` replaces the state, the
 * model sees that state, and `step` integrates from it. Starts from `dummy_sample_deter·init_noise_sigma`.
 */
async function runScaled(c: Case, config: unknown): Promise<Vec> {
  const shape = c.shape ?? [4, 3, 8, 8];
  const full = planFromConfig(config, c.steps);
  const sigmaOfT = new Map<number, number>();
  full.timesteps.forEach((t, i) => { if (!Number.isNaN(t)) sigmaOfT.set(t, full.sigmas[i]); });
  // The loop's model sees the scaled state itself, where makeDenoiser feeds α·x: undo α.
  const network: Network = (x, t) => dummyModel({ data: x.data.map((v) => v * inputScale(sigmaOfT.get(t)!)), shape: x.shape }, t);
  const base = makeDenoiser(network, { ...full.denoiser, shape });
  const initNoiseSigma = full.sigmas[0]; // `sigmas.max()` for linspace spacing
  let x: Vec = dummy(shape).map((v) => f32(v * initNoiseSigma));
  let plan = full;
  const start = c.start ?? 0;
  if (c.start !== undefined) {
    const noise = dummy(shape, true);
    x = x.map((v, j) => f32(v + f32(noise[j] * full.sigmas[start])));
  }
  x = divide(x, inputScale(full.sigmas[start]));
  const rescale = ({ x: s, tNext }: StepInfo) => divide(s, inputScale(tNext));
  let model: Denoiser = base;
  let callback = rescale;
  if (full.config._class_name === 'HeunDiscreteScheduler') {
    // The loop scales the Euler point before Heun's second evaluation too: D̃(x̂) = x̂ − x̂/c + D(x̂/c).
    let stage = 1;
    model = async (y, sigma) => {
      if (stage === 1) {
        stage = 2;
        return base(y, sigma);
      }
      const ys = divide(y, inputScale(sigma));
      const d = await base(ys, sigma);
      return y.map((v, j) => v - ys[j] + d[j]) as Vec;
    };
    callback = (info) => ((stage = 1), rescale(info));
  }
  if (full.config._class_name === 'LMSDiscreteScheduler' && start > 0) {
    // The reference's LMS history is empty at `start` but its coefficients are 4th order: run the
    // whole plan with zero derivatives (D = x) on the skipped steps, the state held at the start.
    const held = x;
    model = async (y, sigma) => (sigma > full.sigmas[start] ? y.slice() : base(y, sigma));
    callback = (info) => (info.i < start - 1 ? info.x : info.i === start - 1 ? held : rescale(info));
    x = held;
  } else if (start > 0) {
    plan = full.startingAt(start);
  }
  return plan.run(model, x, { callback });
}

function sumMean(x: Vec): { sum: number; mean: number } {
  let s = 0;
  for (const v of x) s += Math.abs(v);
  return { sum: s, mean: s / x.length };
}

/** diffusers' from_config chain: each class's validated config merged into the accumulated dictionary. */
function switchConfig(base: Record<string, unknown>, chain: readonly string[]): Record<string, unknown> {
  // A diffusers config holds every init argument, defaults included: start from the filled config.
  let raw: Record<string, unknown> = {};
  for (const cls of [String(base._class_name), ...chain]) {
    const own = parseSchedulerConfig(stringifySchedulerConfig(validateSchedulerConfig({ ...base, ...raw, _class_name: cls })));
    raw = { ...raw, ...Object.fromEntries(Object.keys(JSON.parse(stringifySchedulerConfig(own).replace(/-Infinity/g, 'null'))).map((k) => [k, own[k as keyof typeof own]])) };
  }
  return raw;
}

const rows: string[] = [];

describe('diffusers scheduler reference values (tests/schedulers/test_scheduler_*.py)', () => {
  for (const c of CASES) {
    const name = `tests/schedulers/${c.ref.replace('::', '.py::')}`;
    (c.fails ? it.fails : it)(c.fails ? `${name} — known divergence: ${c.fails}` : name, async () => {
      const run = c.loop === 'scaled' ? runScaled : runVp;
      const configs: [string, unknown][] = [['', c.config]];
      if (c.switchChain) configs.push([' (after from_config round trip)', switchConfig(c.config, c.switchChain)]);
      for (const [label, config] of configs) {
        const got = sumMean(await run(c, config));
        const used = (k: 'sum' | 'mean') => Math.abs(got[k] - c[k]![0]) / c[k]![1];
        rows.push(`| ${c.ref.split('::').slice(1).join('.')}${label} | ${c.sum ? `${c.sum[0]} / ${got.sum.toPrecision(10)} / ${used('sum').toFixed(2)}` : '—'} | ${c.mean[0]} / ${got.mean.toPrecision(10)} / ${used('mean').toFixed(2)} |`);
        if (c.sum) expect(Math.abs(got.sum - c.sum[0]), `sum ${got.sum}${label}`).toBeLessThan(c.sum[1]);
        expect(Math.abs(got.mean - c.mean[0]), `mean ${got.mean}${label}`).toBeLessThan(c.mean[1]);
      }
    });
  }
});

afterAll(() => {
  // REFERENCE_TABLE=1 prints expected / ours / fraction of the tolerance used, per test.
  if (process.env.REFERENCE_TABLE) console.log(['| test | sum: expected / ours / used | mean: expected / ours / used |', '|---|---|---|', ...rows].join('\n'));
});
