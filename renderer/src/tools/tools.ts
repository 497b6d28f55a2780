/**
 * The studio's tools, in toolbar order: the list the studio hands its editor. A new tool is its
 * own folder (its definition and state machine) plus one entry here.
 */
import { dragPointsTool } from './drag-points/drag-points-tool.js';
import { frameTool } from './frame/frame-tool.js';
import { handTool } from './hand/hand-tool.js';
import { brushTool, eraserTool } from './mask/mask-tool.js';
import { referenceTool } from './reference/reference-tool.js';
import { selectTool } from './select/select-tool.js';
import { lassoTool } from './selection/lasso-tool.js';
import { marqueeTool } from './selection/marquee-tool.js';
import type { ToolDefinition } from './tool.js';

export const STUDIO_TOOLS: readonly ToolDefinition[] = [selectTool, frameTool, brushTool, eraserTool, marqueeTool, lassoTool, dragPointsTool, referenceTool, handTool];
