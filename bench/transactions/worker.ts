// Bench-only Worker behind `npm run bench:transactions` (bench/transactions.mjs). It calls the
// events queue consumer, digestEvents, with in-memory batches of transactions shaped like the
// captured SDK requests, counts the D1 rows the batches write, and times them against plain
// multi-row inserts of as many rows of the index rows' size into a scratch table of the same D1.
import { digestEvents } from "../../queue-consumer/digest/digest-events";
import { storeSpanTrees } from "../../queue-consumer/digest/items/transaction/store-span-trees";
import { persistDigest } from "../../queue-consumer/digest/persist-digest";
import { emptyPreparedMessage, prepareMessage } from "../../queue-consumer/digest/prepare-message";
import type { Env } from "../../protocol/env";
import type { IngestMessage } from "../../protocol/ingest-message";

interface DigestRequest {
  /** "spans": @sentry/node's span v2 item (a segment and its spans); "transaction": python's Django transaction. */
  kind: "spans" | "transaction";
  /** The captured envelope the messages are made from. */
  template: string;
  /** Child spans per transaction (span streams). */
  spans: number;
  /** Transaction names the messages cycle through. */
  names: number;
  count: number;
  offset: number;
  batchSize: number;
  projectId: number;
}

interface CeilingRequest {
  count: number;
  batchSize: number;
  rowBytes: number;
}

const MAX_PARAMS = 100;
const enc = new TextEncoder();

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (request.method === "POST" && pathname === "/digest") return Response.json(await runDigest(env, await request.json()));
    if (request.method === "POST" && pathname === "/ceiling") return Response.json(await runCeiling(env, await request.json()));
    if (request.method === "POST" && pathname === "/profile") return Response.json(await profile(env, await request.json()));
    if (pathname === "/stats") return Response.json(await stats(env));
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<Env>;

const hex = (n: number) => {
  let out = "";
  while (out.length < n) out += crypto.randomUUID().replaceAll("-", "");
  return out.slice(0, n);
};

/** One message's envelope: fresh ids, times ending now, a name out of `names`. */
function envelopeFactory(req: DigestRequest): (n: number) => string {
  const [header, , payload] = req.template.split("\n");
  if (req.kind === "spans") {
    const [child, segment] = (JSON.parse(payload!) as { items: Array<Record<string, unknown>> }).items;
    return (n) => {
      const traceId = hex(32);
      const spanId = hex(16);
      const end = Date.now() / 1000;
      const start = end - (20 + (n % 200)) / 1000;
      const name = `GET /route/${n % req.names}`;
      const attributes = {
        ...(segment!.attributes as object),
        "sentry.segment.name": { type: "string", value: name },
        "sentry.segment.id": { type: "string", value: spanId },
      };
      const items: unknown[] = [
        { ...segment, trace_id: traceId, span_id: spanId, name, start_timestamp: start, end_timestamp: end, attributes },
      ];
      const childAttributes = {
        ...(child!.attributes as object),
        "sentry.segment.name": { type: "string", value: name },
        "sentry.segment.id": { type: "string", value: spanId },
      };
      for (let i = 0; i < req.spans; i++)
        items.push({
          ...child,
          trace_id: traceId,
          span_id: hex(16),
          parent_span_id: spanId,
          start_timestamp: start,
          end_timestamp: start + 0.001 * (i + 1),
          attributes: childAttributes,
        });
      return `${header}\n${JSON.stringify({ type: "span", item_count: items.length, content_type: "application/vnd.sentry.items.span.v2+json" })}\n${JSON.stringify({ version: 2, items })}\n`;
    };
  }
  const event = JSON.parse(payload!) as Record<string, unknown> & {
    contexts: { trace: Record<string, unknown> };
    spans: Array<Record<string, unknown>>;
  };
  const base = Date.parse(event.timestamp as string) / 1000;
  return (n) => {
    const eventId = hex(32);
    const traceId = hex(32);
    const end = Date.now() / 1000;
    const shift = end - base;
    const body = JSON.stringify({
      ...event,
      event_id: eventId,
      transaction: `GET /route/${n % req.names}`,
      start_timestamp: Date.parse(event.start_timestamp as string) / 1000 + shift,
      timestamp: end,
      contexts: { ...event.contexts, trace: { ...event.contexts.trace, trace_id: traceId, span_id: hex(16) } },
      spans: event.spans.map((s) => ({
        ...s,
        trace_id: traceId,
        start_timestamp: Date.parse(s.start_timestamp as string) / 1000 + shift,
        timestamp: Date.parse(s.timestamp as string) / 1000 + shift,
      })),
    });
    return `${JSON.stringify({ event_id: eventId, sent_at: new Date().toISOString() })}\n${JSON.stringify({ type: "transaction", length: enc.encode(body).byteLength })}\n${body}\n`;
  };
}

/**
 * Digests `count` messages in batches of `batchSize`, the D1 rows each batch writes added up
 * (D1's own meta.rows_written). Building a batch is timed apart from digesting it.
 */
