/**
 * The session kind's share of a digest run's write: release health counted per (project,
 * release, environment, hour) in `session_rollups`, exactly however often an update arrives.
 *
 * Session updates: each session's state (`session_states`, keyed by project and sid) holds the
 * bucket it counts in and how bad it got. The rollups move by the difference between that state
 * and the update, read before the state is written in the same transaction: a session's first
 * update adds one session, an update that makes it worse moves it from one status to the next,
 * and a repeated update, an older one (lower `seq`) or one that changes nothing adds nothing and
 * writes no state. Sentry counts a session from its `init` update; here the first update seen
 * begins it, so a session whose `init` was lost or arrives later still counts once.
 *
 * Aggregates (`sessions` items) add their counts once per queue message and item: a marker row
 * keyed by both, inserted with the run's id, lets only the items this run inserted count.
 *
 * Users: `session_users` keeps each (bucket, did) once, with whether a session of it crashed
 * there; the rollup's `users` and `crashed_users` move when a row is added or turns crashed.
 */
import type { BatchWrite } from "../../batch-write";
import { CRASHED, type PreparedSessionAggregate, type PreparedSessionUpdate } from "./prepare-session";

// D1 takes a string parameter of up to 2 MB; a row is under 600 bytes (release ≤ 200, did ≤ 128 or a hash).
const ROWS_PER_STATEMENT = 1000;

const UPDATES = `u AS (SELECT j.value ->> 0 AS project_id, j.value ->> 1 AS sid, j.value ->> 2 AS hour, j.value ->> 3 AS release,
    j.value ->> 4 AS environment, j.value ->> 5 AS user, j.value ->> 6 AS seq, j.value ->> 7 AS status, j.value ->> 8 AS started
  FROM json_each(?5) j)`;

/**
 * Each update against its session's stored state: where it counts, the status before and after.
 * `materialized` where a statement reads `c` twice: SQLite would otherwise run the JSON and the
 * join once for each reading (https://sqlite.org/lang_with.html#materialization_hints).
 */
const changes = (materialized: boolean) => `${UPDATES},
  c AS ${materialized ? "MATERIALIZED " : ""}(SELECT u.project_id, coalesce(s.release, u.release) AS release, coalesce(s.environment, u.environment) AS environment,
      coalesce(s.hour, u.hour) AS hour, coalesce(s.user, u.user) AS user, s.sid IS NULL AS began, coalesce(s.status, -1) AS was,
      CASE WHEN s.sid IS NULL THEN u.status WHEN u.seq < s.seq THEN s.status ELSE max(s.status, u.status) END AS now
    FROM u LEFT JOIN session_states s ON s.project_id = u.project_id AND s.sid = u.sid)`;
const CHANGES = changes(false);

const ROLLUP_KEY = "project_id, release, environment, hour";

const ADD_TO_ROLLUPS = `ON CONFLICT (${ROLLUP_KEY}) DO UPDATE SET
    sessions = sessions + excluded.sessions, errored = errored + excluded.errored, abnormal = abnormal + excluded.abnormal,
    crashed = crashed + excluded.crashed, users = users + excluded.users, crashed_users = crashed_users + excluded.crashed_users`;

/**
 * Users: what this run's sessions (or aggregates) say of each (bucket, user), against
 * `session_users`; `fresh` adds a user, `turned` a crashed user. `source` names the CTE of
 * (bucket, user, crashed) rows that `sourceSql` defines.
 */
const userChanges = (source: string) => `
  g AS (SELECT ${ROLLUP_KEY}, user, max(crashed) AS crashed FROM ${source} WHERE user <> '' GROUP BY 1, 2, 3, 4, 5),
  d AS (SELECT g.*, su.user IS NULL AS fresh, g.crashed > coalesce(su.crashed, 0) AS turned FROM g LEFT JOIN session_users su
      ON su.project_id = g.project_id AND su.release = g.release AND su.environment = g.environment AND su.hour = g.hour AND su.user = g.user)`;

