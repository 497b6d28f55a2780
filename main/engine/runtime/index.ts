/** ONNX Runtime layer: execution-provider choice with fallback, and float32 model sessions. */
export {
  createSessionWithFallback,
  defaultProviderOrder,
  resolveProviderOrder,
  sessionOptions,
  supportedBackends,
  type ProviderChoice,
  type ProviderName,
  type SessionConfig,
} from './providers.js';
export { ModelSession, type Feed, type IOSpec, type ModelSessionOptions } from './session.js';
