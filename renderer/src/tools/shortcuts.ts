/**
 * The editor's keyboard shortcuts as one table, applied after the active tool has seen the key;
 * tools declare their own keys (registry.ts). The keyboard map (`?`) is generated from this table
 * and the tools' declarations, so what it lists is what the keys do.
 */
import type { Editor } from './editor.js';
import { ZOOM_STEP, type KeyInput } from './types.js';

export interface Shortcut {
  /** `KeyboardEvent.key` values, single characters in lower case ('z', '+', 'Delete'). */
  readonly keys: readonly string[];
  /** Ctrl (Cmd on a Mac) held. */
  readonly accel?: boolean;
  /** Shift must be held (true) or not (false); either when absent. */
  readonly shift?: boolean;
  /** What it does, as the keyboard map says it ("Zoom in"). */
  readonly what: string;
  run(editor: Editor): void;
}

export const EDITOR_SHORTCUTS: readonly Shortcut[] = [
  { keys: ['z'], accel: true, shift: false, what: 'Undo', run: (e) => e.undo() },
  { keys: ['z'], accel: true, shift: true, what: 'Redo', run: (e) => e.redo() },
  { keys: ['y'], accel: true, what: 'Redo', run: (e) => e.redo() },
  { keys: ['Enter'], accel: true, what: 'Generate (queued while a job runs)', run: (e) => e.onGenerate?.(e) },
  { keys: ['+', '='], accel: true, what: 'Zoom in', run: (e) => e.zoomBy(ZOOM_STEP) },
  { keys: ['-'], accel: true, what: 'Zoom out', run: (e) => e.zoomBy(1 / ZOOM_STEP) },
  { keys: ['0'], accel: true, what: 'Zoom to fit', run: (e) => e.zoomToFit() },
  { keys: ['+', '='], what: 'Zoom in', run: (e) => e.zoomBy(ZOOM_STEP) },
  { keys: ['-', '_'], what: 'Zoom out', run: (e) => e.zoomBy(1 / ZOOM_STEP) },
  { keys: ['Delete', 'Backspace'], what: 'Delete the selection', run: (e) => e.deleteSelected() },
  { keys: ['Escape'], what: 'Cancel the gesture in progress', run: (e) => e.cancel() },
];

/** Keys the editor takes without a modifier before any tool's shortcut, and what they do (no tool may claim them). */
export const EDITOR_KEYS: Readonly<Record<string, string>> = Object.fromEntries(
  EDITOR_SHORTCUTS.filter((s) => !s.accel).flatMap((s) => s.keys.filter((k) => [...k].length === 1).map((k) => [k, s.what.toLowerCase()])),
);

const norm = (key: string) => (key.length === 1 ? key.toLowerCase() : key);

/** The table's entry for a key press, if any. */
export function shortcutFor(info: Pick<KeyInput, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>): Shortcut | undefined {
  const key = norm(info.key);
  const accel = info.ctrlKey || info.metaKey;
  if (!accel && info.altKey) return undefined;
  return EDITOR_SHORTCUTS.find((s) => !!s.accel === accel && (s.shift === undefined || s.shift === info.shiftKey) && s.keys.includes(key));
}

/** Returns whether the key was a shortcut: the table's, else a tool's key (not while the pointer is down). */
export function handleShortcut(editor: Editor, info: KeyInput): boolean {
  const shortcut = shortcutFor(info);
  if (shortcut) {
    shortcut.run(editor);
    return true;
  }
  if (info.ctrlKey || info.metaKey || info.altKey) return false;
  const tool = editor.toolForKey(norm(info.key));
  if (!tool || editor.inputs.isPointerDown) return false;
  editor.setTool(tool.id);
  return true;
}
