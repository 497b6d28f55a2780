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
/** Largest encoded image a request may carry: a 4096² RGBA PNG that does not compress at all is ~64 MiB. */
export const MAX_IMAGE_BYTES = 80 * 1024 * 1024;
/** The most images one request carries (an edit: image, mask, reference image and its mask). */
const MAX_IMAGES_PER_REQUEST = 4;
/** Largest message a transport needs to accept: the images plus 1 MiB of everything else. */
export const MAX_MESSAGE_BYTES = MAX_IMAGES_PER_REQUEST * MAX_IMAGE_BYTES + 1024 * 1024;
const imageBytes = z.instanceof(Uint8Array).refine((b) => b.length > 0 && b.length <= MAX_IMAGE_BYTES, 'image must be 1 byte to 80 MiB');

export const GenerateRequest = z.object({
  /** Chosen by the caller so it can cancel before the call returns. */
  jobId: z.string().min(1).max(100),
  /** A registered model name or an absolute path to a pack folder. */
  model: z.string().min(1).max(4096),
  prompt: z.string().max(20_000),
  negativePrompt: z.string().max(20_000).optional(),
  /**
   * A catalogue sampler name, 'pack' for the pack's own scheduler config, or 'auto': the best
   * (sampler, grid) the solver lab measured on this pack for the step count, else a robust default.
   */
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
  /** Keep the images in the gallery on disk (the studio's); the CLI writes its own files and asks not to. */
  keep: z.boolean().default(true),
}).refine((r) => !r.mask || r.init, { message: 'a mask needs init.image, the image to inpaint', path: ['mask'] });
export type GenerateRequest = z.input<typeof GenerateRequest>;

/** Editing tasks (Mou et al. 2024, "DiffEditor"): resize is `move` with a scale. */
export const EDIT_KINDS = ['move', 'drag', 'paste', 'appearance'] as const;
export type EditKind = (typeof EDIT_KINDS)[number];
/** Ready-made sets of the knobs below: DiffEditor's full schedule, or a fast one (≤ 40 model evaluations). */
export const EDIT_PRESETS = ['fast', 'diffeditor'] as const;
export type EditPreset = (typeof EDIT_PRESETS)[number];

const point = z.object({ x: z.number().min(-1e5).max(1e5), y: z.number().min(-1e5).max(1e5) });
/** A fraction of the sampling steps, 0 (first step) … 1 (last). */
const fraction = z.number().min(0).max(1);

/**
 * The editing knobs; each one left out takes the task's default for the chosen preset
 * (`main/engine/editing/presets.ts` lists them). Step positions are fractions of the step count so
 * one setting fits any number of steps.
 */
export const EditOptions = z.object({
  /** `exact` records the residual noise of every step so a no-op edit returns the image; `ddim` is plain DDIM inversion. */
  inversion: z.enum(['exact', 'ddim']).optional(),
  /** Local SDE: noise scale η inside the edit region, and the window of steps it applies to. */
  eta: z.number().min(0).max(1).optional(),
  sdeWindow: z.tuple([fraction, fraction]).optional(),
  /** Time travel: steps (fractions) after which the state is rewound one level and the step redone, and how many tries each gets. */
  timeTravel: z.object({ at: z.array(fraction).max(64), tries: z.number().int().min(1).max(10) }).optional(),
  /**
   * Region guidance: `x0` on the predicted clean image (no backward pass), or `features` —
   * DiffEditor's energies on the UNet's decoder features, differentiated through the model (slower;
   * where the model supports it, else x0 and the result says why). Strength, per-energy weights and
   * schedule.
   */
  guidance: z.object({
    kind: z.enum(['x0', 'features']).optional(),
    scale: z.number().min(0).max(100).optional(),
    /** Feature guidance's step c (ε̂ = ε + c·α·∇E). */
    featureStep: z.number().min(0).max(1e6).optional(),
    content: z.number().min(0).max(100).optional(),
    edit: z.number().min(0).max(100).optional(),
    contrast: z.number().min(0).max(100).optional(),
    inpaint: z.number().min(0).max(100).optional(),
    /** Guide every step up to this fraction of the steps … */
    everyUntil: fraction.optional(),
    /** … then every other step up to this one. */
    alternateUntil: fraction.optional(),
  }).optional(),
  /** Paste the result onto the original outside the edit region (feathered, dilated mask). */
  composite: z.boolean().optional(),
  /**
   * Attention memory (docs/attention-memory.md): the self-attention keys and values recorded while
   * inverting, attended to while sampling. On by default where the model's UNet supports it.
   */
  memory: z.object({
    enabled: z.boolean().optional(),
    /** Which self-attention layers take part: the decoder's (DiffEditor's choice) or all. */
    layers: z.enum(['decoder', 'all']).optional(),
    /** The steps (fractions) it is injected on, inclusive. */
    window: z.tuple([fraction, fraction]).optional(),
  }).optional(),
});
export type EditOptions = z.input<typeof EditOptions>;

