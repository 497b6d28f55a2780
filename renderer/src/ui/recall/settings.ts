/**
 * Recalled parameters as the Generate panel's settings: what the panel can take (seed locked, a
 * catalogue sampler, an installed model), the frame's size, and every field it cannot take, kept
 * in order for the panel to show. Pure: no DOM.
 */
import type { ModelEntry, SamplerEntry } from '../../../../main/api/contract.js';
import { samplerFromA1111, type ParametersText } from '../../../../main/api/parameters.js';
import { MAX_SEED, type GenerateSettings } from '../generate/settings.js';

export interface Recalled {
  /** What goes into the Generate panel. */
  settings: Partial<GenerateSettings>;
  /** The frame's size, when the text gives one. */
  size: { width: number; height: number } | null;
  /** Fields the panel could not take, in order, with a reason where one was not understood. */
  kept: [string, string][];
}

const int = (v: string, lo: number, hi: number) => {
  const n = Number(v);
  return Number.isInteger(n) && n >= lo && n <= hi ? n : null;
};

/** Parsed parameters as the panel's settings (seed locked), the frame's size, and every field it could not take. */
export function recallSettings(p: ParametersText, samplers: readonly Pick<SamplerEntry, 'name' | 'label'>[], models: readonly Pick<ModelEntry, 'name'>[]): Recalled {
  const settings: Partial<GenerateSettings> = { prompt: p.prompt, negativePrompt: p.negativePrompt };
  const kept: [string, string][] = [];
  let size: Recalled['size'] = null;
  const take = (key: string, value: string): boolean => {
    switch (key) {
      case 'Steps': {
        const n = int(value, 1, 1000);
        if (n !== null) settings.steps = n;
        return n !== null;
      }
      case 'CFG scale': {
        const n = Number(value);
        if (value.trim() !== '' && Number.isFinite(n) && n >= 0 && n <= 100) settings.cfgScale = n;
        return settings.cfgScale !== undefined;
      }
      case 'Seed': {
        const n = int(value, 0, MAX_SEED);
        if (n !== null) Object.assign(settings, { seed: n, seedLocked: true });
        return n !== null;
      }
      case 'Size': {
        const m = /^(\d+)\s*x\s*(\d+)$/i.exec(value.trim());
        if (m) size = { width: Number(m[1]), height: Number(m[2]) };
        return !!m;
      }
      case 'Sampler': {
        const s = samplerFromA1111(value, samplers);
        if (!s) return false;
        settings.sampler = s.name;
        if (s.schedule) kept.push(['Schedule type', s.schedule]);
        return true;
      }
      case 'Model': {
        const found = models.some((m) => m.name === value);
        if (found) settings.model = value;
        return found;
      }
      case 'Denoising strength': {
        const n = Number(value);
        if (value.trim() !== '' && n >= 0 && n <= 1) settings.strength = n;
        return settings.strength !== undefined;
      }
      default:
        return false;
    }
  };
  for (const [key, value] of p.fields) if (!take(key, value)) kept.push([key, value]);
  return { settings, size, kept };
}
