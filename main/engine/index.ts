/**
 * The engine's public surface: tensors and noise, schedules, the denoiser wrapper, every sampler,
 * and building a sampling plan from a diffusers scheduler config. Plain Node/Chromium code with no
 * Electron imports; everything here works on `Float32Array` (or `Float64Array`).
 */
export type { Tensor, Vec } from './tensor.js';
export { blend, lin, maxAbsDiff, numel, rms, tensor } from './tensor.js';

export type { NoiseSource } from './random.js';
export { fillGaussian, gaussian, philox4x32, seededNoise } from './random.js';

export type { BetaSchedule, DiscreteSchedule, NoiseSchedule, TimestepSpacing } from './schedules.js';
export {
  alphaOf, alphasCumprod, continuousSchedule, discreteFromBetas, discreteSchedule, karrasSigmas, lambdaOf, lambdaSigmas,
  makeBetas, sigmaOfLambda, spacedTimesteps, timeUniformSigmas, vpSigmaOf,
} from './schedules.js';

export type { DenoiserOptions, DynamicThresholding, Network, PredictionType } from './denoiser.js';
export { dynamicThreshold, makeDenoiser, timestepLookup, usesGuidance } from './denoiser.js';

export type { Denoiser, Sampler, SamplerOptions, SdeRegion, StepInfo } from './samplers/common.js';
export type { SamplerInfo } from './samplers/index.js';
export { SAMPLERS, samplerByName } from './samplers/index.js';
export { invertDdim, sampleDdim } from './samplers/ddim.js';
export { sampleDdpm } from './samplers/ddpm.js';
export { sampleDeis } from './samplers/deis.js';
export { dpmSolverOrderList, sampleDpmSolver, sampleDpmSolverMultistep } from './samplers/dpm-solver.js';
export {
  sampleDpmpp2m, sampleDpmpp2mSde, sampleDpmpp2sAncestral, sampleDpmpp3m, sampleDpmpp3mSde, sampleDpmppMultistep, sampleDpmppSde,
  sampleDpmppSinglestep,
} from './samplers/dpmpp.js';
export { sampleEuler, sampleEulerAncestral, sampleHeun } from './samplers/euler.js';
export { sampleLcm } from './samplers/lcm.js';
export { sampleLms } from './samplers/lms.js';
export { samplePc } from './samplers/pc.js';
export { samplePndm } from './samplers/pndm.js';
export { sampleUniPc } from './samplers/unipc.js';

export type { PlanDenoiserOptions, PlanGrid, SchedulerClass, SchedulerConfig, SchedulerPlan } from './scheduler-config/index.js';
export {
  SCHEDULER_CLASSES, SchedulerConfigError, parseSchedulerConfig, planForSampler, planFromConfig, stringifySchedulerConfig,
  validateSchedulerConfig,
} from './scheduler-config/index.js';

export { gaussianOracle, measureOrder } from './oracle.js';
