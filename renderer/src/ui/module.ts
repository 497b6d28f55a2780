/**
 * A part of the studio with its own subscriptions (InvokeAI's module shape): `initialize` once the
 * studio starts, `destroy` when it is disposed, which removes every subscription `initialize` made.
 * Modules hold no DOM, so tests drive them headless. Parts with nothing to subscribe to (the
 * gallery, generation, import, export, editing) are plain objects the studio builds and hands out.
 */
export interface StudioModule {
  initialize(): void;
  destroy(): void;
}
