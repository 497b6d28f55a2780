/** B / E: paint or erase the mask. `[` and `]` shrink and grow the brush. */
import type { Editor } from '../editor.js';
import { Tool, type ToolDefinition } from '../tool.js';
import type { KeyInput } from '../types.js';
import { MaskDrawing } from './drawing.js';
import { MaskIdle } from './idle.js';

/** The brush outline is the cursor (drawn by the canvas). */
const OUTLINE_CURSOR = 'none';

export const brushTool: ToolDefinition = {
  id: 'brush',
  key: 'b',
  cursor: OUTLINE_CURSOR,
  toolbar: { label: 'Brush (paint the mask)', icon: 'Brush' },
  create: (editor, definition) => new MaskTool(editor, definition, 'brush'),
};

export const eraserTool: ToolDefinition = {
  id: 'eraser',
  key: 'e',
  cursor: OUTLINE_CURSOR,
  toolbar: { label: 'Eraser (erase the mask)', icon: 'Eraser' },
  create: (editor, definition) => new MaskTool(editor, definition, 'eraser'),
};

export class MaskTool extends Tool {
  override readonly initial = 'idle';

  constructor(
    editor: Editor,
    definition: ToolDefinition,
    /** Which brush settings it uses and what a stroke does to the mask. */
    readonly mode: 'brush' | 'eraser',
  ) {
    super(editor, definition);
    this.addChildren(new MaskIdle(editor, this), new MaskDrawing(editor, this, mode));
  }

  override onKeyDown(info: KeyInput): void {
    if (info.ctrlKey || info.metaKey) return;
    const size = this.editor.ui[this.mode].size;
    if (info.key === '[') this.editor.setBrushOptions(this.mode, { size: Math.round(size / 1.25) });
    if (info.key === ']') this.editor.setBrushOptions(this.mode, { size: Math.round(size * 1.25) + 1 });
  }
}
