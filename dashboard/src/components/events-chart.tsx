import { useEffect, useRef, useState } from "preact/hooks";
import type { Stats } from "../api-types";

/**
 * Events over time on the issue page, drawn with uPlot. uPlot is loaded with the first chart,
 * so the issue stream and the other pages do not download it.
 */
export function EventsChart({ stats, label }: { stats: Stats; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    let dispose: (() => void) | undefined;
    let cancelled = false;
    import("../draw-events-chart")
      .then(({ drawEventsChart }) => {
        if (!cancelled) dispose = drawEventsChart(el, stats);
      })
      .catch(() => setFailed(true));
    return () => {
      cancelled = true;
      dispose?.();
    };
  }, [stats]);
  const total = stats.reduce((sum, [, n]) => sum + n, 0);
  return (
    <figure class="chart">
      <div ref={box} class="chart-box" role="img" aria-label={`${label}: ${total} events`} />
      <figcaption class="muted small">
        {label}: {total} events{failed ? " (the chart could not be drawn)" : ""}
      </figcaption>
    </figure>
  );
}
