/**
 * The uptime minute job's share of its one D1 batch, added before the error kind's statements so
 * that the failure events they gate (items/error/insert-events.ts) see what these decided. In
 * order: the checks (unique per monitor and scheduled time), each monitor's streaks, the checks
 * that count toward an issue (a failure once `failure_threshold` failed in a row, or while one is
 * open) or end one (`recovery_threshold` successes in a row), the monitor's uptime status, and
 * the issues a recovery resolves (Sentry's downtime and recovery thresholds,
 * https://docs.sentry.io/product/uptime-monitoring/#uptime-issues).
 *
 * Exact when the job runs twice or is retried: a check already recorded is not inserted again,
 * and every statement after the insert reads only the checks this run inserted (found by their
 * key, tagged with the run), so a repeated check moves no streak and opens or resolves nothing.
 * One check per monitor per run (check-uptime-monitors.ts), so a streak moves by one.
 */
import type { BatchWrite } from "../digest/batch-write";

export interface UptimeCheckRow {
  projectId: number;
  monitorId: number;
  scheduledAt: number;
  /** When it was made (ms). */
  at: number;
  status: "ok" | "error";
  httpStatus: number | null;
  durationMs: number;
  reason: string | null;
  /** The failure event's id, for a failed check. */
  eventId: string | null;
  /** The monitor's issue fingerprint, for an ok check (what a recovery resolves). */
  fingerprint: string | null;
}

// ?5: one JSON object per check. `THIS_RUN` is each with the check this run inserted for it.
// The checks it marks are updated by id (`id IN`): joined to the table they update instead, SQLite
// chose to scan every check ever kept for each one (bench:monitors).
const THIS_RUN = `SELECT c.id, c.monitor_id, c.status, c.date_created, c.incident, c.issue_event_id, r.value ->> 'p' AS project_id,
    r.value ->> 'fp' AS fp
  FROM json_each(?5) r CROSS JOIN uptime_checks c
  WHERE c.monitor_id = r.value ->> 'm' AND c.scheduled_at = r.value ->> 's' AND c.changed_by_run = ?1`;

export function addUptimeCheckStatements(batch: BatchWrite, checks: readonly UptimeCheckRow[]): void {
  if (checks.length === 0) return;
  const rows = JSON.stringify(
    checks.map((c) => ({
      p: c.projectId,
      m: c.monitorId,
      s: c.scheduledAt,
      t: c.at,
      st: c.status,
      h: c.httpStatus,
      d: c.durationMs,
      r: c.reason,
      ev: c.eventId,
      fp: c.fingerprint,
    })),
  );
  const add = (sql: string) => batch.addSql(sql, undefined, rows);

  add(`INSERT INTO uptime_checks (monitor_id, scheduled_at, date_created, status, http_status, duration_ms, reason, issue_event_id, changed_by_run)
    SELECT r.value ->> 'm', r.value ->> 's', r.value ->> 't', r.value ->> 'st', r.value ->> 'h', r.value ->> 'd', r.value ->> 'r', r.value ->> 'ev', ?1
    FROM json_each(?5) r WHERE EXISTS (SELECT 1 FROM uptime_monitors m WHERE m.id = r.value ->> 'm') ORDER BY r.key
    ON CONFLICT (monitor_id, scheduled_at) DO NOTHING`);
  add(`UPDATE uptime_monitors AS m SET
      consecutive_failures = CASE WHEN u.status = 'ok' THEN 0 ELSE m.consecutive_failures + 1 END,
      consecutive_successes = CASE WHEN u.status = 'ok' THEN m.consecutive_successes + 1 ELSE 0 END,
      last_checked_at = max(coalesce(m.last_checked_at, 0), u.date_created)
    FROM (${THIS_RUN}) u WHERE m.id = u.monitor_id`);
  add(`UPDATE uptime_checks SET incident = 'failure' WHERE id IN (
    SELECT u.id FROM (${THIS_RUN}) u JOIN uptime_monitors m ON m.id = u.monitor_id
    WHERE u.status <> 'ok' AND u.issue_event_id IS NOT NULL
      AND (m.uptime_status = 'failed' OR m.consecutive_failures >= m.failure_threshold))`);
  add(`UPDATE uptime_checks SET incident = 'recovery' WHERE id IN (
    SELECT u.id FROM (${THIS_RUN}) u JOIN uptime_monitors m ON m.id = u.monitor_id
    WHERE u.status = 'ok' AND m.uptime_status = 'failed' AND m.consecutive_successes >= m.recovery_threshold)`);
  add(`UPDATE uptime_monitors AS m SET uptime_status = CASE u.incident WHEN 'failure' THEN 'failed' ELSE 'ok' END
    FROM (${THIS_RUN}) u WHERE m.id = u.monitor_id AND u.incident IS NOT NULL`);
  // A recovery resolves the monitor's issue; a later failure regresses it, and the alert rules
  // hear of that as of any regression.
  add(`UPDATE issues SET status = 'resolved', resolved_at = ?4, resolved_in_release = NULL, resolved_in_next_release = 0
    WHERE status = 'unresolved' AND id IN (
      SELECT i.id FROM (${THIS_RUN}) u JOIN issues i ON i.project_id = u.project_id AND i.fingerprint = u.fp
      WHERE u.incident = 'recovery')`);
}
