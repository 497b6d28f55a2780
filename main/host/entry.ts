/** The engine host process: started by the CLI, the web host and Electron (as a utilityProcess). */
import { runHost } from './serve.js';
import { createEngineService } from './service.js';
import { jobLimits } from './limits.js';

runHost((emit) => createEngineService(emit, { modelsRoot: process.env.DRIFTLINE_MODELS, provider: process.env.DRIFTLINE_EP, limits: jobLimits(process.env) }));
