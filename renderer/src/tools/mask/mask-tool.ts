/** B / E: paint or erase the mask. `[` and `]` shrink and grow the brush. */
import type { Editor } from '../editor.js';
import { Tool, type ToolDefinition, type ToolKey } from '../tool.js';
import type { KeyInput } from '../types.js';
import { MaskDrawing } from './drawing.js';
import { MaskIdle } from './idle.js';

/** The brush outline is the cursor (drawn by the canvas). */
const OUTLINE_CURSOR = 'none';

/** The brush's keys: each resizes the active brush (or eraser). */
const BRUSH_KEYS: readonly (ToolKey & { size(size: number): number })[] = [
  { key: '[', what: 'Smaller brush', size: (s) => Math.round(s / 1.25) },
  { key: ']', what: 'Larger brush', size: (s) => Math.round(s * 1.25) + 1 },
];

export const brushTool: ToolDefinition = {
  id: 'brush',
  key: 'b',
  cursor: OUTLINE_CURSOR,
  toolbar: { label: 'Brush (paint the mask)', icon: 'Brush' },
  keys: BRUSH_KEYS,
  status: {
    idle: 'Brush — paint the mask; [ and ] change the size',
    drawing: 'Painting mask — Esc takes the stroke back',
  },
  create: (editor, definition) => new MaskTool(editor, definition, 'brush'),
};

export const eraserTool: ToolDefinition = {
  id: 'eraser',
  key: 'e',
  cursor: OUTLINE_CURSOR,
  toolbar: { label: 'Eraser (erase the mask)', icon: 'Eraser' },
  keys: BRUSH_KEYS,
  status: {
    idle: 'Eraser — erase the mask; [ and ] change the size',
    drawing: 'Erasing mask — Esc takes the stroke back',
  },
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
    const resize = BRUSH_KEYS.find((k) => k.key === info.key);
    if (resize) this.editor.setBrushOptions(this.mode, { size: resize.size(this.editor.ui[this.mode].size) });
  }
}
