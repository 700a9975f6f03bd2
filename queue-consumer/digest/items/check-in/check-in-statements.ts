/**
 * The check-in kind's share of a digest run's write, added before the error kind's so that the
 * failure events it gates (insert-events.ts) see what it decided. In order: monitors that a
 * `monitor_config` creates or updates, their environments, runs that start, runs that end (an
 * `ok`/`error` completes the run in progress it names, or with the all-zero id the latest one;
 * the minute job's timeouts end runs the same way), check-ins that stand alone (no run in
 * progress, or a missed run), then the monitor's incident: failures past
 * `failure_issue_threshold` count toward an issue, `recovery_threshold` successes resolve it
 * (https://docs.sentry.io/product/crons/monitor-details/#thresholds).
 *
 * Exact under redelivery: a check-in is unique on (project, id), a run ends only from
 * `in_progress`, and an all-zero-id completion keeps the key it was delivered under, so a second
 * delivery changes no row. Everything after reads only the rows this run changed
 * (`changed_by_run`), as the error kind reads only the events it inserted.
 */
import type { BatchWrite } from "../../batch-write";
import type { PreparedCheckIn } from "./prepare-check-in";

/** A monitor's recent finished check-ins read to count a streak: the most a threshold may ask for. */
const STREAK_WINDOW = 720;
/**
 * How far back the all-zero id looks for the run in progress it ends: among the environment's
 * newest check-ins only, so a heartbeat (an ok with no run in progress) never reads its history.
 */
const LATEST_WINDOW = 50;

// ?5: one JSON object per check-in (see rowsOf). `u` is each of them with its monitor and
// environment, found by (project, slug) and (monitor, name).
const WITH_MONITOR = `SELECT r.key AS k, r.value ->> 'p' AS p, r.value ->> 'g' AS g, r.value ->> 'l' AS l, r.value ->> 'st' AS st,
    r.value ->> 'd' AS d, r.value ->> 't' AS t, r.value ->> 'r' AS rel, r.value ->> 'tr' AS tr, r.value ->> 'ck' AS ck,
    r.value ->> 'ev' AS ev, r.value ->> 'x' AS x, m.id AS monitor_id, m.status AS monitor_status,
    m.config ->> 'max_runtime' AS max_runtime, e.id AS env_id
  FROM json_each(?5) r
  JOIN monitors m ON m.project_id = r.value ->> 'p' AND m.slug = r.value ->> 's'
  JOIN monitor_environments e ON e.monitor_id = m.id AND e.name = r.value ->> 'e'`;

// The length of the streak a check-in ends (itself included) of check-ins that are not `breaker`,
// up to `window`: ordered by time, then id, among the environment's newest finished check-ins up
// to it.
const streakUpTo = (
  breaker: string,
  window: number,
) => `(SELECT coalesce(min(CASE WHEN w.status ${breaker} THEN w.rn END), count(*) + 1) - 1 FROM (
    SELECT x.status, row_number() OVER (ORDER BY x.date_created DESC, x.id DESC) AS rn FROM monitor_checkins x
    WHERE x.monitor_environment_id = c.monitor_environment_id AND x.status <> 'in_progress'
      AND (x.date_created < c.date_created OR (x.date_created = c.date_created AND x.id <= c.id))
    ORDER BY x.date_created DESC, x.id DESC LIMIT ${window}) AS w)`;

// Whether that streak is at least `threshold` (an SQL expression), reading no more of the history
// than the threshold needs: a streak counted over the newest `window` check-ins reaches a threshold
// no larger than the window exactly when the whole streak does. A threshold of 1 (Sentry's
// default) needs none: the check-in itself is the streak. Most monitors keep far more history
// than their threshold, so this is what the minute job's missed runs cost (bench:monitors).
const streakReaches = (breaker: string, threshold: string) => `(CASE WHEN ${threshold} <= 1 THEN 1
    WHEN ${threshold} <= 10 THEN ${streakUpTo(breaker, 10)} >= ${threshold}
    ELSE ${streakUpTo(breaker, STREAK_WINDOW)} >= ${threshold} END)`;

