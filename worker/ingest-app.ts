import { Hono } from "hono";
import type { Context } from "hono";
import { cors } from "hono/cors";
import { authorizeKey, requestOrigin } from "./authorize-key";
import { RefusalCounter } from "./count-refusals";
import { takeCheckIns } from "./check-in-rate-limit";
import { cronCheckIn } from "./cron-check-in";
import { enqueueIngest } from "./enqueue-ingest";
import { serveErrorPage, takeErrorPageReport } from "./error-page-embed";
import { decodeStoreBody } from "./decode-store-body";
import { type Env, numericVar } from "../protocol/env";
import { extractCredentials } from "./extract-credentials";
import { EVENT_CATEGORIES, inspectEnvelope, inspectStoreEvent } from "./inspect-envelope";
import { type ProjectKey, lookupProjectKey } from "./lookup-project-key";
import { minidumpEnvelope } from "./minidump-envelope";
import { RateLimiter } from "./rate-limit";
import { readBody } from "./read-body";
import { readMinidumpUpload } from "./read-minidump-upload";
import { RefusedError, type Refusal, UNAVAILABLE_RETRY_AFTER_SECONDS, refuse, refusalResponse } from "./refusal";

// `refusalsCountFor`: the project a request authenticated to, whose refusals are then counted.
type IngestEnv = { Bindings: Env; Variables: { refusalsCountFor?: number } };
type IngestContext = Context<IngestEnv>;
type Endpoint = "envelope" | "store" | "minidump";

const rateLimiter = new RateLimiter();

// Relay's CORS answer: any origin (a per-key list is enforced on the POST itself), the headers
// SDKs send, and the headers SDKs read back.
const corsForSdks = cors({
  origin: (origin) => origin || "*",
  allowMethods: ["GET", "POST", "OPTIONS"],
  allowHeaders: [
    "x-sentry-auth",
    "x-requested-with",
    "x-forwarded-for",
    "origin",
    "referer",
    "accept",
    "content-type",
    "content-encoding",
    "authentication",
    "authorization",
    "transfer-encoding",
    "sentry-trace",
    "baggage",
  ],
  exposeHeaders: ["x-sentry-error", "x-sentry-rate-limits", "retry-after"],
  maxAge: 3600,
});

export const ingestApp = new Hono<IngestEnv>({ strict: false });

ingestApp.use("/api/*", corsForSdks);

// A trivial route: health checks, and the baseline the ingest benchmark compares against.
ingestApp.all("/health", (c) => c.json({ ok: true }));

ingestApp.post("/api/:projectId/envelope", (c) => ingest(c, "envelope"));
ingestApp.post("/api/:projectId/store", (c) => ingest(c, "store"));
// Crash reports from crashpad and Breakpad: https://docs.sentry.io/platforms/native/guides/minidumps/
ingestApp.post("/api/:projectId/minidump", (c) => ingest(c, "minidump"));
// Cron check-ins from jobs with no SDK: https://docs.sentry.io/product/crons/getting-started/http/
ingestApp.on(["GET", "POST"], "/api/:projectId/cron/:monitorSlug/:publicKey", cronCheckIn);
ingestApp.all("/api/:projectId/cron/:monitorSlug/:publicKey", () => refuse(405, "method_not_allowed", "use GET or POST"));
// The crash-report dialog of Sentry.showReportDialog(): its script, and its form's reports.
ingestApp.get("/api/embed/error-page", serveErrorPage);
ingestApp.post("/api/embed/error-page", (c) => takeErrorPageReport(c, rateLimiter));
ingestApp.all("/api/embed/error-page", () => refuse(405, "method_not_allowed", "use GET or POST"));
ingestApp.all("/api/:projectId/envelope", () => refuse(405, "method_not_allowed", "use POST"));
ingestApp.all("/api/:projectId/store", () => refuse(405, "method_not_allowed", "use POST"));
ingestApp.all("/api/:projectId/minidump", () => refuse(405, "method_not_allowed", "use POST"));

ingestApp.notFound(() => refusalResponse({ status: 404, reason: "not_found", detail: "not found" }));
ingestApp.onError((err, c) => {
  if (err instanceof RefusedError) {
    countRefusal(c, err.refusal);
    return refusalResponse(err.refusal, new Headers(c.res.headers));
  }
  console.error("ingest failed", err);
  const unavailable: Refusal = {
    status: 503,
    reason: "unavailable",
    detail: "internal error, retry later",
    retryAfter: UNAVAILABLE_RETRY_AFTER_SECONDS,
  };
  return refusalResponse(unavailable, new Headers(c.res.headers));
});

// Written a second after the first refusal of a batch: a flood costs one D1 write a second per isolate.
const refusalCounter = new RefusalCounter({ flushDelayMs: 1000 });

/** Counts a refusal for its content of a request that authenticated to a project (an unknown key names none). */
function countRefusal(c: IngestContext, refusal: Refusal): void {
  const projectId = c.get("refusalsCountFor");
  if (projectId === undefined) return;
  try {
    const flush = refusalCounter.add(projectId, refusal, c.env.DB);
    // Never awaited before answering: the refusal goes out at once, the write after it.
    if (flush !== null) c.executionCtx.waitUntil(flush);
  } catch (err) {
    console.error("ingest: could not count a refusal", err);
  }
}

