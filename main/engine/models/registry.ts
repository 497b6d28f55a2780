/**
 * The registry of installed model packs: a small JSON index in `<data>/models/index.json` and one
 * folder per pack, `<data>/models/<name>/` (or, for packs imported as links, the user's own folder).
 *
 * Crash safety, which is the point of most of this file:
 * - The index is only ever replaced whole: written to a temporary file, fsynced, renamed over the
 *   old one, then the folder fsynced (`writeJsonAtomic`). A crash at any moment leaves either the
 *   old or the new index, never a torn one; stray temporary files are ignored and swept later.
 * - Folders enter `models/` by a rename from a staging folder on the same file system, and only
 *   then is the index entry written: the index never names a folder that is being copied.
 * - Removal renames the pack's folder into `models/.trash/` (one atomic step), then rewrites the
 *   index, then deletes the trash. A crash in between leaves an index entry whose folder is
 *   missing (reported as `missing: true`, and removable) — never one that points at a
 *   half-deleted folder. The trash is swept the next time the registry is opened.
 * - Operations of one registry object run one at a time (an in-process queue). Two processes
 *   writing the same index are not coordinated: only the engine host owns the registry.
 *
 * Packs are validated through an injected function (the real one is `inspectPack` from
 * `../packs/`, passed in by the engine host so this module does not import the pack layer); the
 * default only checks that `model_index.json` exists and is a JSON object.
 */
import { randomBytes } from 'node:crypto';
import { renameWithRetry, writeFileAtomic, type AtomicWriteHooks } from '../io/atomic.js';
import { promises as fsp } from 'node:fs';
import type { Dirent, Stats } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { modelsDir } from './paths.js';

export type PackSource = 'imported' | 'downloaded' | 'embedded';

export interface InstalledPack {
  name: string;
  /** Absolute folder of the pack. */
  path: string;
  /** Sum of the apparent sizes of the pack's files, measured when listed (0 when missing). */
  sizeBytes: number;
  source: PackSource;
  /** ISO 8601 time the pack was added. */
  addedAt: string;
  /** True for packs imported with `mode: 'link'`: the folder is the user's, never deleted by us. */
  linked: boolean;
  /** The folder is gone (a linked folder moved away, or a removal interrupted by a crash). */
  missing: boolean;
  /** Where it came from: the imported folder, or the download's catalog id / repository. */
  origin?: string;
}

/** Validates a pack folder and returns the name it calls itself. Throws (with a reason) if it is not a pack. */
export type PackValidator = (dir: string) => Promise<{ name: string }>;

export interface EmbeddedPack {
  name: string;
  path: string;
}

export interface RegistryOptions {
  /** The models folder; defaults to `modelsDir()` (`<data>/models`). */
  root?: string;
  /** Pack validation; defaults to `minimalPackCheck`. Pass `inspectPack` from `../packs/`. */
  validator?: PackValidator;
  /** Packs that ship inside the application: listed, never removable, not in the index. */
  embedded?: readonly EmbeddedPack[];
  /** Test seam: runs after the index's temporary file is written and synced, before the rename. */
  beforeIndexRename?: (tmpFile: string) => void | Promise<void>;
}

export type RegistryErrorCode = 'invalid-name' | 'duplicate' | 'not-found' | 'embedded' | 'invalid-pack' | 'conflict' | 'corrupt-index';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Names

const NAME_MAX = 64;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 ._-]*$/;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

/** Why `name` cannot be a pack name, or null if it can. Names become folder names on every OS. */
export function packNameProblem(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'the name is empty';
  if (name.length > NAME_MAX) return `the name is longer than ${NAME_MAX} characters`;
  if (name.includes('/') || name.includes('\\')) return 'the name contains a path separator';
  if (name.includes('..')) return 'the name contains ".."';
  if (!NAME_RE.test(name)) return 'use letters, digits, spaces, ".", "_" and "-", starting with a letter or digit';
  if (/[. ]$/.test(name)) return 'the name ends with a dot or a space';
  if (WINDOWS_RESERVED.test(name)) return 'the name is reserved on Windows';
  return null;
}

export function assertPackName(name: string): void {
  const problem = packNameProblem(name);
  if (problem) throw new RegistryError('invalid-name', `Invalid pack name ${JSON.stringify(name)}: ${problem}.`);
}

