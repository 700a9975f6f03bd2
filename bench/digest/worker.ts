// Bench-only Worker behind `npm run bench:digest` (bench/digest.mjs). It calls the events queue
// consumer, digestEvents, with in-memory batches shaped like the ones Queues delivers, and
// times them against plain multi-row inserts into a scratch table of the same D1.
import { benchRoutes, type CeilingRequest, digestInBatches, ingestMessageOf, runCeiling, withJsonBody } from "../bench-worker-routes";
import type { IngestMessage } from "../../protocol/ingest-message";
import type { Env } from "../../protocol/env";
import { profileDigest } from "./profile";

/**
 * A captured envelope with `{{EVENT_ID}}` where its event id goes, `{{TIMESTAMP}}` where the
 * event's timestamp goes (now, as from a live SDK) and `{{N}}` where a per-message number goes.
 */
interface DigestRequest {
  template: string;
  count: number;
  /** First value of `{{N}}`. */
  offset: number;
  batchSize: number;
  projectId: number;
}

export default benchRoutes({
  "GET /health": () => new Response("ok"),
  "POST /digest": withJsonBody(runDigest),
  "POST /profile": withJsonBody((env, req: DigestRequest) => profileDigest(env, batchesOf(req))),
  "POST /ceiling": withJsonBody(ceiling),
  "GET /stats": stats,
});

/** The queue message ingest would have sent for message `n` (0-based) of `req`. */
function messagesOf(req: DigestRequest): (n: number) => IngestMessage {
  const parts = req.template.split(/(\{\{EVENT_ID\}\}|\{\{TIMESTAMP\}\}|\{\{N\}\})/);
  const fill = (part: string, eventId: string, n: string) =>
    part === "{{EVENT_ID}}" ? eventId : part === "{{TIMESTAMP}}" ? (Date.now() / 1000).toFixed(3) : part === "{{N}}" ? n : part;
  return (n) => {
    const eventId = crypto.randomUUID().replaceAll("-", "");
    const envelope = parts.map((p) => fill(p, eventId, String(req.offset + n))).join("");
    return ingestMessageOf(envelope, req.projectId, {
      clientIp: "198.51.100.23",
      userAgent: "sentry.javascript.node/11.12.0",
      eventId,
    });
  };
}

/** The queue messages ingest would have sent for `req`, a batch at a time; null when done. */
function batchesOf(req: DigestRequest): () => IngestMessage[] | null {
  const messageOf = messagesOf(req);
  let built = 0;
  return () => {
    if (built >= req.count) return null;
    const batch: IngestMessage[] = [];
    for (; batch.length < req.batchSize && built < req.count; built++) batch.push(messageOf(built));
    return batch;
  };
}

/**
 * Digests `count` messages in batches of `batchSize`. Building a batch (the bytes Queues would
 * hand over) is timed apart from digesting it; only the digest counts towards the rate.
 */
async function runDigest(env: Env, req: DigestRequest) {
  const messageOf = messagesOf(req);
  const started = Date.now();
  const { acked, retried, buildMs, digestMs } = await digestInBatches(env, { ...req, countRows: false }, (n) => ({ body: messageOf(n) }));
  return { messages: req.count, acked, retried, buildMs, digestMs, wallMs: Date.now() - started };
}

/** The ceiling, its rows incompressible bytes like the gzip'd event data. */
function ceiling(env: Env, req: CeilingRequest) {
  return runCeiling(env.DB, req, { type: "BLOB", dataOf: (_, rowBytes) => randomBytes(rowBytes) });
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  // getRandomValues fills at most 65,536 bytes per call.
  for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65_536)));
  return out;
}

/** What the digest left in D1, to check a run and size its ceiling rows. */
async function stats(env: Env) {
  // Row size: every stored value's length, plus 8 bytes for each of the five integer columns.
  return env.DB.prepare(
    `SELECT (SELECT count(*) FROM events) AS events,
       (SELECT count(*) FROM issues) AS issues,
       (SELECT coalesce(sum(times_seen), 0) FROM issues) AS timesSeen,
       (SELECT count(*) FROM rejected_envelopes) AS rejected,
       (SELECT coalesce(avg(length(data)), 0) FROM events) AS avgDataBytes,
       (SELECT coalesce(avg(length(event_id) + length(level) + length(title) + coalesce(length(release), 0) + coalesce(length(environment), 0)
          + coalesce(length(user_key), 0) + length(tags) + length(data) + length(ingest_batch) + 40), 0) FROM events) AS avgRowBytes`,
  ).first();
}
