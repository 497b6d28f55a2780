/**
 * Autosave of the canvas: the serialised document and the pixel blobs it references. Each save
 * writes a NEW document version (and any pixels not stored yet) in one atomic write; only when
 * that has succeeded does a second atomic write switch the `current` pointer to it and delete
 * older versions and pixels nothing references any more. A failed write therefore never touches
 * the previous save. Pure over a small key–value backend (IndexedDB in the page, a Map in tests).
 *
 * When the page is going away there is no time for that: `saveUrgently` issues the new version, the
 * pixels not yet stored and the pointer switch as ONE write, before it returns (an IndexedDB
 * transaction created while the page unloads is still committed), and leaves the clean-up to the
 * next save. An ordinary save that finishes after a newer one never points back to its own version.
 *
 * Every open studio tab is its own session: it deletes only its own older versions, never what
 * another open tab saved (a version another session has not refreshed for STALE_MS belongs to a
 * tab that is gone, and is pruned), and a pixel blob goes only when no remaining version of any
 * session references it. A restore finds the newest save of any tab.
 */

export type StoreName = 'meta' | 'docs' | 'pixels';

export type WriteOp = { store: StoreName; key: string; value: unknown } | { store: StoreName; key: string; delete: true };

export interface AutosaveBackend {
  get(store: StoreName, key: string): Promise<unknown>;
  keys(store: StoreName): Promise<string[]>;
  /** All or nothing. */
  write(ops: WriteOp[]): Promise<void>;
}

/** A pixel buffer as stored: the encoded image and its size. */
export interface StoredPixels<B = unknown> {
  blob: B;
  width: number;
  height: number;
}

export interface StoredDocument {
  json: string;
  pixelIds: string[];
  savedAt: number;
  /** The tab that saved it (absent in saves made before sessions existed). */
  session?: string;
}

/** A version another session has not replaced for this long belongs to a closed tab. */
export const STALE_MS = 7 * 24 * 3600 * 1000;

