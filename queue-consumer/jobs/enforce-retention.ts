import { bindNumbered } from "../../db/bind-numbered";
import { issues } from "../../db/schema";
import { type Env, numericVar } from "../../protocol/env";
import { ORPHANED_CHUNK_AGE_MS, SOURCE_MAP_CHUNK_PREFIX } from "../../protocol/source-map-chunks";
import { DAY, HOUR } from "../../protocol/time";

/**
 * Retention and housekeeping, run by the cron trigger (wrangler.toml `[triggers]`). Deletes what
 * is older than each project's `retention_days` (0 keeps a project's data forever):
 *
 * - events whose timestamp and receipt are both past the cutoff (the digest clamps a timestamp
 *   to at most 30 days before receipt, as Relay does), stored items and their R2 objects, rejected envelopes and their R2 bodies, dead
 *   letters, raw request bodies in R2 (`raw/<project>/<day>/…`, listed by prefix, oldest first,
 *   and kept at least 15 days, as long as a message may wait in a queue);
 * - time buckets that ended before the cutoff (issue_hourly, project_hourly, item_counts,
 *   ingest_refusals), user feedback, and uptime monitors' checks;
 * - transactions: their index rows and the trace ids of errors by day, their rollups by hour, and
 *   their span trees in R2 (`spans/<project>/<day>/…`, listed by prefix as raw bodies are); the
 *   recent totals lose their hours as they leave the last day (advance-recent-transactions.ts);
 * - release health: session rollups and their users by hour; session states 20 days after they
 *   began and the markers of counted aggregates after 15, when no update or redelivery can come;
 * - issues whose last event is gone and whose last_seen is past the cutoff, with their
 *   issue_hourly, issue_tags, issue_users, issue_activity and issue_merges rows;
 * - the alert log: deliveries with their attempts, firings and throttle rows older than the
 *   project's retention, but never younger than 15 days (a queue may redeliver an event for up to
 *   14 days, and a firing is what keeps it from notifying twice);
 * - expired dashboard sessions and forgotten failed-login counters;
 * - source maps: a bundle leaves a project once it was neither uploaded nor used by the digest
 *   within the project's retention, and a bundle no project keeps goes with its files in R2;
 *   chunks uploaded a day ago and never assembled go too.
 *
 * Issue counters stay lifetime figures, as Sentry's are: times_seen, user_count, first_seen and
 * the per-value counts in issue_tags count every event the issue ever had, including events
 * retention has since deleted. What the retention window holds is what issue_hourly shows.
 * An issue is deleted only when nothing of it is left in the window (Sentry's cleanup deletes
 * groups by last_seen the same way).
 *
 * Every DELETE touches at most `rowsPerStatement` rows, and a run makes at most
 * `operationsPerRun` D1 and R2 calls: Workers allow 50 (Free) or 1,000 (Paid) subrequests and
 * D1 queries per invocation (https://developers.cloudflare.com/workers/platform/limits/,
 * https://developers.cloudflare.com/d1/platform/limits/). A run that reaches its budget stops;
 * the next one carries on where the data says, so no cursor is stored. Each run first takes
 * one chunk of every kind (about 20 calls, plus one per project for raw bodies), then spends
 * what is left on the kinds with more to do.
 */
export interface RetentionLimits {
  rowsPerStatement: number;
  operationsPerRun: number;
  /** For rows whose project is unknown (rejected messages without one, dead letters). */
  defaultRetentionDays: number;
}

export const DEFAULT_RETENTION_LIMITS: RetentionLimits = { rowsPerStatement: 1000, operationsPerRun: 40, defaultRetentionDays: 90 };

export interface RetentionReport {
  /** Rows deleted per table; `r2` counts objects. */
  deleted: Record<string, number>;
  operations: number;
  /** False when the run stopped at its budget with work possibly left for the next run. */
  finished: boolean;
}

// A raw body may still be waiting in a queue, or in its dead-letter queue, for up to 14 days
// (Queues' longest retention): it is kept at least that long whatever the project's retention.
const RAW_BODY_MIN_DAYS = 15;

// Every statement binds ?1 now (ms), ?2 the row limit, ?3 the default retention in days. The
// cutoffs drive each join (CROSS JOIN fixes SQLite's join order), and every big table is then
// searched through an index: no statement scans a table that grows with events.
// Project 0 stands for "no project" (rejected messages that named none).
const CUTOFFS = `cutoff(project_id, before) AS (
  SELECT id, ?1 - retention_days * ${DAY} FROM projects WHERE retention_days > 0
  UNION ALL SELECT 0, ?1 - ?3 * ${DAY})`;

