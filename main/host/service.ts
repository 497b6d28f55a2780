/**
 * The engine service: the Studio API's methods as the engine host implements them. One pack is
 * kept open at a time (opening a Stable Diffusion pack costs seconds and gigabytes); jobs run one
 * after another and can be cancelled between sampler steps. Every job is admitted before its models
 * run — its estimated peak memory against the budget — and watched against its time budget
 * (`limits.ts`).
 */
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { ApiError, type GenerateResult, type ProgressEvent, type ModelEntry, type ProviderInfo } from '../api/contract.js';
import type { CallContext, Handlers } from './protocol.js';
import { admitJob, jobLimits, Watchdog, type AdmitOptions, type Admitted, type JobLimits } from './limits.js';
import type { JobCost, JobShape } from '../engine/pipelines/cost.js';
import type { Emit } from './serve.js';
import { SAMPLERS } from '../engine/samplers/index.js';
import { ModelRegistry, type InstalledPack } from '../engine/models/registry.js';
import { catalogDownloadRequest, catalogEntry, CATALOG } from '../engine/models/catalog.js';
import { downloadPack } from '../engine/models/downloads.js';
import type { LoadedPack, PackInfo } from '../engine/packs/types.js';
import { inspectPack, openPack } from '../engine/packs/pack.js';
import { forgetAttentionMemory } from '../engine/onnx/surgery/cache.js';
import { forgetVjpModels } from '../engine/onnx/vjp/cache.js';
import { checkSize, generate, generateShape, isUpscaler, sizeLimits } from '../engine/pipelines/generate.js';
import { encodePng, loadImage, loadMask } from '../engine/image/io.js';
import { formatParameters } from '../api/parameters.js';
import { embeddedPacks } from './embedded.js';
import { runEditJob } from './edit-job.js';
import { findBoundary, runSearchJob, runUpscaleJob } from './upscale-job.js';
import { imageSize } from './image-size.js';
import { samplerChoice } from './sampler-choice.js';
import { findSolverTable, resolveAuto, runLabJob } from './lab-job.js';
import { autoLabel } from '../engine/lab/auto.js';
import { galleryHandlers, galleryStore, saveEdited, saveGenerated, saveUpscaled } from './gallery-job.js';

export interface ServiceOptions {
  /** Models folder (tests use a temporary one); defaults to the user's data folder. */
  modelsRoot?: string;
  /** Execution provider override (else DRIFTLINE_EP or the platform's best). */
  provider?: string;
  /** The user's data folder for searched boundary conditions (else DRIFTLINE_HOME or the platform's). */
  dataRoot?: string;
  /** Memory and time budgets for jobs (the engine host reads them from its environment: `jobLimits`); else the defaults. */
  limits?: JobLimits;
}

/** What a running pack job is given. */
export interface PackJob {
  signal: AbortSignal;
  dataRoot?: string;
  startedAt: number;
  onProgress: (p: Omit<ProgressEvent, 'jobId'>) => void;
  /**
   * Size the job before its models run: BAD_REQUEST when its estimated memory is over the budget
   * (`how` says how the refusal speaks of it), else its watchdog starts. Call once, after the
   * request is validated.
   */
  admit(shape: JobShape, how?: AdmitOptions): Admitted;
}

