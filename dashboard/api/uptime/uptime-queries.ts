/**
 * Uptime monitors and their checks as the API reads and writes them. The minute job
 * (queue-consumer/jobs/check-uptime-monitors.ts) records the checks; the API creates,
 * reconfigures, disables and deletes monitors and reads the checks by monitor and time, through
 * uptime_checks_monitor_id_scheduled_at_unique.
 */
import type { UptimeMethod } from "../../../protocol/uptime-target";
import type { Cursor } from "../cursor-pagination";

export interface UptimeMonitorRow {
  id: number;
  project_id: number;
  name: string;
  url: string;
  method: UptimeMethod;
  expected_status_min: number;
  expected_status_max: number;
  timeout_ms: number;
  interval_seconds: number;
  body_keyword: string | null;
  environment: string;
  status: "active" | "disabled";
  failure_threshold: number;
  recovery_threshold: number;
  next_due_at: number;
  uptime_status: "ok" | "failed";
  last_checked_at: number | null;
  date_created: number;
}

/** What the API sets on a monitor. */
export interface UptimeMonitorSettings {
  name: string;
  url: string;
  method: UptimeMethod;
  expectedStatusMin: number;
  expectedStatusMax: number;
  timeoutMs: number;
  intervalSeconds: number;
  bodyKeyword: string | null;
  environment: string;
  status: "active" | "disabled";
  failureThreshold: number;
  recoveryThreshold: number;
}

export interface UptimeCheckRow {
  id: number;
  monitor_id: number;
  scheduled_at: number;
  date_created: number;
  status: "ok" | "error";
  http_status: number | null;
  duration_ms: number;
  reason: string | null;
  incident: string | null;
}

export interface UptimeStatsRow {
  monitor_id: number;
  bucket: number;
  success: number;
  failure: number;
  failure_incident: number;
  avg_duration_ms: number | null;
}

const COLUMNS = `id, project_id, name, url, method, expected_status_min, expected_status_max, timeout_ms, interval_seconds,
  body_keyword, environment, status, failure_threshold, recovery_threshold, next_due_at, uptime_status, last_checked_at, date_created`;

/** The monitors of some projects (uptime_monitors_by_project), by name. */
export async function listUptimeMonitors(d1: D1Database, projectIds: readonly number[]): Promise<UptimeMonitorRow[]> {
  if (projectIds.length === 0) return [];
  const { results } = await d1
    .prepare(`SELECT ${COLUMNS} FROM uptime_monitors WHERE project_id IN (SELECT value FROM json_each(?1)) ORDER BY name, id`)
    .bind(JSON.stringify(projectIds))
    .all<UptimeMonitorRow>();
  return results;
}

export async function findUptimeMonitor(d1: D1Database, projectId: number, id: number): Promise<UptimeMonitorRow | null> {
  return d1
    .prepare(`SELECT ${COLUMNS} FROM uptime_monitors WHERE id = ?1 AND project_id = ?2`)
    .bind(id, projectId)
    .first<UptimeMonitorRow>();
}

/** The settings in the order both writes bind them, as ?2 to ?13. */
function settingValues(s: UptimeMonitorSettings) {
  return [
    s.name,
    s.url,
    s.method,
    s.expectedStatusMin,
    s.expectedStatusMax,
    s.timeoutMs,
    s.intervalSeconds,
    s.bodyKeyword,
    s.environment,
    s.status,
    s.failureThreshold,
    s.recoveryThreshold,
  ];
}

/** A new monitor, first checked by the next minute job. */
export async function createUptimeMonitor(d1: D1Database, projectId: number, s: UptimeMonitorSettings, now: number): Promise<number> {
  const row = await d1
    .prepare(
      `INSERT INTO uptime_monitors (project_id, name, url, method, expected_status_min, expected_status_max, timeout_ms, interval_seconds,
         body_keyword, environment, status, failure_threshold, recovery_threshold, next_due_at, date_created)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14) RETURNING id`,
    )
    .bind(projectId, ...settingValues(s), now)
    .first<{ id: number }>();
  return row!.id;
}

/**
 * New settings. A monitor whose target or schedule changed, or that is enabled again, is checked
 * by the next minute job (a new scheduled time, so no check is recorded twice); otherwise it
 * keeps its schedule. A new URL or method starts its runs of failures and successes afresh: the
 * old target's failures say nothing about the new one.
 */
