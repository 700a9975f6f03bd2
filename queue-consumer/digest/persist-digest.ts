import { drizzle } from "drizzle-orm/d1";
import { issues, rejectedEnvelopes, storedItems } from "../../db/schema";
import type { PreparedEvent, PreparedItem, PreparedRejection } from "./prepare-message";

export interface DigestInput {
  events: PreparedEvent[];
  items: PreparedItem[];
  rejections: PreparedRejection[];
}

/** What changed, for the alert rules evaluated after the commit. */
export interface DigestOutcome {
  newIssueIds: number[];
  regressedIssueIds: number[];
  escalatedIssueIds: number[];
  /** Issues that received at least one newly inserted event. */
  touchedIssueIds: number[];
  /** The alert evaluation of this run: its id and clock. */
  evaluationId: string;
  now: number;
  /** This run, when it recorded its evaluation as pending (its projects have rules); the evaluation clears it. */
  pendingRun: string | null;
  /** Evaluations of earlier runs still pending long after their commit: lost on the way, to run again. */
  staleEvaluations: StaleEvaluation[];
}

export interface StaleEvaluation {
  evaluationId: string;
  createdAt: number;
}

/** An evaluation still pending this long after its run committed was lost, not slow: it is then due to run again. */
export const EVALUATION_STALE_MS = 120_000;

/** Evaluations due to run again, at most `limit` (alert_evaluations_pending_by_next_attempt); read them with staleEvaluationsOf. */
export function dueEvaluations(d1: D1Database, now: number, limit: number): D1PreparedStatement {
  return d1
    .prepare("SELECT evaluation_id, min(created_at) AS created_at FROM alert_evaluations_pending WHERE next_attempt_at <= ?1 GROUP BY evaluation_id LIMIT ?2")
    .bind(now, limit);
}

export function staleEvaluationsOf(result: D1Result | undefined): StaleEvaluation[] {
  const rows = (result?.results ?? []) as Array<{ evaluation_id: string; created_at: number }>;
  return rows.map((r) => ({ evaluationId: r.evaluation_id, createdAt: r.created_at }));
}

// D1 allows 100 bound parameters per statement (https://developers.cloudflare.com/d1/platform/limits/).
const MAX_PARAMS = 100;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * Writes a whole queue batch in one D1 `batch()`, which runs as one transaction: either all of
 * it lands or none of it does. Events are unique on (project, event_id) and inserted with
 * ON CONFLICT DO NOTHING; every counter then moves by what the rows tagged with this run's
 * `ingest_batch` add up to, so a redelivered event (already stored by an earlier run) changes
 * nothing, and a retried batch that failed before commit counts exactly once.
 */
