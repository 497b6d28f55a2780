/**
 * What a side-by-side comparison of gallery items shows: one scale for all of them (so a pixel is
 * the same size in each, and a 2× upscale looks twice as large as its source), and their settings
 * row by row, the rows where they differ apart from those they share.
 */
import type { GalleryItem } from '../app-state.js';
import { PACK_SAMPLER } from '../generate/settings.js';

export interface CompareRow {
  label: string;
  /** One value per item, in the items' order. */
  values: string[];
}

export interface CompareTable {
  differing: CompareRow[];
  /** Rows every item shares, with the one value. */
  shared: { label: string; value: string }[];
}

type Compared = Pick<GalleryItem, 'model' | 'seed' | 'width' | 'height' | 'settings' | 'edit' | 'upscale' | 'batch'>;

/** How an item was made, in words. */
function madeBy(item: Compared): string {
  if (item.edit) return `edit: ${item.edit.task} (${item.edit.preset} preset)`;
  if (item.upscale) return `upscale ×${+item.upscale.factor.toFixed(2)} from ${item.upscale.from.width}×${item.upscale.from.height}`;
  return 'generation';
}

const ROWS: [string, (item: Compared) => string][] = [
  ['Made by', madeBy],
  ['Model', (i) => i.model || '—'],
  ['Prompt', (i) => i.settings.prompt || '(no prompt)'],
  ['Negative prompt', (i) => i.settings.negativePrompt || '—'],
  ['Sampler', (i) => (i.settings.sampler === PACK_SAMPLER ? 'pack scheduler' : i.settings.sampler || '—')],
  ['Steps', (i) => String(i.edit?.steps ?? i.upscale?.steps ?? i.settings.steps)],
  ['CFG scale', (i) => (i.upscale ? '—' : String(i.settings.cfgScale))],
  ['Seed', (i) => String(i.seed)],
  ['Size', (i) => `${i.width}×${i.height}`],
  ['Batch', (i) => (i.batch && i.batch.size > 1 ? `${i.batch.index + 1} of ${i.batch.size}` : '—')],
];

/** The settings of the items, split into the rows that differ and those they share. */
export function compareTable(items: Compared[]): CompareTable {
  const table: CompareTable = { differing: [], shared: [] };
  for (const [label, value] of ROWS) {
    const values = items.map(value);
    if (new Set(values).size > 1) table.differing.push({ label, values });
    else if (values.length) table.shared.push({ label, value: values[0] });
  }
  return table;
}

/**
 * The one scale (display pixels per image pixel) at which every item fits a cell of `cell` display
 * pixels: the largest item fills its cell, the rest keep their size relative to it. Never above
 * `maxScale`, so a tiny image is not blown up past what can be judged.
 */
export function compareScale(items: { width: number; height: number }[], cell: { width: number; height: number }, maxScale = 8): number {
  if (!items.length) return 1;
  const w = Math.max(...items.map((i) => i.width));
  const h = Math.max(...items.map((i) => i.height));
  return Math.min(maxScale, cell.width / w, cell.height / h);
}
