/**
 * Every test run gets its own data folder: DRIFTLINE_HOME points at a temporary folder (removed
 * afterwards) unless the caller set one, so nothing a test runs — derived attention-memory models,
 * searched boundary conditions, the gallery — lands in the user's own data folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  if (process.env.DRIFTLINE_HOME) return () => undefined;
  const home = mkdtempSync(join(tmpdir(), 'driftline-test-home-'));
  process.env.DRIFTLINE_HOME = home;
  return () => rmSync(home, { recursive: true, force: true });
}
