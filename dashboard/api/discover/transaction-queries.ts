/**
 * The performance rollups the Discover routes add up, read by primary key: per project, a range
 * of hours (transaction_rollups and transaction_vital_rollups both start with project_id, hour),
 * or, for named transactions, transaction_rollups_by_name (project_id, name, hour); or each key's
 * totals of the recent hours (transaction_recent_rollups) with the hourly rows at the window's
 * edges added or taken out. Never a row per transaction.
 */
import type { GroupColumn, RollupRow, RollupTotals, VitalRow } from "./transaction-fields";

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

/** The first hour transaction_recent_rollups holds, or null before the minute job first set it. */
export async function recentSince(d1: D1Database): Promise<number | null> {
  const row = await d1.prepare("SELECT hour FROM transaction_recent_since WHERE id = 1").first<{ hour: number }>();
  return row?.hour ?? null;
}

/**
 * The rows that add up to the window [start, end) from transaction_recent_rollups, which holds
 * every hour from its start S on: each key's recent row, plus the hourly rows of [start, S) when
 * the window begins before S, minus those of [S, start) when it begins after, minus those from
 * max(S, end) on (hours after the window: transactions the SDK dated ahead). S is read in the
 * same statement, so the rows always match one state of the table, whenever the minute job moves
 * it; without S (before the minute job first builds the totals) they are the window's hourly
 * rows, so a start read beside the statement may be set before it is. Hourly rows through their
 * primary key's (project_id, hour) range, or with `names` through transaction_rollups_by_name;
 * recent rows through their primary key (project_id, name, ...).
 */
function recentParts(o: { names: readonly string[] | null; columns: string; recentColumns: string }): string {
  const byName = o.names === null ? "" : "AND name IN (SELECT value FROM json_each(?4))";
  const hourly = o.names === null ? "transaction_rollups h" : "transaction_rollups h INDEXED BY transaction_rollups_by_name";
  const from = (range: string) =>
    `FROM (SELECT 1) LEFT JOIN s CROSS JOIN ${hourly} WHERE h.project_id IN (SELECT value FROM json_each(?1)) ${byName} AND ${range}`;
  return `SELECT 1 AS sign, ${o.recentColumns} FROM transaction_recent_rollups
      WHERE project_id IN (SELECT value FROM json_each(?1)) ${byName} AND EXISTS (SELECT 1 FROM s)
    UNION ALL SELECT 1, ${o.columns} ${from("h.hour >= ?2 AND h.hour < coalesce(min(s.since, ?3), ?3)")}
    UNION ALL SELECT -1, ${o.columns} ${from("h.hour >= s.since AND h.hour < ?2")}
    UNION ALL SELECT -1, ${o.columns} ${from("h.hour >= max(s.since, ?3)")}`;
}

const SINCE = "WITH s AS (SELECT hour AS since FROM transaction_recent_since WHERE id = 1)";

const ROW_COLUMNS = ["project_id", "name", "op", "environment", "release", "count", "failures", "satisfied", "tolerated", "duration_sum"];

/**
 * transactionRollups' rows for the same window read from the recent totals (recentParts), each
 * with its sign; no hour, and no slowest transaction (0).
 */
export async function recentTransactionRollups(
  d1: D1Database,
  o: { projectIds: readonly number[]; start: number; end: number; names: readonly string[] | null; withSketch: boolean },
): Promise<RollupRow[]> {
  if (o.projectIds.length === 0) return [];
  const sketch = o.withSketch ? "sketch" : "NULL AS sketch";
  const parts = recentParts({
    names: o.names,
    recentColumns: `${ROW_COLUMNS.join(", ")}, ${sketch}`,
    columns: `${ROW_COLUMNS.map((c) => `h.${c}`).join(", ")}, ${o.withSketch ? "h.sketch" : "NULL"}`,
  });
  const statement = d1
    .prepare(
      `${SINCE} SELECT sign, project_id AS projectId, 0 AS hour, name, op, environment, release, count, failures, satisfied,
         tolerated, duration_sum AS durationSum, 0 AS slowestMs, sketch FROM (${parts}) AS parts`,
    )
    .bind(...recentBindings(o));
  return (await statement.all<RollupRow>()).results;
}