export const EditRequest = z.object({
  jobId: z.string().min(1).max(100),
  model: z.string().min(1).max(4096),
  kind: z.enum(EDIT_KINDS),
  /** The image to edit. */
  image: imageBytes,
  /** White marks the object (move), the region that may change (drag), the region whose appearance is replaced (appearance); any size is resampled to the image. Paste reads none (ignored if sent). */
  mask: imageBytes.optional(),
  /** Move/resize: translation of the object in image pixels. Paste: where the reference region's top-left lands. */
  offset: point.optional(),
  /** Resize (move) or the pasted region's scale, about the top-left of the region's bounding box. */
  scale: z.object({ x: z.number().min(0.05).max(20), y: z.number().min(0.05).max(20) }).optional(),
  /** Drag: handle → target pairs in image pixels. */
  drag: z.array(z.object({ handle: point, target: point })).max(64).optional(),
  /** Paste: the image an object comes from; appearance: the image whose region lends its appearance (may be the same image). */
  reference: z.object({ image: imageBytes, mask: imageBytes, prompt: z.string().max(20_000).optional() }).optional(),
  prompt: z.string().max(20_000).default(''),
  negativePrompt: z.string().max(20_000).optional(),
  preset: z.enum(EDIT_PRESETS).default('fast'),
  /** Sampling steps and guidance scale; left out, the preset's (DiffEditor: 50 and the task's CFG). */
  steps: z.number().int().min(2).max(1000).optional(),
  cfgScale: z.number().min(0).max(100).optional(),
  seed: seed.default(0),
  options: EditOptions.default({}),
  previewEvery: z.number().int().min(0).max(1000).default(0),
  /** Keep the result in the gallery on disk (the studio's); the CLI writes its own file and asks not to. */
  keep: z.boolean().default(true),
});
export type EditRequest = z.input<typeof EditRequest>;

export interface EditResult {
  jobId: string;
  /** The edited image (composited onto the original unless `options.composite` is false), with its settings. */
  image: GeneratedImage;
  /** The model's output before compositing (PNG), when compositing was on. */
  uncomposited?: Uint8Array;
  width: number;
  height: number;
  /** Every knob as it ran (defaults filled in). */
  settings: Record<string, unknown>;
  providers: ProviderInfo[];
  timings: { totalMs: number; invertMs: number; sampleMs: number; evaluations: number };
  /** The gallery batch the result was saved as, or why it could not be saved (the result is here all the same). */
  gallery?: { batch: string } | { error: string };
  /** What attention memory did: used or not (and why not), and what it held. */
  memory: EditMemoryReport;
  /** The region guidance that ran, and why not feature guidance where it was asked for. */
  guidance: { kind: 'x0' | 'features'; reason?: string };
}

export interface EditMemoryReport {
  used: boolean;
  /** Why it was not used (turned off, or the model's UNet has no attention the engine can rewrite). */
  reason?: string;
  /** Layer labels that took part. */
  layers: string[];
  /** Steps recorded, and bytes per step (all layers, the base image and any reference). */
  steps: number;
  bytesPerStep: number;
  /** Most bytes held in memory at once, and bytes written to disk when over the budget. */
  peakBytes: number;
  spilledBytes: number;
}

/**
 * Boundary conditions for super-resolution (Ma et al. 2024, "Solving Diffusion ODEs with Optimal
 * Boundary Conditions for Better Image Super-Resolution"): `auto` starts a deterministic sampler
 * from the x_T searched for this pack, sampler and step count when one is stored (else fresh noise);
 * `random` always draws fresh noise from the seed.
 */
export const BC_MODES = ['auto', 'random'] as const;
export type BcMode = (typeof BC_MODES)[number];
/** Full-reference metrics a search can optimise (all of them are reported). */
export const BC_METRICS = ['psnr', 'ssim', 'gmsd'] as const;
export type BcMetric = (typeof BC_METRICS)[number];

