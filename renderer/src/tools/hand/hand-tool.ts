/** H, or hold Space: drag to pan. Panning changes the viewport only, never the document or history. */
import type { Editor } from '../editor.js';
import { StateNode } from '../state-node.js';
import { Tool, type ToolDefinition } from '../tool.js';

export const handTool: ToolDefinition = {
  id: 'hand',
  key: 'h',
  holdKey: ' ',
  cursor: 'grab',
  status: {
    idle: 'Hand — drag to pan',
    panning: 'Panning',
  },
  toolbar: { label: 'Hand: pan (or hold Space)', icon: 'Hand' },
  create: (editor, definition) => new HandTool(editor, definition),
};

export class HandTool extends Tool {
  override readonly initial = 'idle';

  constructor(editor: Editor, definition: ToolDefinition) {
    super(editor, definition);
    this.addChildren(new HandIdle(editor, this), new HandPanning(editor, this));
  }
}

class HandIdle extends StateNode {
  readonly id = 'idle';

  override onPointerDown(): void {
    this.go('panning');
  }
}

class HandPanning extends StateNode {
  readonly id = 'panning';

  override onPointerMove(): void {
    const { screen, previousScreen } = this.editor.inputs;
    this.editor.panBy(screen.x - previousScreen.x, screen.y - previousScreen.y);
  }

  override onPointerUp(): void {
    this.go('idle');
  }

  override onCancel(): void {
    this.go('idle');
  }
}
