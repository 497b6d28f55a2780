/** V: select a layer or the selection region, move it, resize it with the transformer handles. */
import type { Editor } from '../editor.js';
import { Tool, type ToolDefinition } from '../tool.js';
import { SelectIdle } from './idle.js';
import { SelectPointing } from './pointing.js';
import { SelectResizing } from './resizing.js';
import { SelectTranslating } from './translating.js';

export const selectTool: ToolDefinition = {
  id: 'select',
  key: 'v',
  cursor: 'default',
  toolbar: { label: 'Move and resize', icon: 'Move' },
  status: {
    idle: 'Select — click a layer, drag to move it, drag a handle to resize it',
    pointing: 'Select — drag to move',
    translating: 'Moving — Shift locks to one axis, Esc puts it back',
    resizing: 'Resizing — Shift on a corner keeps the proportions, Esc puts it back',
  },
  create: (editor, definition) => new SelectTool(editor, definition),
};

export class SelectTool extends Tool {
  override readonly initial = 'idle';

  constructor(editor: Editor, definition: ToolDefinition) {
    super(editor, definition);
    this.addChildren(new SelectIdle(editor, this), new SelectPointing(editor, this), new SelectTranslating(editor, this), new SelectResizing(editor, this));
  }
}
