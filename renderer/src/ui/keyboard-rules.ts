/**
 * Which key presses the studio takes from the page, and which it leaves alone (typing in a text
 * field, the Electron menu's own accelerators). Pure; ui/keyboard.ts wires it to `window`.
 */

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

export interface TargetLike {
  tagName?: string;
  isContentEditable?: boolean;
  type?: string;
}

const NON_TEXT_INPUTS = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file', 'image']);

/** A text field (or select) has the key: the studio leaves it to the field. */
export function isTypingTarget(t: TargetLike | null | undefined): boolean {
  if (!t) return false;
  if (t.isContentEditable) return true;
  const tag = (t.tagName ?? '').toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return !NON_TEXT_INPUTS.has((t.type ?? 'text').toLowerCase());
  return false;
}

export type KeyAction =
  /** Forward to `editor.keyDown`. */
  | 'editor'
  /** Start a generation (Ctrl/Cmd+Enter typed in a field). */
  | 'generate'
  | 'openImage'
  | 'exportPng'
  | 'none';

export interface KeyDecision {
  action: KeyAction;
  /** Stop the browser's own handling (page scroll, browser zoom, …). */
  preventDefault: boolean;
}

const EDITOR_ACCEL = new Set(['z', 'y', 'enter', '+', '=', '-', '0']);

export function decideKeyDown(e: KeyLike, ctx: { typing: boolean; electron: boolean }): KeyDecision {
  const accel = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key.toLowerCase();
  if (accel && key === 'enter') return { action: 'generate', preventDefault: true };
  if (ctx.typing) return { action: 'none', preventDefault: false };
  if (accel && !ctx.electron) {
    // In Electron these are menu accelerators; the menu sends them back as actions.
    if (key === 'o') return { action: 'openImage', preventDefault: true };
    if (key === 'e' && e.shiftKey) return { action: 'exportPng', preventDefault: true };
  }
  if (accel) return EDITOR_ACCEL.has(key) ? { action: 'editor', preventDefault: true } : { action: 'none', preventDefault: false };
  if (key === ' ' || key === 'delete' || key === 'backspace' || key === 'escape') return { action: 'editor', preventDefault: true };
  return { action: 'editor', preventDefault: false };
}
