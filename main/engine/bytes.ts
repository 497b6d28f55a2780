/** Byte counts for people. */

const GiB = 2 ** 30, MiB = 2 ** 20;

/** "64 GiB", "1.5 GiB", "700 MiB" (binary units; at least 1 MiB). */
export function formatBytes(n: number): string {
  if (n >= 10 * GiB) return `${Math.round(n / GiB)} GiB`;
  if (n >= GiB) return `${+(n / GiB).toFixed(1)} GiB`;
  return `${Math.max(1, Math.round(n / MiB))} MiB`;
}
