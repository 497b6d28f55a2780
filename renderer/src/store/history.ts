/**
 * Undo history as immer patches with named marks (tldraw's shape). Each undoable update records
 * its patches and inverse patches; outside a mark every update is one undo step. A gesture calls
 * `mark(name)` first: everything recorded until `commit()` becomes ONE step, and `bail()` applies
 * the inverses to restore the document as it was at the mark. Marks nest; committing an inner mark
 * folds it into the outer one. The history holds patches only, never document copies or pixels.
 */
import { applyPatches, enablePatches, type Objectish, type Patch } from 'immer';

enablePatches();

export interface HistoryEntry {
  name: string;
  patches: Patch[];
  inverse: Patch[];
}

interface Frame {
  name: string;
  patches: Patch[][];
  inverse: Patch[][];
}

export interface HistoryOptions {
  /** Most undo steps kept; the oldest are dropped beyond it. */
  limit?: number;
  /** Called after anything changes the stacks (for `canUndo` in the UI). */
  onChange?: () => void;
}

export class History<T extends Objectish> {
  private readonly undos: HistoryEntry[] = [];
  private readonly redos: HistoryEntry[] = [];
  private readonly frames: Frame[] = [];

  constructor(
    private readonly access: { get(): T; set(value: T): void },
    private readonly opts: HistoryOptions = {},
  ) {}

  get canUndo(): boolean {
    return this.undos.length > 0;
  }
  get canRedo(): boolean {
    return this.redos.length > 0;
  }
  /** True while a mark is open (a gesture is in progress). */
  get inGesture(): boolean {
    return this.frames.length > 0;
  }
  get markName(): string | null {
    return this.frames.at(-1)?.name ?? null;
  }
  get undoName(): string | null {
    return this.undos.at(-1)?.name ?? null;
  }
  get redoName(): string | null {
    return this.redos.at(-1)?.name ?? null;
  }
  /** The stacks, oldest first, for inspection. */
  get stacks(): { undo: readonly HistoryEntry[]; redo: readonly HistoryEntry[] } {
    return { undo: this.undos, redo: this.redos };
  }

  /** Called by the store after an undoable update was applied. */
  record(name: string, patches: Patch[], inverse: Patch[]): void {
    if (patches.length === 0) return;
    this.redos.length = 0;
    const frame = this.frames.at(-1);
    if (frame) {
      frame.patches.push(patches);
      frame.inverse.push(inverse);
    } else {
      this.push({ name, patches, inverse });
    }
    this.opts.onChange?.();
  }

  mark(name: string): void {
    this.frames.push({ name, patches: [], inverse: [] });
  }

  /** Close the innermost mark, keeping its changes as one step (or folding them into the outer mark). */
  commit(): HistoryEntry | null {
    const frame = this.frames.pop();
    if (!frame || frame.patches.length === 0) return null;
    const outer = this.frames.at(-1);
    if (outer) {
      outer.patches.push(...frame.patches);
      outer.inverse.push(...frame.inverse);
      return null;
    }
    const entry = { name: frame.name, patches: frame.patches.flat(), inverse: frame.inverse.slice().reverse().flat() };
    this.push(entry);
    this.opts.onChange?.();
    return entry;
  }

  /** Close the innermost mark, undoing everything recorded since it. */
  bail(): void {
    const frame = this.frames.pop();
    if (!frame || frame.inverse.length === 0) return;
    this.access.set(applyPatches(this.access.get(), frame.inverse.slice().reverse().flat()));
    this.opts.onChange?.();
  }

  bailAll(): void {
    while (this.frames.length) this.bail();
  }

  /** Undo one step. An open gesture is bailed instead (and nothing else is undone). */
  undo(): boolean {
    if (this.inGesture) {
      this.bailAll();
      return true;
    }
    const entry = this.undos.pop();
    if (!entry) return false;
    this.access.set(applyPatches(this.access.get(), entry.inverse));
    this.redos.push(entry);
    this.opts.onChange?.();
    return true;
  }

  redo(): boolean {
    if (this.inGesture) this.bailAll();
    const entry = this.redos.pop();
    if (!entry) return false;
    this.access.set(applyPatches(this.access.get(), entry.patches));
    this.undos.push(entry);
    this.opts.onChange?.();
    return true;
  }

  clear(): void {
    this.undos.length = 0;
    this.redos.length = 0;
    this.frames.length = 0;
    this.opts.onChange?.();
  }

  /** Every patch value held anywhere in the history (stacks and open marks). */
  *values(): Iterable<Patch> {
    for (const e of [...this.undos, ...this.redos]) for (const p of [...e.patches, ...e.inverse]) yield p;
    for (const f of this.frames) for (const group of [...f.patches, ...f.inverse]) for (const p of group) yield p;
  }

  private push(entry: HistoryEntry): void {
    this.undos.push(entry);
    const limit = this.opts.limit ?? 500;
    if (this.undos.length > limit) this.undos.splice(0, this.undos.length - limit);
  }
}
