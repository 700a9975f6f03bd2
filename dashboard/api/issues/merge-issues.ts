import { bindNumbered } from "../../../db/bind-numbered";

/**
 * Merging issues, as Sentry's bulk `{"merge": 1}` does
 * (https://docs.sentry.io/api/events/bulk-mutate-a-list-of-issues/, src/sentry/issues/merge.py):
 * the issue seen most often (the newest of equals) is the parent and takes everything of the
 * children: their events, counts, first and last sight, hourly buckets, tag values, users,
 * comments and activity, their assignee if it has none, and their fingerprints, so that a new
 * event of a child's fingerprint lands in the parent (issue_merges, which the digest reads
 * first). The children are then deleted: their ids answer 404. The parent keeps its status.
 * It is one D1 batch, one transaction: all of it lands or none.
 */
export interface MergePlan {
  parent: number;
  children: number[];
}

/** Sentry's choice of parent: the most events, then the highest id. */
export function mergePlan(issues: ReadonlyArray<{ id: number; timesSeen: number }>): MergePlan {
  const ordered = [...issues].sort((a, b) => b.timesSeen - a.timesSeen || b.id - a.id);
  return { parent: ordered[0]!.id, children: ordered.slice(1).map((i) => i.id) };
}

// Every statement binds ?1 the parent, ?2 the children's ids as JSON, ?3 the project, ?4 now,
// ?5 who merged (null for no one), ?6 the merge's tag for the users it moves. Each finds the
// children's rows through an index that starts with issue_id (or the primary key of issues).
const CHILDREN = "(SELECT value FROM json_each(?2))";

const STATEMENTS = [
  // The parent's counters, from the children's rows before they go. An issue ignored until N
  // more events counts from its own total: the children's events are not new ones.
  `UPDATE issues SET
    times_seen = issues.times_seen + c.times_seen,
    first_seen = min(issues.first_seen, c.first_seen),
    last_seen = max(issues.last_seen, c.last_seen),
    first_release = CASE WHEN c.first_seen < issues.first_seen THEN coalesce(c.first_release, issues.first_release) ELSE coalesce(issues.first_release, c.first_release) END,
    last_release = CASE WHEN c.last_seen > issues.last_seen THEN coalesce(c.last_release, issues.last_release) ELSE coalesce(issues.last_release, c.last_release) END,
    last_event_id = CASE WHEN c.last_seen > issues.last_seen OR issues.last_event_id IS NULL THEN c.last_event_id ELSE issues.last_event_id END,
    ignored_count_base = CASE WHEN issues.ignored_count_base IS NULL THEN NULL ELSE issues.ignored_count_base + c.times_seen END,
    assigned_user_id = coalesce(issues.assigned_user_id, c.assigned_user_id)
  FROM (
    SELECT sum(times_seen) AS times_seen, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
      (SELECT x.first_release FROM issues x WHERE x.id IN ${CHILDREN} ORDER BY x.first_seen, x.id LIMIT 1) AS first_release,
      (SELECT x.last_release FROM issues x WHERE x.id IN ${CHILDREN} ORDER BY x.last_seen DESC, x.id DESC LIMIT 1) AS last_release,
      (SELECT x.last_event_id FROM issues x WHERE x.id IN ${CHILDREN} ORDER BY x.last_seen DESC, x.id DESC LIMIT 1) AS last_event_id,
      (SELECT x.assigned_user_id FROM issues x WHERE x.id IN ${CHILDREN} AND x.assigned_user_id IS NOT NULL ORDER BY x.times_seen DESC, x.id DESC LIMIT 1) AS assigned_user_id
    FROM issues WHERE id IN ${CHILDREN}
  ) AS c
  WHERE issues.id = ?1 AND +issues.project_id = ?3 AND c.times_seen IS NOT NULL`,
  `UPDATE events SET issue_id = ?1 WHERE issue_id IN ${CHILDREN}`,
  `INSERT INTO issue_hourly (issue_id, hour, count)
    SELECT ?1, hour, sum(count) FROM issue_hourly WHERE issue_id IN ${CHILDREN} GROUP BY hour
    ON CONFLICT (issue_id, hour) DO UPDATE SET count = count + excluded.count`,
  `DELETE FROM issue_hourly WHERE issue_id IN ${CHILDREN}`,
  `INSERT INTO issue_tags (issue_id, key, value, count, first_seen, last_seen, project_id)
    SELECT ?1, key, value, sum(count), min(first_seen), max(last_seen), ?3 FROM issue_tags WHERE issue_id IN ${CHILDREN} GROUP BY key, value
    ON CONFLICT (issue_id, key, value) DO UPDATE SET count = count + excluded.count, first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`,
  `DELETE FROM issue_tags WHERE issue_id IN ${CHILDREN}`,
  `INSERT INTO issue_users (issue_id, user_key, first_seen, ingest_batch)
    SELECT ?1, user_key, min(first_seen), ?6 FROM issue_users WHERE issue_id IN ${CHILDREN} GROUP BY user_key
    ON CONFLICT (issue_id, user_key) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen)`,
  `DELETE FROM issue_users WHERE issue_id IN ${CHILDREN}`,
  // A user seen in two of the issues is one user of the parent.
  `UPDATE issues SET user_count = (SELECT count(*) FROM issue_users WHERE issue_id = ?1) WHERE id = ?1`,
  `UPDATE issue_activity SET issue_id = ?1, project_id = ?3 WHERE issue_id IN ${CHILDREN}`,
  `INSERT INTO issue_activity (issue_id, project_id, type, user_id, data, created_at)
    SELECT ?1, ?3, 'merge', ?5, json_object('issues', (SELECT json_group_array(json_object('id', value)) FROM json_each(?2))), ?4`,
  // The children's fingerprints, and those merged into them before, now name the parent.
  `UPDATE issue_merges SET issue_id = ?1 WHERE issue_id IN ${CHILDREN}`,
  `INSERT INTO issue_merges (project_id, fingerprint, issue_id, merged_at)
    SELECT project_id, fingerprint, ?1, ?4 FROM issues WHERE id IN ${CHILDREN} AND true
    ON CONFLICT (project_id, fingerprint) DO UPDATE SET issue_id = excluded.issue_id, merged_at = excluded.merged_at`,
  `DELETE FROM issues WHERE id IN ${CHILDREN} AND +project_id = ?3`,
];

export function mergeStatements(
  d1: D1Database,
  plan: MergePlan,
  by: { projectId: number; userId: number | null; now: number; tag: string },
): D1PreparedStatement[] {
  const values = [plan.parent, JSON.stringify(plan.children), by.projectId, by.now, by.userId, by.tag];
  return STATEMENTS.map((sql) => bindNumbered(d1, sql, values));
}

/** How many events the children hold, counted up to `limit` + 1 (events_by_issue). */
export async function childEventCount(d1: D1Database, children: readonly number[], limit: number): Promise<number> {
  const row = await d1
    .prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM events WHERE issue_id IN (SELECT value FROM json_each(?1)) LIMIT ?2)`)
    .bind(JSON.stringify(children), limit + 1)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export const MERGE_STATEMENTS = STATEMENTS;