export async function updateUptimeMonitor(d1: D1Database, before: UptimeMonitorRow, s: UptimeMonitorSettings, now: number): Promise<void> {
  const newTarget = s.url !== before.url || s.method !== before.method;
  const restart = newTarget || s.intervalSeconds !== before.interval_seconds || (s.status === "active" && before.status === "disabled");
  await d1
    .prepare(
      `UPDATE uptime_monitors SET name = ?2, url = ?3, method = ?4, expected_status_min = ?5, expected_status_max = ?6, timeout_ms = ?7,
         interval_seconds = ?8, body_keyword = ?9, environment = ?10, status = ?11, failure_threshold = ?12, recovery_threshold = ?13,
         next_due_at = CASE WHEN ?14 THEN max(?15, coalesce((SELECT max(scheduled_at) + 1 FROM uptime_checks WHERE monitor_id = ?1), 0))
           ELSE next_due_at END,
         consecutive_failures = CASE WHEN ?16 THEN 0 ELSE consecutive_failures END,
         consecutive_successes = CASE WHEN ?16 THEN 0 ELSE consecutive_successes END
       WHERE id = ?1`,
    )
    .bind(before.id, ...settingValues(s), restart ? 1 : 0, now, newTarget ? 1 : 0)
    .run();
}

/** A monitor and its checks; the issues it opened stay, as any issue does. */
export async function deleteUptimeMonitor(d1: D1Database, id: number): Promise<void> {
  await d1.batch([
    d1.prepare("DELETE FROM uptime_checks WHERE monitor_id = ?1").bind(id),
    d1.prepare("DELETE FROM uptime_monitors WHERE id = ?1").bind(id),
  ]);
}

/**
 * A page of a monitor's checks, newest scheduled first: up to limit + 1 rows for keysetPage, before a
 * scheduled time (ms) when given, and after or (going back) before a cursor's scheduled time. A
 * monitor has one check per scheduled time, so that time alone orders them.
 */
export async function listUptimeChecks(
  d1: D1Database,
  monitorId: number,
  limit: number,
  before: number | null,
  cursor: Cursor | null,
): Promise<UptimeCheckRow[]> {
  const back = cursor?.previous === true;
  const upper = Math.min(before ?? Number.MAX_SAFE_INTEGER, cursor !== null && !back ? cursor.value : Number.MAX_SAFE_INTEGER);
  const lower = back ? cursor!.value : -1;
  const order = back ? "ASC" : "DESC";
  const { results } = await d1
    .prepare(
      `SELECT id, monitor_id, scheduled_at, date_created, status, http_status, duration_ms, reason, incident FROM uptime_checks
       WHERE monitor_id = ?1 AND scheduled_at < ?2 AND scheduled_at > ?3 ORDER BY scheduled_at ${order} LIMIT ?4`,
    )
    .bind(monitorId, upper, lower, limit + 1)
    .all<UptimeCheckRow>();
  return results;
}

/** A monitor the stats are asked for: how often it is checked and how long its project keeps checks. */
export interface StatsMonitorRow {
  id: number;
  interval_seconds: number;
  /** Days; 0 keeps checks forever. */
  retention_days: number;
}

/** Those of `ids` that are monitors of the given projects (through uptime_monitors' primary key). */
export async function findStatsMonitors(d1: D1Database, projectIds: readonly number[], ids: readonly number[]): Promise<StatsMonitorRow[]> {
  if (projectIds.length === 0 || ids.length === 0) return [];
  const { results } = await d1
    .prepare(
      `SELECT m.id, m.interval_seconds, p.retention_days FROM uptime_monitors m JOIN projects p ON p.id = m.project_id
       WHERE m.id IN (SELECT value FROM json_each(?1)) AND m.project_id IN (SELECT value FROM json_each(?2))`,
    )
    .bind(JSON.stringify(ids), JSON.stringify(projectIds))
    .all<StatsMonitorRow>();
  return results;
}

/** Per monitor and bucket of `resolutionMs` from `since`: ok and failed checks and their mean latency. */
export async function uptimeStats(
  d1: D1Database,
  monitorIds: readonly number[],
  since: number,
  until: number,
  resolutionMs: number,
): Promise<UptimeStatsRow[]> {
  if (monitorIds.length === 0) return [];
  const { results } = await d1
    .prepare(
      `SELECT c.monitor_id, CAST((c.scheduled_at - ?2) / ?4 AS INTEGER) AS bucket,
         sum(c.status = 'ok') AS success,
         sum(c.status <> 'ok' AND coalesce(c.incident, '') <> 'failure') AS failure,
         sum(c.status <> 'ok' AND coalesce(c.incident, '') = 'failure') AS failure_incident,
         avg(c.duration_ms) AS avg_duration_ms
       FROM (SELECT DISTINCT value FROM json_each(?1)) m CROSS JOIN uptime_checks c
       WHERE c.monitor_id = m.value AND c.scheduled_at >= ?2 AND c.scheduled_at < ?3
       GROUP BY c.monitor_id, bucket`,
    )
    .bind(JSON.stringify(monitorIds), since, until, resolutionMs)
    .all<UptimeStatsRow>();
  return results;
}
