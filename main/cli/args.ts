/** What the CLI's commands share: usage errors, number flags, atomic writes, the job's progress and Ctrl-C. */
import { writeFileAtomic } from '../engine/io/atomic.js';
import type { EngineClient } from '../host/client.js';
import { ProgressBar } from './progress.js';

export class UsageError extends Error {}

export function num(v: string | undefined, name: string, def?: number): number | undefined {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
  return n;
}

/** `X,Y` → a point. */
export function point(v: string, name: string): { x: number; y: number } {
  const m = /^\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*$/.exec(v);
  if (!m) throw new UsageError(`--${name} must look like X,Y, got "${v}"`);
  return { x: Number(m[1]), y: Number(m[2]) };
}

/** Write a file so that a crash never leaves a half-written one in its place. */
export const writeAtomic = writeFileAtomic;

/** Show a job's progress on stderr and cancel it on Ctrl-C while `run` is in flight. */
export async function withJob<T>(client: EngineClient, jobId: string, run: () => Promise<T>): Promise<T> {
  let bar = new ProgressBar();
  let phase: string | undefined;
  const off = client.on('onProgress', (p) => {
    if (p.jobId !== jobId) return;
    // One bar per phase (an edit inverts, then samples), so each has its own ETA.
    if (phase !== undefined && p.phase !== phase) {
      bar.done();
      bar = new ProgressBar();
    }
    phase = p.phase;
    bar.update(p.step, p.total, p.phase === 'invert' ? 'inverting ' : p.phase === 'search' ? 'searching ' : 'sampling ');
  });
  const cancel = () => void client.call('cancel', { jobId }).catch(() => undefined);
  process.once('SIGINT', cancel);
  try {
    const res = await run();
    bar.done();
    return res;
  } finally {
    off();
    process.off('SIGINT', cancel);
  }
}

/** What a job reports of its execution providers (the contract's ProviderInfo, as far as this reads it). */
export interface ProviderReport {
  component: string;
  provider: string;
  skipped: readonly { provider: string; reason: string }[];
}

/**
 * The providers a job ran on, said once: components grouped by provider, each provider that was
 * passed over named once with the short form of why (up to its first parenthesis: the remedy
 * follows there), and a pointer to `--verbose`; with `verbose`, every component's full reasons.
 */
export function providerLines(providers: readonly ProviderReport[], verbose = false): string[] {
  if (verbose) return providers.map((p) => `${p.component}: ${p.provider}${p.skipped.length ? ` (skipped ${p.skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')})` : ''}`);
  const byProvider = new Map<string, string[]>();
  for (const p of providers) byProvider.set(p.provider, [...(byProvider.get(p.provider) ?? []), p.component]);
  const ran = [...byProvider].map(([provider, components]) => `${components.join(', ')}: ${provider}`).join('; ');
  const skipped = new Map<string, string>();
  for (const p of providers) for (const s of p.skipped) if (!skipped.has(s.provider)) skipped.set(s.provider, s.reason.split(' (')[0].trim());
  if (skipped.size === 0) return [ran];
  return [`${ran} · not used: ${[...skipped].map(([provider, why]) => `${provider} (${why})`).join(', ')} — --verbose for why in full`];
}
