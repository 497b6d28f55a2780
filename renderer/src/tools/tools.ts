/** The editor's tools by id. */
import type { ToolId } from '../store/state.js';
import { DragPointsTool } from './drag-points/drag-points-tool.js';
import type { Editor } from './editor.js';
import { HandTool } from './hand/hand-tool.js';
import { MaskTool } from './mask/mask-tool.js';
import { SelectTool } from './select/select-tool.js';
import { LassoTool } from './selection/lasso-tool.js';
import { MarqueeTool } from './selection/marquee-tool.js';
import type { StateNode } from './state-node.js';

export function createTools(editor: Editor): Map<ToolId, StateNode> {
  return new Map<ToolId, StateNode>([
    ['select', new SelectTool(editor)],
    ['brush', new MaskTool(editor, 'brush')],
    ['eraser', new MaskTool(editor, 'eraser')],
    ['marquee', new MarqueeTool(editor)],
    ['lasso', new LassoTool(editor)],
    ['dragPoints', new DragPointsTool(editor)],
    ['hand', new HandTool(editor)],
  ]);
}
