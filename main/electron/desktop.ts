/**
 * The desktop extras behind IPC: the system's save and open dialogs. Files are written atomically
 * (a temporary file beside the target, then a rename), so a crash never leaves half an image under
 * the chosen name. Electron's dialog module and the window are passed in.
 */
import { open, rename, stat, unlink, readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ApiError } from '../api/contract.js';
import { MAX_OPEN_IMAGE_BYTES, type SaveFileRequest } from './desktop-api.js';
import type { DesktopHandlers, InvokeEventLike } from './ipc.js';

/** The part of Electron's `dialog` this needs (window-modal forms). */
export interface DialogLike<W> {
  showSaveDialog(window: W, options: { title?: string; defaultPath?: string; filters?: { name: string; extensions: string[] }[] }): Promise<{ canceled: boolean; filePath?: string }>;
  showOpenDialog(window: W, options: { title?: string; properties?: 'openFile'[]; filters?: { name: string; extensions: string[] }[] }): Promise<{ canceled: boolean; filePaths: string[] }>;
}

export interface DesktopOptions<W> {
  dialog: DialogLike<W>;
  /** The window a request came from (dialogs are modal to it). */
  windowFor: (event: InvokeEventLike) => W;
  /** Where the save dialog starts (e.g. app.getPath('pictures')). */
  defaultDir: string;
}

const FILTERS: Record<string, { name: string; extensions: string[] }> = {
  '.png': { name: 'PNG image', extensions: ['png'] },
  '.jpg': { name: 'JPEG image', extensions: ['jpg', 'jpeg'] },
  '.webp': { name: 'WebP image', extensions: ['webp'] },
};
export const OPEN_IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp'];

/** Write `data` to `file` so that it either appears whole or not at all. */
export async function writeFileAtomic(file: string, data: Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** The chosen path, with the suggested name's extension added when the user typed none (GTK's dialog does not). */
export function withExtension(chosen: string, suggestedName: string): string {
  const ext = path.extname(suggestedName);
  return ext && !path.extname(chosen) ? chosen + ext : chosen;
}

export function createDesktopHandlers<W>(opts: DesktopOptions<W>): DesktopHandlers {
  return {
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
