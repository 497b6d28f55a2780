/**
 * The solver lab's table as an SVG: error over model evaluations on log–log axes, one line per
 * sampler of the chosen grid family, the pack's own plan dashed ("pack default"), each budget's
 * best ringed, broken runs as triangles on the top edge; and the legend. The numbers come from
 * ui/lab/lab-chart.ts; this only draws them.
 */
import { DEFAULT_LAB_CHART_SIZE, formatValue, type LabChart as Chart, type LabLine, type LabPoint } from './lab/lab-chart.js';
import { gridLabel } from './lab/solver-table.js';

/** Line colours by a sampler's stable index; past the palette the colours repeat dashed. */
const PALETTE = ['#4aa3ff', '#e3b341', '#6cc07a', '#e0707a', '#b48cf2', '#4fc8c8', '#f0954a', '#c8c8d0', '#8fb3ff', '#d6a0c8', '#a3c94a', '#ff6fb1'];
const PACK_COLOR = '#ffffff';

export function lineColor(line: Pick<LabLine, 'pack' | 'color'>): string {
  return line.pack ? PACK_COLOR : PALETTE[line.color % PALETTE.length];
}
const dashed = (line: LabLine) => (line.pack ? '5 3' : line.color >= PALETTE.length ? '2 2' : undefined);

function pointTitle(line: LabLine, p: LabPoint): string {
  const error = p.rms === null ? 'no number (the run broke)' : formatValue(p.rms, 3);
  const where = p.clipped === 'high' ? ' — broken run, drawn at the top' : p.clipped === 'low' ? ' — drawn at the bottom' : '';
  return `${line.label} · ${gridLabel(p.grid)} · budget ${p.nfe}: ${p.steps} steps, ${p.evaluations} evaluations, RMS error ${error}${where}${p.best ? ' (best of this budget)' : ''}`;
}

function Marker({ line, p, color }: { line: LabLine; p: LabPoint; color: string }) {
  const cls = `lab-point${line.pack ? ' pack' : ''}${p.clipped ? ` ${p.clipped === 'high' ? 'broken' : 'floor'}` : ''}`;
  const data = { 'data-sampler': line.sampler, 'data-nfe': p.nfe, 'data-clipped': p.clipped ?? undefined };
  const title = <title>{pointTitle(line, p)}</title>;
  if (p.clipped === 'high') {
    // A triangle pointing up and out of the plot: the error is off the chart.
    return <path className={cls} d={`M${p.x} ${p.y - 1} l4 7 h-8 z`} fill={color} {...data}>{title}</path>;
  }
  return <circle className={cls} cx={p.x} cy={p.y} r={line.pack ? 3 : 2.5} fill={color} {...data}>{title}</circle>;
}

export function LabChart({ chart, caption }: { chart: Chart; caption: string }) {
  const { width, height } = DEFAULT_LAB_CHART_SIZE;
  const { x0, x1, y0, y1 } = chart.plot;
  // The pack's plan is drawn last, on top of the family's lines.
  const lines = chart.pack ? [...chart.lines, chart.pack] : chart.lines;
  return (
    <svg className="lab-chart" data-testid="lab-chart" viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label={caption}
      data-family={chart.family} data-lines={chart.lines.length} data-broken={chart.broken}>
      <rect className="plot" x={x0} y={y0} width={x1 - x0} height={y1 - y0} />
      {chart.yTicks.map((t) => (
        <g key={`y${t.value}`}>
          {t.major && <line className="grid" x1={x0} x2={x1} y1={t.at} y2={t.at} />}
          <text className="tick" x={x0 - 3} y={t.at} textAnchor="end" dominantBaseline="middle">{t.label}</text>
        </g>
      ))}
      {chart.xTicks.map((t) => (
        <g key={`x${t.value}`}>
          {t.major && <line className="grid" x1={t.at} x2={t.at} y1={y0} y2={y1} />}
          <text className="tick" x={t.at} y={y1 + 10} textAnchor="middle">{t.label}</text>
        </g>
      ))}
      <text className="axis-label" x={(x0 + x1) / 2} y={height - 3} textAnchor="middle">model evaluations (log) · {gridLabel(chart.family)}</text>
      <text className="axis-label" x={9} y={(y0 + y1) / 2} textAnchor="middle" transform={`rotate(-90 9 ${(y0 + y1) / 2})`}>RMS error (log)</text>
      {lines.map((line) => (
        <g key={line.pack ? ' pack' : line.sampler} className={line.pack ? 'lab-series pack' : 'lab-series'} data-sampler={line.sampler}>
          <path className={line.pack ? 'lab-line pack' : 'lab-line'} d={line.path} stroke={lineColor(line)} strokeDasharray={dashed(line)} data-sampler={line.sampler} />
          {line.points.map((p) => <Marker key={p.nfe} line={line} p={p} color={lineColor(line)} />)}
        </g>
      ))}
      {chart.best.map((b) => (
        <circle key={b.nfe} className={b.inFamily ? 'lab-best' : 'lab-best elsewhere'} cx={b.x} cy={b.y} r={6} data-nfe={b.nfe} data-sampler={b.sampler} data-grid={b.grid}>
          <title>{`Best at budget ${b.nfe}: ${b.what}, RMS error ${formatValue(b.rms, 3)}${b.inFamily ? '' : ' (another grid family)'}`}</title>
        </circle>
      ))}
    </svg>
  );
}

/** The chart's legend: one entry per line, the pack's plan first, with the error at the largest budget. */
export function LabLegend({ chart }: { chart: Chart }) {
  const lines = chart.pack ? [chart.pack, ...chart.lines] : chart.lines;
  return (
    <ul className="lab-legend" data-testid="lab-legend">
      {lines.map((line) => (
        <li key={line.pack ? ' pack' : line.sampler} className={line.pack ? 'pack' : undefined} data-sampler={line.sampler}>
          <svg width="18" height="8" aria-hidden="true"><line x1="1" x2="17" y1="4" y2="4" stroke={lineColor(line)} strokeWidth={line.pack ? 2 : 1.5} strokeDasharray={dashed(line)} /></svg>
          <span>{line.label}</span>
          <span className="lab-legend-value">{line.last === null ? 'broken' : formatValue(line.last, 2)}</span>
        </li>
      ))}
    </ul>
  );
}
