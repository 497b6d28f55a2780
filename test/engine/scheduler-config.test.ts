import { describe, expect, it } from 'vitest';
import { makeDenoiser, type Network } from '../../main/engine/denoiser.js';
import {
  CLEAN_SIGMA, SCHEDULER_CLASSES, SchedulerConfigError, parseSchedulerConfig, planForSampler, planFromConfig,
  stringifySchedulerConfig, validateSchedulerConfig, type SchedulerPlan,
} from '../../main/engine/scheduler-config/index.js';
import { SAMPLERS } from '../../main/engine/samplers/index.js';
import type { Vec } from '../../main/engine/tensor.js';

const f32 = Math.fround;
const BASE = { num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' };
const SHAPE = [4, 3, 8, 8];

/** diffusers' `dummy_sample_deter` in row-major [B, C, H, W]. */
function sampleDeter(): Float64Array {
  const out = new Float64Array(768);
  for (let b = 0; b < 4; b++) for (let c = 0; c < 3; c++) for (let k = 0; k < 64; k++) out[(b * 3 + c) * 64 + k] = f32(((c * 64 + k) * 4 + b) / 768);
  return out;
}
const dummyModel: Network = async (x, t) => x.data.map((v) => f32(f32(v * f32(t)) / f32(f32(t) + 1)));

async function runVp(plan: SchedulerPlan, x: Vec = sampleDeter()): Promise<Vec> {
  const model = makeDenoiser(dummyModel, { ...plan.denoiser, shape: SHAPE });
  return plan.toVp(await plan.run(model, plan.fromVp(x), { batch: SHAPE[0] }));
}
const sumAbs = (x: ArrayLike<number>) => Array.from(x).reduce((s, v) => s + Math.abs(v), 0);

describe('validating scheduler_config.json', () => {
  it('requires _class_name and names the supported classes', () => {
    expect(() => validateSchedulerConfig({ ...BASE })).toThrow(SchedulerConfigError);
    expect(() => validateSchedulerConfig({ ...BASE })).toThrow(/"_class_name" is required \(one of DDIMScheduler, DDIMInverseScheduler, .*UniPCMultistepScheduler\)/);
    expect(() => validateSchedulerConfig({ _class_name: 42 })).toThrow(/"_class_name" must be a string, got 42/);
    expect(() => validateSchedulerConfig([])).toThrow(/must be a JSON object/);
  });

  it('rejects an unknown class with the list of supported ones', () => {
    expect(() => validateSchedulerConfig({ _class_name: 'KarrasVeScheduler' })).toThrow(
      /unsupported scheduler class "KarrasVeScheduler"; supported: DDIMScheduler, .*LMSDiscreteScheduler, DPMSolverMultistepScheduler/,
    );
  });

  it('names the key, the expected type and the value found', () => {
    expect(() => validateSchedulerConfig({ _class_name: 'DDIMScheduler', clip_sample: 'yes' })).toThrow(
      'scheduler config (DDIMScheduler): "clip_sample" must be true or false, got "yes"',
    );
    expect(() => validateSchedulerConfig({ _class_name: 'EulerDiscreteScheduler', num_train_timesteps: 999.5, beta_end: '0.02' })).toThrow(
      '"num_train_timesteps" must be an integer in [2, 100000], got 999.5; "beta_end" must be a positive number ≤ 1, got "0.02"',
    );
    expect(() => validateSchedulerConfig({ _class_name: 'UniPCMultistepScheduler', disable_corrector: [1, 'two'] })).toThrow(
      '"disable_corrector" must be an array of at most 1000 step indices (integers in [0, 100000]), got [1,"two"]',
    );
    expect(() => validateSchedulerConfig({ _class_name: 'DDPMScheduler', trained_betas: 'none' })).toThrow(/"trained_betas" must be null or an array of at most 100000 numbers in \[0, 1\], got "none"/);
  });

  it('bounds every number, naming the key and the bound (a config must not be able to exhaust memory)', () => {
    const t0 = performance.now();
    expect(() => validateSchedulerConfig({ _class_name: 'DDIMScheduler', num_train_timesteps: 1e9 })).toThrow(
      'scheduler config (DDIMScheduler): "num_train_timesteps" must be an integer in [2, 100000], got 1000000000',
    );
    expect(performance.now() - t0).toBeLessThan(100);
    const over: [string, Record<string, unknown>, RegExp][] = [
      ['DDIMScheduler', { beta_end: 2 }, /"beta_end" must be a positive number ≤ 1, got 2/],
      ['DDIMScheduler', { beta_start: 1e300 }, /"beta_start" must be a positive number ≤ 1/],
      ['DDIMScheduler', { steps_offset: 1e6 }, /"steps_offset" must be an integer in \[0, 1000\], got 1000000/],
      ['DDIMScheduler', { clip_sample_range: 1e9 }, /"clip_sample_range" must be a positive number ≤ 1000,/],
      ['DDPMScheduler', { sample_max_value: 1e9 }, /"sample_max_value" must be a positive number ≤ 1000,/],
      ['EulerDiscreteScheduler', { sigma_max: 1e12 }, /"sigma_max" must be a positive number ≤ 1000000, or null/],
      ['UniPCMultistepScheduler', { solver_order: 1e9 }, /"solver_order" must be an integer in \[1, 8\], got 1000000000/],
      ['UniPCMultistepScheduler', { disable_corrector: Array.from({ length: 5000 }, (_, i) => i) }, /"disable_corrector" must be an array of at most 1000 step indices .*, got \[0,1,2,.*\.\.\.$/],
      ['DPMSolverMultistepScheduler', { lambda_min_clipped: Infinity }, /"lambda_min_clipped" must be -Infinity or a number in \[-100, 100\], got Infinity/],
      ['LCMScheduler', { original_inference_steps: 1e9 }, /"original_inference_steps" must be an integer in \[1, 100000\]/],
      ['LCMScheduler', { original_inference_steps: 5000 }, /"original_inference_steps" \(5000\) must not exceed "num_train_timesteps" \(1000\)/],
      ['LCMScheduler', { timestep_scaling: 1e9 }, /"timestep_scaling" must be a positive number ≤ 1000,/],
    ];
    for (const [cls, fields, message] of over) expect(() => validateSchedulerConfig({ _class_name: cls, ...fields }), `${cls} ${Object.keys(fields)}`).toThrow(message);
    // The bounds leave room for real configs: a capped cosine schedule's σ_max, iDDPM's 4000 steps, SD2's λ clip.
    expect(validateSchedulerConfig({ _class_name: 'EulerDiscreteScheduler', num_train_timesteps: 4000, sigma_max: 2.03e4, sigma_min: 0.002 }).sigma_max).toBe(2.03e4);
    expect(validateSchedulerConfig({ _class_name: 'DPMSolverMultistepScheduler', lambda_min_clipped: -5.1 }).lambda_min_clipped).toBe(-5.1);
    expect(validateSchedulerConfig({ _class_name: 'DPMSolverMultistepScheduler', lambda_min_clipped: -Infinity }).lambda_min_clipped).toBe(-Infinity);
  });

  it('rejects unsupported values with what is supported', () => {
    expect(() => validateSchedulerConfig({ _class_name: 'DDPMScheduler', beta_schedule: 'sigmoid' })).toThrow(
      '"beta_schedule": unsupported value "sigmoid"; supported: "linear", "scaled_linear", "squaredcos_cap_v2"',
    );
    expect(() => validateSchedulerConfig({ _class_name: 'DDPMScheduler', variance_type: 'learned_range' })).toThrow(
      /"variance_type": unsupported value "learned_range"; supported: "fixed_small", "fixed_small_log", "fixed_large"/,
    );
    expect(() => validateSchedulerConfig({ _class_name: 'EulerDiscreteScheduler', use_exponential_sigmas: true })).toThrow(
      '"use_exponential_sigmas": unsupported value true; supported: false',
    );
    expect(() => validateSchedulerConfig({ _class_name: 'PNDMScheduler', prediction_type: 'sample' })).toThrow(/supported: "epsilon", "v_prediction"/);
    expect(() => validateSchedulerConfig({ _class_name: 'DDIMInverseScheduler', timestep_spacing: 'linspace' })).toThrow(/supported: "leading", "trailing"/);
    expect(() => validateSchedulerConfig({ _class_name: 'DPMSolverMultistepScheduler', solver_order: 4 })).toThrow(/"solver_order": unsupported value 4; supported: 1, 2, 3/);
    expect(() => validateSchedulerConfig({ _class_name: 'DPMSolverMultistepScheduler', algorithm_type: 'dpmsolver', final_sigmas_type: 'zero' })).toThrow(
      /"final_sigmas_type": "zero" is not supported with "algorithm_type" "dpmsolver"/,
    );
    expect(() => validateSchedulerConfig({ _class_name: 'EulerDiscreteScheduler', rescale_betas_zero_snr: true })).toThrow(/unsupported value true; supported: false/);
    expect(() => validateSchedulerConfig({ _class_name: 'DDIMScheduler', trained_betas: [0.1, 0.2] })).toThrow(/"trained_betas" has 2 entries but "num_train_timesteps" is 1000/);
  });

  it('ignores keys the class does not read, fills class defaults, and applies diffusers\' own aliases', () => {
    const cfg = validateSchedulerConfig({ _class_name: 'DDIMScheduler', _diffusers_version: '0.30.0', use_karras_sigmas: 'n/a', skip_prk_steps: true });
    expect(cfg.clip_sample).toBe(true);
    expect(cfg.set_alpha_to_one).toBe(true);
    expect(cfg.timestep_spacing).toBe('leading');
    expect(cfg.skip_prk_steps).toBe(false); // not a DDIM key: neutral
    expect(validateSchedulerConfig({ _class_name: 'HeunDiscreteScheduler' })).toMatchObject({ beta_start: 0.00085, beta_end: 0.012, timestep_spacing: 'linspace' });
    expect(validateSchedulerConfig({ _class_name: 'DPMSolverSinglestepScheduler' }).lower_order_final).toBe(false);
    expect(validateSchedulerConfig({ _class_name: 'DEISMultistepScheduler', algorithm_type: 'dpmsolver++', solver_type: 'midpoint' })).toMatchObject({ algorithm_type: 'deis', solver_type: 'logrho' });
    expect(validateSchedulerConfig({ _class_name: 'UniPCMultistepScheduler', solver_type: 'logrho' }).solver_type).toBe('bh2');
    expect(validateSchedulerConfig({ _class_name: 'DPMSolverMultistepScheduler', algorithm_type: 'deis', solver_type: 'bh2' })).toMatchObject({ algorithm_type: 'dpmsolver++', solver_type: 'midpoint' });
  });

  it('reads the bare -Infinity Python writes and rejects malformed JSON', () => {
    const cfg = parseSchedulerConfig('{"_class_name": "DPMSolverMultistepScheduler", "lambda_min_clipped": -Infinity, "note": "-Infinity stays a string"}');
    expect(cfg.lambda_min_clipped).toBe(-Infinity);
    expect(() => parseSchedulerConfig('{"_class_name": ')).toThrow(/not valid JSON/);
  });
});

describe('timesteps and levels match the reference', () => {
  it('DDIM / DDIMInverse with steps_offset = 1 (test_steps_offset)', () => {
    const cfg = { _class_name: 'DDIMScheduler', ...BASE, steps_offset: 1 };
    expect(Array.from(planFromConfig(cfg, 5).referenceTimesteps)).toEqual([801, 601, 401, 201, 1]);
    expect(Array.from(planFromConfig({ ...cfg, _class_name: 'DDIMInverseScheduler' }, 5).referenceTimesteps)).toEqual([1, 201, 401, 601, 801]);
  });

  it('PNDM with steps_offset = 1 (test_steps_offset): PRK list then PLMS list', () => {
    const plan = planFromConfig({ _class_name: 'PNDMScheduler', ...BASE, steps_offset: 1 }, 10);
    expect(Array.from(plan.referenceTimesteps)).toEqual([901, 851, 851, 801, 801, 751, 751, 701, 701, 651, 651, 601, 601, 501, 401, 301, 201, 101, 1]);
    // The plan visits each timestep once; the half steps are PRK's midpoints, evaluated at t − 50.
    expect(Array.from(plan.timesteps.subarray(0, 10))).toEqual([901, 801, 701, 601, 501, 401, 301, 201, 101, 1]);
    const ac = plan.schedule.alphasCumprod[851];
    expect(plan.denoiser.timestep(Math.sqrt((1 - ac) / ac))).toBe(851);
  });

  it('DPM-Solver multistep default, Karras and Lu grids (Appendix A)', () => {
    const cfg = { _class_name: 'DPMSolverMultistepScheduler', ...BASE, final_sigmas_type: 'sigma_min', lower_order_final: false };
    const plain = planFromConfig(cfg, 10);
    expect(Array.from(plain.timesteps.subarray(0, 10))).toEqual([999, 899, 799, 699, 599, 500, 400, 300, 200, 100]);
    expectClose(plain.sigmas, [157.407272, 60.2714157, 25.5284843, 11.9395199, 6.13521004, 3.44296741, 2.04108739, 1.2401613, 0.723591208, 0.342260122, 0.0100013297]);
    const karras = planFromConfig({ ...cfg, use_karras_sigmas: true }, 10);
    expect(Array.from(karras.referenceTimesteps)).toEqual([999, 937, 864, 775, 663, 511, 301, 102, 18, 0]);
    // The reference repeats 0.0100013297 at the end (an h = 0 identity step); the plan stops there.
    expectClose(karras.sigmas, [157.407272, 85.7107315, 44.0476494, 21.1056042, 9.27474022, 3.65264034, 1.2463603, 0.349706143, 0.0739302859, 0.0100013297]);
    const lu = planFromConfig({ ...cfg, use_lu_lambdas: true }, 10);
    expect(Array.from(lu.referenceTimesteps)).toEqual([999, 886, 757, 603, 410, 202, 73, 22, 5, 0]);
    expectClose(lu.sigmas, [157.407257, 53.7891998, 18.3808422, 6.28110075, 2.14637733, 0.733459949, 0.250637919, 0.0856479704, 0.0292676203, 0.0100013297]);
  });

  it('UniPC with Karras keeps the reference\'s last evaluation as a final corrector', () => {
    const plan = planFromConfig({ _class_name: 'UniPCMultistepScheduler', ...BASE, final_sigmas_type: 'sigma_min', use_karras_sigmas: true }, 10);
    expect(Array.from(plan.referenceTimesteps)).toEqual([999, 937, 864, 775, 663, 511, 301, 102, 18, 0]);
    expect(plan.sigmas.length).toBe(10);
    expect(plan.timesteps[9]).toBe(0); // evaluated once more by the final corrector
  });

  it('Euler: float timesteps, Karras timesteps from log-σ interpolation (Appendix A)', () => {
    const cfg = { _class_name: 'EulerDiscreteScheduler', ...BASE, num_train_timesteps: 1100 };
    const plan = planFromConfig(cfg, 10);
    expectClose(plan.referenceTimesteps, [1099, 976.888916, 854.777771, 732.666687, 610.555542, 488.444458, 366.333344, 244.222229, 122.111115, 0]);
    expectClose(plan.sigmas, [261.055573, 81.4056854, 29.1121197, 11.9125652, 5.53581953, 2.86487556, 1.58681774, 0.874082506, 0.400163233, 0.0100013297, 0]);
    const karras = planFromConfig({ ...cfg, use_karras_sigmas: true }, 10);
    expectClose(karras.referenceTimesteps, [1099, 1035.54004, 961.053101, 871.100098, 757.834961, 605.782898, 387.296051, 139.537933, 23.5367146, 0]);
    expectClose(karras.sigmas, [261.055573, 140.048264, 70.6954117, 33.1392097, 14.1679049, 5.38518715, 1.75221932, 0.459769577, 0.0878118873, 0.0100013297, 0]);
  });

  it('Heun lists every timestep but the first twice; LCM takes its skipping-step subset', () => {
    const heun = planFromConfig({ _class_name: 'HeunDiscreteScheduler', ...BASE, num_train_timesteps: 1100 }, 10);
    expect(heun.referenceTimesteps.length).toBe(19);
    const lcm = { _class_name: 'LCMScheduler', num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear' };
    expect(Array.from(planFromConfig(lcm, 10).referenceTimesteps)).toEqual([999, 899, 799, 699, 599, 499, 399, 299, 199, 99]);
    expect(Array.from(planFromConfig(lcm, 1).referenceTimesteps)).toEqual([999]);
    expect(() => planFromConfig(lcm, 60)).toThrow(/exceed original_inference_steps 50/);
  });

  it('DPM-Solver singlestep order lists, and entering mid-schedule lowers the first order (test_full_uneven_loop)', () => {
    const plan = planFromConfig({ _class_name: 'DPMSolverSinglestepScheduler', ...BASE, final_sigmas_type: 'sigma_min' }, 50);
    expect(Array.from(plan.referenceTimesteps.subarray(0, 6))).toEqual([999, 979, 959, 939, 919, 899]);
    expect(Array.from(plan.startingAt(3).timesteps.subarray(0, 3))).toEqual([939, 919, 899]);
  });

  it('spacings: leading, trailing and linspace for DDIM; out-of-range offsets are refused', () => {
    const ddim = (o: object, n: number) => Array.from(planFromConfig({ _class_name: 'DDIMScheduler', ...BASE, ...o }, n).referenceTimesteps);
    expect(ddim({ timestep_spacing: 'trailing' }, 4)).toEqual([999, 749, 499, 249]);
    expect(ddim({ timestep_spacing: 'trailing' }, 3)).toEqual([999, 666, 332]);
    expect(ddim({ timestep_spacing: 'linspace' }, 10)).toEqual([999, 888, 777, 666, 555, 444, 333, 222, 111, 0]);
    expect(() => planFromConfig({ _class_name: 'DDIMScheduler', ...BASE, steps_offset: 150 }, 10)).toThrow(
      'scheduler config (DDIMScheduler): timestep 1050 (from timestep_spacing "leading", steps_offset 150) is outside 0 … 999',
    );
  });

  it('maps VP samples in and out: √(1 + σ₀²) at the start, α(σ_end) at the end', () => {
    const plan = planFromConfig({ _class_name: 'DPMSolverMultistepScheduler', ...BASE, final_sigmas_type: 'sigma_min' }, 10);
    expect(plan.initialScale).toBeCloseTo(Math.sqrt(1 + plan.sigmas[0] ** 2), 12);
    expect(plan.outputScale).toBeCloseTo(1 / Math.sqrt(1 + 0.0100013297 ** 2), 9);
    expect(Array.from(plan.fromVp(Float32Array.of(1, -2)))).toEqual([f32(plan.initialScale), f32(-2 * plan.initialScale)]);
    expect(planFromConfig({ _class_name: 'DDIMScheduler', ...BASE }, 10).outputScale).toBe(1);
  });
});

describe('DDIM as the reference takes its step', () => {
  it('keeps the unclipped ε in the direction term: x\' = clip(D) + σ\'·(x − D)/σ', async () => {
    const plan = planFromConfig({ _class_name: 'DDIMScheduler', ...BASE, clip_sample: true, clip_sample_range: 0.5 }, 2);
    expect(plan.denoiser.clipRange).toBeUndefined(); // the plan clips inside the step instead
    const [s0, s1] = plan.sigmas;
    const model = async (x: Vec) => x.map((v) => 2 * v) as Vec; // D = 2x: clipping at 0.5 activates for |x| > 0.25
    const x = Float64Array.of(0.1, 0.4, -0.9);
    const steps: Vec[] = [];
    await plan.run(model, x, { callback: ({ x: s }) => void steps.push(s) });
    const want = Array.from(x, (v) => Math.min(0.5, Math.max(-0.5, 2 * v)) + (s1 * (v - 2 * v)) / s0);
    steps[0].forEach((v, j) => expect(v).toBeCloseTo(want[j], 12));
  });

  // Values computed by running diffusers 58eb52c (CPU, torch float32) with the test suite's dummy
  // model and dummy_sample_deter — the same loop as DDIMSchedulerTest.full_loop — for spacings
  // where t − ⌊N/n⌋ is not the next listed timestep, and the zero-length first inversion step.
  // They are not in diffusers' suite; script: /tmp/research-style loop `for t in s.timesteps: x = s.step(model(x, t), t, x)`.
  it.each([
    ['DDIMScheduler', { timestep_spacing: 'linspace' }, 10, 191.25396728515625],
    ['DDIMScheduler', { timestep_spacing: 'linspace' }, 7, 193.1361083984375],
    ['DDIMScheduler', { timestep_spacing: 'trailing' }, 7, 162.0589212733321],
    ['DDIMScheduler', { timestep_spacing: 'trailing', prediction_type: 'v_prediction', set_alpha_to_one: false }, 7, 39.799072265625],
    ['DDIMInverseScheduler', { timestep_spacing: 'trailing', prediction_type: 'v_prediction' }, 7, 1208.953369140625],
    ['DDIMInverseScheduler', { set_alpha_to_one: false, beta_start: 0.01, clip_sample: false }, 7, 511.8851623535156],
  ] as const)('%s %j, %i steps: sum |x| = %f as diffusers computes it', async (cls, o, n, want) => {
    const plan = planFromConfig({ _class_name: cls, ...BASE, clip_sample: true, ...o }, n);
    expect(plan.notes.filter((s) => !s.includes('σ = 2⁻²⁷'))).toEqual([]);
    expect(Math.abs(sumAbs(await runVp(plan)) - want) / want).toBeLessThan(2e-6);
  });

  it('starts an inversion with set_alpha_to_one from ᾱ = 1 at the clean level, in float64', async () => {
    const plan = planFromConfig({ _class_name: 'DDIMInverseScheduler', ...BASE }, 10);
    expect(plan.sigmas[0]).toBe(CLEAN_SIGMA);
    expect(plan.direction).toBe('invert');
    const out = await runVp(plan, Float32Array.from(sampleDeter()));
    expect(out).toBeInstanceOf(Float32Array);
  });
});

describe('cross-checks against diffusers, run locally (paths the published suite does not reach)', () => {
  // Computed by running diffusers 58eb52c (CPU, torch float32) with the suite's dummy model on
  // dummy_sample_deter; these are not published values. `vp`: the VP-state loop
  // `x = s.step(model(x, t), t, x)`, compared as a VP sample; `ve`: a pipeline loop
  // `x = s.step(model(s.scale_model_input(x, t), t), t, x)` from x = 10·dummy_sample_deter,
  // compared as the VE state those schedulers return. Tolerance 2e-5 relative: float32 rounding
  // in torch (the same loops with diffusers' math in float64 agree with the plan to ~1e-8).
  it.each([
    ['DPMSolverMultistepScheduler', { solver_order: 3, solver_type: "midpoint", algorithm_type: "dpmsolver++", prediction_type: "epsilon", final_sigmas_type: "sigma_min" }, 10, 'vp', 190.1710840325104],
    ['DPMSolverMultistepScheduler', { solver_order: 2, solver_type: "heun", algorithm_type: "dpmsolver", prediction_type: "v_prediction", final_sigmas_type: "sigma_min" }, 10, 'vp', 69.94370139797684],
    ['DPMSolverMultistepScheduler', { solver_order: 3, solver_type: "heun", algorithm_type: "dpmsolver", prediction_type: "sample", final_sigmas_type: "sigma_min" }, 10, 'vp', 722.6627387353219],
    ['DPMSolverMultistepScheduler', { use_karras_sigmas: true, final_sigmas_type: "sigma_min" }, 7, 'vp', 223.178925891174],
    ['DPMSolverMultistepScheduler', { euler_at_final: true, lower_order_final: false }, 7, 'vp', 170.93952695355983],
    ['DPMSolverMultistepScheduler', { timestep_spacing: "trailing" }, 7, 'vp', 171.21701562823728],
    ['DPMSolverMultistepScheduler', { solver_order: 3, steps_offset: 1, timestep_spacing: "leading" }, 10, 'vp', 189.3876219559461],
    ['DPMSolverMultistepScheduler', { beta_schedule: "squaredcos_cap_v2", lambda_min_clipped: -5.1 }, 10, 'vp', 194.9608749935287],
    ['DPMSolverMultistepScheduler', { thresholding: true, sample_max_value: 1.5, dynamic_thresholding_ratio: 0.9 }, 10, 'vp', 185.0113557941513],
    ['DPMSolverSinglestepScheduler', { solver_order: 3, solver_type: "heun", algorithm_type: "dpmsolver++", prediction_type: "epsilon", final_sigmas_type: "sigma_min" }, 7, 'vp', 181.4043441292015],
    ['DPMSolverSinglestepScheduler', { solver_order: 2, solver_type: "midpoint", algorithm_type: "dpmsolver", prediction_type: "v_prediction", final_sigmas_type: "sigma_min" }, 7, 'vp', 113.34885678690625],
    ['DPMSolverSinglestepScheduler', { use_karras_sigmas: true, final_sigmas_type: "sigma_min", solver_order: 3 }, 10, 'vp', 194.1383519571973],
    ['DPMSolverSinglestepScheduler', { lower_order_final: true }, 7, 'vp', 166.76312441797927],
    ['DEISMultistepScheduler', { solver_order: 3, prediction_type: "epsilon", use_karras_sigmas: true }, 10, 'vp', 201.60703704692423],
    ['DEISMultistepScheduler', { solver_order: 1, prediction_type: "sample", timestep_spacing: "trailing" }, 10, 'vp', 677.654164060019],
    ['UniPCMultistepScheduler', { solver_order: 3, solver_type: "bh2", predict_x0: true, use_karras_sigmas: true, final_sigmas_type: "sigma_min" }, 10, 'vp', 256.81036382052116],
    ['UniPCMultistepScheduler', { solver_order: 2, solver_type: "bh2", predict_x0: true, disable_corrector: [0, 3] }, 10, 'vp', 186.66043181327404],
    ['UniPCMultistepScheduler', { solver_order: 1, solver_type: "bh2", predict_x0: true }, 10, 'vp', 175.87612117477693],
    ['PNDMScheduler', { skip_prk_steps: true }, 7, 'vp', 197.82392560545122],
    ['PNDMScheduler', { steps_offset: 1 }, 10, 'vp', 199.38157928810688],
    ['LCMScheduler', { beta_start: 0.00085, beta_end: 0.012, beta_schedule: "scaled_linear", prediction_type: "v_prediction" }, 1, 'vp', 356.04320149088744],
    ['EulerDiscreteScheduler', { use_karras_sigmas: true, sigma_min: 0.1, sigma_max: 50.0 }, 7, 've', 31.64748854489153],
    ['EulerDiscreteScheduler', { final_sigmas_type: "sigma_min" }, 10, 've', 10.765755173892103],
    ['HeunDiscreteScheduler', { timestep_spacing: "leading", steps_offset: 1 }, 7, 've', 58.82625211511913],
    ['HeunDiscreteScheduler', { use_karras_sigmas: true }, 10, 've', 15.10008289317193],
    ['LMSDiscreteScheduler', { timestep_spacing: "trailing" }, 7, 've', 11.70604729637489],
    ['LMSDiscreteScheduler', { prediction_type: "v_prediction" }, 10, 've', 4.9410750058141275],
  ] as const)('%s %o, %i steps (%s): sum |x| = %f', async (cls, o, n, loop, want) => {
    const plan = planFromConfig({ _class_name: cls, ...BASE, ...o }, n);
    let got: number;
    if (loop === 'vp') got = sumAbs(await runVp(plan));
    else {
      const model = makeDenoiser(dummyModel, { ...plan.denoiser, shape: SHAPE });
      got = sumAbs(await plan.run(model, sampleDeter().map((v) => f32(10 * v))));
    }
    expect(Math.abs(got - want) / want).toBeLessThan(2e-5);
  });
});

describe('save and reload', () => {
  const configs = [
    { _class_name: 'DDIMScheduler', ...BASE, clip_sample: true, thresholding: true, dynamic_thresholding_ratio: 0.9, sample_max_value: 1.2 },
    { _class_name: 'DPMSolverMultistepScheduler', ...BASE, solver_order: 3, use_karras_sigmas: true, lambda_min_clipped: -Infinity },
    { _class_name: 'DPMSolverSinglestepScheduler', ...BASE, beta_schedule: 'squaredcos_cap_v2', lambda_min_clipped: -5.1, final_sigmas_type: 'sigma_min' },
    { _class_name: 'UniPCMultistepScheduler', ...BASE, disable_corrector: [2], solver_type: 'bh1' },
    { _class_name: 'EulerDiscreteScheduler', ...BASE, use_karras_sigmas: true, sigma_min: 0.05, sigma_max: 80, prediction_type: 'v_prediction' },
    { _class_name: 'PNDMScheduler', ...BASE, skip_prk_steps: true, steps_offset: 1 },
    { _class_name: 'LCMScheduler', beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012, trained_betas: null },
  ];
  it.each(configs.map((c) => [c._class_name, c] as const))('%s: JSON round trip gives the same config and bit-identical output', async (_name, c) => {
    const cfg = validateSchedulerConfig(c);
    const text = stringifySchedulerConfig(cfg);
    const again = parseSchedulerConfig(text);
    expect(again).toEqual(cfg);
    expect(stringifySchedulerConfig(again)).toBe(text);
    const a = planFromConfig(cfg, 6), b = planFromConfig(again, 6);
    expect(Array.from(b.sigmas)).toEqual(Array.from(a.sigmas));
    expect(Array.from(await runVp(b))).toEqual(Array.from(await runVp(a)));
  });
});

describe('no NaN or Inf over the config grid', () => {
  const variants: Record<string, object[]> = {
    DDIMScheduler: [{}, { timestep_spacing: 'trailing', set_alpha_to_one: false }, { thresholding: true }],
    DDIMInverseScheduler: [{}, { set_alpha_to_one: false }],
    DDPMScheduler: [{}, { variance_type: 'fixed_large', timestep_spacing: 'trailing' }],
    PNDMScheduler: [{}, { skip_prk_steps: true }],
    LCMScheduler: [{ beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 }],
    EulerDiscreteScheduler: [{}, { use_karras_sigmas: true, final_sigmas_type: 'sigma_min' }],
    EulerAncestralDiscreteScheduler: [{ timestep_spacing: 'leading', steps_offset: 1 }],
    HeunDiscreteScheduler: [{}, { use_karras_sigmas: true }],
    LMSDiscreteScheduler: [{}, { use_karras_sigmas: true }],
    DPMSolverMultistepScheduler: [{}, { algorithm_type: 'sde-dpmsolver++', solver_order: 3 }, { algorithm_type: 'dpmsolver', solver_type: 'heun', final_sigmas_type: 'sigma_min' }, { use_karras_sigmas: true, final_sigmas_type: 'sigma_min', solver_order: 3 }],
    DPMSolverSinglestepScheduler: [{}, { solver_order: 3, solver_type: 'heun', use_karras_sigmas: true, final_sigmas_type: 'sigma_min' }, { algorithm_type: 'sde-dpmsolver++' }],
    DEISMultistepScheduler: [{}, { solver_order: 3, use_karras_sigmas: true }],
    UniPCMultistepScheduler: [{}, { solver_order: 3, solver_type: 'bh1', predict_x0: false }, { use_karras_sigmas: true, final_sigmas_type: 'sigma_min' }],
  };
  it('covers every supported class', () => expect(Object.keys(variants).sort()).toEqual([...SCHEDULER_CLASSES].sort()));
  for (const [cls, list] of Object.entries(variants)) {
    it(cls, async () => {
      for (const v of list) {
        for (const prediction of ['epsilon', 'v_prediction', 'sample']) {
          if (cls === 'PNDMScheduler' && prediction === 'sample') continue;
          for (const steps of [1, 2, 7, 16]) {
            const cfg = validateSchedulerConfig({ _class_name: cls, ...BASE, ...v, prediction_type: prediction });
            const plan = planFromConfig(cfg, steps);
            const model = makeDenoiser(dummyModel, { ...plan.denoiser, shape: [2, 1, 2, 2] });
            const x = Float32Array.from({ length: 8 }, (_, j) => Math.sin(j + 1));
            const out = plan.toVp(await plan.run(model, plan.fromVp(x), { batch: 2 }));
            expect(out.every(Number.isFinite), `${cls} ${JSON.stringify(v)} ${prediction} ${steps}`).toBe(true);
          }
        }
      }
    });
  }
});

describe('notes: where a plan knowingly departs from the reference', () => {
  it('is silent for the published configurations', () => {
    const quiet = [
      { _class_name: 'DPMSolverMultistepScheduler', ...BASE, final_sigmas_type: 'sigma_min', lower_order_final: false, use_karras_sigmas: true },
      { _class_name: 'UniPCMultistepScheduler', ...BASE, final_sigmas_type: 'sigma_min' },
      { _class_name: 'DDIMScheduler', ...BASE, timestep_spacing: 'linspace' },
    ];
    for (const c of quiet) expect(planFromConfig(c, 10).notes).toEqual([]);
  });
  it('says when the multistep sampler cannot take the reference\'s orders (no per-step order list)', () => {
    const plan = planFromConfig({ _class_name: 'DPMSolverMultistepScheduler', ...BASE, solver_order: 3, use_karras_sigmas: true, final_sigmas_type: 'sigma_min' }, 10);
    expect(plan.notes).toEqual([expect.stringMatching(/orders 1,2,3,3,3,3,3,3,2 cannot be expressed/)]);
  });
  it('says when the reference itself returns NaN, and for PNDM\'s v-prediction and inconsistent spacings', () => {
    expect(planFromConfig({ _class_name: 'UniPCMultistepScheduler', ...BASE, solver_type: 'bh1' }, 10).notes.join()).toMatch(/returns NaN/);
    const pndm = planFromConfig({ _class_name: 'PNDMScheduler', ...BASE, timestep_spacing: 'linspace', prediction_type: 'v_prediction' }, 10).notes.join();
    expect(pndm).toMatch(/steps to t − 100 but evaluates the next listed timestep/);
    expect(pndm).toMatch(/combines the raw v outputs/);
  });
});

describe('entering a plan mid-schedule', () => {
  it('keeps the levels and timesteps from the index on, and says where the reference differs', () => {
    const plan = planFromConfig({ _class_name: 'LMSDiscreteScheduler', ...BASE }, 10);
    const sub = plan.startingAt(4);
    expect(Array.from(sub.sigmas)).toEqual(Array.from(plan.sigmas.subarray(4)));
    expect(sub.startingAt(2).sigmas[0]).toBe(plan.sigmas[6]);
    expect(sub.notes.join()).toMatch(/padded with zeros/);
    expect(() => plan.startingAt(10)).toThrow(/levels 0 … 9/);
  });
});

describe('any engine sampler on the pack\'s schedule (planForSampler)', () => {
  const cfg = { _class_name: 'DDIMScheduler', ...BASE, clip_sample: false, beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 };
  it('runs every catalogue sampler to a finite sample on the default and Karras grids', async () => {
    for (const s of SAMPLERS) {
      for (const grid of ['default', 'karras'] as const) {
        const plan = planForSampler(cfg, s.name, 8, { grid });
        expect(plan.sigmas[plan.sigmas.length - 1]).toBe(0);
        const model = makeDenoiser(dummyModel, { ...plan.denoiser, shape: [1, 8] });
        const out = await plan.run(model, plan.fromVp(Float32Array.from({ length: 8 }, (_, j) => Math.cos(j))));
        expect(out.every(Number.isFinite), `${s.name} ${grid}`).toBe(true);
      }
    }
  });
  it('puts Karras levels between the ends of the training table and the config\'s own timesteps on the default grid', () => {
    const karras = planForSampler(cfg, 'dpmpp_2m', 10, { grid: 'karras' });
    expect(karras.sigmas[0]).toBeCloseTo(karras.schedule.sigmaMax, 4);
    expect(karras.sigmas[9]).toBeCloseTo(karras.schedule.sigmaMin, 6);
    expect(karras.timesteps[0]).toBeCloseTo(999, 6);
    expect(Array.from(planForSampler(cfg, 'euler', 10).timesteps.subarray(0, 10))).toEqual([900, 800, 700, 600, 500, 400, 300, 200, 100, 0]);
    expect(Array.from(planForSampler(cfg, 'euler', 4, { grid: 'trailing' }).timesteps.subarray(0, 4))).toEqual([999, 749, 499, 249]);
  });
  it('refuses an unknown sampler or grid with what is available', () => {
    expect(() => planForSampler(cfg, 'dpm_fast', 10)).toThrow(/unknown sampler "dpm_fast"; available: euler, heun/);
    expect(() => planForSampler(cfg, 'euler', 10, { grid: 'polyexponential' as never })).toThrow(/supported: default, karras, exponential, linspace, leading, trailing/);
  });
});

/**
 * Appendix A prints the float32 values to 9 significant digits. Our σ table is within one float32
 * ulp of torch's (torch's vectorised float32 sqrt is not correctly rounded), so allow 2 ulps.
 */
function expectClose(got: ArrayLike<number>, want: readonly number[]): void {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i] - w), `[${i}] ${got[i]} vs ${w}`).toBeLessThanOrEqual(Math.abs(w) * 2 ** -22));
}
