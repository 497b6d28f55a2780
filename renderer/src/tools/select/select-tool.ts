/** V: select a layer or the selection region, move it, resize it with the transformer handles. */
import type { Editor } from '../editor.js';
import { Tool } from '../tool.js';
import { SelectIdle } from './idle.js';
import { SelectPointing } from './pointing.js';
import { SelectResizing } from './resizing.js';
import { SelectTranslating } from './translating.js';

export class SelectTool extends Tool {
  readonly id = 'select';
  readonly key = 'v';
  readonly label = 'Move and resize';
  readonly short = 'Move';
  readonly cursor = 'default';
  override readonly initial = 'idle';

  constructor(editor: Editor) {
    super(editor);
    this.addChildren(new SelectIdle(editor, this), new SelectPointing(editor, this), new SelectTranslating(editor, this), new SelectResizing(editor, this));
  }
}
