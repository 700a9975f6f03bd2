/**
 * What the Uptime section and a monitor's page show, computed from the API's answers: a
 * monitor's state in a word, its uptime over the stats' buckets, and the series its charts draw.
 * Uptime is the share of checks that succeeded, as Sentry counts it: a missed window (no check
 * made) counts neither way (https://docs.sentry.io/product/uptime-monitoring/).
 */
import type { UptimeBucketCounts, UptimeCheck, UptimeMonitor } from "./uptime-draft";

export type UptimeState = "up" | "down" | "disabled" | "pending";

/** Down while an issue is open (Sentry's uptimeStatus 2); pending before the first check. */
export function uptimeState(m: Pick<UptimeMonitor, "status" | "uptimeStatus" | "lastCheckedAt">): UptimeState {
  if (m.status === "disabled") return "disabled";
  if (m.uptimeStatus === 2) return "down";
  return m.lastCheckedAt === null ? "pending" : "up";
}

export const STATE_TEXT: Record<UptimeState, string> = {
  up: "Up",
  down: "Down",
  disabled: "Disabled",
  pending: "Waiting for first check",
};

function made(c: UptimeBucketCounts): number {
  return c.success + c.failure + c.failure_incident;
}

/** The share of checks that succeeded over all buckets, null when none was made. */
export function uptimeFraction(buckets: ReadonlyArray<readonly [number, UptimeBucketCounts]>): number | null {
  let ok = 0;
  let all = 0;
  for (const [, c] of buckets) {
    ok += c.success;
    all += made(c);
  }
  return all === 0 ? null : ok / all;
}

/** Per bucket: its start (s), uptime (null without checks) and mean latency (ms, null without checks). */
export function uptimeSeries(buckets: ReadonlyArray<readonly [number, UptimeBucketCounts]>) {
  return {
    times: buckets.map(([t]) => t),
    uptime: buckets.map(([, c]) => (made(c) === 0 ? null : c.success / made(c))),
    latency: buckets.map(([, c]) => (made(c) === 0 ? null : c.avgDurationMs)),
  };
}

/** The class the cron styles give a status: ok, error or missed. */
export function checkTone(status: UptimeCheck["checkStatus"]): "ok" | "error" | "missed" {
  if (status === "success") return "ok";
  return status === "missed_window" ? "missed" : "error";
}

export const CHECK_TEXT: Record<UptimeCheck["checkStatus"], string> = {
  success: "Up",
  failure: "Failed",
  failure_incident: "Down",
  missed_window: "Missed",
};

export function intervalText(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? "every hour" : `every ${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? "every minute" : `every ${seconds / 60} minutes`;
  return `every ${seconds} s`;
}

/** The stats' window and bucket for a range the monitor page offers. */
export const UPTIME_PERIODS = [
  { id: "24h", label: "24 h", resolution: "1h" },
  { id: "7d", label: "7 d", resolution: "6h" },
  { id: "30d", label: "30 d", resolution: "1d" },
] as const;

export function uptimePeriodOf(value: string | null) {
  return UPTIME_PERIODS.find((p) => p.id === value) ?? UPTIME_PERIODS[0];
}
