/**
 * The one atomic file write of the project: the bytes go to a new temporary file beside the target
 * — a random name, created exclusively (`wx`: O_CREAT | O_EXCL, so a file or symlink planted at
 * that name is refused, never followed) — are flushed to disk, and replace the target in one
 * rename, after which the folder is flushed too. A crash, a full disk or a cancelled job leaves
 * either the old file or the new one, never half of either (test/faults: SIGKILL at random
 * moments), and a failed write removes its temporary file; only a process killed outright can
 * leave one behind (`.<name>.<16 hex>.tmp`), which nothing reads.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export interface AtomicWriteHooks {
  /** Called with the temporary file just before it replaces the target (tests crash here). */
  beforeRename?: (tmpFile: string) => void | Promise<void>;
}

export async function writeFileAtomic(file: string, data: Uint8Array | string, hooks: AtomicWriteHooks = {}): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(8).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await hooks.beforeRename?.(tmp);
    await renameWithRetry(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
  await syncDir(path.dirname(file));
}

/** fsync a folder so the rename inside it is durable (POSIX); Windows cannot open folders, and needs not. */
export async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r').catch(() => undefined);
  try {
    await fh?.sync();
  } catch {
    // Some file systems refuse fsync on folders (EINVAL); the rename itself is still atomic.
  } finally {
    await fh?.close().catch(() => {});
  }
}

/** Windows: a virus scanner or indexer briefly holding a file makes rename fail with EPERM/EBUSY/EACCES. */
export async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await rename(from, to);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (process.platform !== 'win32' || i >= 8 || !(code === 'EPERM' || code === 'EBUSY' || code === 'EACCES')) throw e;
      await new Promise((r) => setTimeout(r, 25 * 2 ** i));
    }
  }
}