export const UpscaleRequest = z.object({
  jobId: z.string().min(1).max(100),
  /** An upscaler pack (pixel SR or the x4 upscaler layout). */
  model: z.string().min(1).max(4096),
  /** The low-resolution image. */
  image: imageBytes,
  /** Sampling steps; left out, the pack's recommended count. */
  steps: z.number().int().min(1).max(1000).optional(),
  /** A catalogue sampler name, or 'pack' for the pack's own scheduler config. */
  sampler: z.string().min(1).max(64).default('pack'),
  bc: z.enum(BC_MODES).default('auto'),
  seed: seed.default(0),
  /** Noise added to the low-resolution image (0–999); left out, the pack's default. */
  noiseLevel: z.number().int().min(0).max(999).optional(),
  /** Overlap of neighbouring tiles in output pixels, for images larger than the model's trained size. */
  overlap: z.number().int().min(0).max(1024).optional(),
  previewEvery: z.number().int().min(0).max(1000).default(0),
  /** Keep the result in the gallery on disk (the studio's); the CLI writes its own file and asks not to. */
  keep: z.boolean().default(true),
});
export type UpscaleRequest = z.input<typeof UpscaleRequest>;

/** Which starting noise an upscale used. */
export interface BoundaryUse {
  source: 'searched' | 'random';
  /** For a searched x_T: the search's metric, its calibration set and its date. */
  metric?: BcMetric;
  searchedOn?: string;
  calibration?: string;
}

export interface UpscaleResult {
  jobId: string;
  image: GeneratedImage;
  width: number;
  height: number;
  boundary: BoundaryUse;
  /** What ran: the step count (the pack's recommended one when the request named none) and the sampler. */
  steps: number;
  sampler: string;
  tiles: { count: number; size: [number, number]; overlap: number };
  providers: ProviderInfo[];
  timings: { totalMs: number; evaluations: number };
  /** The gallery batch the result was saved as, or why it could not be saved (the result is here all the same). */
  gallery?: { batch: string } | { error: string };
}

export const BcSearchRequest = z.object({
  jobId: z.string().min(1).max(100),
  model: z.string().min(1).max(4096),
  /** A folder of high-resolution images on the engine's machine; left out, the pack's own calibration set. */
  calibration: z.string().min(1).max(4096).optional(),
  candidates: z.number().int().min(2).max(1024).default(32),
  steps: z.number().int().min(1).max(200).optional(),
  sampler: z.string().min(1).max(64).default('pack'),
  metric: z.enum(BC_METRICS).default('ssim'),
  /** Seed of the candidates' noise (candidate k is stream k of this seed). */
  seed: seed.default(0),
  /** At most this many calibration images (the first ones in name order). */
  limit: z.number().int().min(1).max(1024).optional(),
});
export type BcSearchRequest = z.input<typeof BcSearchRequest>;

export const BoundaryRef = z.object({
  model: z.string().min(1).max(4096),
  sampler: z.string().min(1).max(64).default('pack'),
  steps: z.number().int().min(1).max(1000).optional(),
});

/** A stored search: every candidate's scores, the choice, and what it was searched on. */
export interface BoundaryRecord {
  version: 1;
  pack: { name: string; digest: string };
  sampler: string;
  steps: number;
  /** The tile the x_T belongs to: output pixels, and the sampler-space shape [1, C, h, w]. */
  tile: { width: number; height: number };
  shape: number[];
  metric: BcMetric;
  seed: number;
  calibration: { source: string; digest: string; count: number };
  /** Mean score of each candidate over the calibration set, for every metric. */
  candidates: { index: number; scores: Record<BcMetric, number> }[];
  best: number;
  evaluations: number;
  seconds: number;
  date: string;
  /** sha256 of the stored tensor's bytes. */
  tensorSha256: string;
}

export interface BcSearchResult {
  jobId: string;
  record: BoundaryRecord;
  /** Where it is stored (the user's data folder). */
  path: string;
  providers: ProviderInfo[];
}

/**
 * The solver lab (`driftline solvers --measure`): every deterministic sampler × grid family × model
 * evaluation budget on one pack, measured against a high-accuracy solution of the pack's
 * probability-flow ODE from the same noise. Its table drives the `auto` sampler.
 *
 * Grid families: `pack` — the timesteps the pack's scheduler config lists; `karras` — Karras et al.
 * 2022 eq. 5 (ρ = 7) over the training table; `logsnr` — uniform in λ = −log σ over it; `time` —
 * uniform in the training time t (DDIM `linspace`); `tuned` — one first-order step from σ_max down to
 * σ_hi, then Karras spacing with exponent ρ to σ_min, (σ_hi, ρ) searched per budget on other seeds.
 */
