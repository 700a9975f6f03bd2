import type { Stats } from "../api-types";

/** Event counts as small bars: cheap enough for every row of a list (uPlot draws the big chart). */
export function Sparkline({
  stats,
  label,
  width = 120,
  height = 28,
}: {
  stats: Stats | undefined;
  label: string;
  width?: number;
  height?: number;
}) {
  const series = stats ?? [];
  const max = Math.max(1, ...series.map(([, n]) => n));
  const total = series.reduce((sum, [, n]) => sum + n, 0);
  const barWidth = series.length === 0 ? 0 : width / series.length;
  return (
    <svg
      class="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`${label}: ${total} events`}
    >
      <title>{`${label}: ${total} events`}</title>
      <line x1="0" y1={height - 0.5} x2={width} y2={height - 0.5} class="sparkline-base" />
      {series.map(([t, n], i) => {
        const h = n === 0 ? 0 : Math.max(2, (n / max) * (height - 2));
        return <rect key={t} x={i * barWidth + 0.5} y={height - h} width={Math.max(1, barWidth - 1)} height={h} class="sparkline-bar" />;
      })}
    </svg>
  );
}
