/**
 * The crash-report dialog's endpoint, `/api/embed/error-page/?dsn=...&eventId=...`
 * (https://docs.sentry.io/platforms/javascript/user-feedback/#crash-report-modal): a GET serves
 * the script `Sentry.showReportDialog()` injects (error-page-script.ts), a POST of its form
 * (`name`, `email`, `comments`, form-encoded) takes the report. As Sentry's, the key is the DSN
 * in the query, checked against the key's allowed origins; a bad DSN or event id is a 400, an
 * invalid form a 400 with `{"errors": {field: message}}`, a kept report a 200 `{}`. The report is
 * queued as the envelope with one `user_report` item an SDK would send, so the digest reads one
 * format. A report counts against the key's rate limit as a feedback event does (a 429 past it).
 * CORS comes from the ingest app's SDK policy.
 */
import type { Context } from "hono";
import { type Env, numericVar } from "../protocol/env";
import { authorizeKey, requestOrigin } from "./authorize-key";
import { enqueueIngest } from "./enqueue-ingest";
import { dialogTexts, errorPageScript } from "./error-page-script";
import { parseDsn } from "./extract-credentials";
import { lookupProjectKey, type ProjectKey } from "./lookup-project-key";
import type { RateLimiter } from "./rate-limit";
import { concat, readBody } from "./read-body";
import { refuse } from "./refusal";

const encoder = new TextEncoder();
/** A form of three short fields: anything larger is not one. */
const MAX_FORM_BYTES = 64 * 1024;
const NAME_MAX = 128;
const EMAIL_MAX = 128;
const COMMENTS_MAX = 16_384;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Any ingest context: the handlers read only the bindings. */
type EmbedContext<E extends { Bindings: Env } = { Bindings: Env }> = Context<E>;

/** The DSN's key and the event id from the query, checked as Sentry checks them. */
async function readQuery<E extends { Bindings: Env }>(c: EmbedContext<E>): Promise<{ key: ProjectKey; eventId: string }> {
  const dsn = parseDsn(c.req.query("dsn") ?? "");
  if (dsn === null) refuse(400, "missing_auth", "dsn: missing or invalid parameter");
  const eventId = (c.req.query("eventId") ?? "").trim().toLowerCase().replaceAll("-", "");
  if (!/^[0-9a-f]{32}$/.test(eventId)) refuse(400, "invalid_event_id", "eventId: missing or invalid parameter");
  const origin = requestOrigin(c.req.header("origin") ?? null, c.req.header("referer") ?? null);
  const ttlMs = numericVar(c.env.KEY_CACHE_TTL_SECONDS, 30) * 1000;
  const key = authorizeKey(await lookupProjectKey(c.env.DB, dsn.publicKey, ttlMs), dsn.projectId, origin);
  return { key, eventId };
}

export async function serveErrorPage(c: EmbedContext): Promise<Response> {
  await readQuery(c);
  const script = errorPageScript({
    endpoint: c.req.url,
    name: (c.req.query("name") ?? "").slice(0, NAME_MAX),
    email: (c.req.query("email") ?? "").slice(0, EMAIL_MAX),
    texts: dialogTexts((name) => c.req.query(name)),
  });
  return c.body(script, 200, { "content-type": "application/javascript; charset=utf-8", "cache-control": "no-store" });
}

export interface ReportForm {
  name: string;
  email: string;
  comments: string;
}

/** The dialog's form, or what is wrong with each field (Sentry's `errors`). */
export function readReportForm(form: URLSearchParams): { ok: true; report: ReportForm } | { ok: false; errors: Record<string, string> } {
  const name = (form.get("name") ?? "").trim();
  const email = (form.get("email") ?? "").trim();
  const comments = (form.get("comments") ?? "").trim();
  const errors: Record<string, string> = {};
  if (name === "") errors.name = "This field is required.";
  else if (name.length > NAME_MAX) errors.name = `Ensure this value has at most ${NAME_MAX} characters.`;
  if (email === "") errors.email = "This field is required.";
  else if (email.length > EMAIL_MAX || !EMAIL.test(email)) errors.email = "Enter a valid email address.";
  if (comments === "") errors.comments = "This field is required.";
  else if (comments.length > COMMENTS_MAX) errors.comments = `Ensure this value has at most ${COMMENTS_MAX} characters.`;
  return Object.keys(errors).length === 0 ? { ok: true, report: { name, email, comments } } : { ok: false, errors };
}

export async function takeErrorPageReport<E extends { Bindings: Env }>(c: EmbedContext<E>, rateLimiter: RateLimiter): Promise<Response> {
  const { key, eventId } = await readQuery(c);
  const body = await readBody(c.req.raw.body, c.req.header("content-encoding") ?? null, MAX_FORM_BYTES);
  const form = readReportForm(new URLSearchParams(new TextDecoder().decode(body)));
  if (!form.ok) return c.json({ errors: form.errors }, 400);
  const decision = rateLimiter.take(key.id, key.rateLimitPerMinute);
  if (!decision.allowed) refuse(429, "rate_limited", "this key's event rate limit is exceeded", { retryAfter: decision.retryAfter });
  const payload = encoder.encode(JSON.stringify({ event_id: eventId, ...form.report }));
  const envelope = concat([encoder.encode(`{"event_id":"${eventId}"}\n{"type":"user_report","length":${payload.byteLength}}\n`), payload]);
  await enqueueIngest(
    { queue: c.env.EVENTS, bucket: c.env.RAW, inlineMaxBytes: numericVar(c.env.INLINE_BODY_MAX_BYTES, 100_000) },
    {
      v: 1,
      kind: "envelope",
      projectId: key.projectId,
      keyId: key.id,
      receivedAt: Date.now(),
      clientIp: c.req.header("cf-connecting-ip") ?? c.req.header("x-real-ip") ?? null,
      userAgent: c.req.header("user-agent") ?? null,
      eventId: null,
    },
    envelope,
  );
  return c.json({});
}