export const LAB_GRIDS = ['pack', 'karras', 'logsnr', 'time', 'tuned'] as const;
export type LabGrid = (typeof LAB_GRIDS)[number];

/**
 * How much the lab measures when the request does not list it: `full` — every deterministic
 * catalogue sampler, DPM-Solver-v3 on the pack's statistics and DPM++ with searched per-step orders,
 * four prompts × two seeds; `quick` — one sampler per family (DDIM, Heun, DPM++ 2M, DPM++ 2M HB,
 * DPM++ 3M with the Taylor weight, UniPC bh2) plus v3 and the order search, two prompts × one seed:
 * minutes instead of tens of minutes.
 */
export const LAB_SCOPES = ['full', 'quick'] as const;

export const SolverLabRequest = z.object({
  jobId: z.string().min(1).max(100),
  model: z.string().min(1).max(4096),
  scope: z.enum(LAB_SCOPES).default('full'),
  /** Model-evaluation budgets (a sampler gets the most steps whose evaluations fit). */
  nfes: z.array(z.number().int().min(2).max(200)).min(1).max(8).default([5, 10, 20]),
  /** Prompts measured; left out, the scope's share of a fixed everyday set. */
  prompts: z.array(z.string().min(1).max(500)).min(1).max(8).optional(),
  /** Left out, the scope's. */
  seeds: z.array(seed).min(1).max(8).optional(),
  /** Left out, the pack's recommended scale (else 5). */
  cfgScale: z.number().min(0).max(30).optional(),
  /** Deterministic catalogue samplers to measure; left out, the scope's. */
  samplers: z.array(z.string().min(1).max(64)).min(1).max(64).optional(),
  grids: z.array(z.enum(LAB_GRIDS)).min(1).max(LAB_GRIDS.length).optional(),
});
export type SolverLabRequest = z.input<typeof SolverLabRequest>;

/** One measurement: a sampler on a grid within an evaluation budget. Sampler `pack` on grid `pack` is the pack's own plan. */
export interface SolverLabRow {
  sampler: string;
  grid: LabGrid;
  nfe: number;
  /** Steps taken, and the model evaluations they cost (≤ nfe). */
  steps: number;
  evaluations: number;
  /** RMS error of the final image in [−1, 1] against the ODE solution, over all images; and per image. */
  rms: number;
  images: number[];
}

export interface SolverTable {
  version: 1;
  pack: { name: string; digest: string };
  date: string;
  seconds: number;
  evaluations: number;
  prompts: string[];
  seeds: number[];
  cfgScale: number;
  width: number;
  height: number;
  /** How the ODE solution was computed, and how far a second method lands from it (RMS). */
  reference: { method: string; check: string; steps: number; agreement: number };
  nfes: number[];
  rows: SolverLabRow[];
  /** The searched (σ_hi, ρ) of the `tuned` grid per budget, the seeds it was searched on, and the per-step orders searched on it. */
  tuned: { nfe: number; sigmaHi: number; rho: number; seeds: number[]; orders?: number[] }[];
  /** Per budget: the best measured (sampler, grid), and the pack's own plan's error for comparison. */
  best: { nfe: number; sampler: string; grid: LabGrid; rms: number; packRms: number }[];
  /** DPM-Solver-v3's statistics this table was measured with (stored beside it), when it measured v3. */
  statistics?: { sha256: string; images: number };
}

export interface SolverLabResult {
  jobId: string;
  table: SolverTable;
  path: string;
  providers: ProviderInfo[];
}

export interface GeneratedImage {
  /** PNG bytes with the settings in a `parameters` text chunk. */
  png: Uint8Array;
  seed: number;
  /** The A1111-style parameters text written into the PNG. */
  parameters: string;
  /** Its id in the gallery on disk, when the engine saved it there. */
  galleryId?: string;
}

