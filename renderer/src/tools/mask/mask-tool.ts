/** B / E: paint or erase the mask. `[` and `]` shrink and grow the brush. */
import type { Editor } from '../editor.js';
import { Tool } from '../tool.js';
import type { KeyInput } from '../types.js';
import { MaskDrawing } from './drawing.js';
import { MaskIdle } from './idle.js';

export class MaskTool extends Tool {
  override readonly initial = 'idle';
  readonly key: string;
  readonly label: string;
  readonly short: string;
  /** The brush outline is the cursor (drawn by the canvas). */
  readonly cursor = 'none';

  constructor(
    editor: Editor,
    readonly id: 'brush' | 'eraser',
  ) {
    super(editor);
    const brush = id === 'brush';
    this.key = brush ? 'b' : 'e';
    this.label = brush ? 'Brush (paint the mask)' : 'Eraser (erase the mask)';
    this.short = brush ? 'Brush' : 'Eraser';
    this.addChildren(new MaskIdle(editor, this), new MaskDrawing(editor, this, id));
  }

  override onKeyDown(info: KeyInput): void {
    if (info.ctrlKey || info.metaKey) return;
    const size = this.editor.ui[this.id].size;
    if (info.key === '[') this.editor.setBrushOptions(this.id, { size: Math.round(size / 1.25) });
    if (info.key === ']') this.editor.setBrushOptions(this.id, { size: Math.round(size * 1.25) + 1 });
  }
}
