/** The status line: the newest message, in the app store for the status bar; errors go to the console too. */
import type { AppStore, StatusMessage } from './app-state.js';

export type Say = (text: string, level?: StatusMessage['level']) => void;

export function statusLine(app: AppStore): Say {
  return (text, level = 'info') => {
    app.setState({ status: { text, level, at: Date.now() } });
    if (level === 'error') console.error(text);
  };
}

/** A caught value as the user reads it. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
