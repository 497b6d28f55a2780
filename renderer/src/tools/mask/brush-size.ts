/**
 * The brush's and the eraser's default size, relative to what is being painted on: a fixed
 * fraction of the generation frame's short side (4 px on a 32 px frame, 64 px on a 512 px one),
 * so a first stroke covers about the same part of any image. Pure.
 */
import { clampBrushSize } from '../editor.js';

/** The default diameter as a fraction of the frame's short side. */
export const BRUSH_FRACTION = 1 / 8;

export function relativeBrushSize(frame: { width: number; height: number }): number {
  return clampBrushSize(Math.min(frame.width, frame.height) * BRUSH_FRACTION);
}
