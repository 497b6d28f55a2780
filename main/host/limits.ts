/**
 * What the engine host lets a job use: a memory budget that every job's estimated peak must fit
 * before anything runs, and a time budget past which a running job is stopped.
 *
 *   memory  DRIFTLINE_MEMORY_BUDGET — "12GiB", "800MiB", "60%" (of this machine's memory) or bytes;
 *           default 75% of `os.totalmem()`. A job whose estimate (`engine/pipelines/cost.ts`) is
 *           larger is refused with BAD_REQUEST, saying what it needs, why (the dominant term), the
 *           limit, and the largest size (and batch) that fits.
 *   time    max(DRIFTLINE_TIME_FLOOR seconds (default 120), DRIFTLINE_TIME_FACTOR (default 10) × the
 *           job's estimated seconds) — the estimate already assumes a slow machine, so only a job
 *           that hangs or crawls (swapping, a provider gone wrong) reaches it.
 *
 * The watchdog, in two stages, both failing the job with JOB_TIMEOUT:
 * 1. In the host, at the budget: the job's AbortSignal is aborted with the JOB_TIMEOUT error — the
 *    cancellation path — and the sampler stops at its next step; the host keeps serving.
 * 2. In the parent, at the budget plus a grace: onnxruntime-node runs `session.run` synchronously on
 *    the host's one JavaScript thread, so a single model call that outlasts the budget cannot be
 *    interrupted inside the host (no timer fires while it runs, and ONNX Runtime's
 *    `RunOptions.terminate` is read only when a run starts). When the job starts, the host tells
 *    its parent the deadline (`CallContext.deadline`); if no reply has come by then, the parent
 *    (`EngineChannel`) fails the call with JOB_TIMEOUT and stops the host process — the one way to
 *    stop a native call — and the next request starts a fresh host. Calls waiting behind the job
 *    in that host fail with ENGINE_CRASHED, as after a crash.
 */
import os from 'node:os';
import { z } from 'zod';
import { ApiError } from '../api/contract.js';
import type { PackInfo } from '../engine/packs/types.js';
import type { CallContext } from './protocol.js';
import { formatBytes, jobCost, largestBatchWithin, largestSideWithin, type JobCost, type JobShape } from '../engine/pipelines/cost.js';

export interface JobLimits {
  memoryBytes: number;
  /** Where the memory budget comes from, for messages: "75% of its 24 GiB; …" or "DRIFTLINE_MEMORY_BUDGET=12GiB". */
  memorySource: string;
  timeFactor: number;
  timeFloorSeconds: number;
}

export const DEFAULT_MEMORY_FRACTION = 0.75;
export const DEFAULT_TIME_FACTOR = 10;
export const DEFAULT_TIME_FLOOR_SECONDS = 120;
/** The longest delay a Node timer takes (a larger one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** "12GiB", "12G", "12 GB" (binary units throughout), "800MiB", "60%", "4294967296". */
const MemorySetting = z.string().trim().regex(/^(\d+(?:\.\d+)?)\s*(%|[kmgt]?i?b?)$/i, 'expected bytes with a unit (12GiB, 800MiB) or a percentage (60%)');
const Positive = z.coerce.number().positive().max(1e6);
const Seconds = z.coerce.number().min(0).max(1e7);

/**
 * The limits from the environment (a boundary: each value validated; an invalid one is reported on
 * stderr and its default used, so a typo cannot stop the engine from starting).
 */
export function jobLimits(env: NodeJS.ProcessEnv = process.env, totalMemory: number = os.totalmem()): JobLimits {
  const warn = (name: string, value: string, why: string) => console.error(`driftline: ignoring ${name}=${JSON.stringify(value)} (${why}); using the default`);
  let memoryBytes = Math.floor(DEFAULT_MEMORY_FRACTION * totalMemory);
  let memorySource = `${DEFAULT_MEMORY_FRACTION * 100}% of its ${formatBytes(totalMemory)}; DRIFTLINE_MEMORY_BUDGET sets it`;
  const mem = env.DRIFTLINE_MEMORY_BUDGET;
  if (mem !== undefined && mem !== '') {
    const parsed = MemorySetting.safeParse(mem);
    const m = parsed.success ? /^(\d+(?:\.\d+)?)\s*(%|[kmgt]?)/i.exec(parsed.data) : null;
    if (!m) warn('DRIFTLINE_MEMORY_BUDGET', mem, parsed.success ? 'unreadable' : parsed.error.issues[0].message);
    else {
      const n = Number(m[1]);
      const bytes = m[2] === '%' ? (n / 100) * totalMemory : n * UNITS[m[2].toLowerCase()];
      if (!(bytes >= 2 ** 20)) warn('DRIFTLINE_MEMORY_BUDGET', mem, 'less than 1 MiB');
      else {
        memoryBytes = Math.floor(bytes);
        memorySource = `DRIFTLINE_MEMORY_BUDGET=${mem.trim()}`;
      }
    }
  }
  const number = (name: string, schema: typeof Positive, fallback: number): number => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const parsed = schema.safeParse(v);
    if (!parsed.success) {
      warn(name, v, parsed.error.issues[0].message);
      return fallback;
    }
    return parsed.data;
  };
  return {
    memoryBytes,
    memorySource,
    timeFactor: number('DRIFTLINE_TIME_FACTOR', Positive, DEFAULT_TIME_FACTOR),
    timeFloorSeconds: number('DRIFTLINE_TIME_FLOOR', Seconds, DEFAULT_TIME_FLOOR_SECONDS),
  };
}

