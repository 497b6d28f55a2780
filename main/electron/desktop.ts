/**
 * The desktop extras behind IPC: the system's save and open dialogs, native file drags, and
 * "Show in folder" for gallery images (Electron's shell, given the data folder). Files
 * are written atomically (a temporary file beside the target, then a rename), so a crash never
 * leaves half an image under the chosen name. Electron's dialog and nativeImage modules and the
 * window are passed in; the drag goes to the asking WebContents (`event.sender.startDrag`).
 */
import { writeFileAtomic } from '../engine/io/atomic.js';
import { lstat, mkdir, mkdtemp, stat, readFile } from 'node:fs/promises';
import { rmSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../api/contract.js';
import { MAX_OPEN_IMAGE_BYTES, type SaveFileRequest, type ShowInFolderRequest, type StartDragRequest } from '../api/desktop.js';
import { galleryImageFile } from '../engine/gallery/paths.js';
import type { DesktopHandlers, InvokeEventLike } from './ipc.js';

/** The part of Electron's `dialog` this needs (window-modal forms). */
export interface DialogLike<W> {
  showSaveDialog(window: W, options: { title?: string; defaultPath?: string; filters?: { name: string; extensions: string[] }[] }): Promise<{ canceled: boolean; filePath?: string }>;
  showOpenDialog(window: W, options: { title?: string; properties?: 'openFile'[]; filters?: { name: string; extensions: string[] }[] }): Promise<{ canceled: boolean; filePaths: string[] }>;
}

/** The part of Electron's NativeImage this needs. */
export interface NativeImageLike {
  isEmpty(): boolean;
  getSize(): { width: number; height: number };
  resize(options: { width?: number; height?: number; quality?: 'good' | 'better' | 'best' }): NativeImageLike;
}

/** The part of Electron's `nativeImage` module this needs. */
export interface NativeImageModuleLike {
  createFromBuffer(buffer: Buffer): NativeImageLike;
}

/** What `event.sender` (a WebContents) must offer for a file drag. */
export interface DragSenderLike {
  startDrag(item: { file: string; icon: NativeImageLike }): void;
}

export interface DragOptions {
  nativeImage: NativeImageModuleLike;
  /** The folder this app's drags live under, `app.getPath('temp')/driftline-drag`; each session gets its own folder in it. */
  root: string;
}

/** Revealing gallery images: Electron's `shell.showItemInFolder` and the data folder the gallery is in. */
export interface RevealOptions {
  showItemInFolder(file: string): void;
  dataRoot: string;
}

export interface DesktopOptions<W> {
  dialog: DialogLike<W>;
  /** The window a request came from (dialogs are modal to it). */
  windowFor: (event: InvokeEventLike) => W;
  /** Where the save dialog starts (e.g. app.getPath('pictures')). */
  defaultDir: string;
  /** File drags out of the window; without it startDrag fails with UNSUPPORTED. */
  drag?: DragOptions;
  /** "Show in folder" for gallery images; without it showInFolder fails with UNSUPPORTED. */
  reveal?: RevealOptions;
}

/** The handlers, plus the clean-up the app runs on quit. */
export interface Desktop extends DesktopHandlers {
  /** Remove this session's drag folder (synchronous: it runs from `will-quit`). Never throws. */
  cleanup(): void;
}

/** The drag icon's longest side, in px. */
export const DRAG_ICON_SIZE = 64;

const FILTERS: Record<string, { name: string; extensions: string[] }> = {
  '.png': { name: 'PNG image', extensions: ['png'] },
  '.jpg': { name: 'JPEG image', extensions: ['jpg', 'jpeg'] },
  '.webp': { name: 'WebP image', extensions: ['webp'] },
};
export const OPEN_IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp'];

/** Write `data` to `file` so that it either appears whole or not at all (the project's one atomic write). */
export { writeFileAtomic };

/** The chosen path, with the suggested name's extension added when the user typed none (GTK's dialog does not). */
export function withExtension(chosen: string, suggestedName: string): string {
  const ext = path.extname(suggestedName);
  return ext && !path.extname(chosen) ? chosen + ext : chosen;
}

/**
 * A file name safe to create in a folder on any platform: no separators, no control or reserved
 * characters, no bidirectional controls (U+202A–202E, U+2066–2069, U+200E/200F, U+061C: they make
 * "gnp.exe" display as "exe.png"), no leading dots, not a reserved Windows device name, at most 120
 * characters, and ending in `.png`.
 */
export function sanitizeDragName(name: string): string {
  let base = name
    .replace(/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]+/g, '')
    .replace(/[\\/:*?"<>|\u0000-\u001f\u007f]+/g, '_')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  if (/\.png$/i.test(base)) base = base.slice(0, -4).replace(/[\s.]+$/, '');
  if (!base || /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i.test(base)) base = base ? `_${base}` : 'image';
  return `${base.slice(0, 116)}.png`;
}

/** The icon under the cursor: the image itself, its longest side scaled to 64 px. */
export function dragIcon(nativeImage: NativeImageModuleLike, png: Uint8Array): NativeImageLike {
  const image = nativeImage.createFromBuffer(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
  if (image.isEmpty()) throw new ApiError('BAD_REQUEST', 'invalid startDrag request — bytes: not a PNG that can be decoded');
  const { width, height } = image.getSize();
  const scale = DRAG_ICON_SIZE / Math.max(width, height, 1);
  return image.resize({ width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)), quality: 'good' });
}

function isDragSender(sender: unknown): sender is DragSenderLike {
  return !!sender && typeof (sender as DragSenderLike).startDrag === 'function';
}

/** The drag folder: one per session under `root`, made on first use, private to this user. */
function dragFolder(root: string) {
  let session: Promise<string> | undefined;
  let made: string | undefined;
  const create = async (): Promise<string> => {
    await mkdir(root, { recursive: true, mode: 0o700 });
    // /tmp is shared: the root must be a real folder of ours, not a link someone else planted.
    const info = await lstat(root);
    if (!info.isDirectory() || (typeof process.getuid === 'function' && info.uid !== process.getuid())) {
      throw new Error(`${root} is not a folder owned by this user`);
    }
    made = await mkdtemp(path.join(root, 'session-'));
    return made;
  };
  return {
    get: (): Promise<string> => {
      session ??= create().catch((e: unknown) => {
        session = undefined;
        throw e;
      });
      return session;
    },
    cleanup: (): void => {
      const dir = made;
      session = undefined;
      made = undefined;
      if (!dir) return;
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // Best effort: the system's temp cleaner gets the rest.
      }
      try {
        rmdirSync(root); // only when no other session is using it
      } catch {
        // Not empty, or gone already.
      }
    },
  };
}

