/**
 * User feedback in Sentry's API shapes: a project's feedback newest first
 * (`GET /projects/{org}/{project}/user-feedback/`, https://docs.sentry.io/api/projects/list-a-projects-user-feedback/),
 * submitting a report about an event (`POST` there, https://docs.sentry.io/api/projects/submit-user-feedback/),
 * an issue's (`GET /organizations/{org}/issues/{id}/user-reports/`), and the attachments of an
 * event, which is where a feedback's screenshots are
 * (`GET /projects/{org}/{project}/events/{event_id}/attachments/`, and each with `?download`).
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import type { ApiEnv } from "../api-env";
import { notFound } from "../api-error";
import { keysetPage, linkHeader, parseCursor } from "../cursor-pagination";
import { issueInScope, projectInScope } from "../route-scope";
import { readJsonBody, validateInput } from "../validate-input";
import { findFeedback, listIssueFeedback, listProjectFeedback, saveReport } from "./feedback-queries";
import { serializeFeedback } from "./serialize-feedback";

export const feedbackRoutes = new Hono<ApiEnv>({ strict: false });

const MAX_PAGE = 100;
/** Sentry's UserReport limits: name and email 128 characters; comments are cut at the digest's cap. */
const COMMENTS_MAX = 16_384;

const listParams = z.object({
  per_page: z.coerce.number().int().min(1).max(MAX_PAGE).default(MAX_PAGE),
  cursor: z.string().optional(),
});

feedbackRoutes.get("/projects/:org/:project/user-feedback", async (c) => {
  const project = await projectInScope(c);
  const params = validateInput(listParams, { per_page: c.req.query("per_page"), cursor: c.req.query("cursor") });
  const cursor = parseCursor(params.cursor);
  const rows = await listProjectFeedback(c.env.DB, project.id, cursor, params.per_page);
  const page = keysetPage(rows, params.per_page, cursor, (row) => ({ value: row.date_created, id: row.id }));
  c.header("Link", linkHeader(c.req.url, page));
  return c.json(page.items.map((row) => serializeFeedback(row, project.slug)));
});

const reportBody = z.object({
  event_id: z
    .string()
    .trim()
    .transform((id) => id.toLowerCase().replaceAll("-", ""))
    .pipe(z.string().regex(/^[0-9a-f]{32}$/, "expected a 32-character hex event id")),
  name: z.string().trim().min(1).max(128),
  email: z.string().trim().max(128).email(),
  comments: z.string().trim().min(1).max(COMMENTS_MAX),
});

feedbackRoutes.post("/projects/:org/:project/user-feedback", async (c) => {
  const project = await projectInScope(c);
  const input = validateInput(reportBody, await readJsonBody(c.req.raw));
  const saved = await saveReport(c.env.DB, { projectId: project.id, eventId: input.event_id, ...input, now: Date.now() });
  // Sentry's answer to a second report about an event, once the first is older than a few minutes.
  if (!saved) return c.json({ detail: "Feedback for this event cannot be modified." }, 409);
  const row = await findFeedback(c.env.DB, project.id, input.event_id);
  return c.json(serializeFeedback(row!, project.slug));
});

async function issueReports(c: Context<ApiEnv>): Promise<Response> {
  const issue = await issueInScope(c);
  const rows = await listIssueFeedback(c.env.DB, issue.project.id, issue.id, MAX_PAGE);
  return c.json(rows.map((row) => serializeFeedback(row, issue.project.slug)));
}
feedbackRoutes.get("/issues/:issueId/user-reports", issueReports);
feedbackRoutes.get("/organizations/:org/issues/:issueId/user-reports", issueReports);

interface AttachmentRow {
  id: number;
  event_id: string;
  received_at: number;
  payload: ArrayBuffer | null;
  body_key: string | null;
}

/** The media types a screenshot may be shown as, from its first bytes; anything else downloads. */
export function sniffImageType(head: Uint8Array): string | null {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x52, 0x49, 0x46, 0x46) && head[8] === 0x57 && head[9] === 0x45) return "image/webp";
  return null;
}

const EVENT_ID = /^[0-9a-f]{32}$/;

async function attachmentsOf(c: Context<ApiEnv>): Promise<{ projectId: number; rows: AttachmentRow[] }> {
  const project = await projectInScope(c);
  const eventId = (c.req.param("eventId") ?? "").toLowerCase().replaceAll("-", "");
  if (!EVENT_ID.test(eventId)) notFound();
  const { results } = await c.env.DB.prepare(
    `SELECT id, event_id, received_at, payload, body_key FROM stored_items
     WHERE project_id = ?1 AND event_id = ?2 AND item_type = 'attachment' ORDER BY id LIMIT 100`,
  )
    .bind(project.id, eventId)
    .all<AttachmentRow>();
  return { projectId: project.id, rows: results };
}

async function bytesOf(c: Context<ApiEnv>, row: AttachmentRow): Promise<Uint8Array | null> {
  if (row.payload !== null) return new Uint8Array(row.payload);
  if (row.body_key === null) return null;
  const object = await c.env.RAW.get(row.body_key);
  return object === null ? null : new Uint8Array(await object.arrayBuffer());
}

feedbackRoutes.get("/projects/:org/:project/events/:eventId/attachments", async (c) => {
  const { rows } = await attachmentsOf(c);
  return c.json(
    rows.map((row) => ({
      id: String(row.id),
      eventId: row.event_id,
      type: "event.attachment",
      name: `attachment-${row.id}`,
      dateCreated: new Date(row.received_at).toISOString(),
    })),
  );
});

feedbackRoutes.get("/projects/:org/:project/events/:eventId/attachments/:attachmentId", async (c) => {
  const { rows } = await attachmentsOf(c);
  const row = rows.find((r) => String(r.id) === c.req.param("attachmentId")) ?? notFound();
  const bytes = (await bytesOf(c, row)) ?? notFound();
  const image = sniffImageType(bytes.subarray(0, 12));
  // Never rendered as a page: an image is shown as one, anything else is downloaded.
  return new Response(bytes, {
    headers: {
      "Content-Type": image ?? "application/octet-stream",
      "Content-Disposition": `${image ? "inline" : "attachment"}; filename="attachment-${row.id}"`,
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "default-src 'none'; sandbox",
      "Cache-Control": "private, max-age=3600",
    },
  });
});
