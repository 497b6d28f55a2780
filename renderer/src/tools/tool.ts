/**
 * A tool, as it declares itself (tldraw's `static id` / shortcut, plus how the studio offers it):
 * its id, shortcut key, canvas cursor and toolbar button, beside the state machine it runs. Each
 * tool's folder exports its definition; the studio hands the list to the editor (tools.ts), and
 * the toolbar, the shortcuts and the canvas cursor are derived from that list (registry.ts).
 */
import type { Editor } from './editor.js';
import { StateNode } from './state-node.js';

/** The tool's button in the toolbar. */
export interface ToolButton {
  /** Long name, for the tooltip and screen readers ("Move and resize"); the toolbar appends the key. */
  readonly label: string;
  /** What the button shows ("Move"). */
  readonly icon: string;
}

/** A key the tool takes while it is active (the brush's `[` and `]`), for the keyboard map. */
export interface ToolKey {
  readonly key: string;
  readonly what: string;
}

export interface ToolDefinition {
  /** Unique among the editor's tools; the root of the tool's state paths ('select.idle'). */
  readonly id: string;
  /** The shortcut: one character, lower case ('v'). */
  readonly key: string;
  /** CSS cursor over the canvas while the tool is active. */
  readonly cursor: string;
  readonly toolbar: ToolButton;
  /** Held down, this key switches to the tool until it is released (the hand on Space). */
  readonly holdKey?: string;
  /** Keys the tool takes while it is active; the tool's own key handling reads the same list. */
  readonly keys?: readonly ToolKey[];
  /**
   * What the status bar says in each of the tool's states, keyed by the state's path below the
   * tool ('idle', 'translating'): words the user reads, never the path itself. Every state the
   * tool can be in needs words here (or in the studio's fallback table); a unit test walks them all.
   */
  readonly status?: Readonly<Record<string, string>>;
  /** The tool's state machine for one editor. */
  create(editor: Editor, definition: ToolDefinition): Tool;
}

/** The root state of a tool's state machine; its id is its definition's. */
export abstract class Tool extends StateNode {
  readonly id: string;

  constructor(
    editor: Editor,
    readonly definition: ToolDefinition,
  ) {
    super(editor);
    this.id = definition.id;
  }
}
