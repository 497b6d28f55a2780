/** B / E: paint or erase the mask. `[` and `]` shrink and grow the brush. */
import type { Editor } from '../editor.js';
import { StateNode } from '../state-node.js';
import type { KeyInput } from '../types.js';
import { MaskDrawing } from './drawing.js';
import { MaskIdle } from './idle.js';

export class MaskTool extends StateNode {
  override readonly initial = 'idle';

  constructor(
    editor: Editor,
    readonly id: 'brush' | 'eraser',
  ) {
    super(editor);
    this.addChildren(new MaskIdle(editor, this), new MaskDrawing(editor, this, id));
  }

  override onKeyDown(info: KeyInput): void {
    if (info.ctrlKey || info.metaKey) return;
    const size = this.editor.ui[this.id].size;
    if (info.key === '[') this.editor.setBrushOptions(this.id, { size: Math.round(size / 1.25) });
    if (info.key === ']') this.editor.setBrushOptions(this.id, { size: Math.round(size * 1.25) + 1 });
  }
}
