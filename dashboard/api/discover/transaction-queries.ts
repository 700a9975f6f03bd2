/**
 * The performance rollups the Discover routes add up, read by primary key: per project, a range
 * of hours (transaction_rollups and transaction_vital_rollups both start with project_id, hour),
 * or, for named transactions, transaction_rollups_by_name (project_id, name, hour). Never a row
 * per transaction.
 */
import { sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { projects } from "../../../db/schema";
import type { RollupRow, VitalRow } from "./transaction-fields";

function ids(values: readonly unknown[]): string {
  return JSON.stringify(values);
}

/** Rows of the projects' hours in [start, end), of `names` only when given; sketches only when asked. */
export async function transactionRollups(
  d1: D1Database,
  o: { projectIds: readonly number[]; start: number; end: number; names: readonly string[] | null; withSketch: boolean },
): Promise<RollupRow[]> {
  if (o.projectIds.length === 0) return [];
  const columns = `project_id AS projectId, hour, name, op, environment, release, count, failures, satisfied, tolerated,
    duration_sum AS durationSum, slowest_ms AS slowestMs, ${o.withSketch ? "sketch" : "NULL AS sketch"}`;
  const statement =
    o.names === null
      ? d1
          .prepare(
            `SELECT ${columns} FROM transaction_rollups
             WHERE project_id IN (SELECT value FROM json_each(?1)) AND hour >= ?2 AND hour < ?3`,
          )
          .bind(ids(o.projectIds), o.start, o.end)
      : d1
          .prepare(
            `SELECT ${columns} FROM transaction_rollups INDEXED BY transaction_rollups_by_name
             WHERE project_id IN (SELECT value FROM json_each(?1)) AND name IN (SELECT value FROM json_each(?4)) AND hour >= ?2 AND hour < ?3`,
          )
          .bind(ids(o.projectIds), o.start, o.end, ids(o.names));
  return (await statement.all<RollupRow>()).results;
}

/** Web Vital rows of the projects' hours in [start, end), of the vitals asked for. */
export async function vitalRollups(
  d1: D1Database,
  o: { projectIds: readonly number[]; start: number; end: number; vitals: readonly string[]; withSketch: boolean },
): Promise<VitalRow[]> {
  if (o.projectIds.length === 0 || o.vitals.length === 0) return [];
  const { results } = await d1
    .prepare(
      `SELECT project_id AS projectId, hour, name, op, environment, release, vital, count, value_sum AS valueSum,
         ${o.withSketch ? "sketch" : "NULL AS sketch"}
       FROM transaction_vital_rollups
       WHERE project_id IN (SELECT value FROM json_each(?1)) AND hour >= ?2 AND hour < ?3 AND vital IN (SELECT value FROM json_each(?4))`,
    )
    .bind(ids(o.projectIds), o.start, o.end, ids(o.vitals))
    .all<VitalRow>();
  return results;
}

/** The slug of each project. */
export async function projectSlugs(db: DrizzleD1Database, projectIds: readonly number[]): Promise<Map<number, string>> {
  if (projectIds.length === 0) return new Map();
  const rows = await db
    .select({ id: projects.id, slug: projects.slug })
    .from(projects)
    .where(sql`${projects.id} IN (SELECT value FROM json_each(${ids(projectIds)}))`);
  return new Map(rows.map((r) => [r.id, r.slug]));
}