/** transactionTotals from the recent totals (recentParts): each key's signed rows added up in SQL. */
export async function recentTransactionTotals(
  d1: D1Database,
  o: { projectIds: readonly number[]; start: number; end: number; names: readonly string[] | null },
): Promise<RollupTotals[]> {
  if (o.projectIds.length === 0) return [];
  const parts = recentParts({
    names: o.names,
    recentColumns: ROW_COLUMNS.join(", "),
    columns: ROW_COLUMNS.map((c) => `h.${c}`).join(", "),
  });
  const { results } = await d1
    .prepare(
      `${SINCE} SELECT project_id AS projectId, name, op, environment, release, sum(sign * count) AS count, sum(sign * failures) AS failures,
         sum(sign * satisfied) AS satisfied, sum(sign * tolerated) AS tolerated, sum(sign * duration_sum) AS durationSum, 0 AS slowestMs
       FROM (${parts}) AS parts GROUP BY project_id, name, op, environment, release HAVING sum(sign * count) > 0`,
    )
    .bind(...recentBindings(o))
    .all<RollupTotals>();
  return results;
}

/**
 * The window's rows matching `where` (its JSON parameter bound as ?5) added up per `groupBy`
 * columns, of groups with transactions: the key columns (null when not grouped by) and the sums,
 * with the slowest transaction (hourly rows only keep it) and each group's rows' sketches joined
 * (`parts`, `sketches`) when asked. From the recent totals (recentParts, whose start the caller's
 * SINCE reads) when `recent`, else from the hourly rows (their primary key's project_id, hour range).
 */
function groupedSql(o: { recent: boolean; groupBy: readonly GroupColumn[]; where: string; sketches: boolean; slowest: boolean }): string {
  const keys = ["project_id", "name", "op", "environment", "release"] as const;
  const sign = o.recent ? "sign * " : "";
  const columns = [
    ...keys.map((k) => (o.groupBy.includes(k) ? k : `NULL AS ${k}`)),
    ...["count", "failures", "satisfied", "tolerated", "duration_sum"].map((c) => `sum(${sign}${c}) AS ${c}`),
  ];
  if (o.slowest) columns.push(`${o.recent ? "0" : "max(slowest_ms)"} AS slowest_ms`);
  if (o.sketches) columns.push("count(*) AS parts", `'[' || group_concat(${o.recent ? "sign" : "1"} || ',' || sketch) || ']' AS sketches`);
  const sketch = o.sketches ? ", sketch" : "";
  const from = o.recent
    ? `(${recentParts({
        names: null,
        recentColumns: `${ROW_COLUMNS.join(", ")}${sketch}`,
        columns: `${ROW_COLUMNS.map((c) => `h.${c}`).join(", ")}${o.sketches ? ", h.sketch" : ""}`,
      })}) AS parts WHERE ${o.where}`
    : `transaction_rollups WHERE project_id IN (SELECT value FROM json_each(?1)) AND hour >= ?2 AND hour < ?3 AND ${o.where}`;
  const groupBy = o.groupBy.length === 0 ? "" : `GROUP BY ${[...new Set(o.groupBy)].join(", ")}`;
  return `SELECT ${columns.join(", ")} FROM ${from} ${groupBy} HAVING sum(${sign}count) > 0`;
}

/** A group's totals (no slowest transaction), with how many groups there are on every row. */
export type GroupTotalsRow = Omit<RollupTotals, "slowestMs"> & { total: number };

/**
 * One page of groups of the window's totals, grouped, sorted and paged in SQL so only the page's
 * rows come back: the rows matching `where` (its JSON parameter bound as ?5) added up per
 * `groupBy` columns, of groups with transactions, ordered by `order` (an expression over the
 * sums) in `direction`, ties by `tieBreak` (group columns, or the project's "slug") ascending
 * (BINARY: by code point), with the number of groups on each row. From the recent totals (recentParts) when `recent`, else from the hourly
 * rows (their primary key's project_id, hour range). Key columns not grouped by come back null.
 */