const ROLLUP_USERS = (source: string, sourceSql: string) => `WITH ${sourceSql}, ${userChanges(source)}
  INSERT INTO session_rollups (${ROLLUP_KEY}, sessions, errored, abnormal, crashed, users, crashed_users)
  SELECT ${ROLLUP_KEY}, 0, 0, 0, 0, sum(fresh), sum(turned) FROM d WHERE fresh OR turned GROUP BY 1, 2, 3, 4
  ${ADD_TO_ROLLUPS}`;

const WRITE_USERS = (source: string, sourceSql: string) => `WITH ${sourceSql}, ${userChanges(source)}
  INSERT INTO session_users (${ROLLUP_KEY}, user, crashed)
  SELECT ${ROLLUP_KEY}, user, crashed FROM d WHERE fresh OR turned
  ON CONFLICT (${ROLLUP_KEY}, user) DO UPDATE SET crashed = excluded.crashed WHERE excluded.crashed > crashed`;

const updateUsers = (materialized: boolean) =>
  `${changes(materialized)}, cu AS (SELECT ${ROLLUP_KEY}, user, now = ${CRASHED} AS crashed FROM c)`;
const UPDATE_USERS = updateUsers(false);

/**
 * The rollups' move for this run's updates: the sessions and statuses each update changes, and
 * the users it adds or turns crashed, in one statement (each statement reads the JSON of the
 * whole chunk again, which is most of its cost).
 */
const ROLLUP_UPDATES = `WITH ${updateUsers(true)}, ${userChanges("cu")},
  x AS (SELECT ${ROLLUP_KEY}, began AS sessions, (now = 1) - (was = 1) AS errored, (now = 2) - (was = 2) AS abnormal,
      (now = 3) - (was = 3) AS crashed, 0 AS users, 0 AS crashed_users FROM c WHERE began OR now > was
    UNION ALL SELECT ${ROLLUP_KEY}, 0, 0, 0, 0, fresh, turned FROM d WHERE fresh OR turned)
  INSERT INTO session_rollups (${ROLLUP_KEY}, sessions, errored, abnormal, crashed, users, crashed_users)
  SELECT ${ROLLUP_KEY}, sum(sessions), sum(errored), sum(abnormal), sum(crashed), sum(users), sum(crashed_users) FROM x GROUP BY 1, 2, 3, 4
  ${ADD_TO_ROLLUPS}`;

// The releases and environments the sessions name, as the error kind records an event's. For
// updates, from rows (project, release, first seen, last seen) and (project, environment, first
// seen) added up in JavaScript (namedIn): a few rows for a chunk, not the chunk's JSON again.
const RELEASE_ROWS = `r AS (SELECT j.value ->> 0 AS project_id, j.value ->> 1 AS release, j.value ->> 2 AS first_seen, j.value ->> 3 AS last_seen
  FROM json_each(?5) j)`;
const ENVIRONMENT_ROWS = `e AS (SELECT j.value ->> 0 AS project_id, j.value ->> 1 AS environment, j.value ->> 2 AS first_seen FROM json_each(?5) j)`;

const RECORD_RELEASES = (releasesSql: string) => `WITH ${releasesSql}
  INSERT INTO releases (project_id, version, first_seen, last_seen)
  SELECT project_id, release, first_seen, last_seen FROM r WHERE true
  ON CONFLICT (project_id, version) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)
  WHERE excluded.first_seen < first_seen OR excluded.last_seen > last_seen`;
const RECORD_ORGANIZATION_RELEASES = (releasesSql: string) => `WITH ${releasesSql}
  INSERT INTO organization_releases (organization_id, version, date_created)
  SELECT DISTINCT p.organization_id, r.release, ?4 FROM r JOIN projects p ON p.id = r.project_id WHERE true
  ON CONFLICT (organization_id, version) DO NOTHING`;
const RECORD_ENVIRONMENTS = (environmentsSql: string) => `WITH ${environmentsSql}
  INSERT INTO environments (project_id, name, first_seen)
  SELECT project_id, environment, first_seen FROM e WHERE true
  ON CONFLICT (project_id, name) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen) WHERE excluded.first_seen < first_seen`;

// Sessions per day, as stats_v2 reports the "session" category: each session once, when it
// begins, and each session an aggregate this run inserted counts.
const COUNT_UPDATES = `WITH ${CHANGES}
  INSERT INTO item_counts (project_id, day, item_type, count)
  SELECT project_id, ?4 - ?4 % ?3, 'session', sum(began) FROM c GROUP BY 1 HAVING sum(began) > 0
  ON CONFLICT (project_id, day, item_type) DO UPDATE SET count = count + excluded.count`;