async function runDigest(env: Env, req: DigestRequest) {
  const make = envelopeFactory(req);
  let acked = 0;
  let retried = 0;
  let buildMs = 0;
  let digestMs = 0;
  let rowsWritten = 0;
  const db = new Proxy(env.DB, {
    get(target, key) {
      if (key === "batch")
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements);
          for (const r of results) rowsWritten += r.meta.rows_written ?? 0;
          return results;
        };
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  for (let built = 0; built < req.count;) {
    const t0 = Date.now();
    const messages: Message<IngestMessage>[] = [];
    for (; messages.length < req.batchSize && built < req.count; built++) {
      const body = enc.encode(make(req.offset + built)) as Uint8Array<ArrayBuffer>;
      messages.push({
        id: crypto.randomUUID(),
        timestamp: new Date(),
        attempts: 1,
        body: {
          v: 1,
          kind: "envelope",
          projectId: req.projectId,
          keyId: 1,
          receivedAt: Date.now(),
          clientIp: null,
          userAgent: null,
          eventId: null,
          size: body.byteLength,
          body,
        },
        ack: () => void acked++,
        retry: () => void retried++,
      });
    }
    const batch = {
      queue: "events",
      messages,
      metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
      ackAll: () => undefined,
      retryAll: () => undefined,
    };
    const t1 = Date.now();
    await digestEvents(batch as unknown as MessageBatch<unknown>, { ...env, DB: db });
    digestMs += Date.now() - t1;
    buildMs += t1 - t0;
  }
  return { messages: req.count, acked, retried, buildMs, digestMs, rowsWritten };
}

/** Where a batch's time goes: preparing its messages, storing its span trees in R2, its D1 batch. */
async function profile(env: Env, req: DigestRequest) {
  const make = envelopeFactory(req);
  const ms: Record<string, number> = { prepare: 0, storeSpanTrees: 0, persist: 0 };
  // Every other batch runs its statements one D1 call each, timed by statement.
  let split = false;
  const byStatement = new Proxy(env.DB, {
    get(target, key) {
      if (key === "batch")
        return async (statements: D1PreparedStatement[]) => {
          const results: D1Result[] = [];
          for (const statement of statements) {
            const sql = (statement as unknown as { statement?: string }).statement ?? "?";
            const t = Date.now();
            results.push(...(await target.batch([statement])));
            const name = `  ${sql.replace(/\s+/g, " ").slice(0, 60)}`;
            ms[name] = (ms[name] ?? 0) + (Date.now() - t) * 2;
          }
          return results;
        };
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  for (let built = 0; built < req.count;) {
    const bodies: Uint8Array<ArrayBuffer>[] = [];
    for (; bodies.length < req.batchSize && built < req.count; built++)
      bodies.push(enc.encode(make(req.offset + built)) as Uint8Array<ArrayBuffer>);
    let t = Date.now();
    const prepared = [];
    for (const body of bodies) {
      const message: IngestMessage = {
        v: 1,
        kind: "envelope",
        projectId: req.projectId,
        keyId: 1,
        receivedAt: Date.now(),
        clientIp: null,
        userAgent: null,
        eventId: null,
        size: body.byteLength,
        body,
      };
      const ctx = { messageId: crypto.randomUUID(), scrub: { enabled: true, extraKeys: [] }, storeBlob: async () => undefined };
      prepared.push(await prepareMessage(message, body, ctx));
    }
    const input = {
      ...emptyPreparedMessage(),
      rejections: prepared.flatMap((p) => p.rejections),
      traces: prepared.flatMap((p) => p.traces),
    };
    ms.prepare += Date.now() - t;
    t = Date.now();
    await storeSpanTrees(input.traces, async (key, bytes) => void (await env.RAW.put(key, bytes)), Date.now());
    ms.storeSpanTrees += Date.now() - t;
    t = Date.now();
    if (split) await persistDigest(byStatement, input);
    else {
      await persistDigest(env.DB, input);
      ms.persist += (Date.now() - t) * 2;
    }
    split = !split;
  }
  return Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, (v * 1000) / req.count]));
}

/** The ceiling: as many plain rows of `rowBytes` into a scratch table, one D1 batch per `batchSize` rows. */
async function runCeiling(env: Env, req: CeilingRequest) {
  await env.DB.exec("CREATE TABLE IF NOT EXISTS bench_ceiling (id INTEGER PRIMARY KEY, batch TEXT NOT NULL, data TEXT NOT NULL)");
  const pool = Array.from({ length: 64 }, () => hex(req.rowBytes));
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

/** What the digest left in D1, to check a run and size its ceiling rows. */
async function stats(env: Env) {
  return env.DB.prepare(
    `SELECT (SELECT count(*) FROM trace_items) AS items,
       (SELECT coalesce(sum(count), 0) FROM transaction_rollups) AS counted,
       (SELECT count(*) FROM transaction_rollups) AS rollupRows,
       (SELECT coalesce(sum(count), 0) FROM transaction_recent_rollups) AS recentCounted,
       (SELECT count(*) FROM rejected_envelopes) AS rejected,
       (SELECT coalesce(avg(length(trace_id) + length(span_id) + length(kind) + coalesce(length(event_id), 0) + coalesce(length(parent_span_id), 0)
          + length(name) + length(op) + length(status) + length(body_key) + length(ingest_batch) + 56), 0) FROM trace_items) AS avgRowBytes`,
  ).first();
}
