/** V: select a layer or the selection region, move it, resize it with the transformer handles. */
import type { Editor } from '../editor.js';
import { StateNode } from '../state-node.js';
import { SelectIdle } from './idle.js';
import { SelectPointing } from './pointing.js';
import { SelectResizing } from './resizing.js';
import { SelectTranslating } from './translating.js';

export class SelectTool extends StateNode {
  readonly id = 'select';
  override readonly initial = 'idle';

  constructor(editor: Editor) {
    super(editor);
    this.addChildren(new SelectIdle(editor, this), new SelectPointing(editor, this), new SelectTranslating(editor, this), new SelectResizing(editor, this));
  }
}
