import { type Context, Hono } from "hono";
import { z } from "zod";
import type { ApiEnv } from "../api-env";
import { ApiError, badRequest, notFound } from "../api-error";
import { keysetPage, linkHeader, parseCursor } from "../cursor-pagination";
import { database, issueInScope } from "../route-scope";
import { validateInput } from "../validate-input";
import {
  deleteNote,
  findActivity,
  findNote,
  insertActivity,
  issueActivityQuery,
  issueNotesQuery,
  postedAlready,
  updateNoteText,
} from "./issue-activity-queries";
import { TRAIL_LENGTH, serializeActivity, serializeTrail } from "./serialize-activity";

/**
 * An issue's comments (Sentry's notes: `GET|POST /organizations/{org}/issues/{id}/comments/`,
 * `PUT|DELETE .../comments/{noteId}/`, and the same under the older `/issues/{id}/`) and its
 * activity trail (`GET .../activities/`). Anyone of the organization reads them; a person writes
 * comments, and edits or deletes only their own.
 */
export const issueActivityRoutes = new Hono<ApiEnv>({ strict: false });

const ISSUE_PATHS = ["/issues/:issueId", "/organizations/:org/issues/:issueId"] as const;

// A comment is a note, not a document; the body is read no further than a little past it.
const MAX_COMMENT_CHARS = 10_000;
const MAX_BODY_BYTES = 64 * 1024;
const MAX_PAGE = 100;
const HOUR_MS = 3_600_000;

// Sentry's wording for a blank field (Django REST framework's CharField).
const commentBody = z.object({
  text: z.string().trim().min(1, "This field may not be blank.").max(MAX_COMMENT_CHARS),
});

const listParams = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(MAX_PAGE),
  cursor: z.string().optional(),
});

for (const path of ISSUE_PATHS) {
  issueActivityRoutes.get(`${path}/activities`, (c) => listActivities(c));
  issueActivityRoutes.get(`${path}/comments`, (c) => listComments(c));
  issueActivityRoutes.post(`${path}/comments`, (c) => postComment(c));
  issueActivityRoutes.put(`${path}/comments/:noteId`, (c) => editComment(c));
  issueActivityRoutes.delete(`${path}/comments/:noteId`, (c) => removeComment(c));
}

// Sentry's group activities endpoint: `{"activity": [{id, type, data, user, dateCreated}]}`,
// newest first, first_seen last.
async function listActivities(c: Context<ApiEnv>): Promise<Response> {
  const issue = await issueInScope(c);
  const rows = await issueActivityQuery(database(c), issue.id, TRAIL_LENGTH);
  return c.json({ activity: serializeTrail(rows, issue) });
}

async function listComments(c: Context<ApiEnv>): Promise<Response> {
  const issue = await issueInScope(c);
  const params = validateInput(listParams, { limit: c.req.query("limit"), cursor: c.req.query("cursor") });
  const cursor = parseCursor(params.cursor);
  const rows = await issueNotesQuery(database(c), issue.id, cursor, params.limit);
  const page = keysetPage(rows, params.limit, cursor, (row) => ({ value: row.createdAt, id: row.id }));
  c.header("Link", linkHeader(c.req.url, page));
  return c.json(page.items.map(serializeActivity));
}

async function postComment(c: Context<ApiEnv>): Promise<Response> {
  const issue = await issueInScope(c);
  // Sentry's wording: a comment is a person's, and an organization's token belongs to nobody.
  const userId = c.get("principal").userId ?? forbidden("Key doesn't have permission to create Note");
  const { text } = validateInput(commentBody, await readSmallJsonBody(c.req.raw));
  const db = database(c);
  const now = Date.now();
  if (await postedAlready(db, issue.id, userId, text, now - HOUR_MS)) badRequest("You have already posted that comment.");
  const id = await insertActivity(db, {
    issueId: issue.id,
    projectId: issue.projectId,
    type: "note",
    userId,
    data: { text },
    createdAt: now,
  });
  return c.json(serializeActivity((await findActivity(db, id))!), 201);
}

async function editComment(c: Context<ApiEnv>): Promise<Response> {
  const { db, noteId } = await ownNote(c, "edit");
  const { text } = validateInput(commentBody, await readSmallJsonBody(c.req.raw));
  await updateNoteText(db, noteId, text);
  return c.json(serializeActivity((await findActivity(db, noteId)) ?? notFound()));
}

async function removeComment(c: Context<ApiEnv>): Promise<Response> {
  const { db, noteId } = await ownNote(c, "delete");
  await deleteNote(db, noteId);
  return c.body(null, 204);
}

/** The comment a path names, when the caller wrote it: 404 if the issue has no such comment, 403 if it is someone else's. */
async function ownNote(c: Context<ApiEnv>, verb: "edit" | "delete") {
  const issue = await issueInScope(c);
  const userId = c.get("principal").userId ?? forbidden(`Key doesn't have permission to ${verb} Note`);
  const noteId = /^\d{1,15}$/.test(c.req.param("noteId") ?? "") ? Number(c.req.param("noteId")) : notFound();
  const db = database(c);
  const note = (await findNote(db, issue.id, noteId)) ?? notFound();
  if (note.userId !== userId) forbidden("You do not have permission to perform this action.");
  return { db, noteId };
}

function forbidden(detail: string): never {
  throw new ApiError(403, detail);
}

/** A JSON body of at most MAX_BODY_BYTES, read no further: a larger one is a 400, whatever it claims. */
async function readSmallJsonBody(request: Request): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) badRequest(`body: larger than ${MAX_BODY_BYTES} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body !== null) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel();
        badRequest(`body: larger than ${MAX_BODY_BYTES} bytes`);
      }
      chunks.push(value);
    }
  }
  const text = new TextDecoder().decode(concat(chunks, size));
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    return badRequest("body: not valid JSON");
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