export function addCheckInStatements(batch: BatchWrite, checkIns: readonly PreparedCheckIn[]): void {
  if (checkIns.length === 0) return;
  const rows = JSON.stringify(rowsOf(checkIns));
  const add = (sql: string) => batch.addSql(sql, undefined, rows);

  // Monitors created or updated by a monitor_config; never re-enabled by one.
  add(`INSERT INTO monitors (project_id, slug, name, status, config, date_created)
    SELECT r.value ->> 'p', r.value ->> 's', r.value ->> 's', 'active', r.value ->> 'c', ?4 FROM json_each(?5) r
    WHERE r.value ->> 'c' IS NOT NULL ORDER BY r.key
    ON CONFLICT (project_id, slug) DO UPDATE SET config = excluded.config`);
  add(`INSERT INTO monitor_environments (monitor_id, name, status, incident_open)
    SELECT DISTINCT m.id, r.value ->> 'e', 'active', 0 FROM json_each(?5) r
    JOIN monitors m ON m.project_id = r.value ->> 'p' AND m.slug = r.value ->> 's' WHERE true
    ON CONFLICT (monitor_id, name) DO NOTHING`);
  // Runs that start. Sentry gives each a timeout from the monitor's max_runtime as it starts.
  add(`INSERT INTO monitor_checkins (project_id, monitor_id, monitor_environment_id, guid, status, date_created, date_updated, timeout_at, release, trace_id, changed_by_run)
    SELECT u.p, u.monitor_id, u.env_id, u.g, 'in_progress', u.t, u.t, u.t + 60000 * coalesce(u.max_runtime, 30), u.rel, u.tr, ?1
    FROM (${WITH_MONITOR}) u WHERE u.st = 'in_progress' AND u.monitor_status = 'active' ORDER BY u.k
    ON CONFLICT (project_id, guid) DO NOTHING`);
  // Runs that end: the run in progress named by its id (of the same monitor), or the latest.
  // Its duration is the client's, else the time since it started (Sentry's).
  add(`UPDATE monitor_checkins AS c SET status = u.st, duration = coalesce(u.d, max(0, u.t - c.date_created)), date_updated = u.t,
      completion_key = u.ck, issue_event_id = u.ev, changed_by_run = ?1
    FROM (${WITH_MONITOR}) u
    WHERE u.st IN ('ok', 'error', 'timeout') AND (u.monitor_status = 'active' OR u.st = 'timeout')
      AND c.status = 'in_progress' AND c.monitor_id = u.monitor_id
      AND c.id = CASE WHEN u.l THEN
          (SELECT y.id FROM (SELECT x.id, x.status, x.date_created FROM monitor_checkins x WHERE x.monitor_environment_id = u.env_id
             ORDER BY x.date_created DESC, x.id DESC LIMIT ${LATEST_WINDOW}) AS y
           WHERE y.status = 'in_progress' ORDER BY y.date_created DESC, y.id DESC LIMIT 1)
        ELSE (SELECT x.id FROM monitor_checkins x WHERE x.project_id = u.p AND x.guid = u.g) END
      AND (u.ck IS NULL OR NOT EXISTS (SELECT 1 FROM monitor_checkins d WHERE d.project_id = u.p AND d.completion_key = u.ck))`);
  // Check-ins that stand alone: an ok or error with no run in progress to end (a heartbeat), or a
  // missed run. Sentry dates a finished check-in by when its run started, from its duration.
  add(`INSERT INTO monitor_checkins (project_id, monitor_id, monitor_environment_id, guid, status, duration, date_created, date_updated, expected_time, release, trace_id, completion_key, issue_event_id, changed_by_run)
    SELECT u.p, u.monitor_id, u.env_id, u.g, u.st, u.d, u.t - coalesce(u.d, 0), u.t, u.x, u.rel, u.tr, u.ck, u.ev, ?1
    FROM (${WITH_MONITOR}) u
    WHERE u.st IN ('ok', 'error', 'missed') AND u.monitor_status = 'active'
      AND (u.ck IS NULL OR NOT EXISTS (SELECT 1 FROM monitor_checkins d WHERE d.project_id = u.p AND d.completion_key = u.ck))
    ORDER BY u.k
    ON CONFLICT (project_id, guid) DO NOTHING`);

  // Failures that count toward an issue: while one is open, or at the end of a streak as long
  // as the threshold. Their events (insert-events.ts) are written only for these.
  add(`UPDATE monitor_checkins AS c SET incident = 'failure'
    WHERE c.changed_by_run = ?1 AND c.status IN ('error', 'missed', 'timeout') AND c.issue_event_id IS NOT NULL
      AND EXISTS (SELECT 1 FROM monitors m WHERE m.id = c.monitor_id AND m.status = 'active')
      AND ((SELECT e.incident_open FROM monitor_environments e WHERE e.id = c.monitor_environment_id) = 1
        OR ${streakReaches("= 'ok'", "(SELECT m.config ->> 'failure_issue_threshold' FROM monitors m WHERE m.id = c.monitor_id)")})`);
  // Successes that end an open issue: the end of a streak as long as the recovery threshold.
  add(`UPDATE monitor_checkins AS c SET incident = 'recovery'
    WHERE c.changed_by_run = ?1 AND c.status = 'ok'
      AND ((SELECT e.incident_open FROM monitor_environments e WHERE e.id = c.monitor_environment_id) = 1
        OR EXISTS (SELECT 1 FROM monitor_checkins f WHERE f.changed_by_run = ?1 AND f.monitor_environment_id = c.monitor_environment_id AND f.incident = 'failure'))
      AND ${streakReaches("<> 'ok'", "(SELECT m.config ->> 'recovery_threshold' FROM monitors m WHERE m.id = c.monitor_id)")}`);

  // When the next run is due, from the newest check-in of each environment this run changed
  // (not from one older than the environment's last check-in, delivered late).
  add(`UPDATE monitor_environments AS e SET next_checkin = n.next, next_checkin_latest = n.latest
    FROM (SELECT m.id AS monitor_id, r.value ->> 'e' AS name, r.value ->> 'n' AS next, r.value ->> 'nl' AS latest, r.value ->> 'b' AS basis,
            row_number() OVER (PARTITION BY m.id, r.value ->> 'e' ORDER BY r.value ->> 'b' DESC, r.key DESC) AS rn
          FROM json_each(?5) r JOIN monitors m ON m.project_id = r.value ->> 'p' AND m.slug = r.value ->> 's'
          WHERE r.value ->> 'n' IS NOT NULL AND m.status = 'active') AS n
    WHERE n.rn = 1 AND e.monitor_id = n.monitor_id AND e.name = n.name AND n.basis >= coalesce(e.last_checkin, 0)
      AND e.id IN (SELECT monitor_environment_id FROM monitor_checkins WHERE changed_by_run = ?1)`);
  // The environment's incident and status (Sentry's: it turns to a failure only once an issue
  // opens, and back to ok only once it resolves), and its last check-in.
  add(`UPDATE monitor_environments AS e SET
      incident_open = CASE s.incident WHEN 'failure' THEN 1 WHEN 'recovery' THEN 0 ELSE e.incident_open END,
      status = CASE
        WHEN s.incident = 'failure' THEN s.failure_status
        WHEN s.incident = 'recovery' THEN 'ok'
        WHEN e.incident_open = 1 THEN e.status
        WHEN s.has_ok THEN 'ok'
        ELSE e.status END,
      last_checkin = CASE WHEN s.last_checkin IS NULL THEN e.last_checkin ELSE max(coalesce(e.last_checkin, 0), s.last_checkin) END
    FROM (SELECT x.monitor_environment_id AS env_id,
            (SELECT y.incident FROM monitor_checkins y WHERE y.changed_by_run = ?1 AND y.monitor_environment_id = x.monitor_environment_id AND y.incident IS NOT NULL
             ORDER BY y.date_created DESC, y.id DESC LIMIT 1) AS incident,
            (SELECT CASE y.status WHEN 'missed' THEN 'missed_checkin' ELSE y.status END FROM monitor_checkins y
             WHERE y.changed_by_run = ?1 AND y.monitor_environment_id = x.monitor_environment_id AND y.incident = 'failure'
             ORDER BY y.date_created DESC, y.id DESC LIMIT 1) AS failure_status,
            max(x.status = 'ok') AS has_ok,
            max(CASE WHEN x.status IN ('in_progress', 'ok', 'error') THEN x.date_updated END) AS last_checkin
          FROM monitor_checkins x WHERE x.changed_by_run = ?1 GROUP BY x.monitor_environment_id) AS s
    WHERE e.id = s.env_id`);
  // A recovery resolves the environment's issues (a later failure regresses them, and the alert
  // rules hear of it as of any regression).
  add(`UPDATE issues SET status = 'resolved', resolved_at = ?4, resolved_in_release = NULL, resolved_in_next_release = 0
    WHERE status = 'unresolved' AND id IN (
      SELECT i.id FROM json_each(?5) r
      JOIN json_each(r.value -> 'fp') f
      JOIN monitors m ON m.project_id = r.value ->> 'p' AND m.slug = r.value ->> 's'
      JOIN monitor_environments e ON e.monitor_id = m.id AND e.name = r.value ->> 'e'
      JOIN issues i ON i.project_id = m.project_id AND i.fingerprint = f.value
      WHERE e.incident_open = 0
        AND EXISTS (SELECT 1 FROM monitor_checkins x WHERE x.changed_by_run = ?1 AND x.monitor_environment_id = e.id AND x.incident = 'recovery'))`);
}

/** One JSON object per check-in, the ?5 every statement reads; a check-in delivered twice in one batch goes once. */
function rowsOf(checkIns: readonly PreparedCheckIn[]): Array<Record<string, unknown>> {
  const seen = new Set<string>();
  const rows: Array<Record<string, unknown>> = [];
  for (const c of checkIns) {
    const key = `${c.projectId}:${c.guid}:${c.status}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push({
      p: c.projectId,
      s: c.slug,
      e: c.environment,
      g: c.guid,
      l: c.latest ? 1 : 0,
      st: c.status,
      d: c.durationMs,
      t: c.date,
      r: c.release,
      tr: c.traceId,
      c: c.config ? JSON.stringify(c.config) : null,
      // An all-zero-id completion is known by the key it was delivered under, whichever run it ends.
      ck: c.latest ? c.guid : null,
      ev: c.failureEvent?.event.eventId ?? null,
      x: c.expectedTime,
      n: c.next,
      nl: c.nextLatest,
      b: c.expectedTime ?? c.date,
      fp: c.fingerprints,
    });
  }
  return rows;
}
