export * from './types.js';
export * from './editor.js';
export * from './state-node.js';
export * from './transform.js';
export * from './hit-test.js';
export { handleShortcut } from './shortcuts.js';
