import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Stats } from "./api-types";

/** Draws bars of event counts into `el`, sized to it and redrawn when it resizes; returns a cleanup. */
export function drawEventsChart(el: HTMLElement, stats: Stats): () => void {
  const css = getComputedStyle(document.documentElement);
  const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const accent = color("--accent", "#b4492f");
  const grid = color("--border", "#ddd");
  const text = color("--muted", "#666");
  const data: uPlot.AlignedData = [stats.map(([t]) => t), stats.map(([, n]) => n)];
  const width = () => Math.max(200, el.clientWidth);
  const plot = new uPlot(
    {
      width: width(),
      height: 160,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 40 },
      ],
      series: [
        {},
        {
          label: "Events",
          // Fill only: an outline would draw empty buckets as dashes along the axis.
          stroke: accent,
          width: 0,
          fill: `${accent}bb`,
          paths: uPlot.paths.bars!({ size: [0.8, 40] }),
          points: { show: false },
        },
      ],
    },
    data,
    el,
  );
  const observer = new ResizeObserver(() => plot.setSize({ width: width(), height: 160 }));
  observer.observe(el);
  return () => {
    observer.disconnect();
    plot.destroy();
  };
}
