/**
 * F: the generation frame — what Generate works on and where its result lands. Drag inside it to
 * move it, drag a handle to resize it (sides snap to the model's multiple; Shift on a corner keeps
 * the proportions), press outside it to bring it there. It may hang off the canvas to outpaint.
 * One undo step per gesture; Escape puts it back.
 */
import type { Editor } from '../editor.js';
import { Tool, type ToolDefinition } from '../tool.js';
import { FrameIdle } from './idle.js';
import { FrameMoving } from './moving.js';
import { FrameResizing } from './resizing.js';

export const frameTool: ToolDefinition = {
  id: 'frame',
  key: 'f',
  cursor: 'move',
  toolbar: { label: 'Generation frame (what Generate works on)', icon: 'Frame' },
  status: {
    idle: 'Frame — drag inside to move it, a handle to resize it, press outside to bring it there',
    moving: 'Moving the frame — Shift locks to one axis, Esc puts it back',
    resizing: 'Resizing the frame — sides snap to the model’s multiple, Shift keeps the proportions',
  },
  create: (editor, definition) => new FrameTool(editor, definition),
};

export class FrameTool extends Tool {
  override readonly initial = 'idle';

  constructor(editor: Editor, definition: ToolDefinition) {
    super(editor, definition);
    this.addChildren(new FrameIdle(editor, this), new FrameMoving(editor, this), new FrameResizing(editor, this));
  }
}
