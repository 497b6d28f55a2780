/**
 * The Generate panel's prompt placeholder for the selected model: an example of what that model
 * understands, or — for a model that takes no prompt (a pixel-space upscaler) — that it takes
 * none. Pure: read from the model-list entry.
 */
import type { ModelEntry } from '../../../../main/api/contract.js';

/** The prompt box's placeholder for `model` (undefined: none selected). */
export function promptPlaceholder(model: Pick<ModelEntry, 'name' | 'family' | 'upscaleFactor'> | undefined): string {
  if (!model) return 'Pick a model first';
  if (model.family === 'pixel-sr') return 'This model takes no prompt: it upscales an image (Upscale panel)';
  if (model.family === 'upscaler' || (model.upscaleFactor ?? 1) > 1) return 'Optional: what the image shows (this model upscales; Upscale panel)';
  if (/^emoji/i.test(model.name)) return 'an emoji’s name: grinning face, red heart, rocket…';
  if (model.family === 'pixel') return 'a short description in the words the model was trained on';
  return 'a red fox in the snow, golden hour';
}

/** Whether the model reads a prompt at all (the prompt boxes are disabled when it does not). */
export function takesPrompt(model: Pick<ModelEntry, 'family'> | undefined): boolean {
  return model?.family !== 'pixel-sr';
}
