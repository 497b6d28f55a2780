// A host with fake handlers, run as a real child process by the client tests: it echoes, emits
// progress, honours cancellation, crashes on request to exercise the client's recovery, and stalls
// on request the way a native model call does (the thread blocked) after giving its call a deadline. Every
// other method of the contract answers that the fake host does not do it.
// It runs the compiled host code (`npm run build:node` first; `npm test` does).
import { runHost } from '../../out/main/host/serve.js';
import { ApiError } from '../../out/main/api/contract.js';

const jobs = new Map();
const gallery = [];
let galleryCount = 0;
const notUsed = async () => { throw new Error('not in the fake host'); };

runHost((emit) => ({
  listSamplers: async () => [{ name: 'euler', label: 'Euler', paper: 'test', order: 1, stochastic: false }],
  listModels: async () => [],
  // Model 'running' reports the jobs still running (tests of job ownership read it).
  inspectModel: async ({ model }) => (model === 'running' ? { info: { running: [...jobs.keys()] }, providers: [] } : notUsed()),
  importModel: notUsed,
  removeModel: notUsed,
  downloadModel: notUsed,
  edit: notUsed,
  upscale: notUsed,
  bcSearch: notUsed,
  getBoundary: notUsed,
  solverLab: notUsed,
  getSolverTable: notUsed,
  // A gallery in memory: what generate made, newest first (the web tests read it back).
  galleryList: async ({ offset, limit, thumbnails }) => ({ entries: gallery.slice(offset, offset + limit).map(({ png, ...e }) => (thumbnails ? { ...e, thumbnail: png } : e)), total: gallery.length }),
  galleryGet: async ({ id }) => {
    const e = gallery.find((g) => g.id === id);
    if (!e) throw new ApiError('NOT_FOUND', `no gallery image "${id}"`);
    const { png, ...entry } = e;
    return { entry, png };
  },
  galleryThumbnails: async ({ ids }) => ({
    thumbnails: ids.flatMap((id) => gallery.filter((g) => g.id === id).map((g) => ({ id, png: g.png }))),
    missing: ids.filter((id) => !gallery.some((g) => g.id === id)),
  }),
  galleryDelete: async ({ id }) => {
    const at = gallery.findIndex((g) => g.id === id);
    if (at >= 0) gallery.splice(at, 1);
    return { deleted: at >= 0 };
  },
  cancel: async ({ jobId }) => {
    const ctl = jobs.get(jobId);
    ctl?.abort();
    return { cancelled: Boolean(ctl) };
  },
  generate: async (req, call) => {
    if (req.prompt === 'crash') process.exit(3);
    if (req.prompt === 'stall') {
      call.deadline(300, 'stalled past its deadline');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30_000);
    }
    const ctl = new AbortController();
    jobs.set(req.jobId, ctl);
    try {
      for (let step = 1; step <= req.steps; step++) {
        await new Promise((r) => setTimeout(r, 5));
        if (ctl.signal.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
        emit('onProgress', { jobId: req.jobId, step, total: req.steps });
      }
    } finally {
      jobs.delete(req.jobId);
    }
    const png = new Uint8Array([1, 2, 3]);
    const id = `fake-${++galleryCount}`;
    gallery.unshift({ id, createdAt: Date.now(), width: 8, height: 8, parameters: req.prompt, png,
      settings: { model: req.model, prompt: req.prompt, sampler: req.sampler, steps: req.steps, cfgScale: req.cfgScale, seed: req.seed }, batch: { id, index: 0, size: 1 } });
    return { jobId: req.jobId, images: [{ png, seed: req.seed, parameters: req.prompt, galleryId: id }], width: 8, height: 8, providers: [], timings: { totalMs: 0, perStepMs: 0, evaluations: req.steps }, gallery: { batch: id } };
  },
}));