export function createDesktopHandlers<W>(opts: DesktopOptions<W>): Desktop {
  const folder = opts.drag && dragFolder(opts.drag.root);
  return {
    cleanup: () => folder?.cleanup(),

    async startDrag(req: StartDragRequest, event) {
      if (!opts.drag || !folder) throw new ApiError('UNSUPPORTED', 'dragging files out is not available here');
      const sender = event.sender;
      if (!isDragSender(sender)) throw new ApiError('UNSUPPORTED', 'this window cannot start a file drag');
      const icon = dragIcon(opts.drag.nativeImage, req.bytes);
      let file: string;
      try {
        const dir = await folder.get();
        file = path.join(dir, sanitizeDragName(req.name));
        // Belt and braces: whatever the name was, the file is a direct child of the session folder.
        if (path.dirname(file) !== dir) throw new Error('the name leaves the drag folder');
        await writeFileAtomic(file, req.bytes);
      } catch (e) {
        throw new ApiError('WRITE_FAILED', `could not prepare ${req.name} for dragging: ${e instanceof Error ? e.message : String(e)}`);
      }
      sender.startDrag({ file, icon });
      return null;
    },

    async showInFolder(req: ShowInFolderRequest) {
      if (!opts.reveal) throw new ApiError('UNSUPPORTED', 'showing files in a folder is not available here');
      const file = galleryImageFile(opts.reveal.dataRoot, req.id);
      const found = await stat(file).then((s) => s.isFile(), () => false);
      if (!found) throw new ApiError('NOT_FOUND', `the gallery image "${req.id}" is not on disk (${file}); it may have been deleted`);
      opts.reveal.showItemInFolder(file);
      return null;
    },

    async saveFile(req: SaveFileRequest, event) {
      const ext = path.extname(req.suggestedName).toLowerCase();
      const filter = FILTERS[ext];
      const r = await opts.dialog.showSaveDialog(opts.windowFor(event), {
        title: 'Export',
        defaultPath: path.join(opts.defaultDir, path.basename(req.suggestedName)),
        filters: filter ? [filter, { name: 'All files', extensions: ['*'] }] : undefined,
      });
      if (r.canceled || !r.filePath) return { saved: false };
      const file = withExtension(r.filePath, req.suggestedName);
      try {
        await writeFileAtomic(file, req.bytes);
      } catch (e) {
        throw new ApiError('WRITE_FAILED', `could not write ${file}: ${e instanceof Error ? e.message : String(e)}`);
      }
      return { saved: true, path: file };
    },

    async openImage(_params, event) {
      const r = await opts.dialog.showOpenDialog(opts.windowFor(event), {
        title: 'Open image',
        properties: ['openFile'],
        filters: [{ name: 'Images', extensions: OPEN_IMAGE_EXTENSIONS }],
      });
      const file = r.canceled ? undefined : r.filePaths[0];
      if (!file) return null;
      try {
        const info = await stat(file);
        if (!info.isFile()) throw new Error('not a file');
        if (info.size > MAX_OPEN_IMAGE_BYTES) throw new ApiError('TOO_LARGE', `${path.basename(file)} is larger than 256 MiB`);
        const data = await readFile(file);
        // A copy: a view into a pooled Buffer would carry its neighbours across IPC.
        return { name: path.basename(file), bytes: new Uint8Array(data) };
      } catch (e) {
        if (e instanceof ApiError) throw e;
        throw new ApiError('READ_FAILED', `could not read ${file}: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
  };
}
