/** The frame as the tool sees it: the document's, made valid for the selected model. */
import { effectiveFrame, FALLBACK_FRAME_RULES, type FrameRules } from '../../document/frame.js';
import type { Rect } from '../../document/types.js';
import type { Editor } from '../editor.js';

/** What the selected model allows (the fallback until it has said). */
export function frameRules(editor: Editor): FrameRules {
  return editor.ui.frameRules ?? FALLBACK_FRAME_RULES;
}

/** The frame as Generate would use it now. */
export function currentFrame(editor: Editor): Rect {
  return effectiveFrame(editor.doc, frameRules(editor));
}
