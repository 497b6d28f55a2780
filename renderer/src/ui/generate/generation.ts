/**
 * Generation from the studio: the Generate panel's settings (remembered between sessions), Generate
 * as the studio's one job (seed drawn unless locked, progress and previews through the progress
 * module, Cancel through `Jobs`), and its results into the gallery, the first onto the canvas; a
 * gallery item's settings back into the panel. No DOM: settings are kept in a `SettingsStorage`
 * (localStorage in the page).
 */
import type { GenerateResult, StudioApi } from '../../../../main/api/contract.js';
import type { AppStore } from '../app-state.js';
import type { GalleryModule, NewGalleryItem } from '../gallery/gallery.js';
import type { Jobs } from '../jobs.js';
import type { ProgressModule } from '../progress/progress.js';
import { errorText, type Say } from '../status.js';
import { newJobId, sanitizeSettings, samplerRanText, seedForRun, settingsForRerun, toGenerateRequest, validateSettings, type GenerateSettings } from './settings.js';

/** Where the settings are remembered (the page's localStorage; absent, they are not). */
export interface SettingsStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export const SETTINGS_KEY = 'driftline.generate-settings';

export interface GenerateHost {
  readonly app: AppStore;
  readonly jobs: Jobs;
  readonly gallery: GalleryModule;
  readonly progress: Pick<ProgressModule, 'setGenerationSize' | 'clear'>;
  client(): Pick<StudioApi, 'generate'> | null;
  say: Say;
  /** Add a gallery item to the canvas as a new layer. */
  toCanvas(galleryId: string): Promise<void>;
  storage(): SettingsStorage | null;
}

export class GenerateModule {
  /** Takes the remembered settings into the app store at once, before the panel first draws. */
  constructor(private readonly host: GenerateHost) {
    host.app.setState({ settings: { ...host.app.getState().settings, ...this.load() } });
  }

  updateSettings(patch: Partial<GenerateSettings>): void {
    const settings = { ...this.host.app.getState().settings, ...patch };
    this.host.app.setState({ settings });
    this.save(settings);
  }

  /** Generate with the panel's settings; resolves when the results have landed, failed or been cancelled. */
  async generate(): Promise<void> {
    const { app, jobs, progress } = this.host;
    const say: Say = (t, l) => this.host.say(t, l);
    const client = jobs.ready(this.host.client(), 'Generation', say);
    if (!client) return;
    const settings = app.getState().settings;
    const errors = validateSettings(settings);
    if (errors.length) return say(errors.join(' '), 'error');
    const jobId = newJobId();
    const seed = seedForRun(settings);
    if (!settings.seedLocked) this.updateSettings({ seed });
    progress.setGenerationSize(settings.sizeMode === 'custom' ? { width: settings.width, height: settings.height } : null);
    jobs.begin('generate', jobId, seed);
    say(`Generating with ${settings.model} (seed ${seed})…`);
    const used: GenerateSettings = { ...settings, seed };
    try {
      const result = await client.generate(toGenerateRequest(settings, jobId, seed));
      if (jobs.isCancelled(jobId)) return say('Cancelled.');
      await this.accept(result, used);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'CANCELLED' || jobs.isCancelled(jobId)) say('Cancelled.');
      else say(`Generation failed: ${errorText(e)}`, 'error');
    } finally {
      jobs.end(jobId);
      progress.clear();
    }
  }

  /** "Use these settings again": a gallery item's settings (seed locked) back in the panel. */
  useSettingsOf(id: string): void {
    const item = this.host.gallery.item(id);
    if (!item) return;
    const known = this.host.app.getState().models.some((m) => m.name === item.settings.model);
    this.updateSettings(item.settings);
    this.host.say(known ? `Settings of seed ${item.seed} are back in the Generate panel.` : `Settings restored, but the model "${item.settings.model}" is no longer installed.`, known ? 'info' : 'warn');
  }

  private async accept(result: GenerateResult, used: GenerateSettings): Promise<void> {
    const items = this.host.gallery.add(generationEntries(result, used));
    if (items[0]) await this.host.toCanvas(items[0].id);
    const per = result.timings.perStepMs;
    const ran = samplerRanText(used.sampler, result.sampler);
    this.host.say(`Generated ${items.length} image${items.length === 1 ? '' : 's'} ${result.width}×${result.height}${ran ? ` with ${ran}` : ''} in ${(result.timings.totalMs / 1000).toFixed(1)} s (${per.toFixed(0)} ms per evaluation).`);
  }

  private load(): Partial<GenerateSettings> {
    try {
      const raw = this.host.storage()?.getItem(SETTINGS_KEY);
      const parsed: unknown = raw ? JSON.parse(raw) : null;
      return sanitizeSettings(parsed);
    } catch {
      return {};
    }
  }

  private save(s: GenerateSettings): void {
    try {
      this.host.storage()?.setItem(SETTINGS_KEY, JSON.stringify(s));
    } catch {
      // Private mode or quota: settings simply are not remembered.
    }
  }
}

/** A generation's images as gallery items, each with the settings that rerun it (its own seed). */
export function generationEntries(result: GenerateResult, used: GenerateSettings): NewGalleryItem[] {
  return result.images.map((image) => ({
    image, width: result.width, height: result.height, settings: settingsForRerun(used, image.seed), model: used.model, providers: result.providers,
    ...(result.sampler ? { ran: result.sampler } : {}),
  }));
}