// Naming the statuses lets the issue indexes (project_id, status, …) serve the range on time.
const ISSUE_STATUSES = issues.status.enumValues.map((s) => `'${s}'`).join(", ");

// Events are found through their issues (events_by_issue), not an index of their own: every
// index on events is one more row written per event, and ingest is what Faultline does most.
// Only issues first seen before the cutoff can have events past it. An event goes once both its
// timestamp and its receipt are past the cutoff: one that arrives late (an app offline for a
// week; the digest accepts timestamps up to 30 days old) still gets the whole retention.
const DELETE_EVENTS = `WITH ${CUTOFFS}
  DELETE FROM events WHERE id IN (
    SELECT e.id FROM cutoff c CROSS JOIN issues i CROSS JOIN events e
    WHERE i.project_id = c.project_id AND i.status IN (${ISSUE_STATUSES}) AND i.first_seen < c.before
      AND e.issue_id = i.id AND e.timestamp < c.before AND e.received_at < c.before LIMIT ?2)`;

// Stored items through stored_items_by_project (project_id, item_type, received_at): the item
// types of each project are walked one index seek at a time (a skip scan), then each type's
// range of old rows is read.
const OLD_STORED_ITEMS = `WITH RECURSIVE ${CUTOFFS},
  types(project_id, before, item_type) AS (
    SELECT c.project_id, c.before, (SELECT min(item_type) FROM stored_items WHERE project_id = c.project_id) FROM cutoff c
    UNION ALL
    SELECT t.project_id, t.before, (SELECT min(item_type) FROM stored_items WHERE project_id = t.project_id AND item_type > t.item_type)
    FROM types t WHERE t.item_type IS NOT NULL)
  SELECT s.id, s.body_key AS key FROM types t CROSS JOIN stored_items s
  WHERE t.item_type IS NOT NULL AND s.project_id = t.project_id AND s.item_type = t.item_type AND s.received_at < t.before LIMIT ?2`;

const OLD_REJECTED_ENVELOPES = `WITH ${CUTOFFS}
  SELECT r.id, r.body_key AS key FROM cutoff c
  CROSS JOIN rejected_envelopes r WHERE r.project_id = c.project_id AND r.received_at < c.before LIMIT ?2`;

const DELETE_DEAD_LETTERS = `WITH ${CUTOFFS}
  DELETE FROM dead_letters WHERE id IN (
    SELECT d.id FROM cutoff c CROSS JOIN dead_letters d WHERE d.project_id = c.project_id AND d.received_at < c.before LIMIT ?2)`;

const DELETE_DEAD_LETTERS_WITHOUT_PROJECT = `DELETE FROM dead_letters WHERE id IN (
    SELECT id FROM dead_letters WHERE project_id IS NULL AND received_at < ?1 - ?3 * ${DAY} LIMIT ?2)`;

// A bucket goes once it ended before the cutoff. Only issues first seen before the cutoff can
// hold such buckets.
const DELETE_ISSUE_HOURS = `WITH ${CUTOFFS}
  DELETE FROM issue_hourly WHERE (issue_id, hour) IN (
    SELECT h.issue_id, h.hour FROM cutoff c CROSS JOIN issues i CROSS JOIN issue_hourly h
    WHERE i.project_id = c.project_id AND i.status IN (${ISSUE_STATUSES}) AND i.first_seen < c.before
      AND h.issue_id = i.id AND h.hour <= c.before - ${HOUR} LIMIT ?2)`;

const DELETE_PROJECT_HOURS = `WITH ${CUTOFFS}
  DELETE FROM project_hourly WHERE (project_id, hour) IN (
    SELECT h.project_id, h.hour FROM cutoff c CROSS JOIN project_hourly h
    WHERE h.project_id = c.project_id AND h.hour <= c.before - ${HOUR} LIMIT ?2)`;

const DELETE_ITEM_COUNTS = `WITH ${CUTOFFS}
  DELETE FROM item_counts WHERE (project_id, day, item_type) IN (
    SELECT n.project_id, n.day, n.item_type FROM cutoff c CROSS JOIN item_counts n
    WHERE n.project_id = c.project_id AND n.day <= c.before - ${DAY} LIMIT ?2)`;

// Cron monitors' check-ins, through each monitor's environments (monitor_checkins_by_environment).
// A run still in progress stays: the minute job times it out first.
const DELETE_MONITOR_CHECKINS = `WITH ${CUTOFFS}
  DELETE FROM monitor_checkins WHERE id IN (
    SELECT k.id FROM cutoff c CROSS JOIN monitors m CROSS JOIN monitor_environments e CROSS JOIN monitor_checkins k
    WHERE m.project_id = c.project_id AND e.monitor_id = m.id AND k.monitor_environment_id = e.id
      AND k.date_created < c.before AND k.status <> 'in_progress' LIMIT ?2)`;

