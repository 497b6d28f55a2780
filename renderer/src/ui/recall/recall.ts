/**
 * Recall: a PNG made by this studio, A1111 or anything that writes a `parameters` text chunk,
 * dropped on the prompt box, puts its prompt, negative prompt, sampler, steps, CFG, seed (locked)
 * and size (on the generation frame) back; the fields the panel has no place for are kept in this
 * module's store and shown under the prompts. No DOM: bytes in, settings out.
 */
import { createStore } from 'zustand/vanilla';
import type { AppStore } from '../app-state.js';
import type { FrameModule } from '../frame/frame.js';
import type { GenerateModule } from '../generate/generation.js';
import { splitParameters } from '../../../../main/api/parameters.js';
import { readPngText } from '../../../../main/api/png-text.js';
import { errorText, type Say } from '../status.js';
import { recallSettings } from './settings.js';

export interface RecallState {
  /** What the last recall could not put in the panel, `[key, value]` in order (null before any recall). */
  kept: [string, string][] | null;
  /** The file it came from. */
  source: string | null;
}

export interface RecallHost {
  readonly app: Pick<AppStore, 'getState'>;
  readonly generation: Pick<GenerateModule, 'updateSettings'>;
  readonly frame: Pick<FrameModule, 'setSize'>;
  say: Say;
}

export class RecallModule {
  readonly store = createStore<RecallState>()(() => ({ kept: null, source: null }));

  constructor(private readonly host: RecallHost) {}

  /** A dropped file: its PNG `parameters` into the panel; returns whether settings were restored. */
  async fromFile(file: Blob, name = 'the image'): Promise<boolean> {
    if (file.type && file.type !== 'image/png') {
      this.host.say(`${name} is not a PNG: only PNGs carry generation settings.`, 'warn');
      return false;
    }
    return this.fromPng(new Uint8Array(await file.arrayBuffer()), name);
  }

  fromPng(bytes: Uint8Array, name = 'the image'): boolean {
    let text: string | undefined;
    try {
      text = readPngText(bytes).get('parameters');
    } catch (e) {
      this.host.say(`${name} could not be read: ${errorText(e)}.`, 'warn');
      return false;
    }
    if (text === undefined) {
      this.host.say(`${name} has no generation settings (no "parameters" text in the PNG).`, 'warn');
      return false;
    }
    return this.fromText(text, name);
  }

  /** Parameters text (A1111's form) into the panel. */
  fromText(text: string, name = 'the text'): boolean {
    const parsed = splitParameters(text);
    if (!parsed) {
      this.host.say(`The settings in ${name} could not be read (no "Steps: …, Sampler: …" line).`, 'warn');
      return false;
    }
    const { samplers, models } = this.host.app.getState();
    const r = recallSettings(parsed, samplers, models);
    this.host.generation.updateSettings(r.settings);
    if (r.size) this.host.frame.setSize(r.size.width, r.size.height);
    this.store.setState({ kept: r.kept, source: name });
    const extra = r.kept.length ? `; ${r.kept.length} more field${r.kept.length === 1 ? '' : 's'} kept below the prompts` : '';
    this.host.say(`Settings from ${name} are in the Generate panel${r.settings.seed !== undefined ? ` (seed ${r.settings.seed}, locked)` : ''}${extra}.`);
    return true;
  }

  /** Forget the kept fields (the panel's "dismiss"). */
  dismiss(): void {
    this.store.setState({ kept: null, source: null });
  }
}
