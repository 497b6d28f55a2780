/** The status bar: connection, execution provider, the last message, tool state, canvas and pointer. */
import { useStore } from 'zustand';
import { providerSummary } from './app-state.js';
import type { Studio } from './studio.js';
import { toolStatusText } from './tool-status.js';

const CONNECTION: Record<string, string> = {
  connecting: 'Connecting to the engine…',
  open: 'Engine connected',
  reconnecting: 'Engine connection lost — reconnecting…',
  closed: 'Engine connection closed',
  unavailable: 'No engine',
};

export function StatusBar({ studio }: { studio: Studio }) {
  const connection = useStore(studio.app, (a) => a.connection);
  const mode = useStore(studio.app, (a) => a.mode);
  const status = useStore(studio.app, (a) => a.status);
  const model = useStore(studio.app, (a) => a.settings.model);
  const providers = useStore(studio.app, (a) => a.providers[a.settings.model]);
  const pointer = useStore(studio.app, (a) => a.pointer);
  const savedAt = useStore(studio.app, (a) => a.savedAt);
  const toolState = useStore(studio.editor.store.store, (s) => s.ui.toolState);
  const canvas = useStore(studio.editor.store.store, (s) => s.doc.canvas);
  const provider = providerSummary(providers);

  return (
    <footer className="status-bar" aria-label="Status">
      <span className={`conn conn-${connection}`} title={mode === 'electron' ? 'Desktop app' : mode === 'browser' ? 'Browser mode' : ''}>{CONNECTION[connection]}</span>
      <span title="Execution provider of the current model">{model ? `${model}: ${provider ?? 'provider known after the first image'}` : 'No model'}</span>
      <span className={`message ${status?.level ?? ''}`} role="status" aria-live="polite" title={status?.text}>{status?.text ?? ''}</span>
      <span className="right">
        <span className="tool-status" data-state={toolState}>{toolStatusText(studio.editor.tools, toolState)}</span>
        <span>{canvas.width}×{canvas.height}</span>
        <span>{pointer ? `${Math.floor(pointer.x)}, ${Math.floor(pointer.y)}` : ''}</span>
        <span title="The canvas is saved in this browser as you work">{savedAt ? `Saved ${new Date(savedAt).toLocaleTimeString()}` : 'Not saved yet'}</span>
      </span>
    </footer>
  );
}
