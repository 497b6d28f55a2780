/**
 * The keyboard map that `?` opens, generated from the tables the keys are handled by: the tools'
 * own declarations (key, hold key, keys while active), the editor's shortcut table and the page's.
 * A shortcut added to any of them appears here; none is listed by hand. Pure: no DOM.
 */
import { EDITOR_SHORTCUTS } from '../../tools/shortcuts.js';
import type { ToolDefinition } from '../../tools/tool.js';
import { PAGE_SHORTCUTS } from '../keyboard-rules.js';

export interface KeymapRow {
  /** Each way to press it, as shown ("Ctrl+Z", "Space (hold)"). */
  keys: string[];
  what: string;
}

export interface KeymapSection {
  title: string;
  rows: KeymapRow[];
}

const NAMES: Record<string, string> = { ' ': 'Space', enter: 'Enter', escape: 'Esc', delete: 'Delete', backspace: 'Backspace' };

/** A key as the map shows it: "Ctrl+Shift+E", "B", "Space". */
export function keyLabel(key: string, mods: { accel?: boolean; shift?: boolean } = {}, mac = false): string {
  const name = NAMES[key.toLowerCase()] ?? NAMES[key] ?? (key.length === 1 ? key.toUpperCase() : key);
  return `${mods.accel ? (mac ? '⌘' : 'Ctrl+') : ''}${mods.shift ? 'Shift+' : ''}${name}`;
}

export function keyboardMap(tools: readonly ToolDefinition[], mac = false): KeymapSection[] {
  const toolRows: KeymapRow[] = tools.flatMap((t) => [
    { keys: [keyLabel(t.key)], what: t.toolbar.label },
    ...(t.holdKey !== undefined ? [{ keys: [`${keyLabel(t.holdKey)} (hold)`], what: `${t.toolbar.icon}, while held` }] : []),
  ]);
  // Keys several tools share (the brush and the eraser's `[`) are one row naming the tools.
  const active = new Map<string, { key: string; what: string; tools: string[] }>();
  for (const t of tools) {
    for (const k of t.keys ?? []) {
      const id = `${k.key}\u0000${k.what}`;
      const row = active.get(id) ?? { key: k.key, what: k.what, tools: [] };
      row.tools.push(t.toolbar.icon);
      active.set(id, row);
    }
  }
  const page = PAGE_SHORTCUTS.map((p) => ({ keys: [keyLabel(p.key, { accel: p.accel, shift: p.shift }, mac)], what: p.what }));
  // A key the page takes before the canvas sees it (Ctrl+Enter) is listed once, under Studio.
  const taken = new Set(page.flatMap((r) => r.keys));
  const canvas = EDITOR_SHORTCUTS.map((s) => ({ keys: s.keys.map((k) => keyLabel(k, { accel: s.accel, shift: s.shift }, mac)), what: s.what })).filter((r) => !r.keys.every((k) => taken.has(k)));
  return [
    { title: 'Tools', rows: toolRows },
    { title: 'While a tool is active', rows: [...active.values()].map((r) => ({ keys: [keyLabel(r.key)], what: `${r.what} (${r.tools.join(', ')})` })) },
    { title: 'Canvas', rows: canvas },
    { title: 'Studio', rows: page },
  ].filter((s) => s.rows.length > 0);
}
