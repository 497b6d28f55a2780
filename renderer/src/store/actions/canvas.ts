/**
 * The recipe that gives the canvas a new size: the canvas becomes `rect` (a rectangle over the
 * old canvas, from document/canvas-size.ts) and everything the document places moves by minus its
 * corner, so what stays on the canvas stays over the same pixels. Nothing is cut: layers, strokes
 * and regions that fall outside are kept (drawn dimmed) and come back when the canvas grows again.
 * A placed frame is kept in touch with the new canvas.
 */
import { clampFramePosition } from '../../document/frame.js';
import type { Rect } from '../../document/types.js';
import type { Recipe } from '../document-store.js';
import { translateContent } from './frame.js';

export function resizeCanvas(rect: Rect): Recipe {
  return (doc) => {
    translateContent(doc, -rect.x, -rect.y);
    doc.canvas = { width: rect.width, height: rect.height };
    if (doc.frame) doc.frame = clampFramePosition(doc.frame, doc.canvas);
  };
}
