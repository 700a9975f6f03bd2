/**
 * Release health as the digest counts it (queue-consumer/digest/items/session/): sessions per
 * (project, release, environment, hour) in session_rollups, and their distinct users in
 * session_users. Both are read through their primary keys' leading project_id (and release,
 * when only some releases are asked for), a range of hours, and added up here into the
 * buckets asked for. Never a row per session.
 */

export interface SessionWindow {
  projectIds: readonly number[];
  /** [start, end) in ms; start is where bucket 0 begins. */
  start: number;
  end: number;
  /** Bucket width (ms); the whole window is one bucket when it is at least as wide. */
  interval: number;
  /** Only these releases or environments; null for all. */
  releases: readonly string[] | null;
  environments: readonly string[] | null;
}

export interface SessionCountRow {
  projectId: number;
  release: string;
  environment: string;
  bucket: number;
  sessions: number;
  errored: number;
  abnormal: number;
  crashed: number;
}

export interface UserCountRow {
  projectId: number | null;
  release: string | null;
  environment: string | null;
  /** null when counted over the whole window. */
  bucket: number | null;
  users: number;
  crashedUsers: number;
}

export type SessionDimension = "project" | "release" | "environment";

const COLUMN: Record<SessionDimension, string> = { project: "project_id", release: "release", environment: "environment" };

// D1 binds numbers as reals: buckets are cast back to integers.
const FILTERS = `project_id IN (SELECT value FROM json_each(?1)) AND hour >= ?2 AND hour < ?3
  AND (?4 IS NULL OR release IN (SELECT value FROM json_each(?4))) AND (?5 IS NULL OR environment IN (SELECT value FROM json_each(?5)))`;

function filterValues(w: SessionWindow): unknown[] {
  return [
    JSON.stringify(w.projectIds),
    w.start,
    w.end,
    w.releases === null ? null : JSON.stringify(w.releases),
    w.environments === null ? null : JSON.stringify(w.environments),
    w.interval,
  ];
}

/** Sessions by project, release, environment and bucket. */
export async function sessionCounts(d1: D1Database, w: SessionWindow): Promise<SessionCountRow[]> {
  if (w.projectIds.length === 0) return [];
  const { results } = await d1
    .prepare(
      `SELECT project_id AS projectId, release, environment, CAST((hour - ?2) / ?6 AS INTEGER) AS bucket,
         sum(sessions) AS sessions, sum(errored) AS errored, sum(abnormal) AS abnormal, sum(crashed) AS crashed
       FROM session_rollups WHERE ${FILTERS} GROUP BY 1, 2, 3, 4`,
    )
    .bind(...filterValues(w))
    .all<SessionCountRow>();
  return results;
}

/**
 * Distinct users (and those with a crashed session) grouped by the dimensions asked for, per
 * bucket or (`perBucket` false) over the whole window: distinct users do not add up across hours.
 */
export async function userCounts(
  d1: D1Database,
  w: SessionWindow,
  by: readonly SessionDimension[],
  perBucket: boolean,
): Promise<UserCountRow[]> {
  if (w.projectIds.length === 0) return [];
  const column = (d: SessionDimension, alias: string) => (by.includes(d) ? `${COLUMN[d]} AS ${alias}` : `NULL AS ${alias}`);
  const groups = [...by.map((d) => COLUMN[d]), ...(perBucket ? ["bucket"] : [])];
  const { results } = await d1
    .prepare(
      `SELECT ${column("project", "projectId")}, ${column("release", "release")}, ${column("environment", "environment")},
         ${perBucket ? "CAST((hour - ?2) / ?6 AS INTEGER)" : "NULL"} AS bucket,
         count(DISTINCT user) AS users, count(DISTINCT CASE WHEN crashed = 1 THEN user END) AS crashedUsers
       FROM session_users WHERE ${FILTERS} AND ?6 > 0 ${groups.length === 0 ? "" : `GROUP BY ${groups.join(", ")}`}`,
    )
    .bind(...filterValues(w))
    .all<UserCountRow>();
  return results;
}

/** Which of these (project, release) pairs have any sessions at all: one primary-key seek each. */
export async function pairsWithSessions(
  d1: D1Database,
  pairs: ReadonlyArray<{ projectId: number; release: string }>,
): Promise<Set<string>> {
  if (pairs.length === 0) return new Set();
  const { results } = await d1
    .prepare(
      `SELECT p.value ->> 0 AS projectId, p.value ->> 1 AS release FROM json_each(?1) p
       WHERE EXISTS (SELECT 1 FROM session_rollups r WHERE r.project_id = p.value ->> 0 AND r.release = p.value ->> 1)`,
    )
    .bind(JSON.stringify(pairs.map((p) => [p.projectId, p.release])))
    .all<{ projectId: number; release: string }>();
  return new Set(results.map((r) => pairKey(r.projectId, r.release)));
}

export function pairKey(projectId: number, release: string): string {
  return `${projectId}\u0000${release}`;
}