export function createEngineService(emit: Emit, opts: ServiceOptions = {}): Handlers {
  const registry = new ModelRegistry({
    root: opts.modelsRoot,
    validator: async (dir) => ({ name: (await inspectPack(dir)).name }),
    embedded: embeddedPacks(),
  });
  const jobs = new Map<string, AbortController>();
  const limits = opts.limits ?? jobLimits({});
  const gallery = galleryStore(opts.dataRoot);
  /** The open pack, and the host's resident bytes measured just after it opened (its weights as loaded, before any arena grows). */
  let open: { dir: string; pack: LoadedPack; resident: number } | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  /** Register a cancellable job under the caller's id. */
  const startJob = (jobId: string): AbortController => {
    if (jobs.has(jobId)) throw new ApiError('DUPLICATE_JOB', `a job with id "${jobId}" is already running`);
    const ctl = new AbortController();
    jobs.set(jobId, ctl);
    return ctl;
  };

  /** Run jobs one at a time: the host has one model in memory and one thread for inference. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  /**
   * A cancellable job on a pack, queued behind the others: registered under the caller's id at
   * once (so it can be cancelled while it waits), run with the pack open, its progress emitted as
   * `onProgress` events for that job, admitted and watched once it has sized itself (`job.admit`).
   */
  const packJob = <T>(req: { jobId: string; model: string }, call: CallContext, run: (pack: LoadedPack, job: PackJob) => Promise<T>): Promise<T> => {
    const ctl = startJob(req.jobId);
    const watchdog = new Watchdog(ctl, limits, call);
    return serial(async () => {
      try {
        ctl.signal.throwIfAborted();
        const startedAt = performance.now();
        const pack = await packFor(req.model);
        let admitted = false;
        const admit = (shape: JobShape, how?: AdmitOptions): Admitted => {
          if (admitted) throw new Error('a job is admitted once');
          admitted = true;
          const cost = admitJob(pack.info, shape, limits, { ...how, resident: open?.pack === pack ? open.resident : undefined });
          watchdog.start(cost, shape.evaluations);
          return cost;
        };
        return await run(pack, { signal: ctl.signal, dataRoot: opts.dataRoot, startedAt, onProgress: (p) => emit('onProgress', { jobId: req.jobId, ...p }), admit });
      } finally {
        watchdog.stop();
        jobs.delete(req.jobId);
      }
    });
  };

  async function resolveModel(ref: string): Promise<string> {
    if (path.isAbsolute(ref)) return ref;
    const entry = (await registry.list()).find((m) => m.name.toLowerCase() === ref.toLowerCase());
    if (!entry) {
      const names = (await registry.list()).map((m) => m.name);
      throw new ApiError('MODEL_NOT_FOUND', `no model named "${ref}"; installed: ${names.join(', ') || 'none'} (or give a folder path)`);
    }
    if (entry.missing) throw new ApiError('MODEL_MISSING', `the folder of "${entry.name}" is gone (${entry.path}); import it again or remove it`);
    return entry.path;
  }

  async function packFor(ref: string): Promise<LoadedPack> {
    const dir = await resolveModel(ref);
    if (open?.dir === dir) return open.pack;
    if (open) await open.pack.release();
    open = undefined;
    const pack = await openPack(dir, { provider: opts.provider, dataDir: opts.dataRoot });
    open = { dir, pack, resident: process.memoryUsage().rss };
    return pack;
  }

  const sizeOf = (info: PackInfo): NonNullable<ModelEntry['size']> => {
    const { multiple, maxSide } = sizeLimits(info);
    return { default: info.defaultSize, multiple, maxSide };
  };
  const toEntry = (m: InstalledPack, info?: PackInfo): ModelEntry => ({
    name: m.name, path: m.path, source: m.source, sizeBytes: m.sizeBytes, family: info?.family,
    ...(info && isUpscaler(info) ? { upscaleFactor: info.upscaleFactor, tile: info.defaultSize } : {}),
    ...(info?.recommended ? { recommended: info.recommended } : {}),
    ...(info ? { size: sizeOf(info) } : {}),
  });
  const providersOf = (pack: LoadedPack): ProviderInfo[] => pack.providers.map((p) => ({ component: p.component, provider: p.provider, skipped: p.skipped }));

  return {
    listSamplers: async () => [
      { name: 'auto', label: 'Automatic', paper: 'The solver lab\'s best measured sampler and grid for the pack and step count, else DPM++ 2M on the tuned grid', stochastic: false },
      ...SAMPLERS.map(({ name, label, paper, order, stochastic }) => ({ name, label, paper, order, stochastic })),
    ],

    listModels: async () =>
      Promise.all((await registry.list()).map(async (m) => toEntry(m, await inspectPack(m.path).catch(() => undefined)))),

    inspectModel: ({ model }) => serial(async () => {
      const pack = await packFor(model);
      return { info: { ...pack.info, schedulerConfig: undefined }, providers: providersOf(pack) };
    }),

    importModel: async ({ path: dir, name, mode }) => toEntry(await registry.importPack(dir, { name, mode }), await inspectPack(dir)),

    removeModel: async ({ name }) => {
      if (open && (await registry.get(name))?.path === open.dir) {
        await open.pack.release();
        open = undefined;
      }
      const entry = await registry.get(name);
      await registry.removePack(name);
      // The pack's derived models go with it: the attention-memory UNet (it holds links to the pack's
      // weights) and the generated VJP models.
      if (entry) {
        await forgetAttentionMemory(entry.path, { dataDir: opts.dataRoot });
        await forgetVjpModels(entry.path, { dataDir: opts.dataRoot });
      }
      return { removed: name };
    },

    downloadModel: ({ name }) => serial(async () => {
      const entry = catalogEntry(name);
      if (!entry) throw new ApiError('NOT_IN_CATALOG', `"${name}" is not in the catalog; known: ${CATALOG.map((c) => c.id).join(', ')}`);
      const req = await catalogDownloadRequest(entry);
      const pack = await downloadPack(req, {
        registry,
        onProgress: (p) => emit('onDownloadProgress', { name, file: p.file, bytesDone: p.bytes, bytesTotal: p.total ?? undefined }),
      });
      return toEntry(pack);
    }),

    cancel: async ({ jobId }) => {
      const ctl = jobs.get(jobId);
      ctl?.abort();
      return { cancelled: Boolean(ctl) };
    },

    edit: (req, call) => packJob(req, call, async (pack, job) => {
      const result = { ...(await runEditJob(pack, req, job)), providers: providersOf(pack) };
      return req.keep ? saveEdited(gallery, req, result, pack.info.name) : result;
    }),

    upscale: (req, call) => packJob(req, call, async (pack, job) => {
      const result = { ...(await runUpscaleJob(pack, req, job)), providers: providersOf(pack) };
      return req.keep ? saveUpscaled(gallery, req, await imageSize(req.image, 'image'), result, pack.info.name) : result;
    }),

    bcSearch: (req, call) => packJob(req, call, async (pack, job) => {
      const { record, path: stored } = await runSearchJob(pack, req, job);
      return { jobId: req.jobId, record, path: stored, providers: providersOf(pack) };
    }),

    solverLab: (req, call) => packJob(req, call, async (pack, job) => ({ jobId: req.jobId, ...(await runLabJob(pack, req, job)), providers: providersOf(pack) })),

    getSolverTable: async ({ model }) => findSolverTable(await inspectPack(await resolveModel(model)), opts.dataRoot),

    ...galleryHandlers(gallery),

    getBoundary: async ({ model, sampler, steps }) => findBoundary(await inspectPack(await resolveModel(model)), sampler, steps, opts.dataRoot),

    generate: (req, call) => packJob(req, call, async (pack, job): Promise<GenerateResult> => {
      const { info } = pack;
      // Upscalers (x4 layout, pixel SR) take a low-resolution image and return upscaleFactor× its size.
      const upscaler = isUpscaler(info);
      const lowRes = upscaler && req.init ? await imageSize(req.init.image, 'init.image') : undefined;
      const width = req.width ?? (lowRes?.width ? lowRes.width * info.upscaleFactor : info.defaultSize);
      const height = req.height ?? (lowRes?.height ? lowRes.height * info.upscaleFactor : info.defaultSize);
      // Sized before any image is decoded at full size or any model runs.
      try {
        checkSize(info, width, height);
      } catch (e) {
        throw new ApiError('BAD_REQUEST', (e as Error).message);
      }
      const initScale = upscaler ? info.upscaleFactor : 1;
      // `auto`: the lab's measured best (or the default) for this pack and budget; it may take fewer steps (Heun: two evaluations each).
      const stateDim = info.latentChannels * (width / info.vaeScale) * (height / info.vaeScale);
      const auto = req.sampler === 'auto' ? await resolveAuto(info, req.steps, { cfgScale: req.cfgScale, dim: stateDim }, job.dataRoot) : undefined;
      const sampler = auto
        ? { label: () => `${autoLabel(auto.sampler)} (auto)`, plan: () => auto.plan }
        : samplerChoice(req.sampler);
      const steps = auto?.steps ?? req.steps;
      const samplerLabel = sampler.label(info, steps);
      const schedule = auto ? (auto.tuned ? `${auto.grid} σ_hi ${+auto.tuned.sigmaHi.toPrecision(4)} ρ ${auto.tuned.rho}` : auto.grid) : undefined;
      // Sized in memory and time before any image is decoded or any model runs.
      job.admit(generateShape(info, { width, height, steps, cfgScale: req.cfgScale, batch: req.batch, init: req.init !== undefined }), { bounds: sizeLimits(info) });
      const init = req.init ? { image: await loadImage(Buffer.from(req.init.image), width / initScale, height / initScale), strength: req.init.strength } : undefined;
      const mask = req.mask ? await loadMask(Buffer.from(req.mask), width, height) : undefined;
      const t1 = performance.now();
      const res = await generate(pack, {
        prompt: req.prompt, negativePrompt: req.negativePrompt, width, height, steps, cfgScale: req.cfgScale,
        seed: req.seed, batch: req.batch, init, mask, previewEvery: req.previewEvery,
      }, sampler.plan(info), { signal: job.signal, onProgress: job.onProgress });
      const t2 = performance.now();
      const images = await Promise.all(res.seeds.map(async (seed, b) => {
        const parameters = formatParameters({
          prompt: req.prompt, negativePrompt: req.negativePrompt, steps, sampler: samplerLabel,
          // A model with no text encoder takes no guidance: no CFG scale to report.
          cfgScale: info.hasTextEncoder ? req.cfgScale : undefined, seed, width, height, model: info.name, denoisingStrength: upscaler ? undefined : init?.strength,
          extra: schedule ? { 'Schedule type': schedule } : undefined,
        });
        return { png: new Uint8Array(await encodePng(res.images, { parameters }, b)), seed, parameters };
      }));
      const calls = Math.max(1, res.evaluations);
      const ran = auto
        ? { name: auto.sampler, label: samplerLabel, grid: schedule, reason: auto.reason }
        : { name: req.sampler, label: samplerLabel };
      const result = { jobId: req.jobId, images, width, height, sampler: ran, providers: providersOf(pack), timings: { totalMs: performance.now() - job.startedAt, perStepMs: (t2 - t1) / calls, evaluations: res.evaluations } };
      return req.keep ? saveGenerated(gallery, req, result, info.name) : result;
    }),
  };
}
