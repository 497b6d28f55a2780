/** Input events the headless editor receives (screen coordinates, DOM-free). */
export interface Modifiers {
  shiftKey?: boolean;
  altKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
}

export interface PointerInput extends Modifiers {
  /** Screen (stage) coordinates in CSS pixels. */
  x: number;
  y: number;
  /** 0 primary, 1 middle, 2 secondary. */
  button?: number;
}

export interface WheelInput extends Modifiers {
  x: number;
  y: number;
  deltaX?: number;
  deltaY: number;
}

export interface KeyInput extends Required<Modifiers> {
  /** `KeyboardEvent.key`: 'v', 'Delete', ' ', 'Escape', '+', … */
  key: string;
}

/** Pointer distance in screen pixels before a press becomes a drag. */
export const DRAG_DISTANCE = 4;
/** Hit radius of transformer handles and drag points, in screen pixels. */
export const HANDLE_RADIUS = 8;
/** Zoom factor of one +/− key press. */
export const ZOOM_STEP = 1.25;
