/**
 * The viewport maps document pixels to screen pixels: screen = doc · zoom + pan. It is session
 * state, never part of the document or of undo history.
 */
import type { Point } from './types.js';

export interface Viewport {
  zoom: number;
  panX: number;
  panY: number;
}

export const MIN_ZOOM = 1 / 32;
export const MAX_ZOOM = 64;

export const IDENTITY_VIEWPORT: Viewport = { zoom: 1, panX: 0, panY: 0 };

export function screenToDocument(v: Viewport, p: Point): Point {
  return { x: (p.x - v.panX) / v.zoom, y: (p.y - v.panY) / v.zoom };
}

export function documentToScreen(v: Viewport, p: Point): Point {
  return { x: p.x * v.zoom + v.panX, y: p.y * v.zoom + v.panY };
}

export function clampZoom(zoom: number): number {
  return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom));
}

/** Zoom by `factor` keeping the document point under `screenPoint` where it is. */
export function zoomAt(v: Viewport, screenPoint: Point, factor: number): Viewport {
  const zoom = clampZoom(v.zoom * factor);
  const anchor = screenToDocument(v, screenPoint);
  return { zoom, panX: screenPoint.x - anchor.x * zoom, panY: screenPoint.y - anchor.y * zoom };
}

export function panBy(v: Viewport, dx: number, dy: number): Viewport {
  return { zoom: v.zoom, panX: v.panX + dx, panY: v.panY + dy };
}

/** The viewport that shows a width×height canvas whole and centred in a screen of the given size. */
export function fitViewport(canvas: { width: number; height: number }, screen: { width: number; height: number }, margin = 16): Viewport {
  const zoom = clampZoom(Math.min((screen.width - 2 * margin) / canvas.width, (screen.height - 2 * margin) / canvas.height));
  return { zoom, panX: (screen.width - canvas.width * zoom) / 2, panY: (screen.height - canvas.height * zoom) / 2 };
}
