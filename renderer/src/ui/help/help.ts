/** Whether the keyboard map is open (`?` toggles it, Esc or its button closes it). No DOM. */
import { createStore } from 'zustand/vanilla';

export class HelpModule {
  readonly store = createStore<{ open: boolean }>()(() => ({ open: false }));

  toggle(): void {
    this.store.setState({ open: !this.store.getState().open });
  }

  close(): void {
    this.store.setState({ open: false });
  }
}
