/**
 * Session state of the studio around the canvas: models, samplers, the Generate panel's settings,
 * the running job, the gallery and the status line. Not undoable and not autosaved.
 */
import { createStore } from 'zustand/vanilla';
import type { BoundaryUse, GenerateResult, ModelEntry, ProviderInfo, SamplerEntry } from '../../../main/api/contract.js';
import type { ConnectionState } from '../api/index.js';
import { DEFAULT_SETTINGS, type GenerateSettings } from './generate/settings.js';
import type { ProgressSnapshot } from './generate/progress.js';
import { DEFAULT_EDIT_FORM, type EditForm } from './edit/form.js';

export type SamplerRan = NonNullable<GenerateResult['sampler']>;

export type JobKind = 'generate' | 'edit' | 'upscale' | 'search' | 'lab';

export interface JobState {
  id: string;
  kind: JobKind;
  /** Edits invert the image first, then sample; generation and upscaling only sample; a boundary search and the solver lab report `search`. */
  phase?: 'invert' | 'sample' | 'search';
  seed: number;
  progress: ProgressSnapshot;
  /** Cancel was pressed; the result, if one still arrives, is dropped. */
  cancelling: boolean;
}

export interface GalleryItem {
  id: string;
  /**
   * The PNG as the engine wrote it, as a Blob and an object URL. Empty while `pending`: a kept
   * image listed from disk is fetched when something needs it (`GalleryModule.full`).
   */
  blob: Blob;
  url: string;
  png: Uint8Array;
  /** Set while the full PNG of a kept image has not been fetched; the grid shows its thumbnail. */
  pending?: boolean;
  /** The thumbnail's object URL, once the grid has fetched it. */
  thumbUrl?: string;
  width: number;
  height: number;
  seed: number;
  parameters: string;
  settings: GenerateSettings;
  model: string;
  providers: ProviderInfo[];
  createdAt: number;
  /** Set for an edit's result: the task, the preset and the model evaluations it took. */
  edit?: { task: string; preset: string; steps: number | null; evaluations: number };
  /** Set for an upscale's result: the factor, the source's size, the steps and which starting noise it used. */
  upscale?: { factor: number; from: { width: number; height: number }; steps: number | null; boundary: BoundaryUse; tiles: number };
  /** What a generation ran, as the engine reports it (for sampler `auto`: what it chose and why). */
  ran?: SamplerRan;
  /** The batch it came from (one request's images): shown as a group when it has more than one. */
  batch?: { id: string; index: number; size: number };
  /** Kept in the gallery on disk under `id` (survives a reload); else only in this page. */
  stored?: boolean;
}

export interface StatusMessage {
  text: string;
  level: 'info' | 'warn' | 'error';
  at: number;
}

export interface AppState {
  connection: ConnectionState | 'unavailable';
  mode: 'electron' | 'browser' | 'none';
  models: ModelEntry[];
  samplers: SamplerEntry[];
  /** Execution providers per model, from its last generate result. */
  providers: Record<string, ProviderInfo[]>;
  settings: GenerateSettings;
  /** The Edit panel's fields. */
  editForm: EditForm;
  job: JobState | null;
  gallery: GalleryItem[];
  selectedGalleryId: string | null;
  status: StatusMessage | null;
  /** Pointer position in document pixels while over the canvas. */
  pointer: { x: number; y: number } | null;
  /** The last autosave, for the status bar. */
  savedAt: number | null;
}

export const createAppState = () =>
  createStore<AppState>()(() => ({
    connection: 'connecting',
    mode: 'none',
    models: [],
    samplers: [],
    providers: {},
    settings: DEFAULT_SETTINGS,
    editForm: DEFAULT_EDIT_FORM,
    job: null,
    gallery: [],
    selectedGalleryId: null,
    status: null,
    pointer: null,
    savedAt: null,
  }));

export type AppStore = ReturnType<typeof createAppState>;

/** "unet: cpu · text_encoder: cpu", or the single provider when all components agree. */
export function providerSummary(providers: ProviderInfo[] | undefined): string | null {
  if (!providers?.length) return null;
  const names = [...new Set(providers.map((p) => p.provider))];
  if (names.length === 1) return names[0];
  return providers.map((p) => `${p.component}: ${p.provider}`).join(' · ');
}