// A state is written when a session begins, and when an update at least as new makes it worse.
const WRITE_STATES = `WITH ${UPDATES}
  INSERT INTO session_states (project_id, sid, hour, release, environment, user, seq, status)
  SELECT project_id, sid, hour, release, environment, user, seq, status FROM u WHERE true
  ON CONFLICT (project_id, sid) DO UPDATE SET seq = excluded.seq, status = excluded.status
  WHERE excluded.seq >= seq AND excluded.status > status`;

// Aggregates: rows [project, message, item, received, release, environment, hour, started, user, sessions, errored, abnormal, crashed].
const AGGREGATE_ROWS = `a AS (SELECT j.value ->> 0 AS project_id, j.value ->> 1 AS message_id, j.value ->> 2 AS item_index,
    j.value ->> 3 AS received_at, j.value ->> 4 AS release, j.value ->> 5 AS environment, j.value ->> 6 AS hour, j.value ->> 7 AS started,
    j.value ->> 8 AS user, j.value ->> 9 AS sessions, j.value ->> 10 AS errored, j.value ->> 11 AS abnormal, j.value ->> 12 AS crashed
  FROM json_each(?5) j)`;
/** This run's aggregates: those whose marker this run inserted. */
const INSERTED_AGGREGATES = `${AGGREGATE_ROWS},
  u AS (SELECT a.*, a.crashed > 0 AS crashed_user FROM a CROSS JOIN session_aggregate_items m
    WHERE m.project_id = a.project_id AND m.message_id = a.message_id AND m.item_index = a.item_index AND m.ingest_batch = ?1)`;

// The releases and environments of this run's aggregates, for RECORD_RELEASES and RECORD_ENVIRONMENTS.
const AGGREGATE_RELEASES = `${INSERTED_AGGREGATES},
  r AS (SELECT project_id, release, min(started) AS first_seen, max(started) AS last_seen FROM u GROUP BY 1, 2)`;
const AGGREGATE_ENVIRONMENTS = `${INSERTED_AGGREGATES},
  e AS (SELECT project_id, environment, min(started) AS first_seen FROM u WHERE environment <> '' GROUP BY 1, 2)`;

const MARK_AGGREGATES = `WITH ${AGGREGATE_ROWS}
  INSERT INTO session_aggregate_items (project_id, message_id, item_index, received_at, ingest_batch)
  SELECT DISTINCT project_id, message_id, item_index, received_at, ?1 FROM a WHERE true
  ON CONFLICT (project_id, message_id, item_index) DO NOTHING`;

const ROLLUP_AGGREGATES = `WITH ${INSERTED_AGGREGATES}
  INSERT INTO session_rollups (${ROLLUP_KEY}, sessions, errored, abnormal, crashed, users, crashed_users)
  SELECT ${ROLLUP_KEY}, sum(sessions), sum(errored), sum(abnormal), sum(crashed), 0, 0 FROM u GROUP BY 1, 2, 3, 4
  ${ADD_TO_ROLLUPS}`;

const COUNT_AGGREGATES = `WITH ${INSERTED_AGGREGATES}
  INSERT INTO item_counts (project_id, day, item_type, count)
  SELECT project_id, ?4 - ?4 % ?3, 'session', sum(sessions) FROM u GROUP BY 1
  ON CONFLICT (project_id, day, item_type) DO UPDATE SET count = count + excluded.count`;

const AGGREGATE_USERS = `${INSERTED_AGGREGATES}, cu AS (SELECT ${ROLLUP_KEY}, user, crashed_user AS crashed FROM u)`;

