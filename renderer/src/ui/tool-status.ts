/**
 * The tool state as the status bar says it: the words a tool declares for each of its states
 * (`ToolDefinition.status`), or this table's for tools that declare none yet. Never the internal
 * path ('select.idle'): a state without words reads as the tool's toolbar label.
 */
import type { ToolRegistry } from '../tools/registry.js';

/** Words for the states of tools whose definitions carry none, keyed by the full state path. */
export const FALLBACK_TOOL_STATUS: Readonly<Record<string, string>> = {
  'brush.idle': 'Brush — paint the mask; [ and ] change the size',
  'brush.drawing': 'Painting mask — Esc takes the stroke back',
  'eraser.idle': 'Eraser — erase the mask; [ and ] change the size',
  'eraser.drawing': 'Erasing mask — Esc takes the stroke back',
};

/** The declared words for `path` ('tool.state'), or undefined when neither the tool nor the fallback has any. */
export function declaredToolStatus(tools: ToolRegistry, path: string): string | undefined {
  const dot = path.indexOf('.');
  const id = dot < 0 ? path : path.slice(0, dot);
  const below = dot < 0 ? '' : path.slice(dot + 1);
  return tools.get(id)?.status?.[below] ?? FALLBACK_TOOL_STATUS[path];
}

/** What the status bar shows for the tool state `path`: its words, else the tool's label, else nothing. */
export function toolStatusText(tools: ToolRegistry, path: string): string {
  const words = declaredToolStatus(tools, path);
  if (words) return words;
  return tools.get(path.split('.')[0])?.toolbar.label ?? '';
}
