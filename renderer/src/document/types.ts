/**
 * The canvas document: plain, serialisable data (no class instances, no pixels). Konva only draws
 * it; tools change it through store recipes; undo history is immer patches over it. Pixels live in
 * the PixelStore beside it and are referenced by id. The viewport and the generation settings are
 * deliberately not part of it.
 */

export const DOCUMENT_VERSION = 3;

export interface Point {
  x: number;
  y: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An image placed on the canvas; `pixelId` names a buffer in the PixelStore. */
export interface ImageLayer {
  kind: 'image';
  id: string;
  name: string;
  pixelId: string;
  /** Natural size of the pixel buffer. */
  width: number;
  height: number;
  /** Top-left corner in document pixels. */
  x: number;
  y: number;
  scaleX: number;
  scaleY: number;
  /** Reserved: rotation is not supported yet and is always 0. */
  rotation: 0;
  opacity: number;
  visible: boolean;
  /** The PNG `parameters` text of the generation that made it; absent for images from elsewhere. */
  parameters?: string;
}

/** A brush or eraser polyline on the mask. `points` is flat: [x0, y0, x1, y1, …]. */
export interface MaskStroke {
  id: string;
  mode: 'brush' | 'eraser';
  /** Diameter in document pixels. */
  size: number;
  /** 1: hard edge; 0: coverage falls off from the centre line to the edge. */
  hardness: number;
  points: number[];
}

/** The one mask layer: white (1) marks the region to edit. */
export interface MaskLayer {
  kind: 'mask';
  id: 'mask';
  name: string;
  opacity: number;
  visible: boolean;
  strokes: MaskStroke[];
}

export interface RectShape {
  kind: 'rect';
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A lasso polygon, flat points; it is open while being drawn and closed once committed. */
export interface LassoShape {
  kind: 'lasso';
  points: number[];
  closed: boolean;
}

export type SelectionShape = RectShape | LassoShape;

/**
 * A selected region and where it has been moved to: the target is the shape's bounding box
 * translated by (dx, dy) and scaled by (scaleX, scaleY) about its top-left corner.
 */
export interface Selection {
  shape: SelectionShape;
  dx: number;
  dy: number;
  scaleX: number;
  scaleY: number;
}

/** A point-drag instruction: move the content at `handle` to `target`. */
export interface DragPair {
  id: string;
  handle: Point;
  target: Point;
}

export interface CanvasDocument {
  version: typeof DOCUMENT_VERSION;
  canvas: { width: number; height: number };
  /** Image layers, bottom to top; the first is usually the generated base image. */
  layers: ImageLayer[];
  mask: MaskLayer;
  selection: Selection | null;
  dragPairs: DragPair[];
  /**
   * The reference region (R): the part of the image whose appearance an appearance edit carries
   * into the masked region. Added in version 2.
   */
  reference: RectShape | null;
  /**
   * The generation frame (InvokeAI's bounding box): the region Generate works on and where its
   * result lands, in document pixels (integers; it may hang off the canvas to outpaint). Null until
   * the user places it: the frame is then the model's trained size centred on the canvas
   * (`effectiveFrame`, frame.ts). Added in version 3.
   */
  frame: Rect | null;
}