export function addSessionStatements(
  batch: BatchWrite,
  updates: readonly PreparedSessionUpdate[],
  aggregates: readonly PreparedSessionAggregate[],
): void {
  const merged = mergeUpdates(updates);
  for (let i = 0; i < merged.length; i += ROWS_PER_STATEMENT) {
    const part = merged.slice(i, i + ROWS_PER_STATEMENT);
    const chunk = JSON.stringify(part.map(updateRow));
    // In this order: each reads the tables before the statements after it write them.
    batch.addSql(ROLLUP_UPDATES, undefined, chunk);
    batch.addSql(WRITE_USERS("cu", UPDATE_USERS), undefined, chunk);
    const { releases, environments } = namedIn(part);
    batch.addSql(RECORD_RELEASES(RELEASE_ROWS), undefined, releases);
    batch.addSql(RECORD_ORGANIZATION_RELEASES(RELEASE_ROWS), undefined, releases);
    if (environments !== "[]") batch.addSql(RECORD_ENVIRONMENTS(ENVIRONMENT_ROWS), undefined, environments);
    batch.addSql(COUNT_UPDATES, undefined, chunk);
    batch.addSql(WRITE_STATES, undefined, chunk);
  }
  const groups = aggregates.flatMap((a) =>
    a.groups.map((g) => [
      a.projectId,
      a.messageId,
      a.itemIndex,
      a.receivedAt,
      a.release,
      a.environment,
      g.hour,
      g.started,
      g.user,
      g.sessions,
      g.errored,
      g.abnormal,
      g.crashed,
    ]),
  );
  for (let i = 0; i < groups.length; i += ROWS_PER_STATEMENT) {
    const chunk = JSON.stringify(groups.slice(i, i + ROWS_PER_STATEMENT));
    batch.addSql(MARK_AGGREGATES, undefined, chunk);
    batch.addSql(ROLLUP_AGGREGATES, undefined, chunk);
    batch.addSql(ROLLUP_USERS("cu", AGGREGATE_USERS), undefined, chunk);
    batch.addSql(WRITE_USERS("cu", AGGREGATE_USERS), undefined, chunk);
    batch.addSql(RECORD_RELEASES(AGGREGATE_RELEASES), undefined, chunk);
    batch.addSql(RECORD_ORGANIZATION_RELEASES(AGGREGATE_RELEASES), undefined, chunk);
    batch.addSql(RECORD_ENVIRONMENTS(AGGREGATE_ENVIRONMENTS), undefined, chunk);
    batch.addSql(COUNT_AGGREGATES, undefined, chunk);
  }
}

/**
 * One row per session of the run: the statements compare each row with the stored state, so two
 * updates of a session in one batch become one, as if applied in turn: the first update's bucket,
 * the newest `seq`, the worst status.
 */
export function mergeUpdates(updates: readonly PreparedSessionUpdate[]): PreparedSessionUpdate[] {
  const bySession = new Map<string, PreparedSessionUpdate>();
  for (const update of [...updates].sort((a, b) => a.seq - b.seq)) {
    const key = `${update.projectId}:${update.sid}`;
    const seen = bySession.get(key);
    bySession.set(
      key,
      seen === undefined
        ? update
        : { ...seen, seq: update.seq, health: Math.max(seen.health, update.health) as PreparedSessionUpdate["health"] },
    );
  }
  return [...bySession.values()];
}

/** The releases and environments a chunk of updates names, with when they were first and last seen, as JSON rows. */
function namedIn(updates: readonly PreparedSessionUpdate[]): { releases: string; environments: string } {
  const releases = new Map<string, [number, string, number, number]>();
  const environments = new Map<string, [number, string, number]>();
  for (const u of updates) {
    const release = releases.get(`${u.projectId} ${u.release}`);
    if (release === undefined) releases.set(`${u.projectId} ${u.release}`, [u.projectId, u.release, u.started, u.started]);
    else [release[2], release[3]] = [Math.min(release[2], u.started), Math.max(release[3], u.started)];
    if (u.environment === "") continue;
    const environment = environments.get(`${u.projectId} ${u.environment}`);
    if (environment === undefined) environments.set(`${u.projectId} ${u.environment}`, [u.projectId, u.environment, u.started]);
    else environment[2] = Math.min(environment[2], u.started);
  }
  return { releases: JSON.stringify([...releases.values()]), environments: JSON.stringify([...environments.values()]) };
}

function updateRow(u: PreparedSessionUpdate): unknown[] {
  return [u.projectId, u.sid, u.hour, u.release, u.environment, u.user, u.seq, u.health, u.started];
}