/** A valid pack name derived from free text (a model's `_name_or_path`, a folder name). */
export function packNameFrom(text: string): string {
  const last = text.split(/[/\\]/).filter(Boolean).pop() ?? '';
  let s = last.replace(/[^A-Za-z0-9 ._-]+/g, '-').replace(/\.{2,}/g, '.');
  s = s.replace(/^[^A-Za-z0-9]+/, '').slice(0, NAME_MAX).replace(/[. _-]+$/, '');
  if (!s || WINDOWS_RESERVED.test(s)) s = s ? `${s}-pack` : 'pack';
  return s;
}

/** Names are compared case-insensitively: macOS and Windows file systems are. */
const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

// ---------------------------------------------------------------------------------------------
// The default validator

/** Minimal validation: `model_index.json` exists and is a JSON object. Name: its `_name_or_path`, else the folder's. */
export const minimalPackCheck: PackValidator = async (dir) => {
  const file = path.join(dir, 'model_index.json');
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${dir} has no model_index.json, so it is not a diffusers model folder`);
    }
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${file} is not a JSON object`);
  const own = (json as Record<string, unknown>)._name_or_path;
  return { name: typeof own === 'string' && own.trim() ? own : path.basename(dir) };
};

// ---------------------------------------------------------------------------------------------
// Atomic JSON files

export { renameWithRetry, type AtomicWriteHooks } from '../io/atomic.js';

/** Replace `file` with `value` as JSON, atomically and durably (`writeFileAtomic`). */
export async function writeJsonAtomic(file: string, value: unknown, hooks: AtomicWriteHooks = {}): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', hooks);
}

// ---------------------------------------------------------------------------------------------
// The index

const INDEX_FILE = 'index.json';
/** Scratch folders inside `models/`; their names cannot be pack names (they start with a dot). */
export const STAGING_DIR = '.staging';
export const DOWNLOADS_DIR = '.downloads';
export const TRASH_DIR = '.trash';

const IndexEntrySchema = z.object({
  name: z.string(),
  source: z.enum(['imported', 'downloaded']),
  addedAt: z.string(),
  /** Absolute folder, only for linked packs; managed packs live at `<models>/<name>`. */
  linkedPath: z.string().optional(),
  origin: z.string().optional(),
});
const IndexSchema = z.object({ version: z.literal(1), packs: z.array(IndexEntrySchema) });
type IndexEntry = z.infer<typeof IndexEntrySchema>;
type IndexData = z.infer<typeof IndexSchema>;

/** Sum of file sizes under `dir`, not following symbolic links. */
export async function folderSize(dir: string): Promise<number> {
  let total = 0;
  let entries: Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return 0;
    throw e;
  }
  for (const ent of entries) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) total += await folderSize(p);
    else if (ent.isFile()) total += (await fsp.lstat(p)).size;
  }
  return total;
}

