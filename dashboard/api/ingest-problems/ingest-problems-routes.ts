import { type SQL, and, asc, desc, eq, gt, gte, lt, lte, or, sql } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { deadLetters, ingestRefusals, rejectedEnvelopes } from "../../../db/schema";
import { DAY, HOUR } from "../../../protocol/time";
import type { ApiEnv } from "../api-env";
import { type Cursor, keysetPage, linkHeader, parseCursor } from "../cursor-pagination";
import { database, projectInScope } from "../route-scope";
import { iso } from "../projects/serialize-project";
import { validateInput } from "../validate-input";

/**
 * What ingest could not turn into events, so nothing is lost without a trace: requests ingest
 * refused for their content (counted by reason, ingest_refusals), envelopes the digest rejected
 * (with its named reason) and queue messages that kept failing until they reached a dead-letter
 * queue. The last two newest first, paginated by (received_at, id) through
 * rejected_envelopes_by_project and dead_letters_by_project.
 */
export const ingestProblemsRoutes = new Hono<ApiEnv>({ strict: false });

const listParams = z.object({ limit: z.coerce.number().int().min(1).max(100).default(50), cursor: z.string().optional() });

type Column = typeof rejectedEnvelopes.receivedAt | typeof deadLetters.receivedAt;
type IdColumn = typeof rejectedEnvelopes.id | typeof deadLetters.id;

function pageConditions(cursor: Cursor | null, at: Column, id: IdColumn): SQL[] {
  if (cursor === null) return [];
  const { value, id: after } = cursor;
  return [
    cursor.previous ? and(gte(at, value), or(gt(at, value), lt(id, after)))! : and(lte(at, value), or(lt(at, value), gt(id, after)))!,
  ];
}

/** Newest first, ties by id; reversed when the cursor pages back. */
function pageOrder(cursor: Cursor | null, at: Column, id: IdColumn): [SQL, SQL] {
  return cursor?.previous === true ? [asc(at), desc(id)] : [desc(at), asc(id)];
}

/** One page of rows with the Link header for the next and previous ones. */
function pageResponse<Row extends { id: number; receivedAt: number }>(
  c: Context<ApiEnv>,
  rows: Row[],
  limit: number,
  cursor: Cursor | null,
  serialize: (row: Row) => unknown,
) {
  const page = keysetPage(rows, limit, cursor, (r) => ({ value: r.receivedAt, id: r.id }));
  c.header("Link", linkHeader(c.req.url, page));
  return c.json(page.items.map(serialize));
}

function params(c: Context<ApiEnv>) {
  const p = validateInput(listParams, { limit: c.req.query("limit"), cursor: c.req.query("cursor") });
  return { limit: p.limit, cursor: parseCursor(p.cursor) };
}

ingestProblemsRoutes.get("/projects/:org/:project/rejected-envelopes", async (c) => {
  const project = await projectInScope(c);
  const { limit, cursor } = params(c);
  const rows = await database(c)
    .select({
      id: rejectedEnvelopes.id,
      messageId: rejectedEnvelopes.messageId,
      receivedAt: rejectedEnvelopes.receivedAt,
      reason: rejectedEnvelopes.reason,
      detail: rejectedEnvelopes.detail,
      size: sql<number | null>`length(${rejectedEnvelopes.body})`,
      bodyKey: rejectedEnvelopes.bodyKey,
    })
    .from(rejectedEnvelopes)
    .where(and(eq(rejectedEnvelopes.projectId, project.id), ...pageConditions(cursor, rejectedEnvelopes.receivedAt, rejectedEnvelopes.id)))
    .orderBy(...pageOrder(cursor, rejectedEnvelopes.receivedAt, rejectedEnvelopes.id))
    .limit(limit + 1);
  return pageResponse(c, rows, limit, cursor, (r) => ({
    id: String(r.id),
    messageId: r.messageId,
    dateReceived: iso(r.receivedAt),
    reason: r.reason,
    detail: r.detail,
    size: r.size,
    storedInBucket: r.bodyKey !== null,
  }));
});

ingestProblemsRoutes.get("/projects/:org/:project/dead-letters", async (c) => {
  const project = await projectInScope(c);
  const { limit, cursor } = params(c);
  const rows = await database(c)
    .select({
      id: deadLetters.id,
      queue: deadLetters.queue,
      messageId: deadLetters.messageId,
      receivedAt: deadLetters.receivedAt,
      attempts: deadLetters.attempts,
      size: sql<number | null>`length(${deadLetters.body})`,
    })
    .from(deadLetters)
    .where(and(eq(deadLetters.projectId, project.id), ...pageConditions(cursor, deadLetters.receivedAt, deadLetters.id)))
    .orderBy(...pageOrder(cursor, deadLetters.receivedAt, deadLetters.id))
    .limit(limit + 1);
  return pageResponse(c, rows, limit, cursor, (r) => ({
    id: String(r.id),
    queue: r.queue,
    messageId: r.messageId,
    dateReceived: iso(r.receivedAt),
    attempts: r.attempts,
    // A dead letter's reason is that every delivery failed; the error of each is in the Worker's logs.
    reason: "retries_exhausted",
    detail: `Processing failed ${r.attempts} time${r.attempts === 1 ? "" : "s"} on the "${r.queue}" queue.`,
    size: r.size,
  }));
});

const REFUSAL_PERIODS = { "24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY } as const;
const refusalParams = z.object({ statsPeriod: z.enum(["24h", "7d", "30d"]).default("7d") });

/**
 * Requests ingest refused for their content (400, 413) from the project's keys in the period, one
 * entry per outcome reason (protocol/outcome.ts) with the latest refusal's status, detail and
 * time; most recent first. Read through the primary key (project_id, hour, reason).
 */
ingestProblemsRoutes.get("/projects/:org/:project/ingest-refusals", async (c) => {
  const project = await projectInScope(c);
  const { statsPeriod } = validateInput(refusalParams, { statsPeriod: c.req.query("statsPeriod") || undefined });
  const now = Date.now();
  // Whole hours: the bucket the period starts in is counted.
  const since = now - REFUSAL_PERIODS[statsPeriod] - ((now - REFUSAL_PERIODS[statsPeriod]) % HOUR);
  const lastSeen = sql<number>`max(${ingestRefusals.lastSeen})`;
  // With max() the only min/max aggregate, SQLite takes status and detail from that row: the latest.
  const rows = await database(c)
    .select({
      reason: ingestRefusals.reason,
      count: sql<number>`sum(${ingestRefusals.count})`.mapWith(Number),
      lastSeen: lastSeen.mapWith(Number),
      status: ingestRefusals.status,
      detail: ingestRefusals.detail,
    })
    .from(ingestRefusals)
    .where(and(eq(ingestRefusals.projectId, project.id), gte(ingestRefusals.hour, since)))
    .groupBy(ingestRefusals.reason)
    .orderBy(desc(lastSeen), asc(ingestRefusals.reason));
  return c.json(rows.map((r) => ({ reason: r.reason, status: r.status, count: r.count, lastSeen: iso(r.lastSeen), detail: r.detail })));
});
