/**
 * Keeps transaction_recent_rollups at the hours of the last day: each key's totals (count,
 * failures, Apdex counts, sum of durations, sketch) over every hour of transaction_rollups from
 * transaction_recent_since's hour on, so the Performance table of the last 24 hours reads one row
 * per key (dashboard/api/discover/transaction-queries.ts). The digest adds to them what it adds
 * to the hourly rows of those hours, in the same batch; this minute job moves their start to the
 * first hour of the 24-hour window each hour, taking out the hourly rows that leave, and builds
 * them the first time.
 *
 * Exact under any interleaving: D1 runs a batch as one transaction, one after another, and every
 * statement here reads the start it moves from in SQL, so a run that finds the work done (by
 * another run, or the digest's writes in between) does nothing twice. A bucket's counts add and
 * take out exactly; a maximum cannot be taken out, so the recent totals keep none. Retention
 * never deletes an hour the recent totals still hold (queue-consumer/jobs/enforce-retention.ts):
 * such an hour leaves them here first.
 */
import { HOUR } from "../../protocol/time";

/** How many hours the recent totals hold back from the current one: the last 24 hours' window. */
export const RECENT_HOURS = 24;

/** At most this many hours leave in one run, so one statement never reads much more than a day. */
const MAX_HOURS_PER_RUN = 24;

/**
 * The start the recent totals should have at `now`: the first hour of a 24-hour window, as the
 * Discover API rounds it (dashboard/api/discover/discover-window.ts, down to the hour).
 */
export function recentStartAt(now: number): number {
  return now - (now % HOUR) - RECENT_HOURS * HOUR;
}

const KEY = "project_id, name, op, environment, release";

// Adds a stored sketch and another (with negative counts to take out) key by key, dropping empty buckets.
const ADD_SKETCH = `(SELECT json_group_object(k, n) FROM (SELECT k, sum(n) AS n FROM (
    SELECT key AS k, value AS n FROM json_each(transaction_recent_rollups.sketch) UNION ALL SELECT key, value FROM json_each(excluded.sketch))
  GROUP BY k) WHERE n <> 0)`;

/**
 * Each key's hourly rows in [?2, ?3), added up with their sketches merged, times ?1 (1 to add,
 * -1 to take out), each project's hours through the primary key's (project_id, hour) range.
 */
const HOURS = `hours AS (SELECT h.* FROM projects p CROSS JOIN transaction_rollups h WHERE h.project_id = p.id AND h.hour >= ?2 AND h.hour < ?3),
  totals AS (SELECT ${KEY}, sum(count) AS n, sum(failures) AS failures, sum(satisfied) AS satisfied, sum(tolerated) AS tolerated,
      sum(duration_sum) AS duration_sum FROM hours GROUP BY 1, 2, 3, 4, 5),
  sketches AS (SELECT ${KEY}, json_group_object(bucket, ?1 * n) AS sketch FROM (
      SELECT h.project_id, h.name, h.op, h.environment, h.release, j.key AS bucket, sum(j.value) AS n
      FROM hours h CROSS JOIN json_each(h.sketch) j GROUP BY 1, 2, 3, 4, 5, 6) GROUP BY 1, 2, 3, 4, 5)`;

const UPSERT = `INSERT INTO transaction_recent_rollups (${KEY}, count, failures, satisfied, tolerated, duration_sum, sketch)
  SELECT ${KEY}, ?1 * n, ?1 * failures, ?1 * satisfied, ?1 * tolerated, ?1 * duration_sum, sketch
  FROM totals JOIN sketches USING (${KEY}) WHERE true
  ON CONFLICT (${KEY}) DO UPDATE SET
    count = count + excluded.count,
    failures = failures + excluded.failures,
    satisfied = satisfied + excluded.satisfied,
    tolerated = tolerated + excluded.tolerated,
    duration_sum = duration_sum + excluded.duration_sum,
    sketch = ${ADD_SKETCH}`;

/** The first run: every hour from the start on (?2 the start, ?3 past any hour), only if no start is set yet. */
const BUILD = `WITH ${HOURS} ${UPSERT.replace("WHERE true", "WHERE NOT EXISTS (SELECT 1 FROM transaction_recent_since)")}`;
const SET_START = "INSERT INTO transaction_recent_since (id, hour) VALUES (1, ?1) ON CONFLICT (id) DO NOTHING";

/** Later runs: the hours from the start set to the new start (?3) leave. */
const TAKE_OUT = `WITH ${HOURS.replace("h.hour >= ?2", "h.hour >= (SELECT hour FROM transaction_recent_since WHERE id = 1)")} ${UPSERT}`;
const DROP_EMPTY = "DELETE FROM transaction_recent_rollups WHERE count <= 0";
const MOVE_START = "UPDATE transaction_recent_since SET hour = ?1 WHERE id = 1 AND hour < ?1";

export interface RecentReport {
  /** The start before and after this run; equal when there was nothing to do. */
  from: number | null;
  to: number;
}

/** Moves the recent totals' start towards recentStartAt(now), or builds them the first time. */
export async function advanceRecentTransactions(db: D1Database, now: number): Promise<RecentReport> {
  const target = recentStartAt(now);
  const row = await db.prepare("SELECT hour FROM transaction_recent_since WHERE id = 1").first<{ hour: number }>();
  if (row === null) {
    await db.batch([db.prepare(BUILD).bind(1, target, Number.MAX_SAFE_INTEGER), db.prepare(SET_START).bind(target)]);
    return { from: null, to: target };
  }
  if (row.hour >= target) return { from: row.hour, to: row.hour };
  const to = Math.min(target, row.hour + MAX_HOURS_PER_RUN * HOUR);
  await db.batch([
    // ?2 is unused: TAKE_OUT reads the start in SQL.
    db.prepare(TAKE_OUT).bind(-1, null, to),
    db.prepare(DROP_EMPTY),
    db.prepare(MOVE_START).bind(to),
  ]);
  return { from: row.hour, to };
}

/** The statements, for tests that check each one is served by an index. */
export const RECENT_QUERIES = { BUILD, TAKE_OUT };
