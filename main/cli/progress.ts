/** A one-line terminal progress bar with ETA, redrawn in place on a TTY and printed sparsely otherwise. */
export class ProgressBar {
  private readonly started = Date.now();
  private lastLine = '';
  constructor(private readonly out: NodeJS.WriteStream = process.stderr, private readonly width = 28) {}

  update(done: number, total: number, label = ''): void {
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(frac * this.width);
    const elapsed = (Date.now() - this.started) / 1000;
    const eta = done > 0 ? (elapsed / done) * (total - done) : NaN;
    const line = `${label}[${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}] ${done}/${total} ${(frac * 100).toFixed(0).padStart(3)}%` +
      (Number.isFinite(eta) ? `  ${elapsed.toFixed(1)}s elapsed, ETA ${eta.toFixed(1)}s` : '');
    if (this.out.isTTY) this.out.write(`\r${line}\x1b[K`);
    else if (done === total || done === 1 || line.slice(0, 40) !== this.lastLine.slice(0, 40)) this.out.write(`${line}\n`);
    this.lastLine = line;
  }

  done(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}
