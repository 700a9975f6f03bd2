/**
 * The transaction kind's prepare step: a `transaction` item
 * (https://develop.sentry.dev/sdk/foundations/transport/event-payloads/transaction/) into its index
 * row, its rollup values and its span tree. Refused, as Relay refuses it (relay-event-normalization
 * validation.rs): without both timestamps, ending before it starts, or without a trace context
 * holding a trace_id and a span_id; and here also when it lasts more than 24 hours. Times from a
 * clock that is off are moved, all by the same amount (prepared-trace.ts, clockShiftMs).
 */
import type { StoredSpan } from "../../../../protocol/span-tree";
import { encodeSpanTree } from "../../../../protocol/span-tree";
import { WEB_VITALS, type WebVital } from "../../../../protocol/web-vitals";
import { normalizeTimestamp } from "../../normalize-timestamp";
import { type JsonRecord, asNumber, asRecord, asString, isRecord } from "../../untrusted-json";
import { addDropped, checkSpanTree, spanTimes } from "./check-span-tree";
import {
  type Dropped,
  MAX_DURATION_MS,
  MAX_NAME_CHARS,
  type PreparedTrace,
  TraceRefused,
  clip,
  clockShiftMs,
  spanIdOf,
  traceIdOf,
} from "./prepared-trace";
import { normalizeSpanStatus } from "./span-status";

export interface TransactionContext {
  projectId: number;
  /** The id ingest answered the SDK with (the envelope's, else the payload's). */
  eventId: string | null;
  receivedAt: number;
}

/** Sentry's name for a transaction sent without one. */
const UNLABELED = "<unlabeled transaction>";

export function prepareTransaction(raw: unknown, ctx: TransactionContext): PreparedTrace {
  if (!isRecord(raw)) throw new TraceRefused("invalid_transaction", "transaction is not a JSON object");
  const trace = asRecord(asRecord(raw.contexts)?.trace);
  if (trace === undefined) throw new TraceRefused("invalid_transaction", "missing valid trace context");
  const traceId = traceIdOf(trace.trace_id);
  if (traceId === undefined) throw new TraceRefused("invalid_transaction", "trace context is missing trace_id");
  const spanId = spanIdOf(trace.span_id);
  if (spanId === undefined) throw new TraceRefused("invalid_transaction", "trace context is missing span_id");

  const start = normalizeTimestamp(raw.start_timestamp);
  const end = normalizeTimestamp(raw.timestamp);
  if (end === undefined) throw new TraceRefused("invalid_transaction", "timestamp hard-required for transaction events");
  if (start === undefined) throw new TraceRefused("invalid_transaction", "start_timestamp hard-required for transaction events");
  if (typeof end !== "number") throw new TraceRefused("invalid_transaction", `timestamp: ${end.reason}`);
  if (typeof start !== "number") throw new TraceRefused("invalid_transaction", `start_timestamp: ${start.reason}`);
  if (end < start) throw new TraceRefused("invalid_transaction", "end timestamp is smaller than start timestamp");
  const durationMs = (end - start) * 1000;
  if (durationMs > MAX_DURATION_MS) throw new TraceRefused("invalid_transaction", "transaction lasts more than 24 hours");

  const shift = clockShiftMs(end * 1000, ctx.receivedAt) / 1000;
  const name = clip(asString(raw.transaction) ?? UNLABELED, MAX_NAME_CHARS);
  const op = clip(asString(trace.op) ?? "default", 64);
  const status = normalizeSpanStatus(trace.status);
  const environment = clip(asString(raw.environment) ?? "", 64);
  const release = clip(asString(raw.release) ?? "", 200);
  const parentSpanId = spanIdOf(trace.parent_span_id) ?? null;

  const dropped: Dropped[] = [];
  const candidates: StoredSpan[] = [];
  let invalid = 0;
  for (const span of Array.isArray(raw.spans) ? raw.spans : []) {
    const read = readSpan(span, shift);
    if (read === undefined) invalid += 1;
    else candidates.push(read);
  }
  if (invalid > 0) dropped.push({ reason: "invalid_span", count: invalid });
  const checked = checkSpanTree(spanId, candidates);
  addDropped(dropped, checked.dropped);

  const root: StoredSpan = {
    span_id: spanId,
    parent_span_id: parentSpanId,
    op,
    description: name,
    start_timestamp: start + shift,
    timestamp: end + shift,
    status,
  };
  const vitals = vitalsOf(asRecord(raw.measurements));
  const eventId = ctx.eventId ?? (typeof raw.event_id === "string" ? raw.event_id.replaceAll("-", "").toLowerCase().slice(0, 32) : null);
  const tree = encodeSpanTree({
    kind: "transaction",
    project_id: ctx.projectId,
    trace_id: traceId,
    event_id: eventId,
    segment_id: spanId,
    transaction: name,
    environment: environment || null,
    release: release || null,
    platform: asString(raw.platform) ?? null,
    sdk: sdkOf(raw.sdk),
    measurements: Object.fromEntries(vitals),
    spans: [root, ...checked.spans],
    dropped,
  });
  return {
    kind: "transaction",
    projectId: ctx.projectId,
    traceId,
    spanId,
    eventId,
    parentSpanId,
    name,
    op,
    status,
    environment,
    release,
    startedAt: (start + shift) * 1000,
    endedAt: (end + shift) * 1000,
    durationMs,
    spanCount: checked.spans.length,
    vitals,
    dropped,
    tree,
  };
}