/** Where the sizes a refused job could have asked for lie: the pack's multiple and ceiling. */
export interface SizeBounds {
  multiple: number;
  maxSide: number;
}

/** How a refusal speaks of the job. */
export interface AdmitOptions {
  /** The sizes the request could have asked for: the refusal then names the largest square size (and batch) that fits. */
  bounds?: SizeBounds;
  /** The job in words (default "W×H"). */
  what?: string;
  /** What to change when no smaller size applies (a lab's prompts × seeds, a search's images). */
  advice?: string;
  /** The host's resident bytes measured when the pack was opened (weights as loaded): replaces the estimated base. */
  resident?: number;
  /** Memory the job can do without: admitted with it when both fit, else without it (`Admitted.optional` says which). */
  optional?: { bytes: number; what: string };
}

/** An admitted job: its cost, whether its optional part fits, and the bytes left under the budget. */
export interface Admitted extends JobCost {
  optional?: { admitted: boolean; why?: string };
  headroomBytes: number;
}

/**
 * The job's cost, or BAD_REQUEST when its estimated peak memory is over the budget — naming what it
 * needs and why, the limit, and what would fit: the largest square size and batch (for requests
 * whose size and batch are the caller's), else the advice given.
 */
export function admitJob(info: PackInfo, shape: JobShape, limits: JobLimits, how: AdmitOptions = {}): Admitted {
  const cost = jobCost(info, shape, how.resident);
  if (cost.bytes <= limits.memoryBytes) {
    const o = how.optional;
    if (!o) return { ...cost, headroomBytes: limits.memoryBytes - cost.bytes };
    const fits = cost.bytes + o.bytes <= limits.memoryBytes;
    return {
      ...cost, bytes: cost.bytes + (fits ? o.bytes : 0),
      optional: fits ? { admitted: true } : { admitted: false, why: `${o.what} needs about ${formatBytes(o.bytes)} more than this machine allows (${formatBytes(limits.memoryBytes)}, ${limits.memorySource})` },
      headroomBytes: limits.memoryBytes - cost.bytes - (fits ? o.bytes : 0),
    };
  }
  const hints: string[] = [];
  if (how.bounds) {
    const side = largestSideWithin(info, shape, limits.memoryBytes, how.bounds.multiple, how.bounds.maxSide, how.resident);
    if (side > 0) hints.push(`the largest size that fits${shape.batch > 1 ? ` at batch ${shape.batch}` : ''} is ${side}×${side}`);
    const batch = shape.batch > 1 ? largestBatchWithin(info, shape, limits.memoryBytes, how.resident) : 0;
    if (batch > 0) hints.push(`at ${shape.width}×${shape.height} a batch of ${batch} fits`);
  }
  if (!hints.length) hints.push(how.advice ?? 'raise the budget, or use a smaller model');
  const images = how.bounds && shape.batch > 1 ? ` × ${shape.batch} images` : '';
  throw new ApiError(
    'BAD_REQUEST',
    `${how.what ?? `${shape.width}×${shape.height}`}${images} on ${info.name} needs about ${formatBytes(cost.bytes)} (${cost.dominant}); this machine allows ${formatBytes(limits.memoryBytes)} (${limits.memorySource}) — ${hints.join('; ')}`,
  );
}

/** A job's time budget in seconds: the estimate × the factor, at least the floor. */
export function timeBudget(cost: JobCost, limits: JobLimits): number {
  return Math.max(limits.timeFloorSeconds, limits.timeFactor * cost.seconds);
}

const fmtSeconds = (s: number): string => (s >= 120 ? `${Math.round(s / 60)} min` : s >= 10 ? `${Math.round(s)} s` : `${+s.toFixed(1)} s`);

/**
 * One job's watchdog: started once the job is admitted, stopped when it ends. Stage 1 aborts `ctl`
 * with a JOB_TIMEOUT error at the budget; stage 2 hands the parent a deadline a grace later (the
 * factor × one call's estimate, at least 10 s), for a model call that never returns to the event loop.
 */
export class Watchdog {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ctl: AbortController, private readonly limits: JobLimits, private readonly call: CallContext) {}

  start(cost: JobCost, evaluations: number): void {
    this.stop();
    const budget = timeBudget(cost, this.limits);
    const why = `${fmtSeconds(budget)}: ${this.limits.timeFactor} × the ${fmtSeconds(cost.seconds)} estimated, at least ${fmtSeconds(this.limits.timeFloorSeconds)} (DRIFTLINE_TIME_FACTOR, DRIFTLINE_TIME_FLOOR)`;
    const perCall = evaluations > 0 ? cost.seconds / evaluations : cost.seconds;
    const grace = Math.max(10, this.limits.timeFactor * perCall);
    this.timer = setTimeout(() => {
      this.ctl.abort(new ApiError('JOB_TIMEOUT', `the job ran past its time budget of ${why} and was stopped`));
    }, Math.min(MAX_TIMER_MS, budget * 1000));
    this.timer.unref?.();
    const hard = (budget + grace) * 1000;
    if (hard < MAX_TIMER_MS) {
      this.call.deadline(hard, `the job ran past its time budget of ${why}, inside a single model call that cannot be interrupted, so the engine was restarted to stop it`);
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
