/**
 * A state in a tool's state machine (tldraw's StateNode, pared down). A node with children has an
 * active child; events go to the node first, then to its active child if it is still active.
 * `path()` reads like 'select.translating'.
 */
import type { Editor } from './editor.js';
import type { KeyInput, PointerInput, WheelInput } from './types.js';

export type EventHandler = 'onPointerDown' | 'onPointerMove' | 'onPointerUp' | 'onKeyDown' | 'onKeyUp' | 'onWheel' | 'onCancel';

/** Data handed to a state as it is entered (a layer id, a handle …). */
export type EnterInfo = Record<string, unknown>;

export abstract class StateNode {
  abstract readonly id: string;
  /** Id of the child entered with the node. */
  readonly initial: string | null = null;
  private readonly children = new Map<string, StateNode>();
  private active: StateNode | null = null;

  constructor(
    readonly editor: Editor,
    readonly parent: StateNode | null = null,
  ) {}

  onEnter?(info: EnterInfo): void;
  onExit?(): void;
  onPointerDown?(info: PointerInput): void;
  onPointerMove?(info: PointerInput): void;
  onPointerUp?(info: PointerInput): void;
  onKeyDown?(info: KeyInput): void;
  onKeyUp?(info: KeyInput): void;
  onWheel?(info: WheelInput): void;
  onCancel?(): void;

  protected addChildren(...nodes: StateNode[]): void {
    for (const node of nodes) this.children.set(node.id, node);
  }

  get current(): StateNode | null {
    return this.active;
  }

  path(): string {
    return this.active ? `${this.id}.${this.active.path()}` : this.id;
  }

  /** Every state this node can be in, as paths below it ('idle', 'drawing'); [''] for a node with no children. */
  statePaths(): string[] {
    if (!this.children.size) return [''];
    return [...this.children.values()].flatMap((child) => child.statePaths().map((rest) => (rest ? `${child.id}.${rest}` : child.id)));
  }

  enter(info: EnterInfo = {}): void {
    this.onEnter?.(info);
    if (this.initial) {
      this.active = this.child(this.initial);
      this.active.enter(info);
    }
  }

  exit(): void {
    this.active?.exit();
    this.active = null;
    this.onExit?.();
  }

  /** Switch this node's active child. Children call `this.parent!.transition(…)`. */
  transition(id: string, info: EnterInfo = {}): void {
    const next = this.child(id);
    this.active?.exit();
    this.active = next;
    next.enter(info);
  }

  /** Switch to a sibling state (a child state's way to move on). */
  protected go(id: string, info: EnterInfo = {}): void {
    if (!this.parent) throw new Error(`${this.id} has no parent to transition in`);
    this.parent.transition(id, info);
  }

  handleEvent(name: EventHandler, info?: unknown): void {
    const child = this.active;
    (this[name] as ((i: unknown) => void) | undefined)?.call(this, info);
    if (child && child === this.active) child.handleEvent(name, info);
  }

  private child(id: string): StateNode {
    const node = this.children.get(id);
    if (!node) throw new Error(`${this.id} has no state "${id}"`);
    return node;
  }
}
