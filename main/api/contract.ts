/**
 * The Studio API: the one contract between the engine host and its front doors (Electron's main
 * process and preload, the browser-mode web host, the CLI). Methods are async; events are named
 * `onX`. Every request is validated with these schemas where it crosses a process boundary —
 * never trusted.
 */
import { z } from 'zod';

const MAX_SIDE = 4096;
const seed = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Image bytes (PNG, JPEG, WebP …). */
const imageBytes = z.instanceof(Uint8Array).refine((b) => b.length > 0 && b.length <= 256 * 1024 * 1024, 'image must be 1 byte to 256 MiB');

export const GenerateRequest = z.object({
  /** Chosen by the caller so it can cancel before the call returns. */
  jobId: z.string().min(1).max(100),
  /** A registered model name or an absolute path to a pack folder. */
  model: z.string().min(1).max(4096),
  prompt: z.string().max(20_000),
  negativePrompt: z.string().max(20_000).optional(),
  /** A catalogue sampler name, or 'pack' for the pack's own scheduler config. */
  sampler: z.string().min(1).max(64).default('pack'),
  steps: z.number().int().min(1).max(1000),
  cfgScale: z.number().min(0).max(100),
  seed,
  width: z.number().int().min(8).max(MAX_SIDE).optional(),
  height: z.number().int().min(8).max(MAX_SIDE).optional(),
  batch: z.number().int().min(1).max(64).default(1),
  /** img2img / inpainting source and its strength (0 keeps it, 1 ignores it). */
  init: z.object({ image: imageBytes, strength: z.number().min(0).max(1) }).optional(),
  /** Inpainting mask: white repaints, black keeps. */
  mask: imageBytes.optional(),
  previewEvery: z.number().int().min(0).max(1000).default(0),
});
export type GenerateRequest = z.input<typeof GenerateRequest>;

export interface GeneratedImage {
  /** PNG bytes with the settings in a `parameters` text chunk. */
  png: Uint8Array;
  seed: number;
  /** The A1111-style parameters text written into the PNG. */
  parameters: string;
}

export interface GenerateResult {
  jobId: string;
  images: GeneratedImage[];
  width: number;
  height: number;
  /** Which execution provider each model component ran on. */
  providers: ProviderInfo[];
  timings: { totalMs: number; perStepMs: number; evaluations: number };
}

export interface ProviderInfo {
  component: string;
  provider: string;
  skipped: { provider: string; reason: string }[];
}

export interface ModelEntry {
  name: string;
  path: string;
  source: 'embedded' | 'imported' | 'downloaded';
  family?: string;
  sizeBytes?: number;
  /** Settings the pack recommends (its own steps and CFG scale); absent when it declares none. */
  recommended?: { steps?: number; cfgScale?: number };
}

export interface SamplerEntry {
  name: string;
  label: string;
  paper: string;
  order?: number;
  stochastic: boolean;
}

export interface ProgressEvent {
  jobId: string;
  step: number;
  total: number;
  /** Live preview (interleaved RGB) every `previewEvery` steps. */
  preview?: { width: number; height: number; rgb: Uint8Array };
}

export interface DownloadProgressEvent {
  name: string;
  file: string;
  bytesDone: number;
  bytesTotal?: number;
}

export const CancelRequest = z.object({ jobId: z.string().min(1).max(100) });
export const ModelRef = z.object({ model: z.string().min(1).max(4096) });
export const ImportRequest = z.object({ path: z.string().min(1).max(4096), name: z.string().min(1).max(100).optional(), mode: z.enum(['copy', 'link']).default('copy') });
export const ModelName = z.object({ name: z.string().min(1).max(100) });

/** The methods, their validated parameters and their results. */
export const METHODS = {
  listSamplers: { params: z.object({}).strict(), result: null as unknown as SamplerEntry[] },
  listModels: { params: z.object({}).strict(), result: null as unknown as ModelEntry[] },
  inspectModel: { params: ModelRef, result: null as unknown as { info: Record<string, unknown>; providers: ProviderInfo[] } },
  importModel: { params: ImportRequest, result: null as unknown as ModelEntry },
  removeModel: { params: ModelName, result: null as unknown as { removed: string } },
  downloadModel: { params: ModelName, result: null as unknown as ModelEntry },
  generate: { params: GenerateRequest, result: null as unknown as GenerateResult },
  cancel: { params: CancelRequest, result: null as unknown as { cancelled: boolean } },
} as const;

export type MethodName = keyof typeof METHODS;
export type Params<M extends MethodName> = z.input<(typeof METHODS)[M]['params']>;
export type Result<M extends MethodName> = (typeof METHODS)[M]['result'];

export interface StudioEvents {
  onProgress: ProgressEvent;
  onDownloadProgress: DownloadProgressEvent;
}
export type EventName = keyof StudioEvents;
/** Every event the engine emits, at run time (for code that subscribes to all of them). */
export const EVENT_NAMES = ['onProgress', 'onDownloadProgress'] as const satisfies readonly EventName[];
// Fails to compile when StudioEvents gains an event that is not listed above.
const allEventsListed: [Exclude<EventName, (typeof EVENT_NAMES)[number]>] extends [never] ? true : never = true;
void allEventsListed;

/** The Studio API as the front doors see it. */
export type StudioApi = { [M in MethodName]: (params: Params<M>) => Promise<Result<M>> } & {
  on<E extends EventName>(event: E, listener: (payload: StudioEvents[E]) => void): () => void;
};

/** Errors that cross the boundary: a stable code and a message meant for the user. */
export interface ApiErrorShape {
  code: string;
  message: string;
}

export class ApiError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Validate a call's parameters; a bad request becomes an ApiError naming the offending fields. */
export function parseParams<M extends MethodName>(method: M, params: unknown): z.output<(typeof METHODS)[M]['params']> {
  const spec = METHODS[method];
  if (!spec) throw new ApiError('UNKNOWN_METHOD', `unknown method "${String(method)}"`);
  const r = spec.params.safeParse(params ?? {});
  if (!r.success) {
    const detail = r.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ');
    throw new ApiError('BAD_REQUEST', `invalid ${method} request — ${detail}`);
  }
  return r.data as z.output<(typeof METHODS)[M]['params']>;
}

export function isMethod(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(METHODS, name);
}