const newSession = (): string => globalThis.crypto?.randomUUID?.() ?? `s-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

export interface RestoredCanvas<B = unknown> {
  json: string;
  savedAt: number;
  pixels: Map<string, StoredPixels<B>>;
  /** Pixel ids the document references that were not found. */
  missing: string[];
}

const POINTER = 'current';

export class Autosaver<B = unknown> {
  private loop: Promise<void> | null = null;
  private latest: (() => Promise<void>) | null = null;
  private counter = 0;
  /** Pixel ids this tab knows are in the store (written by its saves, or found there by its restore). */
  private readonly stored = new Set<string>();
  /** The newest version this tab has issued, by order of issue, and its key. */
  private newest = -1;
  private newestVersion: string | null = null;

  constructor(
    private readonly backend: AutosaveBackend,
    private readonly now: () => number = Date.now,
    /** This tab's session id. */
    readonly session: string = newSession(),
  ) {}

  /**
   * Save one state. Saves run one at a time; while one runs, only the newest request waits
   * (older waiting ones are skipped). Resolves once the queue is empty; rejects when the last
   * save it ran failed (the previous save is then still the one a restore finds).
   */
  save(json: string, pixelIds: string[], pixel: (id: string) => StoredPixels<B> | undefined): Promise<void> {
    this.latest = () => this.saveNow(json, pixelIds, pixel);
    if (!this.loop) this.loop = this.pump();
    return this.loop;
  }

  private async pump(): Promise<void> {
    let error: unknown;
    try {
      while (this.latest) {
        const job = this.latest;
        this.latest = null;
        try {
          await job();
          error = undefined;
        } catch (e) {
          error = e;
        }
      }
    } finally {
      this.loop = null;
    }
    if (error !== undefined) throw error;
  }

  /**
   * Save at once, as one write issued before this returns (the page is being hidden or unloaded):
   * the pixels not known to be stored, the new version and the pointer to it. Older versions are
   * left for the next ordinary save to clean up.
   */
  saveUrgently(json: string, pixelIds: string[], pixel: (id: string) => StoredPixels<B> | undefined): Promise<void> {
    const savedAt = this.now();
    const seq = this.counter++;
    const version = this.versionKey(savedAt, seq);
    const ops: WriteOp[] = [];
    const written: string[] = [];
    for (const id of pixelIds) {
      if (this.stored.has(id)) continue;
      const p = pixel(id);
      if (!p) continue;
      ops.push({ store: 'pixels', key: id, value: p });
      written.push(id);
    }
    const record: StoredDocument = { json, pixelIds, savedAt, session: this.session };
    ops.push({ store: 'docs', key: version, value: record }, { store: 'meta', key: POINTER, value: version });
    const done = this.backend.write(ops);
    this.newest = seq;
    this.newestVersion = version;
    return done.then(() => {
      for (const id of written) this.stored.add(id);
    });
  }

  private versionKey(savedAt: number, seq: number): string {
    return `${this.session}:v-${savedAt.toString(36)}-${seq.toString(36)}`;
  }

  private async saveNow(json: string, pixelIds: string[], pixel: (id: string) => StoredPixels<B> | undefined): Promise<void> {
    const savedAt = this.now();
    const seq = this.counter++;
    const version = this.versionKey(savedAt, seq);
    const stored = new Set(await this.backend.keys('pixels'));
    const ops: WriteOp[] = [];
    const keep: string[] = [];
    for (const id of pixelIds) {
      if (stored.has(id)) {
        keep.push(id);
        continue;
      }
      const p = pixel(id);
      // A buffer the page no longer has cannot be saved; the document still names it and a
      // restore reports it missing rather than failing.
      if (!p) continue;
      ops.push({ store: 'pixels', key: id, value: p });
      keep.push(id);
    }
    const record: StoredDocument = { json, pixelIds, savedAt, session: this.session };
    ops.push({ store: 'docs', key: version, value: record });
    // 1. The new version, beside the old one.
    await this.backend.write(ops);
    for (const id of keep) this.stored.add(id);
    if (seq > this.newest) {
      this.newest = seq;
      this.newestVersion = version;
    }
    // 2. Switch to it — unless a newer save of this tab was issued meanwhile (an urgent one) — then
    //    drop this tab's older versions, versions of tabs long gone, and the pixels no remaining
    //    version references.
    const current = this.newestVersion ?? version;
    const live = new Set(keep);
    const cleanup: WriteOp[] = current === version ? [{ store: 'meta', key: POINTER, value: version }] : [];
    for (const key of await this.backend.keys('docs')) {
      if (key === version || key === current) continue;
      const doc = (await this.backend.get('docs', key)) as Partial<StoredDocument> | undefined;
      const mine = doc?.session === this.session;
      const stale = typeof doc?.savedAt !== 'number' || savedAt - doc.savedAt > STALE_MS;
      if (mine || stale) cleanup.push({ store: 'docs', key, delete: true });
      else for (const id of Array.isArray(doc?.pixelIds) ? doc.pixelIds : []) if (typeof id === 'string') live.add(id);
    }
    if (current !== version) {
      const newer = (await this.backend.get('docs', current)) as Partial<StoredDocument> | undefined;
      for (const id of Array.isArray(newer?.pixelIds) ? newer.pixelIds : []) if (typeof id === 'string') live.add(id);
    }
    const dropped: string[] = [];
    for (const key of await this.backend.keys('pixels')) {
      if (live.has(key)) continue;
      cleanup.push({ store: 'pixels', key, delete: true });
      dropped.push(key);
    }
    await this.backend.write(cleanup);
    for (const key of dropped) this.stored.delete(key);
  }

  /** The last saved canvas, or null when there is none. */
  async restore(): Promise<RestoredCanvas<B> | null> {
    let record = await this.readDoc(await this.backend.get('meta', POINTER));
    if (!record) {
      // No pointer (or it names a lost version): fall back to the newest complete version.
      let best: StoredDocument | null = null;
      for (const key of await this.backend.keys('docs')) {
        const r = await this.readDoc(key);
        if (r && (!best || r.savedAt > best.savedAt)) best = r;
      }
      record = best;
    }
    if (!record) return null;
    const pixels = new Map<string, StoredPixels<B>>();
    const missing: string[] = [];
    for (const id of record.pixelIds) {
      const p = (await this.backend.get('pixels', id)) as StoredPixels<B> | undefined;
      if (p && typeof p === 'object' && 'blob' in p && Number.isInteger(p.width) && Number.isInteger(p.height)) {
        pixels.set(id, p);
        this.stored.add(id);
      } else missing.push(id);
    }
    return { json: record.json, savedAt: record.savedAt, pixels, missing };
  }

  private async readDoc(key: unknown): Promise<StoredDocument | null> {
    if (typeof key !== 'string') return null;
    const r = (await this.backend.get('docs', key)) as Partial<StoredDocument> | undefined;
    if (!r || typeof r.json !== 'string' || !Array.isArray(r.pixelIds) || typeof r.savedAt !== 'number') return null;
    return { json: r.json, pixelIds: r.pixelIds.filter((x): x is string => typeof x === 'string'), savedAt: r.savedAt };
  }
}

/** An in-memory backend (tests; a page where IndexedDB is unavailable). */
export class MemoryBackend implements AutosaveBackend {
  readonly data: Record<StoreName, Map<string, unknown>> = { meta: new Map(), docs: new Map(), pixels: new Map() };

  async get(store: StoreName, key: string): Promise<unknown> {
    return this.data[store].get(key);
  }
  async keys(store: StoreName): Promise<string[]> {
    return [...this.data[store].keys()];
  }
  async write(ops: WriteOp[]): Promise<void> {
    for (const op of ops) {
      if ('delete' in op) this.data[op.store].delete(op.key);
      else this.data[op.store].set(op.key, op.value);
    }
  }
}
