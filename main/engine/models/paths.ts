/**
 * Where Driftline keeps the user's data: one folder per platform, following each platform's
 * convention, overridable with `DRIFTLINE_HOME` (tests point it at a temporary folder).
 *
 *   Linux    $XDG_DATA_HOME/driftline, else ~/.local/share/driftline
 *   macOS    ~/Library/Application Support/Driftline Studio
 *   Windows  %APPDATA%\Driftline Studio, else ~\AppData\Roaming\Driftline Studio
 *
 * Model packs live in `<data>/models/<name>/`; the registry's index and its scratch folders
 * (staging, downloads, trash) live beside them in `<data>/models/`.
 */
import { homedir } from 'node:os';
import path from 'node:path';

export const APP_DIR_NAME = 'Driftline Studio';
export const APP_DIR_NAME_XDG = 'driftline';

export interface PathEnv {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
}

/** The user data folder (absolute). */
export function dataDir(opts: PathEnv = {}): string {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const home = opts.home ?? homedir();
  const p = platform === 'win32' ? path.win32 : path.posix;

  const override = env.DRIFTLINE_HOME?.trim();
  if (override) return p.resolve(override);

  switch (platform) {
    case 'win32': {
      const appData = env.APPDATA?.trim() || p.join(home, 'AppData', 'Roaming');
      return p.join(appData, APP_DIR_NAME);
    }
    case 'darwin':
      return p.join(home, 'Library', 'Application Support', APP_DIR_NAME);
    default: {
      // XDG Base Directory spec: a relative $XDG_DATA_HOME is invalid and must be ignored.
      const xdg = env.XDG_DATA_HOME?.trim();
      const base = xdg && p.isAbsolute(xdg) ? xdg : p.join(home, '.local', 'share');
      return p.join(base, APP_DIR_NAME_XDG);
    }
  }
}

/** `<data>/models`: installed packs, the registry index and its scratch folders. */
export function modelsDir(opts: PathEnv = {}): string {
  const data = dataDir(opts);
  const p = (opts.platform ?? process.platform) === 'win32' ? path.win32 : path.posix;
  return p.join(data, 'models');
}
