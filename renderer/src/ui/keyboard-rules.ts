/**
 * Which key presses the studio takes from the page, and which it leaves alone (typing in a text
 * field, the Electron menu's own accelerators). Pure; ui/keyboard.ts wires it to `window`.
 */
import { EDITOR_SHORTCUTS } from '../tools/shortcuts.js';

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
  /** Open or close the keyboard map. */
  | 'help'
  | 'none';

export interface KeyDecision {
  action: KeyAction;
  /** Stop the browser's own handling (page scroll, browser zoom, …). */
  preventDefault: boolean;
}

/** A key the page itself takes (not the editor): what it does, for the keyboard map, and when. */
export interface PageShortcut {
  key: string;
  accel: boolean;
  shift?: boolean;
  action: Exclude<KeyAction, 'editor' | 'none'>;
  what: string;
  /** Also while typing in a text field. */
  whileTyping?: boolean;
  /** Left to the Electron menu's accelerator, which sends the action back itself. */
  menuInElectron?: boolean;
}

export const PAGE_SHORTCUTS: readonly PageShortcut[] = [
  { key: 'enter', accel: true, action: 'generate', what: 'Generate (queued while a job runs), also from a text field', whileTyping: true },
  { key: 'o', accel: true, action: 'openImage', what: 'Open an image', menuInElectron: true },
  { key: 'e', accel: true, shift: true, action: 'exportPng', what: 'Export the canvas as PNG', menuInElectron: true },
  { key: '?', accel: false, action: 'help', what: 'Show or hide this keyboard map' },
];

/** Ctrl/Cmd keys the editor's shortcut table takes (the browser must not zoom or undo itself). */
const EDITOR_ACCEL = new Set(EDITOR_SHORTCUTS.filter((s) => s.accel).flatMap((s) => s.keys.map((k) => k.toLowerCase())));

export function decideKeyDown(e: KeyLike, ctx: { typing: boolean; electron: boolean }): KeyDecision {
  const accel = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  const page = PAGE_SHORTCUTS.find((p) => p.key === key && p.accel === accel && (p.shift === undefined || p.shift === e.shiftKey) && (p.whileTyping || !ctx.typing) && !(p.menuInElectron && ctx.electron));
  if (page) return { action: page.action, preventDefault: true };
  if (ctx.typing) return { action: 'none', preventDefault: false };
  if (accel) return EDITOR_ACCEL.has(key) ? { action: 'editor', preventDefault: true } : { action: 'none', preventDefault: false };
  if (key === ' ' || key === 'delete' || key === 'backspace' || key === 'escape') return { action: 'editor', preventDefault: true };
  return { action: 'editor', preventDefault: false };
}
