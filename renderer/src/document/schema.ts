/** The zod schema every loaded document passes through; the inferred type must equal CanvasDocument. */
import { z } from 'zod';
import { DOCUMENT_VERSION } from './types.js';

const MAX_SIDE = 16_384;
const coord = z.number().min(-1e7).max(1e7);
const id = z.string().min(1).max(200);
const flatPoints = z.array(coord).max(2_000_000).refine((p) => p.length % 2 === 0, 'points must be x, y pairs');
const unit = z.number().min(0).max(1);
const scale = z.number().positive().max(1e4);
const point = z.object({ x: coord, y: coord });

const imageLayer = z.object({
  kind: z.literal('image'),
  id,
  name: z.string().max(500),
  pixelId: id,
  width: z.number().int().min(1).max(MAX_SIDE),
  height: z.number().int().min(1).max(MAX_SIDE),
  x: coord,
  y: coord,
  scaleX: scale,
  scaleY: scale,
  rotation: z.literal(0),
  opacity: unit,
  visible: z.boolean(),
  parameters: z.string().max(100_000).optional(),
});

const maskStroke = z.object({
  id,
  mode: z.enum(['brush', 'eraser']),
  size: z.number().positive().max(10_000),
  hardness: unit,
  points: flatPoints.refine((p) => p.length >= 2, 'a stroke needs at least one point'),
});

const maskLayer = z.object({
  kind: z.literal('mask'),
  id: z.literal('mask'),
  name: z.string().max(500),
  opacity: unit,
  visible: z.boolean(),
  strokes: z.array(maskStroke),
});

const rectShape = z.object({ kind: z.literal('rect'), x: coord, y: coord, width: z.number().min(0).max(1e7), height: z.number().min(0).max(1e7) });
const lassoShape = z.object({ kind: z.literal('lasso'), points: flatPoints, closed: z.boolean() });

const selection = z.object({
  shape: z.discriminatedUnion('kind', [rectShape, lassoShape]),
  dx: coord,
  dy: coord,
  scaleX: scale,
  scaleY: scale,
});

export const DocumentSchema = z
  .object({
    version: z.literal(DOCUMENT_VERSION),
    canvas: z.object({ width: z.number().int().min(1).max(MAX_SIDE), height: z.number().int().min(1).max(MAX_SIDE) }),
    layers: z.array(imageLayer).max(10_000),
    mask: maskLayer,
    selection: selection.nullable(),
    dragPairs: z.array(z.object({ id, handle: point, target: point })).max(10_000),
    reference: rectShape.nullable(),
    frame: z.object({ x: z.number().int().min(-1e7).max(1e7), y: z.number().int().min(-1e7).max(1e7), width: z.number().int().min(1).max(MAX_SIDE), height: z.number().int().min(1).max(MAX_SIDE) }).nullable(),
  })
  .superRefine((doc, ctx) => {
    const seen = new Set<string>();
    for (const [i, layer] of doc.layers.entries()) {
      if (seen.has(layer.id)) ctx.addIssue({ code: 'custom', path: ['layers', i, 'id'], message: `duplicate layer id "${layer.id}"` });
      seen.add(layer.id);
    }
  });
