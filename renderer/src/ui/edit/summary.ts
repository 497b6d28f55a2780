/**
 * What the Edit panel shows: what the canvas describes (`editRequestFromDocument`), in words. Pure.
 */
import { maskStats } from '../../document/raster/mask.js';
import type { EditKind, EditRequest } from '../../document/edit-request.js';
import type { Rect } from '../../document/types.js';
import { formatDuration, type ProgressSnapshot } from '../generate/progress.js';

export interface EditSummary {
  kind: EditKind;
  title: string;
  /** What the edit does, in one sentence. */
  description: string;
  rows: [label: string, value: string][];
}

const TITLES: Record<EditKind, string> = {
  paste: 'Paste an object',
  move: 'Move / resize a region',
  drag: 'Drag points',
  inpaint: 'Repaint the masked region',
  none: 'Nothing to edit yet',
};

const DESCRIPTIONS: Record<EditKind, string> = {
  paste: 'The pasted layer is blended into the base image where it is placed.',
  move: 'The selected region is moved (and resized) to its new place, and the hole it leaves filled.',
  drag: 'The content at each handle is dragged to its target.',
  inpaint: 'A masked region: mark a reference region (R) to give it another region\'s appearance.',
  none: 'Select a region (M, L) and move it (V), add drag points (D), paste an image, or paint a mask (B) and mark a reference region (R).',
};

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
export const formatRect = (r: Rect | null) => (r ? `${fmt(r.width)} × ${fmt(r.height)} at (${fmt(r.x)}, ${fmt(r.y)})` : '—');

export function summarizeEdit(req: EditRequest): EditSummary {
  const { count } = maskStats(req.sourceMask);
  const total = req.width * req.height;
  const rows: [string, string][] = [
    ['Canvas', `${req.width} × ${req.height}`],
    ['Mask area', count === 0 ? 'empty' : `${count.toLocaleString('en-US')} px (${((100 * count) / total).toFixed(1)} %)`],
    ['Masked region', formatRect(req.referenceRegion)],
  ];
  if (req.target) {
    rows.push(['Offset', `${fmt(req.target.offset.x)}, ${fmt(req.target.offset.y)} px`]);
    rows.push(['Scale', `${req.target.scale.x.toFixed(2)} × ${req.target.scale.y.toFixed(2)}`]);
    rows.push(['Target box', formatRect(req.target.box)]);
  }
  if (req.dragPoints.length) {
    rows.push(['Drag pairs', String(req.dragPoints.length)]);
    req.dragPoints.forEach((p, i) => rows.push([`  pair ${i + 1}`, `(${fmt(p.handle.x)}, ${fmt(p.handle.y)}) → (${fmt(p.target.x)}, ${fmt(p.target.y)})`]));
  }
  if (req.paste) {
    rows.push(['Pasted layer', `${req.paste.size.width} × ${req.paste.size.height} px`]);
    rows.push(['Placed at', formatRect(req.paste.placement)]);
    rows.push(['Layer scale', `${req.paste.scale.x.toFixed(2)} × ${req.paste.scale.y.toFixed(2)}`]);
    rows.push(['Layer opacity', `${Math.round(req.paste.opacity * 100)} %`]);
  }
  return { kind: req.kind, title: TITLES[req.kind], description: DESCRIPTIONS[req.kind], rows };
}

/** The Edit panel's progress caption: the phase, then the step and time left. */
export function editProgressCaption(phase: 'invert' | 'sample' | 'search' | undefined, p: ProgressSnapshot): string {
  if (p.total === 0) return 'Loading the model…';
  const what = phase === 'invert' ? 'Inverting the image' : 'Sampling the edit';
  if (p.step >= p.total) return `${what} · step ${p.step} / ${p.total}${phase === 'invert' ? '' : ' · finishing'}`;
  return `${what} · step ${p.step} / ${p.total} · ${p.etaMs === null ? 'estimating…' : `${formatDuration(p.etaMs)} left`}`;
}
