import { type Context, Hono } from "hono";
import { normalizeDebugId } from "../../../protocol/debug-id";
import { readEventData } from "../../../protocol/event-data";
import type { ApiEnv } from "../api-env";
import { issueInScope } from "../route-scope";

/**
 * An issue's reprocessing, as Sentry's `POST /issues/{id}/reprocessing/` asks for it: here its
 * latest events go again through the project's source maps as they are now (the minute job,
 * queue-consumer/jobs/reprocess-issues.ts), for maps uploaded after the events came. The events
 * stay in the issue: they are not grouped again. `GET` says where a request is, and whether
 * maps that the latest event lacked were uploaded after it, so the issue page can offer it.
 */
export const issueReprocessingRoutes = new Hono<ApiEnv>({ strict: false });

const ISSUE_PATHS = ["/issues/:issueId", "/organizations/:org/issues/:issueId"] as const;

/** What a request maps again (queue-consumer/jobs/reprocess-issues.ts, REPROCESS_EVENTS_PER_ISSUE). */
const EVENTS_PER_REQUEST = 100;

for (const path of ISSUE_PATHS) {
  issueReprocessingRoutes.get(`${path}/reprocessing`, (c) => reprocessingState(c));
  issueReprocessingRoutes.post(`${path}/reprocessing`, async (c) => {
    const issue = await issueInScope(c);
    // A request while one is pending stays one request, for the newest maps.
    await c.env.DB.prepare(
      `INSERT INTO issue_reprocessing (issue_id, requested_at) VALUES (?1, ?2)
       ON CONFLICT (issue_id) DO UPDATE SET requested_at = ?2, finished_at = NULL, events = 0, improved = 0`,
    )
      .bind(issue.id, Date.now())
      .run();
    return reprocessingState(c, 202);
  });
}

interface RequestRow {
  requested_at: number;
  finished_at: number | null;
  events: number;
  improved: number;
}

async function reprocessingState(c: Context<ApiEnv>, status: 200 | 202 = 200): Promise<Response> {
  const issue = await issueInScope(c);
  const row = await c.env.DB.prepare("SELECT requested_at, finished_at, events, improved FROM issue_reprocessing WHERE issue_id = ?1")
    .bind(issue.id)
    .first<RequestRow>();
  return c.json(
    {
      status: row === null ? "none" : row.finished_at === null ? "pending" : "done",
      requestedAt: row === null ? null : new Date(row.requested_at).toISOString(),
      finishedAt: row?.finished_at == null ? null : new Date(row.finished_at).toISOString(),
      events: row?.events ?? 0,
      improved: row?.improved ?? 0,
      eventsPerRequest: EVENTS_PER_REQUEST,
      mapsUploadedAfter: await mapsUploadedAfter(c.env.DB, issue.projectId, issue.id),
    },
    status,
  );
}

/**
 * When the issue's latest event lacked maps, the upload time of the newest bundle of the project
 * added after the event that has them: one with a debug id the event named (in `js_no_source`
 * errors, or its `debug_meta` when no frame was mapped: a project without any bundle then looks
 * nothing up), or of the release it was not found in. Null when there is none. Through the link's
 * primary key, then the bundles' and artifact_bundle_files_by_url's.
 */
async function mapsUploadedAfter(d1: D1Database, projectId: number, issueId: number): Promise<string | null> {
  const latest = await d1
    .prepare("SELECT received_at, data FROM events WHERE issue_id = ?1 ORDER BY timestamp DESC LIMIT 1")
    .bind(issueId)
    .first<{ received_at: number; data: ArrayBuffer }>();
  if (latest === null) return null;
  const { data } = await readEventData(latest.data);
  if (data.platform !== "javascript" && data.platform !== "node") return null;
  const { debugIds, releases } = lackedMaps(data);
  if (debugIds.length === 0 && releases.length === 0) return null;
  const row = await d1
    .prepare(
      `SELECT max(b.date_added) AS added FROM artifact_bundle_projects l CROSS JOIN artifact_bundles b
       WHERE l.project_id = ?1 AND b.id = l.artifact_bundle_id AND b.date_added > ?2
         AND (b.release IN (SELECT value FROM json_each(?3))
           OR EXISTS (SELECT 1 FROM artifact_bundle_files f WHERE f.artifact_bundle_id = b.id AND f.debug_id IN (SELECT value FROM json_each(?4))))`,
    )
    .bind(projectId, latest.received_at, JSON.stringify(releases), JSON.stringify(debugIds))
    .first<{ added: number | null }>();
  return row?.added == null ? null : new Date(row.added).toISOString();
}

type Json = Record<string, unknown>;
const records = (value: unknown): Json[] =>
  Array.isArray(value) ? value.filter((v): v is Json => typeof v === "object" && v !== null) : [];

/** The debug ids and releases a stored event's frames found no map for. */
export function lackedMaps(data: Json): { debugIds: string[]; releases: string[] } {
  const missing = records(data.errors).filter((e) => e.type === "js_no_source");
  const debugIds = new Set(missing.flatMap((e) => (typeof e.debug_id === "string" ? [e.debug_id] : [])));
  const releases = new Set(missing.flatMap((e) => (typeof e.release === "string" ? [e.release] : [])));
  const exceptions = records((data.exception as Json | undefined)?.values);
  const mappedAny = exceptions.some((e) => e.raw_stacktrace !== undefined);
  if (!mappedAny && exceptions.length > 0) {
    for (const image of records((data.debug_meta as Json | undefined)?.images))
      if (image.type === "sourcemap" && normalizeDebugId(image.debug_id) !== null) debugIds.add(normalizeDebugId(image.debug_id)!);
    if (typeof data.release === "string") releases.add(data.release);
  }
  return { debugIds: [...debugIds], releases: [...releases] };
}
