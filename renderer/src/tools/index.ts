export * from './types.js';
export * from './editor.js';
export * from './state-node.js';
export * from './transform.js';
export * from './hit-test.js';
export { handleShortcut } from './shortcuts.js';
export { ToolRegistry, type ToolbarEntry } from './registry.js';
export { Tool, type ToolButton, type ToolDefinition } from './tool.js';
