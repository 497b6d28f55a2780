// A host with fake handlers, run as a real child process by the client tests: it echoes, emits
// progress, honours cancellation, crashes on request to exercise the client's recovery, and stalls
// on request the way a native model call does (the thread blocked) after giving its call a deadline. Every
// other method of the contract answers that the fake host does not do it.
// It runs the compiled host code (`npm run build:node` first; `npm test` does).
import { runHost } from '../../out/main/host/serve.js';

const jobs = new Map();
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
    return { jobId: req.jobId, images: [{ png: new Uint8Array([1, 2, 3]), seed: req.seed, parameters: req.prompt }], width: 8, height: 8, providers: [], timings: { totalMs: 0, perStepMs: 0, evaluations: req.steps } };
  },
}));
