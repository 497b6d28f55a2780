/** H, or hold Space: drag to pan. Panning changes the viewport only, never the document or history. */
import type { Editor } from '../editor.js';
import { StateNode } from '../state-node.js';
import { Tool } from '../tool.js';

export class HandTool extends Tool {
  readonly id = 'hand';
  readonly key = 'h';
  readonly label = 'Hand: pan (or hold Space)';
  readonly short = 'Hand';
  readonly cursor = 'grab';
  override readonly initial = 'idle';

  constructor(editor: Editor) {
    super(editor);
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
