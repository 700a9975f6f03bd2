/**
 * The error kind's share of a digest run's write: issues that do not exist yet, the events, and
 * everything counted from the events this run inserted (issue and project counters, hourly
 * buckets, releases, environments, users, tags, regressions with their activity, and
 * escalations), then the run's pending alert evaluation. Events are unique on (project,
 * event_id) and inserted with ON CONFLICT DO NOTHING, so every counter moves by what this run's
 * rows add up to.
 */
import { issues } from "../../../../db/schema";
import { drizzle } from "drizzle-orm/d1";
import type { BatchResults, BatchWrite } from "../../batch-write";
import { EVALUATION_STALE_MS, type IssueChanges, NO_ISSUE_CHANGES } from "../../digest-outcome";
import { INSERT_EVENTS, eventInsertParams } from "./insert-events";
import type { PreparedEvent } from "./prepare-error";

const NEW_ISSUES = "error.newIssues";
const TOUCHED = "error.touchedIssues";
const REGRESSED = "error.regressedIssues";
const ESCALATED = "error.escalatedIssues";
const ORPHANS = "error.orphanIssues";
const PENDING = "error.pendingEvaluation";

/** Adds the statements for a run's error events; the returned function reads what they changed. */
export function addErrorStatements(
  batch: BatchWrite,
  events: readonly PreparedEvent[],
  evaluationId: string,
): (results: BatchResults) => IssueChanges {
  if (events.length === 0) return () => NO_ISSUE_CHANGES;
  const { d1, run } = batch;
  const db = drizzle(d1);

  // Issues that do not exist yet, one per (project, fingerprint), from their earliest event.
  const firstByIssue = new Map<string, PreparedEvent>();
  for (const e of events) {
    const key = `${e.projectId}:${e.grouping.hash}`;
    const seen = firstByIssue.get(key);
    if (!seen || e.event.timestamp < seen.event.timestamp) firstByIssue.set(key, e);
  }
  const issueRows = [...firstByIssue.values()].map((e) => ({
    projectId: e.projectId,
    fingerprint: e.grouping.hash,
    grouping: { variant: e.grouping.variant, components: e.grouping.components },
    type: e.event.type,
    title: e.event.title,
    culprit: e.event.culprit,
    level: e.event.level,
    platform: e.event.platform,
    metadata: (e.event.data.metadata as Record<string, unknown> | undefined) ?? {},
    firstSeen: e.event.timestamp,
    lastSeen: e.event.timestamp,
    firstRelease: e.event.release,
    lastRelease: e.event.release,
    changedByRun: run,
  }));
  batch.addInsertChunks(issueRows, (rows) => db.insert(issues).values(rows).onConflictDoNothing().returning({ id: issues.id }), NEW_ISSUES);

  // The events, tagged with this run (see insert-events.ts).
  for (const { rows, blob } of eventInsertParams([...events])) batch.add(d1.prepare(INSERT_EVENTS).bind(run, rows, blob));

  // Everything counted from this run's new events. ?1 the run, ?2 an hour, ?3 a day, ?4 now (ms).
  batch.addSql(`INSERT INTO releases (project_id, version, first_seen, last_seen)
    SELECT project_id, release, min(timestamp), max(timestamp) FROM events
    WHERE ingest_batch = ?1 AND release IS NOT NULL GROUP BY project_id, release
    ON CONFLICT (project_id, version) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`);
  // The organization's release, created the first time an event names its version, as Sentry
  // does (https://docs.sentry.io/product/releases/): sentry-cli may create it first, or never.
  // `WHERE true` keeps SQLite from reading ON CONFLICT as the join's ON.
  batch.addSql(`INSERT INTO organization_releases (organization_id, version, date_created)
    SELECT p.organization_id, e.release, ?4 FROM (SELECT DISTINCT project_id, release FROM events WHERE ingest_batch = ?1 AND release IS NOT NULL) e
    JOIN projects p ON p.id = e.project_id WHERE true
    ON CONFLICT (organization_id, version) DO NOTHING`);
  batch.addSql(`INSERT INTO environments (project_id, name, first_seen)
    SELECT project_id, environment, min(timestamp) FROM events
    WHERE ingest_batch = ?1 AND environment IS NOT NULL GROUP BY project_id, environment
    ON CONFLICT (project_id, name) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen)`);
  // INDEXED BY: left to itself, SQLite reads the newest events through events_by_issue (for the
  // ORDER BY), which walks every stored event of the issue newer than this run's (all of them
  // when the run's events are older: late or clock-skewed clients).
  batch.addSql(
    `UPDATE issues SET
      times_seen = issues.times_seen + b.n,
      first_seen = min(issues.first_seen, b.first),
      last_seen = max(issues.last_seen, b.last),
      last_event_id = CASE WHEN b.last >= issues.last_seen OR issues.last_event_id IS NULL THEN b.last_event_id ELSE issues.last_event_id END,
      last_release = CASE WHEN b.last >= issues.last_seen THEN coalesce(b.last_release, issues.last_release) ELSE issues.last_release END,
      first_release = coalesce(issues.first_release, b.last_release)
    FROM (
      SELECT issue_id, count(*) AS n, min(timestamp) AS first, max(timestamp) AS last,
        (SELECT e2.event_id FROM events e2 INDEXED BY events_by_batch WHERE e2.ingest_batch = ?1 AND e2.issue_id = e.issue_id ORDER BY e2.timestamp DESC, e2.id DESC LIMIT 1) AS last_event_id,
        (SELECT e3.release FROM events e3 INDEXED BY events_by_batch WHERE e3.ingest_batch = ?1 AND e3.issue_id = e.issue_id ORDER BY e3.timestamp DESC, e3.id DESC LIMIT 1) AS last_release
      FROM events e WHERE e.ingest_batch = ?1 GROUP BY issue_id
    ) AS b
    WHERE issues.id = b.issue_id
    RETURNING id`,
    TOUCHED,
  );
  batch.addSql(`INSERT INTO issue_hourly (issue_id, hour, count)
    SELECT issue_id, timestamp - timestamp % ?2, count(*) FROM events WHERE ingest_batch = ?1 GROUP BY 1, 2
    ON CONFLICT (issue_id, hour) DO UPDATE SET count = count + excluded.count`);
  batch.addSql(`INSERT INTO project_hourly (project_id, hour, count)
    SELECT project_id, timestamp - timestamp % ?2, count(*) FROM events WHERE ingest_batch = ?1 GROUP BY 1, 2
    ON CONFLICT (project_id, hour) DO UPDATE SET count = count + excluded.count`);
  batch.addSql(`INSERT INTO item_counts (project_id, day, item_type, count)
    SELECT project_id, received_at - received_at % ?3, 'event', count(*) FROM events WHERE ingest_batch = ?1 GROUP BY 1, 2
    ON CONFLICT (project_id, day, item_type) DO UPDATE SET count = count + excluded.count`);
  batch.addSql(`INSERT INTO issue_users (issue_id, user_key, first_seen, ingest_batch)
    SELECT issue_id, user_key, min(timestamp), ?1 FROM events
    WHERE ingest_batch = ?1 AND user_key IS NOT NULL GROUP BY issue_id, user_key
    ON CONFLICT (issue_id, user_key) DO NOTHING`);
  batch.addSql(`UPDATE issues SET user_count = user_count + (SELECT count(*) FROM issue_users u WHERE u.ingest_batch = ?1 AND u.issue_id = issues.id)
    WHERE id IN (SELECT issue_id FROM issue_users WHERE ingest_batch = ?1)`);
  batch.addSql(`INSERT INTO issue_tags (issue_id, key, value, count, first_seen, last_seen, project_id)
    SELECT e.issue_id, t.value ->> 0, t.value ->> 1, count(*), min(e.timestamp), max(e.timestamp), e.project_id
    FROM events e, json_each(e.tags) t WHERE e.ingest_batch = ?1 AND t.value ->> 0 IS NOT NULL AND t.value ->> 1 IS NOT NULL
    GROUP BY 1, 2, 3
    ON CONFLICT (issue_id, key, value) DO UPDATE SET count = count + excluded.count, first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`);
  // Regression (https://docs.sentry.io/product/issues/states-triage/#regressed): a resolved issue
  // that sees a new event reopens, unless it was resolved in a release and the event comes from a
  // release before it (resolved "in release X": X itself regresses) or, resolved "in the next
  // release", from the release that was newest then or an older one. Releases are ordered by
  // when they were first seen; a release not seen yet is newer than every seen one.
  // The first IN finds the run's issues by primary key; the second alone is correlated (it reads
  // issues.resolved_in_release), which makes SQLite scan the whole issues table.
  batch.addSql(
    `UPDATE issues SET status = 'unresolved', substatus = 'regressed', resolved_at = NULL, resolved_in_release = NULL, resolved_in_next_release = 0, changed_by_run = ?1
    WHERE id IN (SELECT issue_id FROM events WHERE ingest_batch = ?1) AND status = 'resolved' AND id IN (
      SELECT e.issue_id FROM events e WHERE e.ingest_batch = ?1 AND NOT (
        issues.resolved_in_release IS NOT NULL AND e.release IS NOT NULL AND (
          SELECT CASE WHEN issues.resolved_in_next_release THEN ev.first_seen <= fix.first_seen ELSE ev.first_seen < fix.first_seen END
          FROM (SELECT coalesce((SELECT r.first_seen FROM releases r WHERE r.project_id = e.project_id AND r.version = e.release), 9e18) AS first_seen) ev,
               (SELECT coalesce((SELECT r.first_seen FROM releases r WHERE r.project_id = e.project_id AND r.version = issues.resolved_in_release), 9e18) AS first_seen) fix
        )
      )
    )
    RETURNING id`,
    REGRESSED,
  );
  // The regression on the issue's trail (Sentry's set_regression activity, by no one), from what
  // the statement above just wrote: an event delivered again inserts nothing and regresses
  // nothing, so it records nothing. One row per regression, never one per event.
  batch.addSql(`INSERT INTO issue_activity (issue_id, project_id, type, data, created_at)
    SELECT id, project_id, 'set_regression', json_object('event_id', last_event_id, 'version', coalesce(last_release, '')), ?4 FROM issues
    WHERE id IN (SELECT issue_id FROM events WHERE ingest_batch = ?1) AND changed_by_run = ?1 AND substatus = 'regressed'`);
  // Its assignee is told by email (queue-consumer/alerts/send-assignment-emails.ts), once per
  // regression like the activity above.
  batch.addSql(`INSERT INTO assignment_notifications (issue_id, user_id, kind, next_attempt_at, created_at)
    SELECT id, assigned_user_id, 'regressed', ?4, ?4 FROM issues
    WHERE id IN (SELECT issue_id FROM events WHERE ingest_batch = ?1) AND changed_by_run = ?1 AND substatus = 'regressed'
      AND assigned_user_id IS NOT NULL`);
  // Ignored until N more events or until a date: past the condition the issue is back in the stream.
  batch.addSql(
    `UPDATE issues SET status = 'unresolved', substatus = 'escalating', ignored_until = NULL, ignored_until_count = NULL, ignored_count_base = NULL, changed_by_run = ?1
    WHERE status = 'ignored' AND id IN (SELECT issue_id FROM events WHERE ingest_batch = ?1)
      AND ((ignored_until_count IS NOT NULL AND times_seen - coalesce(ignored_count_base, 0) >= ignored_until_count)
        OR (ignored_until IS NOT NULL AND ignored_until <= ?4))
    RETURNING id`,
    ESCALATED,
  );

  // An issue this run created for an event that turned out to be stored already (the same
  // event_id sent again with other content, or grouped otherwise on redelivery) has no event:
  // it goes again, and is no new issue.
  batch.addSql(
    `DELETE FROM issues WHERE id IN (
        SELECT i.id FROM json_each(?5) AS j CROSS JOIN issues i WHERE i.project_id = j.value ->> 0 AND i.fingerprint = j.value ->> 1)
      AND changed_by_run = ?1 AND times_seen = 0
      RETURNING id`,
    ORPHANS,
    JSON.stringify(issueRows.map((r) => [r.projectId, r.fingerprint])),
  );
  // The run's alert evaluation is pending from this commit until its deliveries are queued
  // (queue-consumer/alerts/evaluate-after-digest.ts), for projects with rules only; with it, what
  // the run did to issues as it commits it (the statements above set changed_by_run and substatus).
  batch.addSql(
    `INSERT INTO alert_evaluations_pending (run, evaluation_id, created_at, changes, next_attempt_at)
      SELECT ?1, ?5, ?4,
        (SELECT json_group_array(json_array(id, substatus)) FROM issues
         WHERE id IN (SELECT issue_id FROM events WHERE ingest_batch = ?1) AND changed_by_run = ?1),
        ?4 + ?6
      WHERE EXISTS (SELECT 1 FROM alert_rules WHERE project_id IN (SELECT DISTINCT project_id FROM events WHERE ingest_batch = ?1))`,
    PENDING,
    evaluationId,
    EVALUATION_STALE_MS,
  );

  return (results) => {
    const orphans = new Set(results.ids(ORPHANS));
    return {
      newIssueIds: results.ids(NEW_ISSUES).filter((id) => !orphans.has(id)),
      regressedIssueIds: results.ids(REGRESSED),
      escalatedIssueIds: results.ids(ESCALATED),
      touchedIssueIds: results.ids(TOUCHED),
      pendingRun: results.changes(PENDING) > 0 ? run : null,
    };
  };
}
