/**
 * The performance rollups the Discover routes add up, read by primary key: per project, a range
 * of hours (transaction_rollups and transaction_vital_rollups both start with project_id, hour),
 * or, for named transactions, transaction_rollups_by_name (project_id, name, hour). Never a row
 * per transaction.
 */
import { sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { projects } from "../../../db/schema";
import type { RollupRow, RollupTotals, VitalRow } from "./transaction-fields";

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

/**
 * Each key's (project, name, op, environment, release) rows of the projects' hours in [start, end)
 * added up in SQL, of `names` only when given: what a sort by a count, rate or sum needs, without
 * a sketch read or sent.
 */
export async function transactionTotals(
  d1: D1Database,
  o: { projectIds: readonly number[]; start: number; end: number; names: readonly string[] | null },
): Promise<RollupTotals[]> {
  if (o.projectIds.length === 0) return [];
  const columns = `project_id AS projectId, name, op, environment, release, sum(count) AS count, sum(failures) AS failures,
    sum(satisfied) AS satisfied, sum(tolerated) AS tolerated, sum(duration_sum) AS durationSum, max(slowest_ms) AS slowestMs`;
  const group = "GROUP BY project_id, name, op, environment, release";
  const statement =
    o.names === null
      ? d1
          .prepare(
            `SELECT ${columns} FROM transaction_rollups
             WHERE project_id IN (SELECT value FROM json_each(?1)) AND hour >= ?2 AND hour < ?3 ${group}`,
          )
          .bind(ids(o.projectIds), o.start, o.end)
      : d1
          .prepare(
            `SELECT ${columns} FROM transaction_rollups INDEXED BY transaction_rollups_by_name
             WHERE project_id IN (SELECT value FROM json_each(?1)) AND name IN (SELECT value FROM json_each(?4)) AND hour >= ?2 AND hour < ?3 ${group}`,
          )
          .bind(ids(o.projectIds), o.start, o.end, ids(o.names));
  return (await statement.all<RollupTotals>()).results;
}

/** Web Vital rows of the projects' hours in [start, end), of the vitals asked for, of `names` only when given. */
export async function vitalRollups(
  d1: D1Database,
  o: {
    projectIds: readonly number[];
    start: number;
    end: number;
    vitals: readonly string[];
    names?: readonly string[] | null;
    withSketch: boolean;
  },
): Promise<VitalRow[]> {
  if (o.projectIds.length === 0 || o.vitals.length === 0) return [];
  const names = o.names ?? null;
  const { results } = await d1
    .prepare(
      `SELECT project_id AS projectId, hour, name, op, environment, release, vital, count, value_sum AS valueSum,
         ${o.withSketch ? "sketch" : "NULL AS sketch"}
       FROM transaction_vital_rollups
       WHERE project_id IN (SELECT value FROM json_each(?1)) AND hour >= ?2 AND hour < ?3 AND vital IN (SELECT value FROM json_each(?4))
         ${names === null ? "" : "AND name IN (SELECT value FROM json_each(?5))"}`,
    )
    .bind(ids(o.projectIds), o.start, o.end, ids(o.vitals), ...(names === null ? [] : [ids(names)]))
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

export interface SampleRow {
  projectId: number;
  traceId: string;
  spanId: string;
  eventId: string | null;
  name: string;
  op: string;
  status: string;
  startedAt: number;
  durationMs: number;
}

/**
 * Sample transactions of the window: the slowest and the latest of each hour the rollups keep
 * (transaction_rollups' samples), read from trace_items by its primary key (a transaction's day
 * is its hour's). Of `names` only when given (transaction_rollups_by_name).
 */
export async function transactionSamples(
  d1: D1Database,
  o: { projectIds: readonly number[]; start: number; end: number; names: readonly string[] | null },
): Promise<Array<SampleRow & { environment: string; release: string }>> {
  if (o.projectIds.length === 0) return [];
  const from =
    o.names === null
      ? "transaction_rollups WHERE project_id IN (SELECT value FROM json_each(?1)) AND hour >= ?2 AND hour < ?3"
      : "transaction_rollups INDEXED BY transaction_rollups_by_name WHERE project_id IN (SELECT value FROM json_each(?1)) AND name IN (SELECT value FROM json_each(?4)) AND hour >= ?2 AND hour < ?3";
  const sql = `WITH r AS (
      SELECT project_id, hour, environment, release, slowest_trace_id AS trace_id, slowest_span_id AS span_id FROM ${from}
      UNION SELECT project_id, hour, environment, release, latest_trace_id, latest_span_id FROM ${from})
    SELECT t.project_id AS projectId, t.trace_id AS traceId, t.span_id AS spanId, t.event_id AS eventId, t.name, t.op, t.status,
      t.started_at AS startedAt, t.duration_ms AS durationMs, r.environment, r.release
    FROM r CROSS JOIN trace_items t
    WHERE t.project_id = r.project_id AND t.day = r.hour - r.hour % ${86_400_000} AND t.trace_id = r.trace_id AND t.span_id = r.span_id
    LIMIT 2000`;
  const statement = d1.prepare(sql);
  const bound =
    o.names === null ? statement.bind(ids(o.projectIds), o.start, o.end) : statement.bind(ids(o.projectIds), o.start, o.end, ids(o.names));
  return (await bound.all<SampleRow & { environment: string; release: string }>()).results;
}
