/**
 * The editing benches' `--set key=value` flags as editing overrides: `--set guidance.scale=0.2
 * --set eta=0 --set memory.window=0,0.7` → { guidance: { scale: 0.2 }, eta: 0, memory: { window: [0, 0.7] } }.
 * A value with commas is a list of numbers, true/false a boolean, a number a number, else text.
 */
import type { EditOverrides } from '../main/engine/editing/presets.js';

export function editOverrides(sets: readonly string[] = []): EditOverrides {
  const o: Record<string, unknown> = {};
  for (const kv of sets) {
    const [key, raw = ''] = kv.split('=');
    const v = raw.includes(',') ? raw.split(',').map(Number) : raw === 'true' || raw === 'false' ? raw === 'true' : Number.isNaN(Number(raw)) ? raw : Number(raw);
    const parts = key.split('.');
    let at = o;
    for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[parts[parts.length - 1]] = v;
  }
  return o as EditOverrides;
}
