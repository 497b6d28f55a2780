/** Keyboard shortcuts, applied after the active tool has seen the key; tools declare their own keys. */
import type { Editor } from './editor.js';
import { ZOOM_STEP, type KeyInput } from './types.js';

/** Keys the editor takes without a modifier before any tool's shortcut, and what they do (no tool may claim them). */
export const EDITOR_KEYS: Readonly<Record<string, string>> = { '+': 'zoom in', '=': 'zoom in', '-': 'zoom out', '_': 'zoom out' };

/** Returns whether the key was a shortcut. */
export function handleShortcut(editor: Editor, info: KeyInput): boolean {
  const key = info.key.length === 1 ? info.key.toLowerCase() : info.key;
  const accel = info.ctrlKey || info.metaKey;
  if (accel) {
    if (key === 'z') info.shiftKey ? editor.redo() : editor.undo();
    else if (key === 'y') editor.redo();
    else if (key === 'Enter') editor.onGenerate?.(editor);
    else if (key === '+' || key === '=') editor.zoomBy(ZOOM_STEP);
    else if (key === '-') editor.zoomBy(1 / ZOOM_STEP);
    else if (key === '0') editor.zoomToFit();
    else return false;
    return true;
  }
  if (info.altKey) return false;
  if (key === '+' || key === '=') editor.zoomBy(ZOOM_STEP);
  else if (key === '-' || key === '_') editor.zoomBy(1 / ZOOM_STEP);
  else if (key === 'Delete' || key === 'Backspace') editor.deleteSelected();
  else if (key.length === 1 && editor.toolForKey(key) && !editor.inputs.isPointerDown) editor.setTool(editor.toolForKey(key)!.id);
  else return false;
  return true;
}
