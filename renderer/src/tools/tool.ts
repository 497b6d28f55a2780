/**
 * A tool: the root state of one state machine, declaring how the studio offers it (tldraw's
 * `static id` / shortcut / cursor). The editor is handed a list of tool factories; the shortcuts,
 * the toolbar and the canvas cursor read these declarations instead of keeping their own tables.
 */
import type { ToolId } from '../store/state.js';
import type { Editor } from './editor.js';
import { StateNode } from './state-node.js';

export abstract class Tool extends StateNode {
  abstract override readonly id: ToolId;
  /** The shortcut key, lower case ('v'). */
  abstract readonly key: string;
  /** Long name, for tooltips and screen readers. */
  abstract readonly label: string;
  /** Short name on the toolbar button. */
  abstract readonly short: string;
  /** CSS cursor over the canvas while the tool is active. */
  abstract readonly cursor: string;
}

export type ToolFactory = (editor: Editor) => Tool;
