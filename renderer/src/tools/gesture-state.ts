/**
 * A child state that is one undoable gesture (tldraw's pattern): it re-applies itself on every
 * pointer move and modifier change, commits the history mark on pointer up and bails back to it
 * on cancel, then returns to `idle`. Subclasses open the mark in `onEnter` and implement `apply`.
 */
import { StateNode } from './state-node.js';

export abstract class GestureState extends StateNode {
  protected abstract apply(): void;

  override onPointerMove(): void {
    this.apply();
  }
  override onKeyDown(): void {
    this.apply();
  }
  override onKeyUp(): void {
    this.apply();
  }

  override onPointerUp(): void {
    this.editor.store.history.commit();
    this.go('idle');
  }

  override onCancel(): void {
    this.editor.store.history.bail();
    this.go('idle');
  }
}
