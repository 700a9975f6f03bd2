import { describe, expect, it } from "vitest";
import type { UptimeBucketCounts } from "../../dashboard/src/uptime/uptime-draft";
import { checkTone, intervalText, uptimeFraction, uptimeSeries, uptimeState } from "../../dashboard/src/uptime/uptime-stats";

const counts = (success: number, failure = 0, failure_incident = 0, avgDurationMs: number | null = null, missed_window = 0) =>
  ({ success, failure, failure_incident, missed_window, avgDurationMs }) satisfies UptimeBucketCounts;

describe("uptime as the Crons page shows it", () => {
  it("names a monitor's state: disabled first, down while its issue is open, pending before its first check", () => {
    const checked = "2026-12-07T19:00:00.000Z";
    expect(uptimeState({ status: "active", uptimeStatus: 1, lastCheckedAt: checked })).toBe("up");
    expect(uptimeState({ status: "active", uptimeStatus: 2, lastCheckedAt: checked })).toBe("down");
    expect(uptimeState({ status: "disabled", uptimeStatus: 2, lastCheckedAt: checked })).toBe("disabled");
    expect(uptimeState({ status: "active", uptimeStatus: 1, lastCheckedAt: null })).toBe("pending");
  });

  it("counts uptime over the checks made: failures of both kinds count against it, missed windows not at all", () => {
    const buckets: Array<[number, UptimeBucketCounts]> = [
      [0, counts(0)],
      [3600, counts(5, 1, 2, 120, 4)],
      [7200, counts(2, 0, 0, 80)],
    ];
    expect(uptimeFraction(buckets)).toBe(7 / 10);
    expect(uptimeFraction([[0, counts(0, 0, 0, null, 3)]])).toBeNull();
    expect(uptimeFraction([])).toBeNull();
  });

  it("charts each bucket's uptime and mean latency, leaving a bucket without checks empty rather than 0%", () => {
    const series = uptimeSeries([
      [100, counts(0)],
      [200, counts(3, 1, 0, 250)],
      [300, counts(0, 0, 2, 10_000)],
    ]);
    expect(series).toEqual({ times: [100, 200, 300], uptime: [null, 0.75, 0], latency: [null, 250, 10_000] });
  });

  it("marks each check ok, error or missed, and words the API's intervals", () => {
    expect(["success", "failure", "failure_incident", "missed_window"].map((s) => checkTone(s as never))).toEqual([
      "ok",
      "error",
      "error",
      "missed",
    ]);
    expect([60, 300, 600, 3600, 7200, 90].map(intervalText)).toEqual([
      "every minute",
      "every 5 minutes",
      "every 10 minutes",
      "every hour",
      "every 2 hours",
      "every 90 s",
    ]);
  });
});
