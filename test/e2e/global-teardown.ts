/** Remove the throwaway DRIFTLINE_HOME that playwright.config.ts made for the served studio. */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export default async function globalTeardown(): Promise<void> {
  const home = process.env.DRIFTLINE_E2E_HOME;
  if (home && path.dirname(home) === tmpdir() && path.basename(home).startsWith('driftline-e2e-')) {
    await rm(home, { recursive: true, force: true });
  }
}