export interface GenerateResult {
  jobId: string;
  images: GeneratedImage[];
  /** What ran: the sampler's label and grid (for `auto`, what it chose and why). */
  sampler?: { name: string; label: string; grid?: string; reason?: string };
  width: number;
  height: number;
  /** Which execution provider each model component ran on. */
  providers: ProviderInfo[];
  timings: { totalMs: number; perStepMs: number; evaluations: number };
  /** The gallery batch the images were saved as, or why they could not be saved (the images are here all the same). */
  gallery?: { batch: string } | { error: string };
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
  /** Upscalers: output pixels per input pixel, and the side of the tile (output pixels) the model samples. */
  upscaleFactor?: number;
  tile?: number;
  /**
   * The sizes it makes (output pixels): its trained side, the multiple every side must be, and the
   * largest side (the engine's own ceiling or the one the pack declares); absent when the pack could
   * not be read. What fits this machine's memory is decided per request (batch, guidance) and
   * refused with the largest size that fits.
   */
  size?: { default: number; multiple: number; maxSide: number };
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
  /** Edits report inversion, then sampling; generation and upscaling report sampling; a boundary search reports `search` (steps are image evaluations). */
  phase?: 'invert' | 'sample' | 'search';
  step: number;
  total: number;
  /** Estimated time left, from the pace so far (long jobs: boundary search, tiled upscales). */
  etaMs?: number;
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

/** A gallery id: letters, digits, `_` and `-` only, so it never names a path outside the gallery. */
export const GALLERY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const GalleryId = z.object({ id: z.string().regex(GALLERY_ID_PATTERN, 'not a gallery id') }).strict();
export const GalleryListRequest = z.object({
  offset: z.number().int().min(0).max(1e9).default(0),
  limit: z.number().int().min(1).max(200).default(50),
  /** Send each entry's thumbnail with it; a grid that loads thumbnails as they scroll into view asks for none. */
  thumbnails: z.boolean().default(true),
}).strict();
/** Thumbnails by id, at most 100 a call. */
export const GalleryThumbnailsRequest = z.object({ ids: z.array(z.string().regex(GALLERY_ID_PATTERN, 'not a gallery id')).min(1).max(100) }).strict();

/** One image of the gallery on disk. */
export interface GalleryEntry {
  id: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  width: number;
  height: number;
  /** The `parameters` text inside the PNG. */
  parameters: string;
  /** What made it, as the request said (for an image recovered from its file: as its `parameters` say). */
  settings: { model: string; prompt: string; negativePrompt?: string; sampler: string; steps: number; cfgScale?: number; seed: number; strength?: number };
  /** The batch it came from: one request's images share its id. */
  batch: { id: string; index: number; size: number };
  /** Set for an edit's or an upscale's result: what was done (a generation's has none). */
  origin?:
    | { kind: 'edit'; task: string; preset: string; steps: number | null; evaluations: number }
    | { kind: 'upscale'; factor: number; from: { width: number; height: number }; steps: number | null; boundary: 'searched' | 'random'; tiles: number };
  recovered?: boolean;
}

export interface GalleryPage {
  /** Newest first, each with a small PNG thumbnail unless the listing asked for none. */
  entries: (GalleryEntry & { thumbnail?: Uint8Array })[];
  total: number;
  /** Set when the gallery's index was found damaged and rebuilt from the images: what happened. */
  damaged?: string;
}

/** The methods, their validated parameters and their results. */
export const METHODS = {
  listSamplers: { params: z.object({}).strict(), result: null as unknown as SamplerEntry[] },
  listModels: { params: z.object({}).strict(), result: null as unknown as ModelEntry[] },
  inspectModel: { params: ModelRef, result: null as unknown as { info: Record<string, unknown>; providers: ProviderInfo[] } },
  importModel: { params: ImportRequest, result: null as unknown as ModelEntry },
  removeModel: { params: ModelName, result: null as unknown as { removed: string } },
  downloadModel: { params: ModelName, result: null as unknown as ModelEntry },
  generate: { params: GenerateRequest, result: null as unknown as GenerateResult },
  edit: { params: EditRequest, result: null as unknown as EditResult },
  upscale: { params: UpscaleRequest, result: null as unknown as UpscaleResult },
  bcSearch: { params: BcSearchRequest, result: null as unknown as BcSearchResult },
  getBoundary: { params: BoundaryRef, result: null as unknown as BoundaryRecord | null },
  solverLab: { params: SolverLabRequest, result: null as unknown as SolverLabResult },
  getSolverTable: { params: ModelRef, result: null as unknown as SolverTable | null },
  galleryList: { params: GalleryListRequest, result: null as unknown as GalleryPage },
  galleryGet: { params: GalleryId, result: null as unknown as { entry: GalleryEntry; png: Uint8Array } },
  /** Small PNGs (at most 128 pixels a side) for a grid; ids the gallery does not hold come back in `missing`. */
  galleryThumbnails: { params: GalleryThumbnailsRequest, result: null as unknown as { thumbnails: { id: string; png: Uint8Array }[]; missing: string[] } },
  galleryDelete: { params: GalleryId, result: null as unknown as { deleted: boolean } },
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
