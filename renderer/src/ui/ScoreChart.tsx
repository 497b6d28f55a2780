/**
 * The boundary search's candidates as an SVG: one dot per candidate (sorted worst → best, better
 * up), the random-noise mean and its ±1 sd band, the chosen candidate ringed. The numbers come
 * from ui/upscale/score-chart.ts; this only draws them.
 */
import { DEFAULT_CHART_SIZE, formatScore, type ScoreChart as Chart } from './upscale/score-chart.js';

export function ScoreChart({ chart, summary }: { chart: Chart; summary: string }) {
  const { width, height } = DEFAULT_CHART_SIZE;
  const { x0, x1, y0, y1 } = chart.plot;
  const r = chart.marks.length > 64 ? 2 : 3.5;
  return (
    <svg className="score-chart" viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label={summary} data-metric={chart.metric} data-candidates={chart.marks.length}>
      <rect className="plot" x={x0} y={y0} width={x1 - x0} height={y1 - y0} />
      <rect className="sd-band" x={x0} y={chart.band.y} width={x1 - x0} height={chart.band.height}>
        <title>Random noise: mean ± 1 sd ({formatScore(chart.metric, chart.mean)} ± {formatScore(chart.metric, chart.sd)})</title>
      </rect>
      <line className="mean-line" x1={x0} x2={x1} y1={chart.meanY} y2={chart.meanY} />
      {chart.ticks.map((t, i) => (
        <text key={i} className="tick" x={x0 - 4} y={t.y} textAnchor="end" dominantBaseline="middle">{t.label}</text>
      ))}
      <text className="axis-label" x={(x0 + x1) / 2} y={height - 4} textAnchor="middle">
        candidates, worst → best · band: random mean ± 1 sd
      </text>
      {chart.marks.map((m) => (
        <circle key={m.index} className={m.chosen ? 'candidate chosen' : 'candidate'} cx={m.x} cy={m.y} r={m.chosen ? r + 1.5 : r} data-index={m.index}>
          <title>Candidate {m.index}: {formatScore(chart.metric, m.value, chart.metric === 'psnr' ? 3 : 5)}{m.chosen ? ' (chosen)' : ''}</title>
        </circle>
      ))}
    </svg>
  );
}
