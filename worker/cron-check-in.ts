/**
 * Sentry's HTTP check-in for cron jobs that have no SDK
 * (https://docs.sentry.io/product/crons/getting-started/http/):
 * `GET|POST /api/{project_id}/cron/{monitor_slug}/{public_key}/?status=ok|error|in_progress`,
 * authenticated by the key in the path. As Relay's monitor endpoint does, a JSON body is the
 * check-in itself (`status`, `check_in_id`, `environment`, `duration`, `monitor_config`), anything
 * else reads `status`, `check_in_id`, `environment` and `duration` from the query; the slug is
 * always the path's. It is queued as the envelope with one `check_in` item an SDK would send,
 * so the digest reads one format, and answered 202 once queued. Relay never answers it 429; a
 * monitor past its check-in quota (check-in-rate-limit.ts) is, here: a runaway loop, not a job.
 */
import type { Context } from "hono";
import { type Env, numericVar } from "../protocol/env";
import { authorizeKey, requestOrigin } from "./authorize-key";
import { takeCheckIns } from "./check-in-rate-limit";
import { enqueueIngest } from "./enqueue-ingest";
import { MAX_CHECK_IN_BYTES } from "./inspect-envelope";
import { lookupProjectKey } from "./lookup-project-key";
import { concat, readBody } from "./read-body";
import { refuse } from "./refusal";

const STATUSES = new Set(["in_progress", "ok", "error"]);
const encoder = new TextEncoder();

export async function cronCheckIn(c: Context<{ Bindings: Env }>): Promise<Response> {
  const projectParam = c.req.param("projectId") ?? "";
  if (!/^\d{1,15}$/.test(projectParam)) refuse(404, "not_found", "not found");
  const env = c.env;
  const origin = requestOrigin(c.req.header("origin") ?? null, c.req.header("referer") ?? null);
  const ttlMs = numericVar(env.KEY_CACHE_TTL_SECONDS, 30) * 1000;
  const found = await lookupProjectKey(env.DB, c.req.param("publicKey") ?? "", ttlMs);
  // Sentry's docs once wrote the URL with project 0: the key's own project.
  const projectId = projectParam === "0" && found ? found.projectId : Number(projectParam);
  const key = authorizeKey(found, projectId, origin);

  const slug = c.req.param("monitorSlug") ?? "";
  let checkIn: Record<string, unknown>;
  if ((c.req.header("content-type") ?? "").toLowerCase().startsWith("application/json")) {
    const body = await readBody(c.req.raw.body, c.req.header("content-encoding") ?? null, MAX_CHECK_IN_BYTES);
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(body));
    } catch {
      return refuse(400, "invalid_check_in", "the check-in body is not JSON");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      refuse(400, "invalid_check_in", "the check-in body is not a JSON object");
    checkIn = { ...(parsed as Record<string, unknown>), monitor_slug: slug };
  } else {
    const duration = c.req.query("duration");
    checkIn = {
      monitor_slug: slug,
      status: c.req.query("status"),
      check_in_id: c.req.query("check_in_id"),
      environment: c.req.query("environment"),
      duration: duration === undefined ? undefined : Number(duration),
    };
  }
  if (typeof checkIn.status !== "string" || !STATUSES.has(checkIn.status))
    refuse(400, "invalid_check_in", "status must be in_progress, ok or error");
  if (
    checkIn.duration !== undefined &&
    checkIn.duration !== null &&
    (typeof checkIn.duration !== "number" || !Number.isFinite(checkIn.duration))
  )
    refuse(400, "invalid_check_in", "duration must be a number of seconds");

  takeCheckIns(projectId, [slug.trim().toLowerCase()]);
  const payload = encoder.encode(JSON.stringify(checkIn));
  if (payload.byteLength > MAX_CHECK_IN_BYTES) refuse(413, "item_too_large", `check-in exceeds ${MAX_CHECK_IN_BYTES} bytes`);
  const envelope = concat([encoder.encode(`{}\n{"type":"check_in","length":${payload.byteLength}}\n`), payload]);
  await enqueueIngest(
    { queue: env.EVENTS, bucket: env.RAW, inlineMaxBytes: numericVar(env.INLINE_BODY_MAX_BYTES, 100_000) },
    {
      v: 1,
      kind: "envelope",
      projectId,
      keyId: key.id,
      receivedAt: Date.now(),
      clientIp: c.req.header("cf-connecting-ip") ?? c.req.header("x-real-ip") ?? null,
      userAgent: c.req.header("user-agent") ?? null,
      eventId: null,
    },
    envelope,
  );
  return c.body(null, 202);
}
