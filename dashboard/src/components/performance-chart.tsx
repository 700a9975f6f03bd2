import { useEffect, useRef, useState } from "preact/hooks";
import type { ChartSeries } from "../draw-performance-chart";

/**
 * Percentiles or throughput over time, drawn with uPlot (loaded with the first chart, as the
 * issue page's events chart is). `summary` is what a screen reader hears instead of the picture.
 */
export function PerformanceChart({
  times,
  series,
  format,
  title,
  summary,
}: {
  times: number[];
  series: ChartSeries[];
  format: (v: number) => string;
  title: string;
  summary: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    let dispose: (() => void) | undefined;
    let cancelled = false;
    import("../draw-performance-chart")
      .then(({ drawPerformanceChart }) => {
        if (!cancelled) dispose = drawPerformanceChart(el, times, series, format);
      })
      .catch(() => setFailed(true));
    return () => {
      cancelled = true;
      dispose?.();
    };
  }, [times, series, format]);
  return (
    <figure class="chart">
      <div ref={box} class="chart-box" role="img" aria-label={`${title}: ${summary}`} />
      <figcaption class="muted small">
        {title}
        {failed ? " (the chart could not be drawn)" : ""}
      </figcaption>
    </figure>
  );
}
