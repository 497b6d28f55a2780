/**
 * The tools an editor was handed, checked once (ids, shortcut keys and hold keys each taken by
 * one tool, none of them the editor's own keys) and looked up by id, key and hold key. The
 * toolbar's buttons, the shortcuts and the canvas cursor are read from here, so a tool is declared
 * in one place: its definition. Pure data: building one needs no editor.
 */
import { EDITOR_KEYS } from './shortcuts.js';
import type { ToolDefinition } from './tool.js';

/** A toolbar button, derived from a definition. */
export interface ToolbarEntry {
  id: string;
  icon: string;
  label: string;
  /** The tooltip and accessible name: the label with the shortcut, "Move and resize (V)". */
  title: string;
  /** The shortcut as the button shows it ("V"). */
  key: string;
}

export class ToolRegistry {
  private readonly byId = new Map<string, ToolDefinition>();
  private readonly byKey = new Map<string, ToolDefinition>();
  private readonly byHoldKey = new Map<string, ToolDefinition>();

  /** `tools` in toolbar order; throws, naming the tools, when two claim the same id or key. */
  constructor(readonly list: readonly ToolDefinition[]) {
    if (!list.length) throw new Error('the editor needs at least one tool');
    for (const tool of list) {
      if (!tool.id) throw new Error('a tool needs an id');
      if (this.byId.has(tool.id)) throw new Error(`two tools with the id "${tool.id}"`);
      this.byId.set(tool.id, tool);
      const key = tool.key.toLowerCase();
      if ([...key].length !== 1 || !key.trim()) throw new Error(`the tool "${tool.id}" needs a one-character key, not "${tool.key}"`);
      const editors = EDITOR_KEYS[key];
      if (editors) throw new Error(`the tool "${tool.id}" cannot take the key "${tool.key}": the editor uses it to ${editors}`);
      claim(this.byKey, key, tool, 'key');
      if (tool.holdKey !== undefined) claim(this.byHoldKey, tool.holdKey, tool, 'hold key');
    }
  }

  get(id: string): ToolDefinition | undefined {
    return this.byId.get(id);
  }

  /** The tool whose shortcut is `key` (case-insensitive), if any. */
  forKey(key: string): ToolDefinition | undefined {
    return this.byKey.get(key.toLowerCase());
  }

  /** The tool that `key` switches to while it is held down (a `KeyboardEvent.key`, ' ' for Space), if any. */
  forHoldKey(key: string): ToolDefinition | undefined {
    return this.byHoldKey.get(key);
  }

  /** The canvas cursor while `id` is active ('default' for an unknown tool). */
  cursor(id: string): string {
    return this.byId.get(id)?.cursor ?? 'default';
  }

  /** The toolbar's buttons, in order. */
  toolbar(): ToolbarEntry[] {
    return this.list.map(({ id, key, toolbar: { icon, label } }) => ({ id, icon, label, key: key.toUpperCase(), title: `${label} (${key.toUpperCase()})` }));
  }
}

function claim(map: Map<string, ToolDefinition>, key: string, tool: ToolDefinition, what: string): void {
  const other = map.get(key);
  const shown = key === ' ' ? 'Space' : key.toUpperCase();
  if (other) throw new Error(`two tools with the ${what} "${shown}": "${other.id}" and "${tool.id}"`);
  map.set(key, tool);
}
