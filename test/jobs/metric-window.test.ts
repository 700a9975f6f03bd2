import { describe, expect, it } from "vitest";
import type { MetricTrigger } from "../../db/alert-rule-definition";
import { sketchOf } from "../../protocol/duration-sketch";
import { HOUR, MINUTE } from "../../protocol/time";
import { type Totals, firstHourOf, metricValue, subtractTotals, windowTotals } from "../../queue-consumer/jobs/metric-window";

const p95: MetricTrigger = { type: "transaction_duration", percentile: "p95", value: 500, interval: "5m" };
const failures: MetricTrigger = { type: "failure_rate", value: 0.1, interval: "1h" };
const daily: MetricTrigger = { type: "failure_rate", value: 0.1, interval: "1d" };
const H = Date.UTC(2026, 11, 7, 12);

const totals = (durations: number[], failed = 0): Totals => ({ count: durations.length, failures: failed, sketch: sketchOf(durations) });

describe("windowTotals", () => {
  it("is the hour now less the hour at the window's start, when both are the same hour", () => {
    const start = { ...totals([100, 100, 100]), minute: H + 10 * MINUTE, hour: H };
    const now = totals([100, 100, 100, 900, 900]);
    const window = windowTotals(p95, H + 15 * MINUTE, new Map([[H, now]]), start)!;
    expect(window.count).toBe(2);
    // Within the sketch's 1%.
    expect(Math.abs(metricValue(p95, window)! - 900) / 900).toBeLessThan(0.01);
  });

  it("adds what the previous hour gained since the start to all of this hour", () => {
    const start = { ...totals([100], 1), minute: H - 3 * MINUTE, hour: H - HOUR };
    const byHour = new Map([
      [H - HOUR, totals([100, 200], 2)],
      [H, totals([300, 400, 500], 1)],
    ]);
    const window = windowTotals(failures, H + 2 * MINUTE, byHour, start)!;
    expect(window).toMatchObject({ count: 4, failures: 2 });
    expect(metricValue(failures, window)).toBe(0.5);
  });

  it("has no value before the first snapshot, and none without transactions", () => {
    expect(windowTotals(p95, H, new Map([[H, totals([900])]]), null)).toBeNull();
    const start = { ...totals([900]), minute: H, hour: H };
    expect(metricValue(p95, windowTotals(p95, H + 5 * MINUTE, new Map([[H, totals([900])]]), start)!)).toBeNull();
  });

  it("a day is the sum of the last 24 hourly rollups, with no snapshot", () => {
    expect(firstHourOf(daily, H + 30 * MINUTE)).toBe(H - 23 * HOUR);
    expect(firstHourOf(p95, H + 30 * MINUTE)).toBe(H - HOUR);
    const byHour = new Map([
      [H - 23 * HOUR, totals([1, 2], 1)],
      [H, totals([3], 0)],
    ]);
    expect(metricValue(daily, windowTotals(daily, H + 30 * MINUTE, byHour, null)!)).toBeCloseTo(1 / 3);
  });
});

describe("subtractTotals", () => {
  it("never goes below zero, bucket by bucket", () => {
    const result = subtractTotals(totals([100]), totals([100, 200], 3));
    expect(result).toEqual({ count: 0, failures: 0, sketch: {} });
  });
});
