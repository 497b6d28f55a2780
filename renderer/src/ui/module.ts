/**
 * A part of the studio with its own subscriptions (InvokeAI's module shape): `initialize` once the
 * studio starts, `destroy` when it is disposed. Modules hold no DOM, so tests drive them headless.
 */
export interface StudioModule {
  initialize(): void;
  destroy(): void;
}
