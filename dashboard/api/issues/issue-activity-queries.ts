import { and, desc, eq, gt, gte, lt, lte, or, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { issueActivity, users } from "../../../db/schema";
import type { Cursor } from "../cursor-pagination";

/**
 * An issue's activity and comments (issue_activity), in drizzle. Every query reads one issue's
 * rows through issue_activity_by_issue (issue_id, created_at DESC), or one row by its id;
 * test/dashboard-api/issues/issue-activity-queries.test.ts checks the plans.
 */

/** Sentry's activity types that Faultline records (https://docs.sentry.io/api/events/). */
export type ActivityType =
  | "first_seen"
  | "set_resolved"
  | "set_resolved_in_release"
  | "set_unresolved"
  | "set_ignored"
  | "set_regression"
  | "assigned"
  | "unassigned"
  | "note"
  | "merge";

export interface ActivityUser {
  id: number;
  email: string;
  name: string | null;
}

export interface ActivityRow {
  id: number;
  issueId: number;
  type: string;
  data: Record<string, unknown>;
  createdAt: number;
  user: ActivityUser | null;
}

export interface NewActivity {
  issueId: number;
  projectId: number;
  type: ActivityType;
  userId: number | null;
  data: Record<string, unknown>;
  createdAt: number;
}

const activityColumns = {
  id: issueActivity.id,
  issueId: issueActivity.issueId,
  type: issueActivity.type,
  data: issueActivity.data,
  createdAt: issueActivity.createdAt,
  user: { id: users.id, email: users.email, name: users.name },
};

/** Newest first, then by id: rows written in the same millisecond keep their order. */
const newestFirst = [desc(issueActivity.createdAt), desc(issueActivity.id)];

/** An issue's newest `limit` activities, comments included. */
export function issueActivityQuery(db: DrizzleD1Database, issueId: number, limit: number) {
  return db
    .select(activityColumns)
    .from(issueActivity)
    .leftJoin(users, eq(users.id, issueActivity.userId))
    .where(eq(issueActivity.issueId, issueId))
    .orderBy(...newestFirst)
    .limit(limit);
}

/**
 * One page of an issue's comments (limit + 1 rows), newest first; a cursor is the (created_at,
 * id) of the row the page starts after, or going back, before.
 */
export function issueNotesQuery(db: DrizzleD1Database, issueId: number, cursor: Cursor | null, limit: number) {
  // The first conjunct is an index range; the second breaks ties between equal times by id.
  const { createdAt, id } = issueActivity;
  const after =
    cursor === null
      ? undefined
      : cursor.previous
        ? and(gte(createdAt, cursor.value), or(gt(createdAt, cursor.value), gt(id, cursor.id)))
        : and(lte(createdAt, cursor.value), or(lt(createdAt, cursor.value), lt(id, cursor.id)));
  return db
    .select(activityColumns)
    .from(issueActivity)
    .leftJoin(users, eq(users.id, issueActivity.userId))
    .where(and(eq(issueActivity.issueId, issueId), eq(issueActivity.type, "note"), after))
    .orderBy(...(cursor?.previous ? [issueActivity.createdAt, issueActivity.id] : newestFirst))
    .limit(limit + 1);
}

/** One comment of an issue, by its id (the primary key), with its author's id. */
export async function findNote(
  db: DrizzleD1Database,
  issueId: number,
  noteId: number,
): Promise<{ id: number; userId: number | null } | null> {
  const [row] = await db
    .select({ id: issueActivity.id, userId: issueActivity.userId })
    .from(issueActivity)
    .where(and(eq(issueActivity.id, noteId), eq(issueActivity.issueId, issueId), eq(issueActivity.type, "note")))
    .limit(1);
  return row ?? null;
}

/** One activity by id with its user, as the routes answer it after writing. */
export async function findActivity(db: DrizzleD1Database, id: number): Promise<ActivityRow | null> {
  const [row] = await db
    .select(activityColumns)
    .from(issueActivity)
    .leftJoin(users, eq(users.id, issueActivity.userId))
    .where(eq(issueActivity.id, id))
    .limit(1);
  return row ?? null;
}

/** Whether a person posted the same comment on the issue since `since` (Sentry refuses it again within an hour). */
export async function postedAlready(db: DrizzleD1Database, issueId: number, userId: number, text: string, since: number): Promise<boolean> {
  const [row] = await postedAlreadyQuery(db, issueId, userId, text, since);
  return row !== undefined;
}

export function postedAlreadyQuery(db: DrizzleD1Database, issueId: number, userId: number, text: string, since: number) {
  return db
    .select({ id: issueActivity.id })
    .from(issueActivity)
    .where(
      and(
        eq(issueActivity.issueId, issueId),
        gte(issueActivity.createdAt, since),
        eq(issueActivity.type, "note"),
        eq(issueActivity.userId, userId),
        sql`${issueActivity.data} ->> '$.text' = ${text}`,
      ),
    )
    .limit(1);
}

/** Records activities; many rows travel as one JSON parameter (D1 binds at most 100 per statement). */
export function insertActivitiesQuery(db: DrizzleD1Database, rows: readonly NewActivity[]) {
  const json = JSON.stringify(rows.map((r) => [r.issueId, r.projectId, r.type, r.userId, JSON.stringify(r.data), r.createdAt]));
  // Every column in the table's order, the id NULL for SQLite to give one.
  return db
    .insert(issueActivity)
    .select(
      sql`SELECT NULL, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM json_each(${json}) ORDER BY key`,
    );
}

/** Records one activity and returns its id. */
export async function insertActivity(db: DrizzleD1Database, row: NewActivity): Promise<number> {
  const [inserted] = await db.insert(issueActivity).values(row).returning({ id: issueActivity.id });
  return inserted!.id;
}

export async function updateNoteText(db: DrizzleD1Database, noteId: number, text: string): Promise<void> {
  await db
    .update(issueActivity)
    .set({ data: sql`json_set(${issueActivity.data}, '$.text', ${text})` })
    .where(eq(issueActivity.id, noteId));
}

export async function deleteNote(db: DrizzleD1Database, noteId: number): Promise<void> {
  await db.delete(issueActivity).where(eq(issueActivity.id, noteId));
}

/** How many comments each issue of a page has (Sentry's numComments). */
export async function noteCounts(db: DrizzleD1Database, issueIds: readonly number[]): Promise<Map<number, number>> {
  if (issueIds.length === 0) return new Map();
  const rows = await noteCountsQuery(db, issueIds);
  return new Map(rows.map((r) => [r.issueId, r.count]));
}

export function noteCountsQuery(db: DrizzleD1Database, issueIds: readonly number[]) {
  return db
    .select({ issueId: issueActivity.issueId, count: sql<number>`count(*)`.mapWith(Number) })
    .from(issueActivity)
    .where(and(sql`${issueActivity.issueId} IN (SELECT value FROM json_each(${JSON.stringify(issueIds)}))`, eq(issueActivity.type, "note")))
    .groupBy(issueActivity.issueId);
}
