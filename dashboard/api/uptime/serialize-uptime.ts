/**
 * Uptime monitors, checks and stats in Sentry's shapes (Sentry's uptime serializers in
 * src/sentry/uptime/endpoints/serializers.py and organization_uptime_stats.py): a monitor with
 * `uptimeStatus` 1 (ok) or 2 (failed), a check with `checkStatus` success, failure or
 * failure_incident (a failure that counted toward an issue), and stats as
 * `{id: [[seconds, counts], ...]}`. Faultline's own fields are extra camelCase keys.
 */
import type { UptimeCheckRow, UptimeMonitorRow, UptimeStatsRow } from "./uptime-queries";

/** Sentry's UptimeStatus: 1 ok, 2 failed. */
const UPTIME_STATUS = { ok: 1, failed: 2 } as const;

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** Sentry's timestamps in uptime checks: to the second, with a Z. */
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export function serializeUptimeMonitor(m: UptimeMonitorRow, project: { slug: string }) {
  return {
    id: String(m.id),
    projectSlug: project.slug,
    environment: m.environment,
    name: m.name,
    status: m.status,
    uptimeStatus: UPTIME_STATUS[m.uptime_status],
    // Sentry's mode 1: made by hand, not detected from the project's traffic.
    mode: 1,
    url: m.url,
    method: m.method,
    body: null,
    headers: [],
    intervalSeconds: m.interval_seconds,
    timeoutMs: m.timeout_ms,
    owner: null,
    traceSampling: false,
    // Faultline's.
    projectId: String(m.project_id),
    expectedStatusMin: m.expected_status_min,
    expectedStatusMax: m.expected_status_max,
    bodyKeyword: m.body_keyword,
    downtimeThreshold: m.failure_threshold,
    recoveryThreshold: m.recovery_threshold,
    dateCreated: iso(m.date_created),
    lastCheckedAt: iso(m.last_checked_at),
    nextCheckAt: m.status === "active" ? iso(m.next_due_at) : null,
  };
}

/** Sentry's CheckStatusReasonType for a failure's reason (check-uptime-url.ts words them). */
export function checkStatusReason(reason: string | null): string | null {
  if (reason === null) return null;
  if (reason.startsWith("no answer within")) return "timeout";
  if (reason.includes("redirect")) return "redirect_error";
  if (reason.startsWith("request failed")) return "connection_error";
  return "failure";
}

export function serializeUptimeCheck(c: UptimeCheckRow, monitor: UptimeMonitorRow) {
  const incident = c.status !== "ok" && c.incident === "failure";
  return {
    uptimeCheckId: String(c.id),
    uptimeSubscriptionId: c.monitor_id,
    projectUptimeSubscriptionId: c.monitor_id,
    timestamp: isoSeconds(c.date_created),
    scheduledCheckTime: isoSeconds(c.scheduled_at),
    checkStatus: c.status === "ok" ? "success" : incident ? "failure_incident" : "failure",
    checkStatusReason: c.status === "ok" ? null : checkStatusReason(c.reason),
    httpStatusCode: c.http_status,
    durationMs: c.duration_ms,
    traceId: null,
    traceSpansCount: 0,
    incidentStatus: incident ? 1 : 0,
    environment: monitor.environment,
    region: "cloudflare",
    regionName: "Cloudflare",
    // Faultline's: why it failed, in words.
    reason: c.reason,
  };
}

export interface StatsBucketCounts {
  success: number;
  failure: number;
  failure_incident: number;
  missed_window: number;
  /** Faultline's: the bucket's mean latency, null without checks. */
  avgDurationMs: number | null;
}

/** Every bucket from `since`, empty ones included, per monitor id asked for. */
export function serializeUptimeStats(
  rows: readonly UptimeStatsRow[],
  monitorIds: readonly number[],
  since: number,
  until: number,
  resolutionMs: number,
): Record<string, Array<[number, StatsBucketCounts]>> {
  const buckets = Math.max(0, Math.ceil((until - since) / resolutionMs));
  const out: Record<string, Array<[number, StatsBucketCounts]>> = {};
  for (const id of monitorIds)
    out[String(id)] = Array.from({ length: buckets }, (_, i) => [
      Math.floor((since + i * resolutionMs) / 1000),
      { success: 0, failure: 0, failure_incident: 0, missed_window: 0, avgDurationMs: null },
    ]);
  for (const r of rows) {
    const bucket = out[String(r.monitor_id)]?.[r.bucket];
    if (bucket === undefined) continue;
    bucket[1] = {
      success: r.success,
      failure: r.failure,
      failure_incident: r.failure_incident,
      missed_window: 0,
      avgDurationMs: r.avg_duration_ms === null ? null : Math.round(r.avg_duration_ms),
    };
  }
  return out;
}
