/** What the preload exposes to the renderer (grows into the typed Studio API client). */
export interface DriftlineBridge {
  readonly shell: 'electron';
}

declare global {
  interface Window {
    readonly driftline?: DriftlineBridge;
  }
}
