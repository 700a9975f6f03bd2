import { and, asc, desc, eq, gt, gte, lt, lte, or, type SQL, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { events } from "../../../db/schema";
import type { Cursor } from "../cursor-pagination";
import type { StoredBlob } from "../../../protocol/event-data";

/**
 * Events of an issue, newest first, all through events_by_issue (issue_id, timestamp DESC):
 * ties in timestamp go by id ascending, the order that index's rows (which end in the rowid)
 * are in, so no query sorts. Single events by (project_id, event_id), the unique index.
 */
export interface EventRow {
  id: number;
  projectId: number;
  eventId: string;
  issueId: number;
  timestamp: number;
  receivedAt: number;
  release: string | null;
  environment: string | null;
  tags: Array<[string, string]>;
  data: StoredBlob;
}

const eventColumns = {
  id: events.id,
  projectId: events.projectId,
  eventId: events.eventId,
  issueId: events.issueId,
  timestamp: events.timestamp,
  receivedAt: events.receivedAt,
  release: events.release,
  environment: events.environment,
  tags: events.tags,
  // Read raw: drizzle's blob column would wrap it in a node Buffer, which Pages Functions only
  // have with the nodejs_compat flag.
  data: sql<StoredBlob>`${events.data}`,
};

/** One page (limit + 1 rows) of an issue's events, in the query's order (reversed when going back). */
export function issueEventsQuery(db: DrizzleD1Database, issueId: number, cursor: Cursor | null, limit: number) {
  const back = cursor?.previous === true;
  const conditions: SQL[] = [eq(events.issueId, issueId)];
  if (cursor !== null) {
    const { value, id } = cursor;
    conditions.push(
      back
        ? and(gte(events.timestamp, value), or(gt(events.timestamp, value), lt(events.id, id)))!
        : and(lte(events.timestamp, value), or(lt(events.timestamp, value), gt(events.id, id)))!,
    );
  }
  return db
    .select(eventColumns)
    .from(events)
    .where(and(...conditions))
    .orderBy(back ? asc(events.timestamp) : desc(events.timestamp), back ? desc(events.id) : asc(events.id))
    .limit(limit + 1);
}

export async function listIssueEvents(db: DrizzleD1Database, issueId: number, cursor: Cursor | null, limit: number): Promise<EventRow[]> {
  return (await issueEventsQuery(db, issueId, cursor, limit)) as EventRow[];
}

/**
 * A project's newest events, newest first, without an index of events by project: the newest
 * `limit` events are among the events of the `limit` most recently seen issues (each of those
 * has an event at its last_seen, no older than any event of an issue seen earlier), so each of
 * those issues' newest `limit` events (events_by_issue) are merged. `issueIds` are those issues.
 */
export async function listNewestEvents(db: DrizzleD1Database, issueIds: readonly number[], limit: number): Promise<EventRow[]> {
  if (issueIds.length === 0) return [];
  const [first, ...rest] = issueIds.map((id) => issueEventsQuery(db, id, null, limit - 1));
  const pages = await db.batch([first!, ...rest]);
  return (pages.flat() as EventRow[]).sort((a, b) => b.timestamp - a.timestamp || a.id - b.id).slice(0, limit);
}

/** The newest or the oldest event of an issue. */
export async function edgeEvent(db: DrizzleD1Database, issueId: number, edge: "latest" | "oldest"): Promise<EventRow | null> {
  const [row] = await edgeEventQuery(db, issueId, edge);
  return (row as EventRow | undefined) ?? null;
}

export function edgeEventQuery(db: DrizzleD1Database, issueId: number, edge: "latest" | "oldest") {
  return db
    .select(eventColumns)
    .from(events)
    .where(eq(events.issueId, issueId))
    .orderBy(edge === "latest" ? desc(events.timestamp) : asc(events.timestamp), edge === "latest" ? asc(events.id) : desc(events.id))
    .limit(1);
}

/** An event by its Sentry event id within a project. */
export async function findEvent(db: DrizzleD1Database, projectId: number, eventId: string): Promise<EventRow | null> {
  const [row] = await findEventQuery(db, projectId, eventId);
  return (row as EventRow | undefined) ?? null;
}

export function findEventQuery(db: DrizzleD1Database, projectId: number, eventId: string) {
  return db
    .select(eventColumns)
    .from(events)
    .where(and(eq(events.projectId, projectId), eq(events.eventId, eventId)))
    .limit(1);
}

/**
 * The events just older (previous) and just newer (next) than one event within its issue, in
 * the same order the issue's event list uses.
 */
export function neighborEventQuery(
  db: DrizzleD1Database,
  event: Pick<EventRow, "issueId" | "timestamp" | "id">,
  direction: "previous" | "next",
) {
  const { issueId, timestamp, id } = event;
  const older = direction === "previous";
  return db
    .select({ eventId: events.eventId })
    .from(events)
    .where(
      and(
        eq(events.issueId, issueId),
        older
          ? and(lte(events.timestamp, timestamp), or(lt(events.timestamp, timestamp), gt(events.id, id)))
          : and(gte(events.timestamp, timestamp), or(gt(events.timestamp, timestamp), lt(events.id, id))),
      ),
    )
    .orderBy(older ? desc(events.timestamp) : asc(events.timestamp), older ? asc(events.id) : desc(events.id))
    .limit(1);
}

export async function neighborEventIds(
  db: DrizzleD1Database,
  event: Pick<EventRow, "issueId" | "timestamp" | "id">,
): Promise<{ previous: string | null; next: string | null }> {
  const [previous, next] = await Promise.all([neighborEventQuery(db, event, "previous"), neighborEventQuery(db, event, "next")]);
  return { previous: previous[0]?.eventId ?? null, next: next[0]?.eventId ?? null };
}