// Uptime monitors' checks, through each monitor (uptime_checks_monitor_id_scheduled_at_unique).
const DELETE_UPTIME_CHECKS = `WITH ${CUTOFFS}
  DELETE FROM uptime_checks WHERE id IN (
    SELECT k.id FROM cutoff c CROSS JOIN uptime_monitors m CROSS JOIN uptime_checks k
    WHERE m.project_id = c.project_id AND k.monitor_id = m.id AND k.scheduled_at < c.before LIMIT ?2)`;

// User feedback through user_feedback_by_project (its time is never later than its receipt);
// a screenshot is a stored item and goes with those.
const DELETE_USER_FEEDBACK = `WITH ${CUTOFFS}
  DELETE FROM user_feedback WHERE id IN (
    SELECT f.id FROM cutoff c CROSS JOIN user_feedback f WHERE f.project_id = c.project_id AND f.date_created < c.before LIMIT ?2)`;

// Ingest's refusal counts (worker/count-refusals.ts), hourly buckets through their primary key.
const DELETE_INGEST_REFUSALS = `WITH ${CUTOFFS}
  DELETE FROM ingest_refusals WHERE (project_id, hour, reason) IN (
    SELECT x.project_id, x.hour, x.reason FROM cutoff c CROSS JOIN ingest_refusals x
    WHERE x.project_id = c.project_id AND x.hour <= c.before - ${HOUR} LIMIT ?2)`;

// Transactions (queue-consumer/digest/items/transaction/): index rows and the trace ids of errors
// by (project, day), rollups by (project, hour), each through its primary key's range. A day or
// an hour goes once it ended before the cutoff.
const DELETE_TRACE_ITEMS = `WITH ${CUTOFFS}
  DELETE FROM trace_items WHERE (project_id, day, trace_id, span_id) IN (
    SELECT tx.project_id, tx.day, tx.trace_id, tx.span_id FROM cutoff c CROSS JOIN trace_items tx
    WHERE tx.project_id = c.project_id AND tx.day <= c.before - ${DAY} LIMIT ?2)`;

const DELETE_TRACE_ERRORS = `WITH ${CUTOFFS}
  DELETE FROM trace_errors WHERE (project_id, day, trace_id, event_id) IN (
    SELECT tx.project_id, tx.day, tx.trace_id, tx.event_id FROM cutoff c CROSS JOIN trace_errors tx
    WHERE tx.project_id = c.project_id AND tx.day <= c.before - ${DAY} LIMIT ?2)`;

// Never an hour transaction_recent_rollups still holds: the minute job takes it out of them first
// (queue-consumer/jobs/advance-recent-transactions.ts), and with 1 day of retention that is
// before it is due here, unless the job lagged; they hold no row of their own that outlives it.
const DELETE_TRANSACTION_ROLLUPS = `WITH ${CUTOFFS}
  DELETE FROM transaction_rollups WHERE (project_id, hour, name, op, environment, release) IN (
    SELECT tx.project_id, tx.hour, tx.name, tx.op, tx.environment, tx.release FROM cutoff c CROSS JOIN transaction_rollups tx
    WHERE tx.project_id = c.project_id AND tx.hour <= c.before - ${HOUR}
      AND tx.hour < coalesce((SELECT hour FROM transaction_recent_since WHERE id = 1), ${Number.MAX_SAFE_INTEGER}) LIMIT ?2)`;

const DELETE_VITAL_ROLLUPS = `WITH ${CUTOFFS}
  DELETE FROM transaction_vital_rollups WHERE (project_id, hour, name, op, environment, release, vital) IN (
    SELECT tx.project_id, tx.hour, tx.name, tx.op, tx.environment, tx.release, tx.vital FROM cutoff c CROSS JOIN transaction_vital_rollups tx
    WHERE tx.project_id = c.project_id AND tx.hour <= c.before - ${HOUR} LIMIT ?2)`;

// Release health (queue-consumer/digest/items/session/). Rollups and their users by hour, past
// the project's retention. A session's state only matters while an update of it may still come:
// the digest refuses sessions started more than 5 days before they arrive, and a message may wait
// 14 days in a queue, so states go 20 days after their hour whatever the retention; the markers
// of counted aggregates go once no redelivery can come (RAW_BODY_MIN_DAYS). These read the
// project's rows of each table in key order: the tables hold one row per session, user or
// aggregate of those few days (rollups and users: per hour of the retention), not per event.
const DELETE_SESSION_ROLLUPS = `WITH ${CUTOFFS}
  DELETE FROM session_rollups WHERE (project_id, release, environment, hour) IN (
    SELECT r.project_id, r.release, r.environment, r.hour FROM cutoff c CROSS JOIN session_rollups r
    WHERE r.project_id = c.project_id AND r.hour <= c.before - ${HOUR} LIMIT ?2)`;

