/**
 * The tool state as the status bar says it: the words a tool declares for each of its states
 * (`ToolDefinition.status`). Never the internal path ('select.idle'): a state without words reads
 * as the tool's toolbar label.
 */
import type { ToolRegistry } from '../tools/registry.js';

/** The declared words for `path` ('tool.state'), or undefined when the tool has none. */
export function declaredToolStatus(tools: ToolRegistry, path: string): string | undefined {
  const dot = path.indexOf('.');
  const id = dot < 0 ? path : path.slice(0, dot);
  const below = dot < 0 ? '' : path.slice(dot + 1);
  return tools.get(id)?.status?.[below];
}

/** What the status bar shows for the tool state `path`: its words, else the tool's label, else nothing. */
export function toolStatusText(tools: ToolRegistry, path: string): string {
  const words = declaredToolStatus(tools, path);
  if (words) return words;
  return tools.get(path.split('.')[0])?.toolbar.label ?? '';
}
