import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  /** A CSS color; the first series takes the accent color when none is given. */
  color?: string;
  bars?: boolean;
}

/**
 * Draws one or more series over the same buckets into `el` (lines, or bars for counts), with a
 * legend, sized to it and redrawn when it resizes; `format` labels the y axis. Returns a cleanup.
 */
export function drawPerformanceChart(el: HTMLElement, times: number[], series: ChartSeries[], format: (v: number) => string): () => void {
  const css = getComputedStyle(document.documentElement);
  const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const accent = color("--accent", "#b4492f");
  const grid = color("--border", "#ddd");
  const text = color("--muted", "#666");
  const palette = [accent, "#2f6fb4", "#3a8f4b", "#8a5cb8"];
  const data: uPlot.AlignedData = [times, ...series.map((s) => s.values)];
  const width = () => Math.max(200, el.clientWidth);
  const plot = new uPlot(
    {
      width: width(),
      height: 180,
      legend: { show: series.length > 1 },
      cursor: { drag: { x: false, y: false } },
      // Headroom above the highest value, so its point is not cut in half by the edge.
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, (max ?? 0) > 0 ? max! * 1.15 : 1] } },
      axes: [
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 76, values: (_u, ticks) => ticks.map(format) },
      ],
      series: [
        {},
        ...series.map((s, i) => {
          const stroke = s.color ?? palette[i % palette.length]!;
          return s.bars
            ? {
                label: s.label,
                stroke,
                width: 0,
                fill: `${stroke}bb`,
                paths: uPlot.paths.bars!({ size: [0.8, 40] }),
                points: { show: false },
                value: (_u: uPlot, v: number | null) => (v === null ? "—" : format(v)),
              }
            : {
                label: s.label,
                stroke,
                width: 2,
                spanGaps: true,
                // Points too: a bucket between empty ones draws no line.
                points: { show: true, size: 5, fill: stroke },
                value: (_u: uPlot, v: number | null) => (v === null ? "—" : format(v)),
              };
        }),
      ],
    },
    data,
    el,
  );
  const observer = new ResizeObserver(() => plot.setSize({ width: width(), height: 180 }));
  observer.observe(el);
  return () => {
    observer.disconnect();
    plot.destroy();
  };
}