const DELETE_SESSION_USERS = `WITH ${CUTOFFS}
  DELETE FROM session_users WHERE (project_id, release, environment, hour, user) IN (
    SELECT u.project_id, u.release, u.environment, u.hour, u.user FROM cutoff c CROSS JOIN session_users u
    WHERE u.project_id = c.project_id AND u.hour <= c.before - ${HOUR} LIMIT ?2)`;

const DELETE_SESSION_STATES = `DELETE FROM session_states WHERE (project_id, sid) IN (
    SELECT s.project_id, s.sid FROM projects p CROSS JOIN session_states s
    WHERE s.project_id = p.id AND s.hour < ?1 - ${20 * DAY} LIMIT ?2)`;

const DELETE_SESSION_AGGREGATE_ITEMS = `DELETE FROM session_aggregate_items WHERE (project_id, message_id, item_index) IN (
    SELECT m.project_id, m.message_id, m.item_index FROM projects p CROSS JOIN session_aggregate_items m
    WHERE m.project_id = p.id AND m.received_at < ?1 - ${RAW_BODY_MIN_DAYS * DAY} LIMIT ?2)`;

// Source maps (dashboard/api/sourcemaps/). Sentry deletes an artifact bundle 90 days after its
// last use (https://docs.sentry.io/platforms/javascript/sourcemaps/troubleshooting_js/artifact-bundles/);
// here a bundle leaves each project once neither an upload nor an event of it used the bundle
// within the project's retention (the digest and assembly mark uses, at most once a day), through
// the link's primary key (project first) and the bundles' ids.
const DELETE_UNUSED_BUNDLE_LINKS = `WITH ${CUTOFFS}
  DELETE FROM artifact_bundle_projects WHERE (project_id, artifact_bundle_id) IN (
    SELECT l.project_id, l.artifact_bundle_id FROM cutoff c CROSS JOIN artifact_bundle_projects l CROSS JOIN artifact_bundles b
    WHERE l.project_id = c.project_id AND b.id = l.artifact_bundle_id AND coalesce(b.last_used_at, b.date_added) < c.before LIMIT ?2)`;

/** Of a row of `artifact_bundles` b: no project keeps it (artifact_bundle_projects_by_bundle). */
const UNKEPT_BUNDLE = `NOT EXISTS (SELECT 1 FROM artifact_bundle_projects l WHERE l.artifact_bundle_id = b.id)`;

// The bundles no project keeps whose files add up to at most ?2, and at least the first of them.
// Bundles are a few per build, not per event: reading all those no project keeps is cheap.
const UNKEPT_BUNDLE_CHUNK = `SELECT id FROM (
    SELECT b.id, b.file_count AS files, sum(b.file_count) OVER (ORDER BY b.id) AS running FROM artifact_bundles b WHERE ${UNKEPT_BUNDLE})
  WHERE running <= ?2 OR running = files`;

const UNKEPT_BUNDLE_FILES = `SELECT object_key AS key FROM artifact_bundle_files WHERE artifact_bundle_id IN (${UNKEPT_BUNDLE_CHUNK})`;
const DELETE_UNKEPT_BUNDLE_FILES = `DELETE FROM artifact_bundle_files WHERE artifact_bundle_id IN (${UNKEPT_BUNDLE_CHUNK})`;
const DELETE_UNKEPT_BUNDLES = `DELETE FROM artifact_bundles AS b WHERE ${UNKEPT_BUNDLE}
  AND NOT EXISTS (SELECT 1 FROM artifact_bundle_files f WHERE f.artifact_bundle_id = b.id)`;

/** Of a row of `issues`: past its project's retention (?1 now) and without an event left. */
const STILL_EXPIRED = `issues.last_seen < ?1 - coalesce((SELECT retention_days FROM projects p WHERE p.id = issues.project_id AND p.retention_days > 0), 1e9) * ${DAY}
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.issue_id = issues.id)`;

const EXPIRED_ISSUES = `WITH ${CUTOFFS}
  SELECT i.id FROM cutoff c CROSS JOIN issues i
  WHERE i.project_id = c.project_id AND i.status IN (${ISSUE_STATUSES}) AND i.last_seen < c.before
    AND NOT EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id) LIMIT ?2`;

// The alert log's cutoffs: the project's retention, at least RAW_BODY_MIN_DAYS.
const ALERT_CUTOFFS = `cutoff(project_id, before) AS (
  SELECT id, ?1 - max(retention_days, ${RAW_BODY_MIN_DAYS}) * ${DAY} FROM projects WHERE retention_days > 0)`;