export async function groupTotalsPage(
  d1: D1Database,
  o: {
    projectIds: readonly number[];
    start: number;
    end: number;
    recent: boolean;
    groupBy: readonly GroupColumn[];
    where: { sql: string; value: string };
    order: string;
    direction: 1 | -1;
    tieBreak: readonly string[];
    offset: number;
    limit: number;
    /** Each group's rows' sketches joined, as groupRollups answers them. */
    withSketches?: boolean;
    /** The Web Vital rows of these vitals and the page's names (hourly), with their sketches when asked. */
    vitals?: { vitals: readonly string[]; withSketch: boolean };
  },
): Promise<{ page: Array<GroupTotalsRow & Partial<Pick<GroupRollupsRow, "parts" | "sketches">>>; vitalRows: VitalRow[] }> {
  if (o.projectIds.length === 0) return { page: [], vitalRows: [] };
  const groups = groupedSql({
    recent: o.recent,
    groupBy: o.groupBy,
    where: o.where.sql,
    sketches: o.withSketches === true,
    slowest: false,
  });
  const direction = o.direction < 0 ? "DESC" : "ASC";
  const order = [`${o.order} ${direction}`, ...o.tieBreak.map((c) => (c === "slug" ? "p.slug ASC" : `g.${c} ASC`))].join(", ");
  const groupColumns = `project_id AS projectId, name, op, environment, release, count, failures, satisfied, tolerated,
    duration_sum AS durationSum`;
  // The page once (a CTE read twice is computed once), and with it the vital rows of its names
  // (transaction_vital_rollups' primary key's project_id, hour range), told apart by `kind`.
  const vitals =
    o.vitals === undefined || o.vitals.vitals.length === 0
      ? ""
      : `UNION ALL SELECT 'vital', project_id, name, op, environment, release, count, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           hour, vital, value_sum, ${o.vitals.withSketch ? "sketch" : "NULL"}
         FROM transaction_vital_rollups WHERE project_id IN (SELECT value FROM json_each(?1)) AND hour >= ?2 AND hour < ?3
           AND vital IN (SELECT value FROM json_each(?8)) AND name IN (SELECT name FROM page)`;
  const { results } = await d1
    .prepare(
      `${o.recent ? `${SINCE}, ` : "WITH "} page AS (
         SELECT g.*, count(*) OVER () AS total, row_number() OVER (ORDER BY ${order}) AS position
         FROM (${groups}) AS g LEFT JOIN projects p ON p.id = g.project_id
         ORDER BY ${order} LIMIT ?6 OFFSET ?7)
       SELECT 'group' AS kind, ${groupColumns}, total, position, ${o.withSketches === true ? "parts, sketches" : "NULL, NULL"},
         NULL AS hour, NULL AS vital, NULL AS valueSum, NULL AS sketch FROM page
       ${vitals}`,
    )
    .bind(...[ids(o.projectIds), o.start, o.end, null, o.where.value, o.limit, o.offset], ...(vitals === "" ? [] : [ids(o.vitals!.vitals)]))
    .all<Record<string, unknown>>();
  const page = results.filter((r) => r.kind === "group").sort((a, b) => Number(a.position) - Number(b.position)) as unknown as Array<
    GroupTotalsRow & Partial<Pick<GroupRollupsRow, "parts" | "sketches">>
  >;
  const vitalRows = results.filter((r) => r.kind === "vital") as unknown as VitalRow[];
  return { page, vitalRows };
}

export type GroupRollupsRow = RollupTotals & { parts: number; sketches: string };

/**
 * Every group of the window (groupTotalsPage's groups, unsorted), each with its totals and its
 * rows' duration sketches joined into one JSON array of sign and sketch pairs
 * (`[1,{...},-1,{...}]`) with the number of rows (`parts`), so a group's rows come back as one
 * row and one text to parse (TransactionAggregate.addGroup checks it). The slowest transaction
 * only from hourly rows.
 */
export async function groupRollups(
  d1: D1Database,
  o: {
    projectIds: readonly number[];
    start: number;
    end: number;
    recent: boolean;
    groupBy: readonly GroupColumn[];
    where: { sql: string; value: string };
  },
): Promise<GroupRollupsRow[]> {
  if (o.projectIds.length === 0) return [];
  const groups = groupedSql({ recent: o.recent, groupBy: o.groupBy, where: o.where.sql, sketches: true, slowest: true });
  const { results } = await d1
    .prepare(
      `${o.recent ? SINCE : ""} SELECT project_id AS projectId, name, op, environment, release, count, failures, satisfied, tolerated,
         duration_sum AS durationSum, slowest_ms AS slowestMs, parts, sketches
       FROM (${groups}) WHERE ?5 IS NOT NULL`,
    )
    .bind(ids(o.projectIds), o.start, o.end, null, o.where.value)
    .all<GroupRollupsRow>();
  return results;
}

function recentBindings(o: { projectIds: readonly number[]; start: number; end: number; names: readonly string[] | null }): unknown[] {
  return o.names === null ? [ids(o.projectIds), o.start, o.end] : [ids(o.projectIds), o.start, o.end, ids(o.names)];
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
