/** What the sandboxed preload exposes to the renderer in Electron (absent in browser mode). */
import type { DriftlineBridge } from './api/types.js';

declare global {
  interface Window {
    readonly driftline?: DriftlineBridge;
  }
}

export {};
