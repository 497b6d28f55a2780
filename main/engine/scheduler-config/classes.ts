/** The builder of each scheduler class (`classes-vp.ts`, `classes-sigma.ts`). */
import {
  buildDeis, buildDpmMultistep, buildDpmSinglestep, buildEuler, buildEulerAncestral, buildHeun, buildLms, buildUniPc,
} from './classes-sigma.js';
import { buildDdim, buildDdimInverse, buildDdpm, buildLcm, buildPndm } from './classes-vp.js';
import type { Builder } from './plan.js';
import type { SchedulerClass } from './validate.js';

export const BUILDERS: Record<SchedulerClass, Builder> = {
  DDIMScheduler: buildDdim,
  DDIMInverseScheduler: buildDdimInverse,
  DDPMScheduler: buildDdpm,
  PNDMScheduler: buildPndm,
  LCMScheduler: buildLcm,
  EulerDiscreteScheduler: buildEuler,
  EulerAncestralDiscreteScheduler: buildEulerAncestral,
  HeunDiscreteScheduler: buildHeun,
  LMSDiscreteScheduler: buildLms,
  DPMSolverMultistepScheduler: buildDpmMultistep,
  DPMSolverSinglestepScheduler: buildDpmSinglestep,
  DEISMultistepScheduler: buildDeis,
  UniPCMultistepScheduler: buildUniPc,
};
