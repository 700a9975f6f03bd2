/**
 * `GET /organizations/{org}/trace/{trace_id}/`: every transaction and span of a trace across the
 * organization's projects, nested, with the error events that carry the trace id, in the shape of
 * Sentry's trace endpoint (a list of root nodes; see build-trace.ts). The window (`statsPeriod`,
 * or `start` and `end`; 30 days by default, or the day around `timestamp`) says which days to
 * look in: rows are keyed by day. Span trees are read from R2, one ranged read per batch object.
 */
import { Hono } from "hono";
import { DAY } from "../../../protocol/time";
import { type StoredSpanTree, decodeSpanTree } from "../../../protocol/span-tree";
import type { ApiEnv } from "../api-env";
import { badRequest, notFound } from "../api-error";
import { queryProjects, queryWindow } from "../discover/discover-window";
import { shortId } from "../issues/serialize-issue";
import { organizationWithProjects } from "../organizations/organization-queries";
import { database } from "../route-scope";
import { type TraceErrorNode, type TraceTreePart, buildTrace } from "./build-trace";
import { type TraceItemRow, traceRows } from "./trace-queries";

export const traceRoutes = new Hono<ApiEnv>({ strict: false });

/** Batch objects one request reads at most (each is one subrequest). */
const MAX_OBJECTS = 40;

traceRoutes.get("/organizations/:org/trace/:traceId", async (c) => {
  // The organization, its project ids and their slugs in one read.
  const scoped = (await organizationWithProjects(database(c), c.get("principal"), c.req.param("org") ?? "")) ?? notFound();
  const traceId = c.req.param("traceId").toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(traceId)) badRequest("trace_id: 32 hexadecimal digits");
  const slugs = scoped.projects;
  const projectIds = queryProjects(c, [...slugs.keys()]);
  const days = daysOf(c.req.query("timestamp"), () => queryWindow(c, { period: "30d", interval: "1d" }));

  const { items, errors } = await traceRows(c.env.DB, { projectIds, days, traceId });
  const slug = (projectId: number) => slugs.get(projectId) ?? String(projectId);
  const { parts, truncated } = await readTrees(c.env.RAW, items);
  const errorNodes: TraceErrorNode[] = errors.map((e) => ({
    event_type: "error",
    event_id: e.eventId,
    issue_id: e.issueId,
    issue: shortId(slug(e.projectId), e.issueId),
    title: e.title ?? "",
    level: e.level ?? "error",
    project_id: e.projectId,
    project_slug: slug(e.projectId),
    span_id: e.spanId,
    timestamp: e.timestamp,
  }));
  const trace = buildTrace(
    parts.map((p) => ({ ...p, projectSlug: slug(p.projectId) })),
    errorNodes,
  );
  const res = c.json(trace.roots);
  if (truncated || trace.truncated) res.headers.set("X-Faultline-Trace-Truncated", "1");
  return res;
});

/** The UTC days to look in: around `timestamp` (seconds or ISO) when given, else the window's. */
function daysOf(timestamp: string | undefined, window: () => { start: number; end: number }): number[] {
  if (timestamp !== undefined) {
    const ms = /^\d+(\.\d+)?$/.test(timestamp) ? Number(timestamp) * 1000 : Date.parse(timestamp);
    if (!Number.isFinite(ms)) badRequest("timestamp: seconds since the epoch or an ISO 8601 time");
    const day = ms - (ms % DAY);
    return [day - DAY, day, day + DAY];
  }
  const { start, end } = window();
  const days: number[] = [];
  for (let d = start - (start % DAY); d < end; d += DAY) days.push(d);
  return days;
}

/** Each row's span tree: one ranged read per batch object, covering its rows' parts. */
async function readTrees(
  bucket: R2Bucket,
  items: TraceItemRow[],
): Promise<{ parts: Omit<TraceTreePart, "projectSlug">[]; truncated: boolean }> {
  const byKey = new Map<string, TraceItemRow[]>();
  for (const item of items) byKey.set(item.bodyKey, [...(byKey.get(item.bodyKey) ?? []), item]);
  const keys = [...byKey.keys()].slice(0, MAX_OBJECTS);
  const read = await Promise.all(
    keys.map(async (key) => {
      const rows = byKey.get(key)!;
      const from = Math.min(...rows.map((r) => r.bodyOffset));
      const to = Math.max(...rows.map((r) => r.bodyOffset + r.bodyLength));
      const object = await bucket.get(key, { range: { offset: from, length: to - from } });
      if (object === null) return [];
      const bytes = new Uint8Array(await object.arrayBuffer());
      const trees = await Promise.all(
        rows.map((r) => decodeSpanTree(bytes.slice(r.bodyOffset - from, r.bodyOffset - from + r.bodyLength))),
      );
      return rows.flatMap((r, i) => (trees[i] ? [{ projectId: r.projectId, eventId: r.eventId, tree: trees[i] as StoredSpanTree }] : []));
    }),
  );
  return { parts: read.flat(), truncated: byKey.size > keys.length };
}
