/**
 * What the desktop front door adds to the Studio API: native file dialogs and native file drags,
 * which only the main process can start, and the app menu's actions. Browser-safe (zod only), so
 * the renderer's client can take its types; browser mode implements the dialogs with a download
 * and a file input, and drags out with Chromium's own `DownloadURL` (its startDrag refuses).
 * Part of the contract (main/api/): the renderer may import it, as it imports contract.ts.
 */
import { z } from 'zod';
import { GALLERY_ID_PATTERN } from './contract.js';

const MAX_FILE_BYTES = 256 * 1024 * 1024;

export const SaveFileRequest = z.object({
  /** A file name (no folders), e.g. "driftline-1234.png"; its extension picks the dialog's filter. */
  suggestedName: z.string().min(1).max(255).refine((s) => !/[\\/\0]/.test(s) && s !== '.' && s !== '..', 'must be a plain file name'),
  bytes: z.instanceof(Uint8Array).refine((b) => b.length > 0 && b.length <= MAX_FILE_BYTES, 'must be 1 byte to 256 MiB'),
}).strict();
export type SaveFileRequest = z.input<typeof SaveFileRequest>;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export const StartDragRequest = z.object({
  /** The file name the drop target sees, e.g. "driftline-1234.png"; the main process sanitises it. */
  name: z.string().min(1).max(255),
  /** The PNG itself; scaled to 64 px, it is also the drag icon. */
  bytes: z.instanceof(Uint8Array)
    .refine((b) => b.length > 0 && b.length <= MAX_FILE_BYTES, 'must be 1 byte to 256 MiB')
    .refine((b) => PNG_SIGNATURE.every((v, i) => b[i] === v), 'must be a PNG'),
}).strict();
export type StartDragRequest = z.input<typeof StartDragRequest>;

/** The gallery image to reveal, by its id in the gallery on disk. */
export const ShowInFolderRequest = z.object({ id: z.string().regex(GALLERY_ID_PATTERN, 'not a gallery id') }).strict();
export type ShowInFolderRequest = z.input<typeof ShowInFolderRequest>;

export interface SaveFileResult {
  /** False when the user cancelled the dialog. */
  saved: boolean;
  /** Where it was written (desktop only; a browser download does not say). */
  path?: string;
}

export interface OpenedImage {
  name: string;
  bytes: Uint8Array;
}

export const DESKTOP_METHODS = {
  saveFile: { params: SaveFileRequest, result: null as unknown as SaveFileResult },
  /** Pick an image with the system dialog; null when cancelled. */
  openImage: { params: z.object({}).strict(), result: null as unknown as OpenedImage | null },
  /**
   * Drag a PNG out of the window as a real file (Electron: written to a temporary folder, then
   * `webContents.startDrag`). Call it from `dragstart`, after `preventDefault()`.
   */
  startDrag: { params: StartDragRequest, result: null as unknown as null },
  /** Show a gallery image in the system's file manager (Electron's `shell.showItemInFolder`); a browser cannot. */
  showInFolder: { params: ShowInFolderRequest, result: null as unknown as null },
} as const;

export type DesktopMethodName = keyof typeof DESKTOP_METHODS;
export type DesktopParams<M extends DesktopMethodName> = z.input<(typeof DESKTOP_METHODS)[M]['params']>;
export type DesktopResult<M extends DesktopMethodName> = (typeof DESKTOP_METHODS)[M]['result'];

export type DesktopApi = { [M in DesktopMethodName]: (params: DesktopParams<M>) => Promise<DesktopResult<M>> };

/** App-menu commands the renderer carries out (the rest are Electron roles). The zoom ones are the canvas's, not the page's. */
export const MENU_ACTIONS = ['openImage', 'exportPng', 'undo', 'redo', 'zoomIn', 'zoomOut', 'zoomToFit'] as const;
export type MenuAction = (typeof MENU_ACTIONS)[number];

export const MAX_OPEN_IMAGE_BYTES = MAX_FILE_BYTES;