/** A span of a transaction's `spans` (https://develop.sentry.dev/sdk/foundations/transport/event-payloads/span/), or undefined when it cannot be used. */
function readSpan(value: unknown, shift: number): StoredSpan | undefined {
  if (!isRecord(value)) return undefined;
  const spanId = spanIdOf(value.span_id);
  if (spanId === undefined) return undefined;
  const times = spanTimes(value.start_timestamp, value.timestamp);
  if (typeof times === "string") return undefined;
  const tags = asRecord(value.tags);
  const data = slimData(asRecord(value.data), tags);
  return {
    span_id: spanId,
    parent_span_id: spanIdOf(value.parent_span_id) ?? null,
    op: clip(asString(value.op) ?? "default", 64),
    description: clip(asString(value.description) ?? "", 2000),
    start_timestamp: times.start + shift,
    timestamp: times.end + shift,
    status: normalizeSpanStatus(value.status ?? tags?.status),
    ...(data === undefined ? {} : { data }),
  };
}

/** The data keys the trace view shows: what the span did, never who it did it for. */
export const KEPT_SPAN_DATA = [
  "http.method",
  "http.request.method",
  "method",
  "http.status_code",
  "http.response.status_code",
  "status_code",
  "url",
  "url.full",
  "http.route",
  "db.system",
  "db.system.name",
  "db.operation",
  "server.address",
  "sentry.origin",
  "thread.name",
];

export function slimData(...sources: Array<JsonRecord | undefined>): Record<string, string | number | boolean> | undefined {
  const out: Record<string, string | number | boolean> = {};
  for (const source of sources) {
    if (source === undefined) continue;
    for (const key of KEPT_SPAN_DATA) {
      let value = source[key];
      if (isRecord(value) && "value" in value) value = value.value;
      if (typeof value === "string") out[key] = clip(value, 500);
      else if ((typeof value === "number" && Number.isFinite(value)) || typeof value === "boolean") out[key] = value;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `measurements.<vital>.value` of the Web Vitals kept (milliseconds, CLS a score). */
function vitalsOf(measurements: JsonRecord | undefined): Array<[WebVital, number]> {
  if (measurements === undefined) return [];
  const out: Array<[WebVital, number]> = [];
  for (const vital of WEB_VITALS) {
    const value = asNumber(asRecord(measurements[vital])?.value);
    if (value !== undefined && value >= 0) out.push([vital, value]);
  }
  return out;
}

function sdkOf(value: unknown): string | null {
  const sdk = asRecord(value);
  const name = asString(sdk?.name);
  if (name === undefined) return null;
  const version = asString(sdk?.version);
  return clip(version === undefined ? name : `${name}@${version}`, 100);
}
