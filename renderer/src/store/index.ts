export * from './history.js';
export * from './state.js';
export * from './document-store.js';
export * from './actions/layers.js';
export * from './actions/mask.js';
export * from './actions/selection.js';
export * from './actions/drag-points.js';