export async function persistDigest(d1: D1Database, input: DigestInput, now = Date.now(), evaluationId: string = crypto.randomUUID()): Promise<DigestOutcome> {
  const db = drizzle(d1);
  const run = crypto.randomUUID();
  // Built with drizzle, run as one D1 batch (drizzle's own batch cannot mix in raw statements).
  const statements: D1PreparedStatement[] = [];
  const add = (query: { toSQL(): { sql: string; params: unknown[] } }) => {
    const { sql: text, params } = query.toSQL();
    statements.push(d1.prepare(text).bind(...params));
  };

  // 1. Issues that do not exist yet, one per (project, fingerprint), from their earliest event.
  const firstByIssue = new Map<string, PreparedEvent>();
  for (const e of input.events) {
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
  const newIssueStatements: number[] = [];
  for (const rows of chunk(issueRows, (r) => db.insert(issues).values(r))) {
    newIssueStatements.push(statements.length);
    add(db.insert(issues).values(rows).onConflictDoNothing().returning({ id: issues.id }));
  }

  // 2. Events, tagged with this run, many per statement through one JSON parameter: D1's limit of
  // 100 bound parameters allowed 6 events per statement at one parameter per column, and blobs
  // cross the D1 binding as arrays of numbers, so the gzip'd data travels as hex (unhex() in
  // SQLite). The events' INSERTs were 60% of persisting a batch before (see BENCHMARKS.md).
  for (const { rows, blob } of eventInsertParams(input.events)) statements.push(d1.prepare(INSERT_EVENTS).bind(run, rows, blob));

  // 3. Everything counted from this run's new events.
  let touchedAt = -1;
  let regressedAt = -1;
  let escalatedAt = -1;
  let pendingAt = -1;
  let orphansAt = -1;
  if (input.events.length > 0) {
    const aggregates = eventAggregates(d1, run, now);
    const base = statements.length;
    statements.push(...aggregates.statements);
    touchedAt = base + aggregates.touched;
    regressedAt = base + aggregates.regressed;
    escalatedAt = base + aggregates.escalated;
    // An issue this run created for an event that turned out to be stored already (the same
    // event_id sent again with other content, or grouped otherwise on redelivery) has no event:
    // it goes again, and is no new issue.
    orphansAt = statements.length;
    statements.push(
      d1
        .prepare(`DELETE FROM issues WHERE id IN (
            SELECT i.id FROM json_each(?2) AS j CROSS JOIN issues i WHERE i.project_id = j.value ->> 0 AND i.fingerprint = j.value ->> 1)
          AND changed_by_run = ?1 AND times_seen = 0
          RETURNING id`)
        .bind(run, JSON.stringify(issueRows.map((r) => [r.projectId, r.fingerprint]))),
    );
    // The run's alert evaluation is pending from this commit until its deliveries are queued
    // (queue-consumer/alerts/evaluate-after-digest.ts), for projects with rules only; with it, what the
    // run did to issues as it commits it (the statements above set changed_by_run and substatus).
    pendingAt = statements.length;
    statements.push(
      d1
        .prepare(`INSERT INTO alert_evaluations_pending (run, evaluation_id, created_at, changes, next_attempt_at)
          SELECT ?1, ?2, ?3,
            (SELECT json_group_array(json_array(id, substatus)) FROM issues
             WHERE id IN (SELECT issue_id FROM events WHERE ingest_batch = ?1) AND changed_by_run = ?1),
            ?3 + ?4
          WHERE EXISTS (SELECT 1 FROM alert_rules WHERE project_id IN (SELECT DISTINCT project_id FROM events WHERE ingest_batch = ?1))`)
        .bind(run, evaluationId, now, EVALUATION_STALE_MS),
    );
  }

  // 4. Other items, counted per project and day.
  const itemRows = input.items.map((i) => ({
    projectId: i.projectId,
    messageId: i.messageId,
    itemIndex: i.itemIndex,
    itemType: i.itemType,
    eventId: i.eventId,
    receivedAt: i.receivedAt,
    payload: i.payload ? Buffer.from(i.payload) : null,
    bodyKey: i.bodyKey,
    ingestBatch: run,
  }));
  for (const rows of chunk(itemRows, (r) => db.insert(storedItems).values(r))) add(db.insert(storedItems).values(rows).onConflictDoNothing());
  if (itemRows.length > 0) {
    statements.push(
      d1
        .prepare(`INSERT INTO item_counts (project_id, day, item_type, count)
          SELECT project_id, received_at - received_at % ?2, item_type, count(*) FROM stored_items
          WHERE ingest_batch = ?1 GROUP BY 1, 2, 3
          ON CONFLICT (project_id, day, item_type) DO UPDATE SET count = count + excluded.count`)
        .bind(run, DAY),
    );
  }

  // 5. What could not be read, kept with its reason.
  const rejectionRows = input.rejections.map((r) => ({
    messageId: r.messageId,
    projectId: r.projectId,
    receivedAt: r.receivedAt,
    reason: r.reason,
    detail: r.detail,
    body: r.body ? Buffer.from(r.body) : null,
    bodyKey: r.bodyKey,
  }));
  // A message can be rejected in parts (one bad item); the first reason is kept per message.
  const uniqueRejections = [...new Map(rejectionRows.map((r) => [r.messageId, r])).values()];
  for (const rows of chunk(uniqueRejections, (r) => db.insert(rejectedEnvelopes).values(r))) add(db.insert(rejectedEnvelopes).values(rows).onConflictDoNothing());

  if (statements.length === 0) return { newIssueIds: [], regressedIssueIds: [], escalatedIssueIds: [], touchedIssueIds: [], evaluationId, now, pendingRun: null, staleEvaluations: [] };
  // Read in the same round trip: evaluations of earlier runs that never finished and are due again.
  statements.push(dueEvaluations(d1, now, 10));
  const results = await d1.batch<{ id: number }>(statements);
  const ids = (i: number) => (i >= 0 ? (results[i]?.results ?? []).map((r) => Number(r.id)) : []);
  const orphans = new Set(ids(orphansAt));
  return {
    newIssueIds: newIssueStatements.flatMap(ids).filter((id) => !orphans.has(id)),
    regressedIssueIds: ids(regressedAt),
    escalatedIssueIds: ids(escalatedAt),
    touchedIssueIds: ids(touchedAt),
    evaluationId,
    now,
    pendingRun: pendingAt >= 0 && (results[pendingAt]?.meta.changes ?? 0) > 0 ? run : null,
    staleEvaluations: staleEvaluationsOf(results.at(-1)),
  };
}

/** The statements that derive counters, buckets and lifecycle changes from this run's events. */
function eventAggregates(d1: D1Database, run: string, now: number) {
  // ?1 this run, ?2 an hour, ?3 a day, ?4 now (ms).
  // SQLite counts parameters up to the highest ?N a statement names; D1 wants exactly that many.
  const stmt = (text: string) => {
    const highest = Math.max(...[...text.matchAll(/\?(\d)/g)].map((m) => Number(m[1])));
    return d1.prepare(text).bind(...[run, HOUR, DAY, now].slice(0, highest));
  };
  const statements = [
    stmt(`INSERT INTO releases (project_id, version, first_seen, last_seen)
      SELECT project_id, release, min(timestamp), max(timestamp) FROM events
      WHERE ingest_batch = ?1 AND release IS NOT NULL GROUP BY project_id, release
      ON CONFLICT (project_id, version) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`),
    stmt(`INSERT INTO environments (project_id, name, first_seen)
      SELECT project_id, environment, min(timestamp) FROM events
      WHERE ingest_batch = ?1 AND environment IS NOT NULL GROUP BY project_id, environment
      ON CONFLICT (project_id, name) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen)`),
    // INDEXED BY: left to itself, SQLite reads the newest events through events_by_issue (for the
    // ORDER BY), which walks every stored event of the issue newer than this run's (all of them
    // when the run's events are older: late or clock-skewed clients).
    stmt(`UPDATE issues SET
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
      RETURNING id`),
    stmt(`INSERT INTO issue_hourly (issue_id, hour, count)
      SELECT issue_id, timestamp - timestamp % ?2, count(*) FROM events WHERE ingest_batch = ?1 GROUP BY 1, 2
      ON CONFLICT (issue_id, hour) DO UPDATE SET count = count + excluded.count`),
    stmt(`INSERT INTO project_hourly (project_id, hour, count)
      SELECT project_id, timestamp - timestamp % ?2, count(*) FROM events WHERE ingest_batch = ?1 GROUP BY 1, 2
      ON CONFLICT (project_id, hour) DO UPDATE SET count = count + excluded.count`),
    stmt(`INSERT INTO item_counts (project_id, day, item_type, count)
      SELECT project_id, received_at - received_at % ?3, 'event', count(*) FROM events WHERE ingest_batch = ?1 GROUP BY 1, 2
      ON CONFLICT (project_id, day, item_type) DO UPDATE SET count = count + excluded.count`),
    stmt(`INSERT INTO issue_users (issue_id, user_key, first_seen, ingest_batch)
      SELECT issue_id, user_key, min(timestamp), ?1 FROM events
      WHERE ingest_batch = ?1 AND user_key IS NOT NULL GROUP BY issue_id, user_key
      ON CONFLICT (issue_id, user_key) DO NOTHING`),
    stmt(`UPDATE issues SET user_count = user_count + (SELECT count(*) FROM issue_users u WHERE u.ingest_batch = ?1 AND u.issue_id = issues.id)
      WHERE id IN (SELECT issue_id FROM issue_users WHERE ingest_batch = ?1)`),
    stmt(`INSERT INTO issue_tags (issue_id, key, value, count, first_seen, last_seen, project_id)
      SELECT e.issue_id, t.value ->> 0, t.value ->> 1, count(*), min(e.timestamp), max(e.timestamp), e.project_id
      FROM events e, json_each(e.tags) t WHERE e.ingest_batch = ?1 AND t.value ->> 0 IS NOT NULL AND t.value ->> 1 IS NOT NULL
      GROUP BY 1, 2, 3
      ON CONFLICT (issue_id, key, value) DO UPDATE SET count = count + excluded.count, first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`),
    // Regression (https://docs.sentry.io/product/issues/states-triage/#regressed): a resolved issue
    // that sees a new event reopens, unless it was resolved in a release and the event comes from a
    // release before it (resolved "in release X": X itself regresses) or, resolved "in the next
    // release", from the release that was newest then or an older one. Releases are ordered by
    // when they were first seen; a release not seen yet is newer than every seen one.
    // The first IN finds the run's issues by primary key; the second alone is correlated (it reads
    // issues.resolved_in_release), which makes SQLite scan the whole issues table.
    stmt(`UPDATE issues SET status = 'unresolved', substatus = 'regressed', resolved_at = NULL, resolved_in_release = NULL, resolved_in_next_release = 0, changed_by_run = ?1
      WHERE id IN (SELECT issue_id FROM events WHERE ingest_batch = ?1) AND status = 'resolved' AND id IN (
        SELECT e.issue_id FROM events e WHERE e.ingest_batch = ?1 AND NOT (
          issues.resolved_in_release IS NOT NULL AND e.release IS NOT NULL AND (
            SELECT CASE WHEN issues.resolved_in_next_release THEN ev.first_seen <= fix.first_seen ELSE ev.first_seen < fix.first_seen END
            FROM (SELECT coalesce((SELECT r.first_seen FROM releases r WHERE r.project_id = e.project_id AND r.version = e.release), 9e18) AS first_seen) ev,
                 (SELECT coalesce((SELECT r.first_seen FROM releases r WHERE r.project_id = e.project_id AND r.version = issues.resolved_in_release), 9e18) AS first_seen) fix
          )
        )
      )
      RETURNING id`),
    // Ignored until N more events or until a date: past the condition the issue is back in the stream.
    stmt(`UPDATE issues SET status = 'unresolved', substatus = 'escalating', ignored_until = NULL, ignored_until_count = NULL, ignored_count_base = NULL, changed_by_run = ?1
      WHERE status = 'ignored' AND id IN (SELECT issue_id FROM events WHERE ingest_batch = ?1)
        AND ((ignored_until_count IS NOT NULL AND times_seen - coalesce(ignored_count_base, 0) >= ignored_until_count)
          OR (ignored_until IS NOT NULL AND ignored_until <= ?4))
      RETURNING id`),
  ];
  // Positions of the statements whose RETURNING rows the outcome reports.
  return { statements, touched: 2, regressed: statements.length - 2, escalated: statements.length - 1 };
}

/**
 * ?1 the run, ?2 a JSON array with one array per event (project, event id, fingerprint,
 * timestamp, received, level, title, release, environment, user key, tags, gzip'd data as hex),
 * ?3 the data of a lone event too large to travel as hex (its hex slot is null). The issue id is
 * looked up by (project, fingerprint); a bad hex string fails the NOT NULL on data, loudly.
 */
const INSERT_EVENTS = `INSERT INTO events (project_id, event_id, issue_id, timestamp, received_at, level, title, release, environment, user_key, tags, data, ingest_batch)
  SELECT r.value ->> 0, r.value ->> 1,
    (SELECT id FROM issues WHERE project_id = r.value ->> 0 AND fingerprint = r.value ->> 2),
    r.value ->> 3, r.value ->> 4, r.value ->> 5, r.value ->> 6, r.value ->> 7, r.value ->> 8, r.value ->> 9,
    r.value ->> 10, coalesce(unhex(r.value ->> 11), ?3), ?1
  FROM json_each(?2) AS r
  WHERE true
  ORDER BY r.key
  ON CONFLICT (project_id, event_id) DO NOTHING`;

// D1 takes strings and blobs up to 2 MB (https://developers.cloudflare.com/d1/platform/limits/):
// a statement's JSON stays under half of that, and data over 256 KB (512 KB of hex) goes as a blob.
export const JSON_PARAM_BUDGET = 1_000_000;
export const HEX_DATA_MAX = 256 * 1024;
const EVENTS_PER_STATEMENT = 100;

interface EventRow {
  /** This event's element of the ?2 array. */
  json: string;
  /** Its UTF-8 size. */
  bytes: number;
  /** The data, when too large for hex: the row then goes alone and binds it as ?3. */
  blob: Uint8Array | null;
}

function eventRow(e: PreparedEvent): EventRow {
  const blob = e.data.byteLength > HEX_DATA_MAX ? e.data : null;
  const hex = blob === null ? Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString("hex") : null;
  const { event } = e;
  const json = JSON.stringify([
    e.projectId, event.eventId, e.grouping.hash, event.timestamp, event.receivedAt, event.level, event.title,
    event.release, event.environment, event.userKey, event.tags, hex,
  ]);
  return { json, bytes: Buffer.byteLength(json), blob };
}

/**
 * Rows split into statements: at most 100, their JSON within the budget (measured, not guessed: a
 * user id, say, is bounded only by the event's 1 MB), and a row with a blob, or over the budget
 * by itself, alone.
 */
function eventStatementGroups(rows: EventRow[]): EventRow[][] {
  const groups: EventRow[][] = [];
  let group: EventRow[] = [];
  let bytes = 0;
  const close = () => {
    if (group.length > 0) groups.push(group);
    group = [];
    bytes = 0;
  };
  for (const row of rows) {
    const alone = row.blob !== null || row.bytes > JSON_PARAM_BUDGET;
    if (alone || group.length >= EVENTS_PER_STATEMENT || bytes + row.bytes > JSON_PARAM_BUDGET) close();
    group.push(row);
    bytes += row.bytes + 1;
    if (alone) close();
  }
  close();
  return groups;
}

/** The ?2 and ?3 of each events INSERT (see INSERT_EVENTS). */
export function eventInsertParams(events: PreparedEvent[]): Array<{ rows: string; blob: Uint8Array | null }> {
  return eventStatementGroups(events.map(eventRow)).map((group) => ({
    rows: `[${group.map((r) => r.json).join(",")}]`,
    blob: group.length === 1 ? group[0]!.blob : null,
  }));
}

/** Splits rows so that no statement binds more than D1's 100 parameters (counted on a one-row statement). */
function chunk<T>(rows: T[], oneRow: (rows: T[]) => { toSQL(): { params: unknown[] } }): T[][] {
  const [first] = rows;
  if (first === undefined) return [];
  const size = Math.max(1, Math.floor(MAX_PARAMS / oneRow([first]).toSQL().params.length));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

