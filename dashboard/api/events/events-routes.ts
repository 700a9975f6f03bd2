import type { DrizzleD1Database } from "drizzle-orm/d1";
import { type Context, Hono } from "hono";
import { z } from "zod";
import type { ApiEnv } from "../api-env";
import { badRequest, notFound } from "../api-error";
import { keysetPage, linkHeader, parseCursor } from "../cursor-pagination";
import { type EventRow, edgeEvent, findEvent, listIssueEvents, listNewestEvents, neighborEventIds } from "./event-queries";
import { findReleases, listIssues, releaseKey } from "../issues/issue-queries";
import { parseIssueSearch } from "../issues/parse-issue-search";
import type { ProjectRow } from "../projects/project-queries";
import { readEventData } from "../../../protocol/event-data";
import { database, issueInScope, projectInScope } from "../route-scope";
import { serializeEvent, serializeEventSummary } from "./serialize-event";
import { validateInput } from "../validate-input";

/** Events (https://docs.sentry.io/api/events/): an issue's events, and one event with its entries. */
export const eventsRoutes = new Hono<ApiEnv>({ strict: false });

const EVENT_ID = /^[0-9a-f]{32}$/;

const listParams = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(100),
  cursor: z.string().optional(),
  full: z.enum(["true", "false", "1", "0"]).optional(),
});

// https://docs.sentry.io/api/events/list-an-issues-events/
eventsRoutes.get("/issues/:issueId/events", (c) => issueEvents(c));
eventsRoutes.get("/organizations/:org/issues/:issueId/events", (c) => issueEvents(c));

async function issueEvents(c: Context<ApiEnv>): Promise<Response> {
  const issue = await issueInScope(c);
  const params = validateInput(listParams, { limit: c.req.query("limit"), cursor: c.req.query("cursor"), full: c.req.query("full") });
  const db = database(c);
  const cursor = parseCursor(params.cursor);
  const rows = await listIssueEvents(db, issue.id, cursor, params.limit);
  const page = keysetPage(rows, params.limit, cursor, (e) => ({ value: e.timestamp, id: e.id }));
  const full = params.full === "true" || params.full === "1";
  const releases = full ? await findReleases(db, releasesOf(page.items)) : new Map();
  const body = await Promise.all(
    page.items.map(async (row) => {
      const { data, size } = await readEventData(row.data);
      if (!full) return serializeEventSummary(row, data);
      const release = row.release === null ? null : (releases.get(releaseKey(row.projectId, row.release)) ?? null);
      return serializeEvent(row, data, { size, release, project: issue.project });
    }),
  );
  c.header("Link", linkHeader(c.req.url, page));
  return c.json(body);
}

// https://docs.sentry.io/api/events/retrieve-an-issue-event/ — `latest`, `oldest`, `recommended` or an event id.
eventsRoutes.get("/issues/:issueId/events/:eventRef", (c) => issueEvent(c));
eventsRoutes.get("/organizations/:org/issues/:issueId/events/:eventRef", (c) => issueEvent(c));

async function issueEvent(c: Context<ApiEnv>): Promise<Response> {
  const issue = await issueInScope(c);
  const db = database(c);
  const ref = (c.req.param("eventRef") ?? "").toLowerCase().replaceAll("-", "");
  let row: EventRow | null;
  // `recommended` is Sentry's pick of the event with the most to show; here, the latest.
  if (ref === "latest" || ref === "oldest" || ref === "recommended")
    row = await edgeEvent(db, issue.id, ref === "oldest" ? "oldest" : "latest");
  else if (EVENT_ID.test(ref)) row = await findEvent(db, issue.projectId, ref);
  else row = null;
  if (row === null || row.issueId !== issue.id) notFound();
  return c.json(await fullEvent(db, row, issue.project));
}

// https://docs.sentry.io/api/events/list-a-projects-error-events/ (sentry-cli's `events list`): the
// newest events, at most 100, in one page (`limit`; `full=true` for entries).
eventsRoutes.get("/projects/:org/:project/events", async (c) => {
  const project = await projectInScope(c);
  const params = validateInput(listParams, { limit: c.req.query("limit"), cursor: c.req.query("cursor"), full: c.req.query("full") });
  // Later pages would need events by project and time, an index every event would pay for.
  if (params.cursor !== undefined && params.cursor !== "") badRequest("cursor: a project's events come in one page of the newest");
  const db = database(c);
  // Every issue, whatever its status.
  const search = parseIssueSearch("");
  const issues = await listIssues(db, { projectIds: [project.id], search, sort: "date", cursor: null, limit: params.limit });
  const rows = await listNewestEvents(
    db,
    issues.slice(0, params.limit).map((i) => i.id),
    params.limit,
  );
  const full = params.full === "true" || params.full === "1";
  const releases = full ? await findReleases(db, releasesOf(rows)) : new Map();
  const body = await Promise.all(
    rows.map(async (row) => {
      const { data, size } = await readEventData(row.data);
      if (!full) return serializeEventSummary(row, data);
      const release = row.release === null ? null : (releases.get(releaseKey(row.projectId, row.release)) ?? null);
      return serializeEvent(row, data, { size, release, project });
    }),
  );
  return c.json(body);
});

// https://docs.sentry.io/api/events/retrieve-an-event-for-a-project/
eventsRoutes.get("/projects/:org/:project/events/:eventId", async (c) => {
  const project = await projectInScope(c);
  const eventId = (c.req.param("eventId") ?? "").toLowerCase().replaceAll("-", "");
  const db = database(c);
  const row = EVENT_ID.test(eventId) ? await findEvent(db, project.id, eventId) : null;
  if (row === null) notFound();
  return c.json(await fullEvent(db, row, project));
});

/** An event with its entries, its release, and its neighbours within the issue. */
async function fullEvent(db: DrizzleD1Database, row: EventRow, project: Pick<ProjectRow, "id" | "slug" | "name" | "platform">) {
  const [{ data, size }, neighbors, releases] = await Promise.all([
    readEventData(row.data),
    neighborEventIds(db, row),
    findReleases(db, releasesOf([row])),
  ]);
  const release = row.release === null ? null : (releases.get(releaseKey(row.projectId, row.release)) ?? null);
  return serializeEvent(row, data, { size, release, project, neighbors });
}

function releasesOf(rows: EventRow[]) {
  return rows.flatMap((r) => (r.release === null ? [] : [{ projectId: r.projectId, version: r.release }]));
}