async function ingest(c: IngestContext, endpoint: Endpoint): Promise<Response> {
  const projectParam = c.req.param("projectId") ?? "";
  // Sentry's routes only match numeric project ids.
  if (!/^\d{1,15}$/.test(projectParam)) refuse(404, "not_found", "not found");
  const projectId = Number(projectParam);
  const env = c.env;
  const limits = { maxEventBytes: numericVar(env.MAX_EVENT_BYTES, 1_048_576) };
  const origin = requestOrigin(c.req.header("origin") ?? null, c.req.header("referer") ?? null);
  const sources = {
    authHeader: c.req.header("x-sentry-auth") ?? null,
    authorization: c.req.header("authorization") ?? null,
    queryKey: c.req.query("sentry_key") ?? null,
    envelopeDsn: undefined as unknown,
  };
  const ttlMs = numericVar(env.KEY_CACHE_TTL_SECONDS, 30) * 1000;
  const authorize = async (publicKey: string) => {
    const key = authorizeKey(await lookupProjectKey(env.DB, publicKey, ttlMs), projectId, origin);
    c.set("refusalsCountFor", projectId);
    return key;
  };

  // Authenticate before reading the body when the key is outside it, so bad keys cost no decompression.
  const keyOutsideBody = sources.authHeader || sources.queryKey || /^\s*sentry\s/i.test(sources.authorization ?? "");
  const early = keyOutsideBody ? extractCredentials(sources) : null;
  let key: ProjectKey | null = early ? await authorize(early.publicKey) : null;
  // A minidump upload has no envelope header to carry a key: without one outside, it is not read.
  if (endpoint === "minidump" && !key) refuse(401, "missing_auth", "missing authorization information");

  const maxBodyBytes = numericVar(env.MAX_BODY_BYTES, 20_971_520);
  let body = await readBody(c.req.raw.body, c.req.header("content-encoding") ?? null, maxBodyBytes);
  let eventId: string | null;
  let categories: string[];
  let itemCount: number;
  let checkInSlugs: string[] = [];
  if (endpoint === "envelope") {
    const summary = inspectEnvelope(body, limits);
    if (summary.header.dsn !== undefined && summary.header.dsn !== null) {
      const creds = extractCredentials({ ...sources, envelopeDsn: summary.header.dsn });
      if (creds.dsnProjectId !== null && creds.dsnProjectId !== projectId) {
        refuse(403, "project_mismatch", "the envelope's dsn names another project");
      }
      key ??= await authorize(creds.publicKey);
    }
    eventId = summary.eventId;
    categories = summary.quotaCategories;
    itemCount = summary.itemTypes.length;
    checkInSlugs = summary.checkInSlugs;
  } else if (endpoint === "store") {
    // Queued as the JSON event, so the digest never sees a legacy client's base64.
    body = decodeStoreBody(body, maxBodyBytes);
    eventId = inspectStoreEvent(body, limits).eventId;
    categories = ["error"];
    itemCount = 1;
  } else {
    // Queued as the envelope an SDK would have sent, so the digest has one format to read.
    const built = minidumpEnvelope(readMinidumpUpload(body, c.req.header("content-type") ?? null));
    body = built.envelope;
    eventId = built.eventId;
    // A crash is an error event to the key's quota.
    categories = ["error"];
    itemCount = built.itemCount;
  }
  if (!key) return refuse(401, "missing_auth", "missing authorization information");

  let countedIn: number | undefined;
  if (categories.length > 0) {
    const decision = rateLimiter.take(key.id, key.rateLimitPerMinute);
    countedIn = decision.windowStart;
    if (!decision.allowed) {
      // https://develop.sentry.dev/sdk/expected-features/rate-limiting/#rate-limit-enforcement
      refuse(429, "rate_limited", "this key's event rate limit is exceeded", {
        retryAfter: decision.retryAfter,
        // Names exactly the categories the key's quota counts, so SDKs hold back those and nothing else.
        rateLimits: `${decision.retryAfter}:${EVENT_CATEGORIES.join(";")}:key:key_quota`,
      });
    }
  }

  takeCheckIns(projectId, checkInSlugs);

  // An envelope with no items holds nothing to keep.
  if (itemCount > 0) {
    // What we could not keep does not use up the key's quota: a client that sends it again is not refused for it.
    const giveBack = (err: unknown) => {
      if (countedIn !== undefined) rateLimiter.giveBack(key.id, countedIn);
      throw err;
    };
    await enqueueIngest(
      { queue: env.EVENTS, bucket: env.RAW, inlineMaxBytes: numericVar(env.INLINE_BODY_MAX_BYTES, 100_000) },
      {
        v: 1,
        kind: endpoint === "store" ? "store" : "envelope",
        projectId,
        keyId: key.id,
        receivedAt: Date.now(),
        clientIp: c.req.header("cf-connecting-ip") ?? c.req.header("x-real-ip") ?? null,
        userAgent: c.req.header("user-agent") ?? null,
        eventId,
      },
      body,
    ).catch(giveBack);
  }
  // Relay answers a minidump upload with the bare event id, which crashpad keeps as the report's id.
  if (endpoint === "minidump") return c.text(eventId ?? "");
  return c.json(eventId ? { id: eventId } : {});
}
