// Bench-only Worker behind `npm run bench:digest` (bench/digest.mjs). It calls the events queue
// consumer, digestEvents, with in-memory batches shaped like the ones Queues delivers, and
// times them against plain multi-row inserts into a scratch table of the same D1.
import { digestEvents } from "../../queue-consumer/digest/digest-events";
import type { Env } from "../../protocol/env";
import type { IngestMessage } from "../../protocol/ingest-message";
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

interface CeilingRequest {
  count: number;
  batchSize: number;
  rowBytes: number;
}

// D1 allows 100 bound parameters per statement (https://developers.cloudflare.com/d1/platform/limits/).
const MAX_PARAMS = 100;
const enc = new TextEncoder();

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/health") return new Response("ok");
    if (request.method === "POST" && pathname === "/digest") return Response.json(await runDigest(env, await request.json()));
    if (request.method === "POST" && pathname === "/profile")
      return Response.json(await profileDigest(env, batchesOf(await request.json())));
    if (request.method === "POST" && pathname === "/ceiling") return Response.json(await runCeiling(env, await request.json()));
    if (pathname === "/stats") return Response.json(await stats(env));
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<Env>;

/** The queue messages ingest would have sent for `req`, a batch at a time; null when done. */
function batchesOf(req: DigestRequest): () => IngestMessage[] | null {
  const parts = req.template.split(/(\{\{EVENT_ID\}\}|\{\{TIMESTAMP\}\}|\{\{N\}\})/);
  const fill = (part: string, eventId: string, n: string) =>
    part === "{{EVENT_ID}}" ? eventId : part === "{{TIMESTAMP}}" ? (Date.now() / 1000).toFixed(3) : part === "{{N}}" ? n : part;
  let built = 0;
  return () => {
    if (built >= req.count) return null;
    const batch: IngestMessage[] = [];
    for (; batch.length < req.batchSize && built < req.count; built++) {
      const eventId = crypto.randomUUID().replaceAll("-", "");
      const n = String(req.offset + built);
      // TextEncoder always answers a fresh ArrayBuffer; its typing allows a shared one.
      const body = enc.encode(parts.map((p) => fill(p, eventId, n)).join("")) as Uint8Array<ArrayBuffer>;
      batch.push({
        v: 1,
        kind: "envelope",
        projectId: req.projectId,
        keyId: 1,
        receivedAt: Date.now(),
        clientIp: "198.51.100.23",
        userAgent: "sentry.javascript.node/11.12.0",
        eventId,
        size: body.byteLength,
        body,
      });
    }
    return batch;
  };
}

/**
 * Digests `count` messages in batches of `batchSize`. Building a batch (the bytes Queues would
 * hand over) is timed apart from digesting it; only the digest counts towards the rate.
 */
async function runDigest(env: Env, req: DigestRequest) {
  const nextBatch = batchesOf(req);
  let messageCount = 0;
  let acked = 0;
  let retried = 0;
  let buildMs = 0;
  let digestMs = 0;
  const started = Date.now();
  for (;;) {
    const t0 = Date.now();
    const bodies = nextBatch();
    if (bodies === null) break;
    const messages: Message<IngestMessage>[] = bodies.map((body) => ({
      id: crypto.randomUUID(),
      timestamp: new Date(),
      attempts: 1,
      body,
      ack: () => void acked++,
      retry: () => void retried++,
    }));
    const batch: MessageBatch<IngestMessage> = {
      queue: "events",
      messages,
      metadata: { metrics: { backlogCount: req.count - messageCount, backlogBytes: 0 } },
      ackAll: () => void (acked += messages.length),
      retryAll: () => void (retried += messages.length),
    };
    messageCount += messages.length;
    const t1 = Date.now();
    await digestEvents(batch as MessageBatch<unknown>, env);
    const t2 = Date.now();
    buildMs += t1 - t0;
    digestMs += t2 - t1;
  }
  return { messages: messageCount, acked, retried, buildMs, digestMs, wallMs: Date.now() - started };
}

/**
 * The ceiling: the same number of plain rows of `rowBytes` each into a scratch table, one D1
 * batch per `batchSize` rows, each statement a multi-row INSERT within D1's parameter limit.
 */
async function runCeiling(env: Env, req: CeilingRequest) {
  await env.DB.exec("CREATE TABLE IF NOT EXISTS bench_ceiling (id INTEGER PRIMARY KEY, batch TEXT NOT NULL, data BLOB NOT NULL)");
  // Incompressible bytes, like the gzip'd event data; drawn before the clock starts.
  const pool = Array.from({ length: 64 }, () => randomBytes(req.rowBytes));
  const rowsPerStatement = Math.floor(MAX_PARAMS / 2);
  let inserted = 0;
  const started = Date.now();
  while (inserted < req.count) {
    const batchId = crypto.randomUUID();
    const size = Math.min(req.batchSize, req.count - inserted);
    const statements: D1PreparedStatement[] = [];
    for (let offset = 0; offset < size; offset += rowsPerStatement) {
      const n = Math.min(rowsPerStatement, size - offset);
      const params: unknown[] = [];
      for (let i = 0; i < n; i++) params.push(batchId, pool[(inserted + offset + i) % pool.length]);
      statements.push(
        env.DB.prepare(`INSERT INTO bench_ceiling (batch, data) VALUES ${Array(n).fill("(?, ?)").join(", ")}`).bind(...params),
      );
    }
    await env.DB.batch(statements);
    inserted += size;
  }
  return { rows: inserted, ms: Date.now() - started };
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
