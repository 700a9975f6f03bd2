// Transactions and span streams shaped like the captured SDK requests, with the parts a test
// varies: ids, names, durations, statuses, Web Vitals. And the events consumer run on them.
import { createMessageBatch, env } from "cloudflare:test";
import type { IngestMessage } from "../../protocol/ingest-message";
import type { Env } from "../../protocol/env";
import { digestEvents } from "../../queue-consumer/digest/digest-events";
import djangoTransaction from "../fixtures/python/django/django-2.envelope?raw";
import { sdkEnvelopes } from "./fixtures";

const encoder = new TextEncoder();
let counter = 0;

export function hex(length: number): string {
  let out = "";
  while (out.length < length) out += crypto.randomUUID().replaceAll("-", "");
  return out.slice(0, length);
}

export interface SegmentOptions {
  traceId?: string;
  spanId?: string;
  name?: string;
  op?: string;
  /** End, ms since the epoch (default now). */
  end?: number;
  durationMs: number;
  status?: "ok" | "error";
  environment?: string;
  release?: string;
  /** Child spans (each 1 ms, under the segment). */
  children?: number;
  vitals?: Record<string, number>;
}

/** A span v2 envelope like @sentry/node's: one segment span and its children. */
export function segmentEnvelope(o: SegmentOptions): string {
  const [header, , payload] = sdkEnvelopes.nodeSpans.split("\n");
  const [child, segment] = (JSON.parse(payload!) as { items: Array<Record<string, unknown>> }).items;
  const traceId = o.traceId ?? hex(32);
  const spanId = o.spanId ?? hex(16);
  const end = (o.end ?? Date.now()) / 1000;
  const start = end - o.durationMs / 1000;
  const attributes: Record<string, unknown> = {
    ...(segment!.attributes as object),
    "sentry.op": { type: "string", value: o.op ?? "http.server" },
    "sentry.segment.id": { type: "string", value: spanId },
    "sentry.segment.name": { type: "string", value: o.name ?? "GET /orders" },
    "sentry.environment": { type: "string", value: o.environment ?? "production" },
    "sentry.release": { type: "string", value: o.release ?? "shop@1.0.0" },
  };
  for (const [vital, value] of Object.entries(o.vitals ?? {})) attributes[`browser.web_vital.${vital}.value`] = { type: "double", value };
  const items: unknown[] = [
    {
      ...segment,
      trace_id: traceId,
      span_id: spanId,
      name: o.name ?? "GET /orders",
      start_timestamp: start,
      end_timestamp: end,
      status: o.status ?? "ok",
      attributes,
    },
  ];
  for (let i = 0; i < (o.children ?? 0); i += 1) {
    items.push({
      ...child,
      trace_id: traceId,
      span_id: hex(16),
      parent_span_id: spanId,
      name: `SELECT ${i}`,
      start_timestamp: start,
      end_timestamp: Math.min(end, start + 0.001),
      attributes: { "sentry.op": { type: "string", value: "db.query" }, "sentry.segment.id": { type: "string", value: spanId } },
    });
  }
  const itemHeader = { type: "span", item_count: items.length, content_type: "application/vnd.sentry.items.span.v2+json" };
  return `${header}\n${JSON.stringify(itemHeader)}\n${JSON.stringify({ version: 2, items })}\n`;
}

export interface TransactionOptions {
  eventId?: string;
  traceId?: string;
  spanId?: string;
  name?: string;
  end?: number;
  durationMs: number;
  status?: string;
  measurements?: Record<string, number>;
}

/** A transaction envelope like Debian's python3-sentry-sdk's for a Django request (8 spans). */
export function transactionEnvelope(o: TransactionOptions): string {
  const [, , payload] = djangoTransaction.split("\n");
  const event = JSON.parse(payload!) as Record<string, unknown> & { contexts: { trace: Record<string, unknown> } };
  const eventId = o.eventId ?? hex(32);
  const end = (o.end ?? Date.now()) / 1000;
  const start = end - o.durationMs / 1000;
  const shift = end - Date.parse(event.timestamp as string) / 1000;
  event.event_id = eventId;
  event.transaction = o.name ?? event.transaction;
  event.start_timestamp = start;
  event.timestamp = end;
  event.contexts.trace = {
    ...event.contexts.trace,
    trace_id: o.traceId ?? hex(32),
    span_id: o.spanId ?? hex(16),
    status: o.status ?? "ok",
  };
  event.spans = (event.spans as Array<Record<string, unknown>>).map((s) => ({
    ...s,
    trace_id: event.contexts.trace.trace_id,
    start_timestamp: Date.parse(s.start_timestamp as string) / 1000 + shift,
    timestamp: Date.parse(s.timestamp as string) / 1000 + shift,
  }));
  if (o.measurements) event.measurements = Object.fromEntries(Object.entries(o.measurements).map(([k, v]) => [k, { value: v }]));
  const body = JSON.stringify(event);
  return `${JSON.stringify({ event_id: eventId, sent_at: new Date().toISOString() })}\n${JSON.stringify({ type: "transaction", length: encoder.encode(body).byteLength })}\n${body}\n`;
}

export function ingestMessage(
  projectId: number,
  envelope: string | Uint8Array,
  extra: Partial<IngestMessage> = {},
): { id: string; timestamp: Date; attempts: number; body: IngestMessage } {
  counter += 1;
  const bytes = (typeof envelope === "string" ? encoder.encode(envelope) : envelope) as Uint8Array<ArrayBuffer>;
  return {
    id: `perf-${Date.now()}-${counter}`,
    timestamp: new Date(),
    attempts: 1,
    body: {
      v: 1,
      kind: "envelope",
      projectId,
      keyId: 1,
      receivedAt: Date.now(),
      clientIp: "198.51.100.7",
      userAgent: "test",
      eventId: null,
      size: bytes.byteLength,
      body: bytes,
      ...extra,
    },
  };
}

/** Runs the events consumer on the messages as one batch (with `overrides` for its bindings). */
export async function digest(messages: ReturnType<typeof ingestMessage>[], overrides: Partial<Env> = {}): Promise<void> {
  const batch = createMessageBatch<IngestMessage>("events", messages);
  await digestEvents(batch as MessageBatch<unknown>, { ...env, ...overrides } as Env);
}
