/**
 * The numbers a metric trigger watches, from hourly transaction rollups (db/schema.ts,
 * transaction_rollups): pure steps, the minute job (evaluate-metric-alerts.ts) reads and writes.
 *
 * A window of an hour or less is the rollups of the current and previous hour less the current
 * hour's totals as the job saw them when the window began (its snapshot): counts and sketch
 * buckets only ever grow within an hour, so the difference is what arrived in the window. A day
 * is the last 24 hourly rollups. Like Sentry's metric alerts, a window counts what was processed
 * in it; a transaction digested late counts when it arrives.
 */
import { ALERT_INTERVALS, type MetricTrigger } from "../../db/alert-rule-definition";
import { type Sketch, mergeSketchInto, parseSketch, sketchCount, sketchQuantile } from "../../protocol/duration-sketch";
import { HOUR } from "../../protocol/time";

export interface Totals {
  count: number;
  failures: number;
  sketch: Sketch;
}

/** The current hour's totals as a run saw them. */
export interface Snapshot extends Totals {
  minute: number;
  hour: number;
}

export const EMPTY_TOTALS: Totals = { count: 0, failures: 0, sketch: {} };

const PERCENTILES = { p50: 0.5, p75: 0.75, p95: 0.95, p99: 0.99 } as const;

/** One hour's rollup rows of the trigger's transactions, added up. */
export function hourTotals(rows: ReadonlyArray<{ count: number; failures: number; sketch: string }>): Totals {
  const sketch: Sketch = {};
  let count = 0;
  let failures = 0;
  for (const row of rows) {
    count += row.count;
    failures += row.failures;
    mergeSketchInto(sketch, parseSketch(row.sketch));
  }
  return { count, failures, sketch };
}

export function addTotals(a: Totals, b: Totals): Totals {
  return { count: a.count + b.count, failures: a.failures + b.failures, sketch: mergeSketchInto(mergeSketchInto({}, a.sketch), b.sketch) };
}

/** `a` less `b`, never below zero (a rollup deleted by retention, a snapshot of other data). */
export function subtractTotals(a: Totals, b: Totals): Totals {
  const sketch: Sketch = {};
  for (const [key, n] of Object.entries(a.sketch)) {
    const left = n - (b.sketch[key] ?? 0);
    if (left > 0) sketch[key] = left;
  }
  return { count: Math.max(0, a.count - b.count), failures: Math.max(0, a.failures - b.failures), sketch };
}

/** Whether the trigger's window is made of whole hours (a day) rather than a snapshot's difference. */
export function isWholeHours(trigger: MetricTrigger): boolean {
  return ALERT_INTERVALS[trigger.interval] > HOUR;
}

/** The first hour whose rollups the window needs at `now`. */
export function firstHourOf(trigger: MetricTrigger, now: number): number {
  const hour = Math.floor(now / HOUR) * HOUR;
  return isWholeHours(trigger) ? hour - ALERT_INTERVALS[trigger.interval] + HOUR : hour - HOUR;
}

/**
 * The window's totals at `now` from the rollups of each hour since firstHourOf (`byHour`) and
 * the snapshot taken nearest the window's start (null when there is none yet: no value).
 */
export function windowTotals(
  trigger: MetricTrigger,
  now: number,
  byHour: ReadonlyMap<number, Totals>,
  start: Snapshot | null,
): Totals | null {
  const current = Math.floor(now / HOUR) * HOUR;
  if (isWholeHours(trigger)) return [...byHour.values()].reduce(addTotals, EMPTY_TOTALS);
  if (start === null) return null;
  const thisHour = byHour.get(current) ?? EMPTY_TOTALS;
  if (start.hour === current) return subtractTotals(thisHour, start);
  const previous = byHour.get(current - HOUR) ?? EMPTY_TOTALS;
  // The window began in the previous hour: what that hour gained since, and all of this one.
  if (start.hour === current - HOUR) return addTotals(thisHour, subtractTotals(previous, start));
  return addTotals(thisHour, previous);
}

/** The trigger's number over the window (ms, or a fraction of failures); null with no transactions in it. */
export function metricValue(trigger: MetricTrigger, totals: Totals): number | null {
  if (totals.count === 0) return null;
  // Sessions and crashed sessions (session_rollups) in count and failures: a percentage, as Sentry's.
  if (trigger.type === "crash_free_rate") return 100 - (100 * totals.failures) / totals.count;
  if (trigger.type === "failure_rate") return totals.failures / totals.count;
  if (sketchCount(totals.sketch) === 0) return null;
  return sketchQuantile(totals.sketch, PERCENTILES[trigger.percentile]);
}

/** Past the threshold: strictly above it, as Sentry's "above" thresholds are; a crash-free rate strictly below it. */
export function isOver(trigger: MetricTrigger, value: number): boolean {
  return trigger.type === "crash_free_rate" ? value < trigger.value : value > trigger.value;
}

/** "812 ms", "7.5%": the value as a notification says it. */
export function formatMetricValue(trigger: MetricTrigger, value: number): string {
  if (trigger.type === "failure_rate") return `${Math.round(value * 10_000) / 100}%`;
  if (trigger.type === "crash_free_rate") return `${Math.round(value * 100) / 100}%`;
  return `${Math.round(value)} ms`;
}
