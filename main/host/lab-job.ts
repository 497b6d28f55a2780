/**
 * The solver lab and the `auto` sampler as the engine host runs them: the request completed with
 * the pack's defaults and sized before anything runs, progress in model evaluations with a time
 * left, the table stored under the pack's digest, and `auto` resolved from it.
 */
import { performance } from 'node:perf_hooks';
import type { z } from 'zod';
import { LAB_GRIDS, type SolverLabRequest, type SolverTable } from '../api/contract.js';
import type { LoadedPack, PackInfo } from '../engine/packs/types.js';
import { DEFAULT_LAB_PROMPTS, labSamplers, MAX_LAB_EVALUATIONS, runLab } from '../engine/lab/lab.js';
import { loadSolverTable, saveSolverTable } from '../engine/lab/store.js';
import { autoChoice, measuredChoice, type AutoChoice, type AutoRequest } from '../engine/lab/auto.js';
import { loadStatistics, saveStatistics } from '../engine/lab/statistics.js';
import { USF, V3 } from '../engine/lab/grids.js';
import { packDigest } from '../engine/sr/store.js';
import { asBadRequest, eta } from './job-util.js';
import type { JobProgress } from './upscale-job.js';
import type { JobShape } from '../engine/pipelines/cost.js';
import { isGuided } from '../engine/pipelines/generate.js';
import type { AdmitOptions } from './limits.js';

type Lab = z.output<typeof SolverLabRequest>;

/** The quick scope's samplers: one per family of the catalogue, momentum, DPM-Solver-v3 and the per-step order search. */
const QUICK_SAMPLERS = ['ddim', 'heun', 'dpmpp_2m', 'dpmpp_2m_hb', 'dpmpp_3m_exact', 'unipc_bh2', V3, USF];

export interface LabJobOptions {
  signal: AbortSignal;
  onProgress: (p: JobProgress) => void;
  dataRoot?: string;
  /** Size the job against the host's budgets before its models run (the service's `PackJob.admit`). */
  admit?: (shape: JobShape, how?: AdmitOptions) => unknown;
}

export async function runLabJob(pack: LoadedPack, req: Lab, opts: LabJobOptions): Promise<{ table: SolverTable; path: string }> {
  const { info } = pack;
  const t0 = performance.now();
  const quick = req.scope === 'quick';
  const labReq = {
    prompts: req.prompts ?? (quick ? DEFAULT_LAB_PROMPTS.slice(0, 2) : DEFAULT_LAB_PROMPTS),
    seeds: req.seeds ?? (quick ? [1] : [1, 2]),
    cfgScale: req.cfgScale ?? info.recommended?.cfgScale ?? 5,
    nfes: [...new Set(req.nfes)].sort((a, b) => a - b),
    samplers: [...new Set(req.samplers ?? (quick ? QUICK_SAMPLERS : labSamplers()))],
    grids: [...new Set(req.grids ?? LAB_GRIDS)],
    width: info.defaultSize,
    height: info.defaultSize,
  };
  // Every prompt × seed in one guided call at the pack's size; its evaluation count is worked out as
  // the lab runs, so the time budget takes the lab's own ceiling on it.
  const images = labReq.prompts.length * labReq.seeds.length;
  opts.admit?.({
    width: labReq.width, height: labReq.height, batch: images, guided: isGuided(info, labReq.cfgScale),
    evaluations: Math.ceil(MAX_LAB_EVALUATIONS / images), decodes: 1,
  }, { what: `a solver lab measurement at ${labReq.width}×${labReq.height} with ${images} images per call`, advice: 'fewer prompts × seeds, or raise the budget' });
  const digest = await packDigest(info.dir, opts.dataRoot);
  const outcome = await asBadRequest(() => runLab(pack, labReq, {
    signal: opts.signal,
    onProgress: (p) => opts.onProgress({ phase: 'search', step: p.done, total: p.total, etaMs: eta(t0, p.done, p.total) }),
  }));
  const { samplers: _s, grids: _g, ...settings } = labReq;
  const { statistics: _stats, ...measured } = outcome;
  const table: SolverTable = {
    version: 1,
    pack: { name: info.name, digest },
    date: new Date().toISOString(),
    seconds: (performance.now() - t0) / 1000,
    ...settings,
    ...measured,
  };
  if (outcome.statistics) {
    // The statistics first, and the table names them by hash: a table whose save failed leaves the
    // old table, which then does not match these statistics, and `auto` runs its next best instead.
    const saved = await saveStatistics(outcome.statistics.stats, { digest, cfgScale: labReq.cfgScale, width: labReq.width, height: labReq.height, prompts: labReq.prompts, seeds: outcome.statistics.seeds, images: outcome.statistics.images }, opts.dataRoot);
    table.statistics = { sha256: saved.sha256, images: outcome.statistics.images };
  }
  const path = await saveSolverTable(table, opts.dataRoot);
  return { table, path };
}

/** The stored table of a pack (metadata only: the model is not loaded). */
export async function findSolverTable(info: PackInfo, dataRoot?: string): Promise<SolverTable | null> {
  const found = await asBadRequest(async () => loadSolverTable(await packDigest(info.dir, dataRoot), dataRoot));
  return found?.table ?? null;
}

/**
 * `auto` for a pack, a step count and the request's guidance scale and state size per image: the
 * lab's measured best, else the robust default.
 */
export async function resolveAuto(info: PackInfo, steps: number, request: AutoRequest, dataRoot?: string): Promise<AutoChoice> {
  return asBadRequest(async () => {
    const digest = await packDigest(info.dir, dataRoot);
    const table = (await loadSolverTable(digest, dataRoot))?.table ?? null;
    const needsV3 = table ? measuredChoice(table, steps)?.sampler === V3 : false; // read the statistics only when this budget's best is v3
    const stored = needsV3 ? await loadStatistics(digest, dataRoot) : null;
    return autoChoice(info, steps, table, request, stored ? { stats: stored.stats, cfgScale: stored.meta.cfgScale, dim: stored.meta.dim, sha256: stored.meta.sha256 } : null);
  });
}
