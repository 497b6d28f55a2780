/** Constructors for empty documents and new layers, strokes and pairs. */
import { makeId } from './ids.js';
import { DOCUMENT_VERSION, type CanvasDocument, type DragPair, type ImageLayer, type MaskStroke, type Point } from './types.js';

export function createDocument(width: number, height: number): CanvasDocument {
  return {
    version: DOCUMENT_VERSION,
    canvas: { width, height },
    layers: [],
    mask: { kind: 'mask', id: 'mask', name: 'Mask', opacity: 0.5, visible: true, strokes: [] },
    selection: null,
    dragPairs: [],
    reference: null,
    frame: null,
  };
}

export interface NewImageLayer {
  pixelId: string;
  width: number;
  height: number;
  /** Top-left corner; defaults to the origin. */
  at?: Point;
  name?: string;
  id?: string;
  /** The generation's PNG `parameters`, for a generated image. */
  parameters?: string;
}

export function createImageLayer(init: NewImageLayer): ImageLayer {
  return {
    kind: 'image',
    id: init.id ?? makeId('layer'),
    name: init.name ?? 'Image',
    pixelId: init.pixelId,
    width: init.width,
    height: init.height,
    x: init.at?.x ?? 0,
    y: init.at?.y ?? 0,
    scaleX: 1,
    scaleY: 1,
    rotation: 0,
    opacity: 1,
    visible: true,
    ...(init.parameters !== undefined ? { parameters: init.parameters } : {}),
  };
}

export function createStroke(mode: MaskStroke['mode'], size: number, hardness: number, first: Point): MaskStroke {
  return { id: makeId('stroke'), mode, size, hardness, points: [first.x, first.y] };
}

export function createDragPair(handle: Point, target: Point = handle): DragPair {
  return { id: makeId('drag'), handle: { ...handle }, target: { ...target } };
}
