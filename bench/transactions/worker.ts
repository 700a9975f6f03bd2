// Bench-only Worker behind `npm run bench:transactions` (bench/transactions.mjs). It calls the
// events queue consumer, digestEvents, with in-memory batches of transactions shaped like the
// captured SDK requests, counts the D1 rows the batches write, and times them against plain
// multi-row inserts of as many rows of the index rows' size into a scratch table of the same D1.
import {
  benchRoutes,
  type CeilingRequest,
  digestInBatches,
  ingestMessageOf,
  randomHex as hex,
  runCeiling,
  splitBatches,
  withJsonBody,
} from "../bench-worker-routes";
import { storeSpanTrees } from "../../queue-consumer/digest/items/transaction/store-span-trees";
import { persistDigest } from "../../queue-consumer/digest/persist-digest";
import { emptyPreparedMessage, prepareMessage } from "../../queue-consumer/digest/prepare-message";
import type { Env } from "../../protocol/env";

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

const enc = new TextEncoder();

export default benchRoutes({
  "POST /digest": withJsonBody(runDigest),
  "POST /ceiling": withJsonBody(ceiling),
  "POST /profile": withJsonBody(profile),
  "GET /stats": stats,
});

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
  const figures = await digestInBatches(env, { ...req, countRows: true }, (n) => ({
    body: ingestMessageOf(make(req.offset + n), req.projectId),
  }));
  return { messages: req.count, ...figures };
}

/** Where a batch's time goes: preparing its messages, storing its span trees in R2, its D1 batch. */
async function profile(env: Env, req: DigestRequest) {
  const make = envelopeFactory(req);
  const ms: Record<string, number> & { prepare: number; storeSpanTrees: number; persist: number } = {
    prepare: 0,
    storeSpanTrees: 0,
    persist: 0,
  };
  // Every other batch runs its statements one D1 call each, timed by statement.
  let split = false;
  const byStatement = splitBatches(env.DB, async (sql, _, call) => {
    const t = Date.now();
    const results = await call();
    const name = `  ${sql.replace(/\s+/g, " ").slice(0, 60)}`;
    ms[name] = (ms[name] ?? 0) + (Date.now() - t) * 2;
    return results;
  });
  for (let built = 0; built < req.count;) {
    const messages = [];
    for (; messages.length < req.batchSize && built < req.count; built++)
      messages.push(ingestMessageOf(make(req.offset + built), req.projectId));
    let t = Date.now();
    const prepared = [];
    for (const message of messages) {
      const ctx = { messageId: crypto.randomUUID(), scrub: { enabled: true, extraKeys: [] }, storeBlob: async () => undefined };
      prepared.push(await prepareMessage(message, message.body!, ctx));
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
function ceiling(env: Env, req: CeilingRequest) {
  return runCeiling(env.DB, req, { type: "TEXT", dataOf: (_, rowBytes) => hex(rowBytes) });
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
