/**
 * The desktop extras in a browser: export is a download, open is a file input. Both need a user
 * gesture (a click or a key press in the page), which is how the studio calls them. A file drag
 * out of the window is the browser's own (`DownloadURL` on dragstart), so startDrag refuses, and
 * the page cannot open the server's file manager, so showInFolder refuses too.
 * Structural types instead of the DOM's, so the module compiles for the Node tests too.
 */
import type { DesktopApi } from './types.js';
import { StudioError } from './types.js';

interface FileLike { name: string; size: number; arrayBuffer(): Promise<ArrayBuffer> }
interface AnchorLike { href: string; download: string; rel: string; click(): void }
interface InputLike {
  type: string;
  accept: string;
  files: ArrayLike<FileLike> | null;
  click(): void;
  addEventListener(type: 'change' | 'cancel', listener: () => void, options?: { once?: boolean }): void;
}
interface DocumentLike {
  createElement(tag: 'a'): AnchorLike;
  createElement(tag: 'input'): InputLike;
}
interface Globals {
  document?: DocumentLike;
  Blob: new (parts: Uint8Array[], options?: { type?: string }) => unknown;
  URL: { createObjectURL(blob: unknown): string; revokeObjectURL(url: string): void };
}

const MIME: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp' };
const MAX_BYTES = 256 * 1024 * 1024;

export function browserFiles(): DesktopApi {
  const g = globalThis as unknown as Globals;
  const doc = (): DocumentLike => {
    if (!g.document) throw new StudioError('UNSUPPORTED', 'files can only be saved or opened from the studio page');
    return g.document;
  };
  return {
    async saveFile({ suggestedName, bytes }) {
      const ext = suggestedName.split('.').pop()?.toLowerCase() ?? '';
      const a = doc().createElement('a');
      const url = g.URL.createObjectURL(new g.Blob([bytes], { type: MIME[ext] ?? 'application/octet-stream' }));
      a.href = url;
      a.download = suggestedName;
      a.rel = 'noopener';
      a.click();
      // Revoking at once can cancel the download in some browsers.
      setTimeout(() => g.URL.revokeObjectURL(url), 60_000);
      // Handed to the browser's downloads; where it lands is the browser's business.
      return { saved: true };
    },

    async openImage() {
      const input = doc().createElement('input');
      input.type = 'file';
      input.accept = 'image/png,image/jpeg,image/webp';
      return new Promise((resolve, reject) => {
        input.addEventListener('cancel', () => resolve(null), { once: true });
        input.addEventListener('change', () => {
          const file = input.files?.[0];
          if (!file) return resolve(null);
          if (file.size > MAX_BYTES) return reject(new StudioError('TOO_LARGE', `${file.name} is larger than 256 MiB`));
          file.arrayBuffer().then((buf) => resolve({ name: file.name, bytes: new Uint8Array(buf) }), (e: unknown) => reject(new StudioError('READ_FAILED', `could not read ${file.name}: ${String(e)}`)));
        }, { once: true });
        input.click();
      });
    },

    async startDrag() {
      throw new StudioError('UNSUPPORTED', 'a browser drags files out by itself (DownloadURL on dragstart)');
    },

    async showInFolder() {
      throw new StudioError('UNSUPPORTED', 'a browser cannot show files on the studio\'s machine; download the image instead');
    },
  };
}