const OLD_ALERT_DELIVERIES = `WITH ${ALERT_CUTOFFS}
  SELECT d.id FROM cutoff c CROSS JOIN alert_deliveries d WHERE d.project_id = c.project_id AND d.created_at < c.before LIMIT ?2`;

// A firing goes once its deliveries have (their firing_id is the first column of a unique index).
const DELETE_ALERT_FIRINGS = `WITH ${ALERT_CUTOFFS}
  DELETE FROM alert_firings WHERE id IN (
    SELECT f.id FROM cutoff c CROSS JOIN alert_firings f
    WHERE f.project_id = c.project_id AND f.fired_at < c.before
      AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.firing_id = f.id) LIMIT ?2)`;

// Throttle rows by rule (their primary key starts with rule_id), rules by project.
const DELETE_ALERT_THROTTLE = `WITH ${ALERT_CUTOFFS}
  DELETE FROM alert_throttle WHERE (rule_id, issue_id) IN (
    SELECT th.rule_id, th.issue_id FROM cutoff c CROSS JOIN alert_rules r CROSS JOIN alert_throttle th
    WHERE r.project_id = c.project_id AND th.rule_id = r.id AND th.last_fired_at < c.before LIMIT ?2)`;

const DELETE_EXPIRED_SESSIONS = `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at < ?1 LIMIT ?2)`;

// Failed-login counters the dashboard has forgotten anyway: no failure for a day, not blocked
// (dashboard/api/auth/login-throttle.ts starts such a key over).
const DELETE_FORGOTTEN_LOGIN_THROTTLES = `DELETE FROM login_throttles WHERE key IN (
    SELECT key FROM login_throttles WHERE last_failure_at < ?1 - ${DAY} AND blocked_until < ?1 LIMIT ?2)`;

/** Rows of an issue, deleted before the issue itself, a chunk at a time (?1 the issue ids as JSON). */
const ISSUE_CHILDREN = [
  ["issue_users", "user_key"],
  ["issue_tags", "key, value"],
  ["issue_hourly", "hour"],
  // Its comments and trail: an issue id SQLite hands out again must not find them.
  ["issue_activity", "id"],
] as const;

class BudgetSpent extends Error {}

/** One chunk of one kind of deletion; true when it may have left more of the same to do. */
type Pass = () => Promise<boolean>;

