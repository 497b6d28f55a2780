/** The studio's tools, in toolbar order; the editor is handed these factories. */
import { DragPointsTool } from './drag-points/drag-points-tool.js';
import { HandTool } from './hand/hand-tool.js';
import { MaskTool } from './mask/mask-tool.js';
import { ReferenceTool } from './reference/reference-tool.js';
import { SelectTool } from './select/select-tool.js';
import { LassoTool } from './selection/lasso-tool.js';
import { MarqueeTool } from './selection/marquee-tool.js';
import type { ToolFactory } from './tool.js';

export const DEFAULT_TOOLS: readonly ToolFactory[] = [
  (e) => new SelectTool(e),
  (e) => new MaskTool(e, 'brush'),
  (e) => new MaskTool(e, 'eraser'),
  (e) => new MarqueeTool(e),
  (e) => new LassoTool(e),
  (e) => new DragPointsTool(e),
  (e) => new ReferenceTool(e),
  (e) => new HandTool(e),
];
