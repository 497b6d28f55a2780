/**
 * The canvas preferences the user keeps between sessions: the mask's colour and hatching, and
 * whether the brush and the eraser share one size. They live in the editor's UI state (where the
 * canvas and the tools read them) and are remembered in the page's storage under their own key,
 * read at the start and written whenever they change. Parsing is pure and forgiving: a missing or
 * malformed value falls back to its default.
 */
import { DEFAULT_MASK_STYLE, type MaskStyle, type UiState } from '../../store/state.js';
import type { Editor } from '../../tools/editor.js';
import type { SettingsStorage } from '../generate/generation.js';
import type { StudioModule } from '../module.js';

export const CANVAS_PREFS_KEY = 'driftline.canvas-prefs';

export interface CanvasPrefs {
  maskStyle: MaskStyle;
  linkBrushSizes: boolean;
}

export const DEFAULT_CANVAS_PREFS: CanvasPrefs = { maskStyle: DEFAULT_MASK_STYLE, linkBrushSizes: true };

const HEX_COLOUR = /^#[0-9a-f]{6}$/i;

/** A `#rrggbb` colour in lower case, or null for anything else. */
export function parseColour(v: unknown): string | null {
  return typeof v === 'string' && HEX_COLOUR.test(v) ? v.toLowerCase() : null;
}

/** The preferences stored as `raw` (JSON), each field checked on its own. */
export function parseCanvasPrefs(raw: string | null | undefined): CanvasPrefs {
  let v: unknown = null;
  try {
    v = raw ? JSON.parse(raw) : null;
  } catch {
    v = null;
  }
  const o = v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  const mask = o.maskStyle && typeof o.maskStyle === 'object' ? (o.maskStyle as Record<string, unknown>) : {};
  return {
    maskStyle: {
      colour: parseColour(mask.colour) ?? DEFAULT_MASK_STYLE.colour,
      hatch: typeof mask.hatch === 'boolean' ? mask.hatch : DEFAULT_MASK_STYLE.hatch,
    },
    linkBrushSizes: typeof o.linkBrushSizes === 'boolean' ? o.linkBrushSizes : DEFAULT_CANVAS_PREFS.linkBrushSizes,
  };
}

function prefsOf(ui: UiState): CanvasPrefs {
  return { maskStyle: ui.maskStyle, linkBrushSizes: ui.linkBrushSizes };
}

export class CanvasPrefsModule implements StudioModule {
  private off: (() => void) | null = null;

  constructor(
    private readonly editor: Editor,
    private readonly storage: () => SettingsStorage | null,
  ) {}

  initialize(): void {
    let stored: string | null = null;
    try {
      stored = this.storage()?.getItem(CANVAS_PREFS_KEY) ?? null;
    } catch {
      stored = null;
    }
    const prefs = parseCanvasPrefs(stored);
    if (prefs.linkBrushSizes) this.editor.linkBrushSizes(true);
    this.editor.store.setUi(prefs);
    this.off = this.editor.store.store.subscribe((s, prev) => {
      if (s.ui.maskStyle !== prev.ui.maskStyle || s.ui.linkBrushSizes !== prev.ui.linkBrushSizes) this.save(prefsOf(s.ui));
    });
  }

  destroy(): void {
    this.off?.();
    this.off = null;
  }

  /** The mask's colour (`#rrggbb`; anything else is ignored) or hatching. */
  setMaskStyle(patch: Partial<MaskStyle>): void {
    const colour = patch.colour === undefined ? undefined : parseColour(patch.colour);
    if (patch.colour !== undefined && !colour) return;
    this.editor.store.setUi({ maskStyle: { ...this.editor.ui.maskStyle, ...(colour ? { colour } : {}), ...(patch.hatch !== undefined ? { hatch: patch.hatch } : {}) } });
  }

  private save(prefs: CanvasPrefs): void {
    try {
      this.storage()?.setItem(CANVAS_PREFS_KEY, JSON.stringify(prefs));
    } catch {
      // Private mode or quota: the preferences simply are not remembered.
    }
  }
}