async function statOrNull(p: string): Promise<Stats | null> {
  try {
    return await fsp.stat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
}

const isInside = (child: string, parent: string) => {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

const tag = () => `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;

export interface ImportOptions {
  /** Pack name; defaults to a name derived from what the validator reports. */
  name?: string;
  /** 'copy' copies the folder into the models folder; 'link' records the folder where it is. */
  mode: 'copy' | 'link';
}

export interface InstallStagedOptions {
  source: 'downloaded' | 'imported';
  origin?: string;
  /** Run the registry's validator on the staged folder first (default true). */
  validate?: boolean;
}

export class ModelRegistry {
  readonly root: string;
  private readonly validator: PackValidator;
  private readonly embedded: readonly EmbeddedPack[];
  private readonly beforeIndexRename?: RegistryOptions['beforeIndexRename'];
  private queue: Promise<unknown> = Promise.resolve();
  private swept = false;

  constructor(opts: RegistryOptions = {}) {
    this.root = path.resolve(opts.root ?? modelsDir());
    this.validator = opts.validator ?? minimalPackCheck;
    this.embedded = opts.embedded ?? [];
    this.beforeIndexRename = opts.beforeIndexRename;
    for (const e of this.embedded) assertPackName(e.name);
  }

  get indexFile(): string {
    return path.join(this.root, INDEX_FILE);
  }

  /** The folder a managed (copied or downloaded) pack of this name lives in. */
  packDir(name: string): string {
    assertPackName(name);
    return path.join(this.root, name);
  }

  /** Every installed pack: embedded ones first, then the index's, in the order they were added. */
  async list(): Promise<InstalledPack[]> {
    return this.exclusive(async () => {
      await this.sweepOnce();
      const out: InstalledPack[] = [];
      for (const e of this.embedded) {
        const st = await statOrNull(e.path);
        out.push({
          name: e.name,
          path: path.resolve(e.path),
          sizeBytes: st ? await folderSize(e.path) : 0,
          source: 'embedded',
          addedAt: (st?.mtime ?? new Date(0)).toISOString(),
          linked: false,
          missing: !st,
        });
      }
      for (const entry of (await this.readIndex()).packs) out.push(await this.describe(entry));
      return out;
    });
  }

  async get(name: string): Promise<InstalledPack | undefined> {
    return (await this.list()).find((p) => sameName(p.name, name));
  }

  /**
   * Import a pack folder: validate it, refuse duplicate names, then copy it into the models
   * folder (through a staging folder and one rename) or record a link to it.
   */
  async importPack(source: string, opts: ImportOptions): Promise<InstalledPack> {
    if (opts.mode !== 'copy' && opts.mode !== 'link') {
      throw new TypeError(`importPack: mode must be 'copy' or 'link', not ${JSON.stringify(opts.mode)}`);
    }
    const src = path.resolve(source);
    const st = await statOrNull(src);
    if (!st?.isDirectory()) throw new RegistryError('invalid-pack', `Cannot import ${src}: it is not a folder.`);
    const real = await fsp.realpath(src);

    let detected: string;
    try {
      detected = (await this.validator(real)).name;
    } catch (e) {
      throw new RegistryError('invalid-pack', `Cannot import ${src}: ${(e as Error).message ?? String(e)}`, { cause: e });
    }
    const name = opts.name ?? packNameFrom(detected || path.basename(real));
    assertPackName(name);
    const dest = path.join(this.root, name);

    // Fail fast, before a long copy; checked again under the lock before anything is committed.
    await this.exclusive(async () => this.assertFree(name, await this.readIndex(), opts.mode === 'link' ? real : undefined));

    if (opts.mode === 'link') {
      if (isInside(real, this.root)) {
        throw new RegistryError('conflict', `Cannot link ${src}: it is inside the models folder ${this.root}; import it by copy instead.`);
      }
      return this.exclusive(async () => {
        const index = await this.readIndex();
        this.assertFree(name, index, real);
        const entry: IndexEntry = { name, source: 'imported', addedAt: new Date().toISOString(), linkedPath: real, origin: real };
        await this.writeIndex({ ...index, packs: [...index.packs, entry] });
        return this.describe(entry);
      });
    }

    if (isInside(this.root, real) || isInside(real, this.root)) {
      throw new RegistryError('conflict', `Cannot copy ${src} into ${dest}: the two folders overlap.`);
    }
    const staging = path.join(this.root, STAGING_DIR, `${name}-${tag()}`);
    await fsp.mkdir(path.dirname(staging), { recursive: true });
    try {
      await fsp.cp(real, staging, { recursive: true, dereference: true, errorOnExist: true, force: false });
      return await this.installStaged(name, staging, { source: 'imported', origin: real, validate: false });
    } finally {
      await fsp.rm(staging, { recursive: true, force: true }).catch(() => {});
    }
  }

  /**
   * Move a fully prepared folder (on the same file system, normally under `models/`) into place
   * as pack `name` and add its index entry — the last step of a download or a copy.
   */
  async installStaged(name: string, staged: string, opts: InstallStagedOptions): Promise<InstalledPack> {
    assertPackName(name);
    if (opts.validate ?? true) {
      try {
        await this.validator(staged);
      } catch (e) {
        throw new RegistryError('invalid-pack', `The files of "${name}" do not form a valid pack: ${(e as Error).message ?? String(e)}`, {
          cause: e,
        });
      }
    }
    return this.exclusive(async () => {
      const index = await this.readIndex();
      this.assertFree(name, index);
      const dest = path.join(this.root, name);
      if (await statOrNull(dest)) {
        throw new RegistryError(
          'conflict',
          `Cannot install "${name}": ${dest} already exists but is not in the index (left over from an interrupted operation?). Move or delete it, then try again.`,
        );
      }
      await renameWithRetry(staged, dest);
      const entry: IndexEntry = { name, source: opts.source, addedAt: new Date().toISOString(), origin: opts.origin };
      try {
        await this.writeIndex({ ...index, packs: [...index.packs, entry] });
      } catch (e) {
        // Not committed: put the folder back where the caller expects it.
        await fsp.rename(dest, staged).catch(() => {});
        throw e;
      }
      return this.describe(entry);
    });
  }

  /**
   * Remove a pack: its index entry and, unless it is a link to the user's own folder, its files.
   * Embedded packs are refused.
   */
  async removePack(name: string): Promise<void> {
    assertPackName(name);
    if (this.embedded.some((e) => sameName(e.name, name))) {
      throw new RegistryError('embedded', `"${name}" ships with Driftline Studio and cannot be removed.`);
    }
    await this.exclusive(async () => {
      const index = await this.readIndex();
      const entry = index.packs.find((p) => sameName(p.name, name));
      if (!entry) throw new RegistryError('not-found', `No installed pack is named "${name}".`);
      let trashed: string | undefined;
      if (!entry.linkedPath) {
        // One atomic step takes the folder out of `models/<name>`; only then is the index rewritten.
        const dir = path.join(this.root, entry.name);
        trashed = path.join(this.root, TRASH_DIR, `${entry.name}-${tag()}`);
        await fsp.mkdir(path.dirname(trashed), { recursive: true });
        try {
          await renameWithRetry(dir, trashed);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          trashed = undefined; // already gone (an earlier removal was interrupted)
        }
      }
      try {
        await this.writeIndex({ ...index, packs: index.packs.filter((p) => p !== entry) });
      } catch (e) {
        if (trashed) await fsp.rename(trashed, path.join(this.root, entry.name)).catch(() => {});
        throw e;
      }
      if (trashed) await fsp.rm(trashed, { recursive: true, force: true }).catch(() => {});
    });
  }

  /** Delete what interrupted operations left behind: trash, staging copies, stray index temp files. */
  async sweep(): Promise<void> {
    await fsp.rm(path.join(this.root, TRASH_DIR), { recursive: true, force: true }).catch(() => {});
    await fsp.rm(path.join(this.root, STAGING_DIR), { recursive: true, force: true }).catch(() => {});
    let names: string[] = [];
    try {
      names = await fsp.readdir(this.root);
    } catch {
      return;
    }
    for (const n of names) {
      if (n.startsWith(`${INDEX_FILE}.`) && n.endsWith('.tmp')) await fsp.rm(path.join(this.root, n), { force: true }).catch(() => {});
    }
  }

  // -------------------------------------------------------------------------------------------

  private async sweepOnce(): Promise<void> {
    if (this.swept) return;
    this.swept = true;
    await this.sweep();
  }

  private assertFree(name: string, index: IndexData, linkTarget?: string): void {
    if (this.embedded.some((e) => sameName(e.name, name))) {
      throw new RegistryError('duplicate', `A pack named "${name}" already ships with Driftline Studio; choose another name.`);
    }
    const same = index.packs.find((p) => sameName(p.name, name));
    if (same) {
      throw new RegistryError(
        'duplicate',
        `A pack named "${same.name}" is already installed (${same.source}${same.origin ? ` from ${same.origin}` : ''}); choose another name or remove it first.`,
      );
    }
    if (linkTarget) {
      const linked = index.packs.find((p) => p.linkedPath && path.resolve(p.linkedPath) === linkTarget);
      if (linked) throw new RegistryError('duplicate', `${linkTarget} is already installed as "${linked.name}".`);
    }
  }

  private async describe(entry: IndexEntry): Promise<InstalledPack> {
    const dir = entry.linkedPath ?? path.join(this.root, entry.name);
    const st = await statOrNull(dir);
    return {
      name: entry.name,
      path: dir,
      sizeBytes: st ? await folderSize(dir) : 0,
      source: entry.source,
      addedAt: entry.addedAt,
      linked: !!entry.linkedPath,
      missing: !st?.isDirectory(),
      ...(entry.origin !== undefined ? { origin: entry.origin } : {}),
    };
  }

  private async readIndex(): Promise<IndexData> {
    let text: string;
    try {
      text = await fsp.readFile(this.indexFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, packs: [] };
      throw e;
    }
    let parsed: IndexData;
    try {
      parsed = IndexSchema.parse(JSON.parse(text));
    } catch (e) {
      throw new RegistryError('corrupt-index', `The model index ${this.indexFile} cannot be read: ${(e as Error).message}`, { cause: e });
    }
    // Entries with unusable names (a hand-edited file) are dropped rather than trusted as paths.
    return { ...parsed, packs: parsed.packs.filter((p) => packNameProblem(p.name) === null) };
  }

  private async writeIndex(index: IndexData): Promise<void> {
    await writeJsonAtomic(this.indexFile, index, { beforeRename: this.beforeIndexRename });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }
}
