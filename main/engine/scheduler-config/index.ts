/**
 * From a diffusers `scheduler/scheduler_config.json` to a sampling plan for this engine.
 *
 * A diffusers scheduler is a stateful class that owns its σ schedule, its solver and its step
 * counter. Here the three are kept apart: the config is validated (`validateSchedulerConfig`),
 * its discrete training schedule and its list of noise levels are computed exactly as the class's
 * `set_timesteps` computes them (float32 tables, numpy's `linspace`/`arange`/`interp`, `round`
 * half to even), and the update rule is one of the engine's samplers with its options fixed from
 * the config. Running the plan with `makeDenoiser` and the network then reproduces the reference
 * scheduler's loop; `test/reference/diffusers-schedulers.test.ts` pins that to the published values
 * of diffusers' own test suite.
 *
 * Conventions (see `schedules.ts`): the sampler state is the variance-exploding x = x_VP/α with
 * α = 1/√(1+σ²). A VP sample x_VP at the first level enters as x_VP·`initialScale`
 * (`initialScale` = 1/α(σ₀) = √(1+σ₀²), so a unit-normal start z becomes z·√(1+σ₀²)), and the VP
 * sample at the end is `outputScale`·x with `outputScale` = α(σ_end) (1 when the plan ends at
 * σ = 0; α(σ_min) for `final_sigmas_type: "sigma_min"` and `set_alpha_to_one: false`).
 *
 * Where the reference does something the engine's samplers cannot say directly, the plan says it
 * with the tools every sampler shares:
 * - DDIM keeps the unclipped ε in its direction term when `clip_sample`/`thresholding` changes x̂₀,
 *   x' = √ᾱ'·clip(x̂₀) + √(1−ᾱ')·ε, i.e. x' = clip(D) + σ'·(x − D)/σ in the σ view, where a uniform
 *   clip of D would give clip(D) + σ'·(x − clip(D))/σ. The plan therefore hands DDIM the unclipped
 *   D and corrects each step in the step callback (`run`).
 * - DDIM's `prev_timestep = t − ⌊N/n⌋` need not be the next listed timestep (`linspace`, and
 *   `trailing` when n ∤ N): the reference lands on ᾱ(t − ⌊N/n⌋) and then evaluates the model at the
 *   next listed timestep as if the sample were there. The same step callback reproduces that.
 * - A step whose two levels coincide (a repeated final σ, or `set_alpha_to_one: false` with a
 *   last timestep of 0) is dropped when it is the identity, and otherwise kept with its end level
 *   moved by a relative 2⁻⁴⁰ (samplers need strictly monotone levels; 2⁻⁴⁰ is far below float32
 *   resolution).
 * Anything else the plan knowingly does differently from the reference is listed in `notes`.
 */
export type { SchedulerClass, SchedulerConfig } from './validate.js';
export {
  SCHEDULER_CLASSES, SchedulerConfigError, parseSchedulerConfig, stringifySchedulerConfig, validateSchedulerConfig,
} from './validate.js';
export type { TrainingTables } from './tables.js';
export { sigmaToT, trainingTables } from './tables.js';
export type { PlanDenoiserOptions, PlanOptions, PlanRunOptions, SchedulerPlan } from './plan.js';
export { CLEAN_SIGMA } from './plan.js';
export { planFromConfig } from './from-config.js';
export type { PlanGrid, SamplerPlanOptions } from './sampler-plan.js';
export { planForSampler } from './sampler-plan.js';