export async function enforceRetention(
  d1: D1Database,
  bucket: R2Bucket,
  now: number,
  limits: RetentionLimits = DEFAULT_RETENTION_LIMITS,
): Promise<RetentionReport> {
  const deleted: Record<string, number> = {};
  let operations = 0;
  const count = (what: string, n: number) => {
    if (n > 0) deleted[what] = (deleted[what] ?? 0) + n;
  };
  const call = async <T>(f: () => Promise<T>): Promise<T> => {
    if (operations >= limits.operationsPerRun) throw new BudgetSpent();
    operations += 1;
    return f();
  };
  // R2 deletes at most 1,000 keys per call.
  const rows = Math.max(1, Math.min(limits.rowsPerStatement, 1000));
  const bind = (sql: string, ...extra: unknown[]) => bindNumbered(d1, sql, [now, rows, limits.defaultRetentionDays, ...extra]);

  /** A bounded DELETE. */
  const drain =
    (table: string, sql: string): Pass =>
    async () => {
      const changes = (await call(() => bind(sql).run())).meta.changes ?? 0;
      count(table, changes);
      return changes >= rows;
    };

  /** For rows that point at R2 objects: the objects go first, so none is left without its row. */
  const drainWithObjects =
    (table: string, select: string): Pass =>
    async () => {
      const found = (await call(() => bind(select).all<{ id: number; key: string | null }>())).results;
      const keys = found.flatMap((r) => (r.key ? [r.key] : []));
      if (keys.length > 0) {
        await call(() => bucket.delete(keys));
        count("r2", keys.length);
      }
      if (found.length > 0) {
        const ids = JSON.stringify(found.map((r) => r.id));
        count(
          table,
          (await call(() => d1.prepare(`DELETE FROM ${table} WHERE id IN (SELECT value FROM json_each(?1))`).bind(ids).run())).meta
            .changes ?? 0,
        );
      }
      return found.length >= rows;
    };

  /** A bounded DELETE of the rows that belong to `ids` (?4), run until none is left. */
  const deleteAllOf = async (table: string, sql: string, ids: string) => {
    for (;;) {
      const changes = (await call(() => bind(sql, ids).run())).meta.changes ?? 0;
      count(table, changes);
      if (changes < rows) return;
    }
  };

  /** Old deliveries: their attempts a chunk at a time, then the deliveries themselves. */
  const deleteAlertDeliveries: Pass = async () => {
    const found = (await call(() => bind(OLD_ALERT_DELIVERIES).all<{ id: number }>())).results;
    if (found.length === 0) return false;
    const ids = JSON.stringify(found.map((r) => r.id));
    await deleteAllOf(
      "alert_delivery_attempts",
      `DELETE FROM alert_delivery_attempts WHERE id IN (
        SELECT id FROM alert_delivery_attempts WHERE delivery_id IN (SELECT value FROM json_each(?4)) LIMIT ?2)`,
      ids,
    );
    const gone = await call(() => d1.prepare("DELETE FROM alert_deliveries WHERE id IN (SELECT value FROM json_each(?1))").bind(ids).run());
    count("alert_deliveries", gone.meta.changes ?? 0);
    return found.length >= rows;
  };

  const deleteExpiredIssues: Pass = async () => {
    const found = (await call(() => bind(EXPIRED_ISSUES).all<{ id: number }>())).results;
    if (found.length === 0) return false;
    const ids = JSON.stringify(found.map((r) => r.id));
    // Each chunk checks again that its issue is still expired and eventless: an event that
    // arrives meanwhile keeps the issue, and its users, tags and buckets stay with it.
    for (const [table, key] of ISSUE_CHILDREN) {
      const chunk = `DELETE FROM ${table} WHERE (issue_id, ${key}) IN (
        SELECT issue_id, ${key} FROM ${table} WHERE issue_id IN (SELECT id FROM issues WHERE id IN (SELECT value FROM json_each(?4)) AND ${STILL_EXPIRED}) LIMIT ?2)`;
      await deleteAllOf(table, chunk, ids);
    }
    // One transaction: the issue goes only if it is still expired and eventless, and rows
    // written for it meanwhile go with it. One that an event kept, after chunks of its users
    // went before the event came, counts the users it has left, so that a user seen again is
    // not counted twice.
    const results = await call(() =>
      d1.batch([
        bind(`DELETE FROM issues WHERE id IN (SELECT value FROM json_each(?4)) AND ${STILL_EXPIRED}`, ids),
        ...ISSUE_CHILDREN.map(([table]) =>
          d1
            .prepare(
              `DELETE FROM ${table} WHERE issue_id IN (SELECT value FROM json_each(?1)) AND NOT EXISTS (SELECT 1 FROM issues WHERE id = ${table}.issue_id)`,
            )
            .bind(ids),
        ),
        d1
          .prepare(
            `UPDATE issues SET user_count = (SELECT count(*) FROM issue_users u WHERE u.issue_id = issues.id)
            WHERE id IN (SELECT value FROM json_each(?1)) AND user_count <> (SELECT count(*) FROM issue_users u WHERE u.issue_id = issues.id)`,
          )
          .bind(ids),
        // The fingerprints merged into it, which then start issues of their own again: a few
        // rows per merge, so they go here rather than in chunks of their own.
        d1
          .prepare(
            "DELETE FROM issue_merges WHERE issue_id IN (SELECT value FROM json_each(?1)) AND NOT EXISTS (SELECT 1 FROM issues WHERE id = issue_merges.issue_id)",
          )
          .bind(ids),
      ]),
    );
    results
      .slice(0, 1 + ISSUE_CHILDREN.length)
      .forEach((r, i) => count(i === 0 ? "issues" : ISSUE_CHILDREN[i - 1]![0], r.meta.changes ?? 0));
    count("issue_merges", results.at(-1)?.meta.changes ?? 0);
    return found.length >= rows;
  };

  /**
   * Raw request bodies, a page of one project at a time. Keys sort by day within a project, so
   * the old ones come first and the first key inside the window ends that project's turn.
   */
  let rawProjects: Array<{ id: number; days: number }> | undefined;
  let rawTurn = 0;
  let rawCursor: string | undefined;
  const deleteRawBodies: Pass = async () => {
    rawProjects ??= (
      await call(() =>
        d1
          .prepare("SELECT id, retention_days AS days FROM projects WHERE retention_days > 0 ORDER BY id")
          .all<{ id: number; days: number }>(),
      )
    ).results;
    if (rawTurn >= rawProjects.length) return false;
    // Runs start at a different project each hour, so a budget smaller than the project count
    // still reaches every project.
    const project = rawProjects[(Math.floor(now / HOUR) + rawTurn) % rawProjects.length]!;
    const cutoffDay = new Date(now - Math.max(project.days, RAW_BODY_MIN_DAYS) * DAY).toISOString().slice(0, 10);
    const page = await call(() => bucket.list({ prefix: `raw/${project.id}/`, limit: rows, cursor: rawCursor }));
    const old = page.objects.map((o) => o.key).filter((key) => (RAW_DAY.exec(key)?.[1] ?? "9999") < cutoffDay);
    if (old.length > 0) {
      await call(() => bucket.delete(old));
      count("r2", old.length);
    }
    if (old.length === page.objects.length && page.truncated) {
      rawCursor = page.cursor;
    } else {
      rawCursor = undefined;
      rawTurn += 1;
    }
    return rawTurn < rawProjects.length;
  };

  /**
   * Span trees in R2 (`spans/<project>/<day>/…`, items/transaction/store-span-trees.ts), a page
   * of one project at a time, as raw bodies are. An object of day D holds transactions received
   * on D, which ended on D or before: it goes a day after the last of its rows can.
   */
  let spanProjects: Array<{ id: number; days: number }> | undefined;
  let spanTurn = 0;
  let spanCursor: string | undefined;
  const deleteSpanTrees: Pass = async () => {
    spanProjects ??= (
      await call(() =>
        d1
          .prepare("SELECT id, retention_days AS days FROM projects WHERE retention_days > 0 ORDER BY id")
          .all<{ id: number; days: number }>(),
      )
    ).results;
    if (spanTurn >= spanProjects.length) return false;
    const project = spanProjects[(Math.floor(now / HOUR) + spanTurn) % spanProjects.length]!;
    const cutoffDay = new Date(now - (project.days + 1) * DAY).toISOString().slice(0, 10);
    const page = await call(() => bucket.list({ prefix: `spans/${project.id}/`, limit: rows, cursor: spanCursor }));
    const old = page.objects.map((o) => o.key).filter((key) => (SPANS_DAY.exec(key)?.[1] ?? "9999") < cutoffDay);
    if (old.length > 0) {
      await call(() => bucket.delete(old));
      count("r2", old.length);
    }
    if (old.length === page.objects.length && page.truncated) {
      spanCursor = page.cursor;
    } else {
      spanCursor = undefined;
      spanTurn += 1;
    }
    return spanTurn < spanProjects.length;
  };

  /**
   * Source map bundles: the links unused within their project's retention, then the bundles
   * left without a project, a chunk of files at a time, in one transaction (so an upload that
   * links a bundle again meanwhile keeps it whole), then those files' R2 objects. Those deletes
   * run even past the budget: the rows are gone, and at most one bundle's files (5,000) are more
   * than a chunk.
   */
  const deleteUnusedBundles: Pass = async () => {
    if (operations + 2 > limits.operationsPerRun) throw new BudgetSpent();
    const [links, files, filesGone, bundlesGone] = await call(() =>
      d1.batch([
        bind(DELETE_UNUSED_BUNDLE_LINKS),
        bind(UNKEPT_BUNDLE_FILES),
        bind(DELETE_UNKEPT_BUNDLE_FILES),
        bind(DELETE_UNKEPT_BUNDLES),
      ]),
    );
    const linksGone = links!.meta.changes ?? 0;
    count("artifact_bundle_projects", linksGone);
    count("artifact_bundle_files", filesGone!.meta.changes ?? 0);
    count("artifact_bundles", bundlesGone!.meta.changes ?? 0);
    const keys = (files!.results as Array<{ key: string }>).map((r) => r.key);
    for (let i = 0; i < keys.length; i += rows) {
      const chunk = keys.slice(i, i + rows);
      operations += 1;
      await bucket.delete(chunk);
      count("r2", chunk.length);
    }
    return linksGone >= rows || (bundlesGone!.meta.changes ?? 0) > 0;
  };

  /**
   * Chunks of uploads never assembled (sentry-cli stopped, or assembly refused the bundle before
   * reading them), a page at a time: all organizations' chunks are under one prefix, and the
   * chunks of uploads under way are few.
   */
  let chunkCursor: string | undefined;
  let chunksDone = false;
  const deleteOrphanedChunks: Pass = async () => {
    if (chunksDone) return false;
    const page = await call(() => bucket.list({ prefix: SOURCE_MAP_CHUNK_PREFIX, limit: rows, cursor: chunkCursor }));
    const old = page.objects.filter((o) => o.uploaded.getTime() < now - ORPHANED_CHUNK_AGE_MS).map((o) => o.key);
    if (old.length > 0) {
      await call(() => bucket.delete(old));
      count("r2", old.length);
    }
    chunkCursor = page.truncated ? page.cursor : undefined;
    chunksDone = !page.truncated;
    return page.truncated;
  };

  // In this order: events go before the issues they leave empty.
  const passes: Pass[] = [
    drain("events", DELETE_EVENTS),
    drainWithObjects("stored_items", OLD_STORED_ITEMS),
    drainWithObjects("rejected_envelopes", OLD_REJECTED_ENVELOPES),
    drain("dead_letters", DELETE_DEAD_LETTERS),
    drain("dead_letters", DELETE_DEAD_LETTERS_WITHOUT_PROJECT),
    drain("issue_hourly", DELETE_ISSUE_HOURS),
    drain("project_hourly", DELETE_PROJECT_HOURS),
    drain("item_counts", DELETE_ITEM_COUNTS),
    drain("ingest_refusals", DELETE_INGEST_REFUSALS),
    drain("monitor_checkins", DELETE_MONITOR_CHECKINS),
    drain("trace_items", DELETE_TRACE_ITEMS),
    drain("trace_errors", DELETE_TRACE_ERRORS),
    drain("transaction_rollups", DELETE_TRANSACTION_ROLLUPS),
    drain("transaction_vital_rollups", DELETE_VITAL_ROLLUPS),
    deleteExpiredIssues,
    // Deliveries before the firings they belong to.
    deleteAlertDeliveries,
    drain("alert_firings", DELETE_ALERT_FIRINGS),
    drain("alert_throttle", DELETE_ALERT_THROTTLE),
    drain("sessions", DELETE_EXPIRED_SESSIONS),
    drain("login_throttles", DELETE_FORGOTTEN_LOGIN_THROTTLES),
    drain("session_rollups", DELETE_SESSION_ROLLUPS),
    drain("session_users", DELETE_SESSION_USERS),
    drain("session_states", DELETE_SESSION_STATES),
    drain("session_aggregate_items", DELETE_SESSION_AGGREGATE_ITEMS),
    drain("user_feedback", DELETE_USER_FEEDBACK),
    drain("uptime_checks", DELETE_UPTIME_CHECKS),
    deleteRawBodies,
    deleteSpanTrees,
    deleteUnusedBundles,
    deleteOrphanedChunks,
  ];
  try {
    // First a chunk of each, so a backlog in one never starves the others; then what the
    // budget leaves goes to those with more to do.
    const more: Pass[] = [];
    for (const pass of passes) if (await pass()) more.push(pass);
    for (const pass of more) while (await pass()) {}
  } catch (err) {
    if (err instanceof BudgetSpent) return { deleted, operations, finished: false };
    throw err;
  }
  return { deleted, operations, finished: true };
}

const RAW_DAY = /^raw\/\d+\/(\d{4}-\d{2}-\d{2})\//;
const SPANS_DAY = /^spans\/\d+\/(\d{4}-\d{2}-\d{2})\//;

/** The cron trigger's handler (faultline-worker.ts). */
export async function enforceRetentionOnSchedule(controller: ScheduledController, env: Env): Promise<void> {
  const report = await enforceRetention(env.DB, env.RAW, controller.scheduledTime, {
    ...DEFAULT_RETENTION_LIMITS,
    operationsPerRun: numericVar(env.RETENTION_OPERATIONS_PER_RUN, DEFAULT_RETENTION_LIMITS.operationsPerRun),
  });
  console.log("retention", JSON.stringify(report));
}

/** The statements the job runs, for tests that check each one is served by an index. */
export const RETENTION_QUERIES = {
  DELETE_USER_FEEDBACK,
  DELETE_SESSION_ROLLUPS,
  DELETE_SESSION_USERS,
  DELETE_SESSION_STATES,
  DELETE_SESSION_AGGREGATE_ITEMS,
  DELETE_EVENTS,
  OLD_STORED_ITEMS,
  OLD_REJECTED_ENVELOPES,
  DELETE_DEAD_LETTERS,
  DELETE_DEAD_LETTERS_WITHOUT_PROJECT,
  DELETE_ISSUE_HOURS,
  DELETE_PROJECT_HOURS,
  DELETE_ITEM_COUNTS,
  DELETE_INGEST_REFUSALS,
  DELETE_MONITOR_CHECKINS,
  DELETE_UPTIME_CHECKS,
  DELETE_TRACE_ITEMS,
  DELETE_TRACE_ERRORS,
  DELETE_TRANSACTION_ROLLUPS,
  DELETE_VITAL_ROLLUPS,
  EXPIRED_ISSUES,
  OLD_ALERT_DELIVERIES,
  DELETE_ALERT_FIRINGS,
  DELETE_ALERT_THROTTLE,
  DELETE_UNUSED_BUNDLE_LINKS,
  UNKEPT_BUNDLE_FILES,
  DELETE_UNKEPT_BUNDLE_FILES,
  DELETE_UNKEPT_BUNDLES,
};
