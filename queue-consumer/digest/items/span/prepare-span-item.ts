/**
 * The span kind's prepare step: a span v2 item (`content_type:
 * application/vnd.sentry.items.span.v2+json`, https://develop.sentry.dev/sdk/telemetry/spans/span-protocol/),
 * what @sentry/node and @sentry/browser 10+ send instead of transactions. A segment span
 * (`is_segment: true`) is a transaction: its name, op, duration and status count exactly like a
 * transaction's, and the spans of its segment (`sentry.segment.id`, else the nearest segment up
 * their parent chain in the item) are its tree. Spans whose segment is not in the item (it came, or
 * will come, in another envelope) are kept as a group of their own, which the trace view joins to
 * its segment by trace id. A span that cannot be read is left out and counted; the others stay.
 */
import type { EnvelopeItem } from "../../../../protocol/parse-envelope";
import { parseItemJson } from "../../../../protocol/parse-envelope";
import { type StoredSpan, encodeSpanTree } from "../../../../protocol/span-tree";
import { WEB_VITALS, type WebVital } from "../../../../protocol/web-vitals";
import { type JsonRecord, asNumber, asRecord, asString, isRecord } from "../../untrusted-json";
import { addDropped, checkSpanTree, spanTimes } from "../transaction/check-span-tree";
import { slimData } from "../transaction/prepare-transaction";
import {
  type Dropped,
  MAX_NAME_CHARS,
  MAX_SPANS,
  type PreparedTrace,
  TraceRefused,
  clip,
  clockShiftMs,
  spanIdOf,
  traceIdOf,
} from "../transaction/prepared-trace";
import { spanV2Status } from "../transaction/span-status";

export const SPAN_V2_CONTENT_TYPE = "application/vnd.sentry.items.span.v2+json";

export interface SpanItemContext {
  projectId: number;
  receivedAt: number;
  /** The envelope header's `trace` (dynamic sampling context): environment and release when a span names none. */
  envelopeTrace: JsonRecord | undefined;
}

interface ReadSpan {
  traceId: string;
  span: StoredSpan;
  name: string;
  isSegment: boolean;
  attributes: JsonRecord;
}

/** Whether an item is a span v2 item (by its content type, or by its payload's shape). */
export function isSpanV2Item(item: EnvelopeItem): boolean {
  return item.header.content_type === SPAN_V2_CONTENT_TYPE;
}

export function prepareSpanItem(item: EnvelopeItem, ctx: SpanItemContext): { traces: PreparedTrace[]; dropped: Dropped[] } {
  const payload = parseItemJson(item);
  if (!isRecord(payload) || !Array.isArray(payload.items)) throw new TraceRefused("invalid_span", "span item has no items array");
  const dropped: Dropped[] = [];
  const spans: ReadSpan[] = [];
  let invalid = 0;
  for (const raw of payload.items as unknown[]) {
    const read = readSpan(raw);
    if (read === undefined) invalid += 1;
    else if (spans.length >= MAX_SPANS) addDropped(dropped, [{ reason: "too_many_spans", count: 1 }]);
    else spans.push(read);
  }
  if (invalid > 0) addDropped(dropped, [{ reason: "invalid_span", count: invalid }]);

  const segments = new Map<string, { segment: ReadSpan; children: ReadSpan[] }>();
  for (const s of spans)
    if (s.isSegment && !segments.has(key(s.traceId, s.span.span_id)))
      segments.set(key(s.traceId, s.span.span_id), { segment: s, children: [] });
  const byId = new Map(spans.map((s) => [key(s.traceId, s.span.span_id), s]));
  const orphans = new Map<string, { segmentId: string | null; spans: ReadSpan[] }>();
  for (const s of spans) {
    if (s.isSegment && segments.get(key(s.traceId, s.span.span_id))?.segment === s) continue;
    const segmentId = segmentOf(s, byId, segments);
    const home = segmentId === null ? undefined : segments.get(key(s.traceId, segmentId));
    if (home !== undefined) {
      home.children.push(s);
      continue;
    }
    const groupKey = key(s.traceId, segmentId ?? "-");
    const group = orphans.get(groupKey) ?? { segmentId, spans: [] };
    orphans.set(groupKey, group);
    group.spans.push(s);
  }

  const traces: PreparedTrace[] = [];
  for (const { segment, children } of segments.values()) traces.push(segmentTrace(segment, children, ctx, dropped));
  for (const group of orphans.values()) {
    const trace = groupTrace(group.segmentId, group.spans, ctx, dropped);
    if (trace !== null) traces.push(trace);
  }
  return { traces, dropped };
}

function key(traceId: string, spanId: string): string {
  return `${traceId}:${spanId}`;
}

function attribute(attributes: JsonRecord, name: string): unknown {
  const value = attributes[name];
  return isRecord(value) ? value.value : value;
}

function readSpan(raw: unknown): ReadSpan | undefined {
  if (!isRecord(raw)) return undefined;
  const traceId = traceIdOf(raw.trace_id);
  const spanId = spanIdOf(raw.span_id);
  if (traceId === undefined || spanId === undefined) return undefined;
  const times = spanTimes(raw.start_timestamp, raw.end_timestamp);
  if (typeof times === "string") return undefined;
  const attributes = asRecord(raw.attributes) ?? {};
  const name = clip(asString(raw.name) ?? "", MAX_NAME_CHARS);
  const data = slimData(attributes);
  const description = asString(attribute(attributes, "sentry.description")) ?? asString(attribute(attributes, "db.query.text")) ?? name;
  return {
    traceId,
    name,
    isSegment: raw.is_segment === true,
    attributes,
    span: {
      span_id: spanId,
      parent_span_id: spanIdOf(raw.parent_span_id) ?? null,
      op: clip(asString(attribute(attributes, "sentry.op")) ?? "default", 64),
      description: clip(description, 2000),
      start_timestamp: times.start,
      timestamp: times.end,
      status: spanV2Status(raw.status, asNumber(attribute(attributes, "http.response.status_code"))),
      ...(data === undefined ? {} : { data }),
    },
  };
}

/** The segment a span belongs to: what it says, else the first segment up its parent chain in the item. */
function segmentOf(s: ReadSpan, byId: ReadonlyMap<string, ReadSpan>, segments: ReadonlyMap<string, unknown>): string | null {
  const said = spanIdOf(attribute(s.attributes, "sentry.segment.id"));
  if (said !== undefined) return said;
  const visited = new Set<string>();
  let parent = s.span.parent_span_id;
  while (parent !== null && !visited.has(parent)) {
    if (segments.has(key(s.traceId, parent))) return parent;
    visited.add(parent);
    parent = byId.get(key(s.traceId, parent))?.span.parent_span_id ?? null;
  }
  return null;
}

/** `browser.web_vital.<name>.value` of the first of the spans that has it. */
function vitalsOf(spans: readonly ReadSpan[]): Array<[WebVital, number]> {
  const out: Array<[WebVital, number]> = [];
  for (const vital of WEB_VITALS) {
    for (const s of spans) {
      const value = asNumber(attribute(s.attributes, `browser.web_vital.${vital}.value`));
      if (value !== undefined && value >= 0) {
        out.push([vital, value]);
        break;
      }
    }
  }
  return out;
}

function shifted(span: StoredSpan, shift: number): StoredSpan {
  return shift === 0 ? span : { ...span, start_timestamp: span.start_timestamp + shift, timestamp: span.timestamp + shift };
}

function envOf(s: ReadSpan, ctx: SpanItemContext, name: "environment" | "release", max: number): string {
  return clip(asString(attribute(s.attributes, `sentry.${name}`)) ?? asString(ctx.envelopeTrace?.[name]) ?? "", max);
}

function segmentTrace(segment: ReadSpan, children: ReadSpan[], ctx: SpanItemContext, dropped: Dropped[]): PreparedTrace {
  const root = segment.span;
  const shift = clockShiftMs(root.timestamp * 1000, ctx.receivedAt) / 1000;
  const checked = checkSpanTree(
    root.span_id,
    children.map((c) => shifted(c.span, shift)),
  );
  addDropped(dropped, checked.dropped);
  const name =
    segment.name || clip(asString(attribute(segment.attributes, "sentry.segment.name")) ?? "<unlabeled transaction>", MAX_NAME_CHARS);
  const environment = envOf(segment, ctx, "environment", 64);
  const release = envOf(segment, ctx, "release", 200);
  const vitals = vitalsOf([segment, ...children]);
  const rootSpan = shifted({ ...root, description: name }, shift);
  return {
    kind: "segment",
    projectId: ctx.projectId,
    traceId: segment.traceId,
    spanId: root.span_id,
    eventId: null,
    parentSpanId: root.parent_span_id,
    name,
    op: root.op,
    status: root.status,
    environment,
    release,
    startedAt: rootSpan.start_timestamp * 1000,
    endedAt: rootSpan.timestamp * 1000,
    durationMs: (root.timestamp - root.start_timestamp) * 1000,
    spanCount: checked.spans.length,
    vitals,
    dropped: checked.dropped,
    tree: encodeSpanTree({
      kind: "segment",
      project_id: ctx.projectId,
      trace_id: segment.traceId,
      event_id: null,
      segment_id: root.span_id,
      transaction: name,
      environment: environment || null,
      release: release || null,
      platform: asString(attribute(segment.attributes, "sentry.platform")) ?? null,
      sdk: sdkOf(segment.attributes),
      measurements: Object.fromEntries(vitals),
      spans: [rootSpan, ...checked.spans],
      dropped: checked.dropped,
    }),
  };
}

function groupTrace(segmentId: string | null, spans: ReadSpan[], ctx: SpanItemContext, dropped: Dropped[]): PreparedTrace | null {
  const first = spans[0]!;
  const end = Math.max(...spans.map((s) => s.span.timestamp));
  const shift = clockShiftMs(end * 1000, ctx.receivedAt) / 1000;
  const checked = checkSpanTree(
    segmentId,
    spans.map((s) => shifted(s.span, shift)),
  );
  addDropped(dropped, checked.dropped);
  // Every span of the group repeated its segment's id: nothing is left to keep.
  if (checked.spans.length === 0) return null;
  const start = Math.min(...checked.spans.map((s) => s.start_timestamp));
  const stop = Math.max(...checked.spans.map((s) => s.timestamp));
  const name = clip(asString(attribute(first.attributes, "sentry.segment.name")) ?? "", MAX_NAME_CHARS);
  // Web Vitals sent as spans of their own after a pageload ended name the pageload's span.
  const op = spans.some((s) => attribute(s.attributes, "sentry.pageload.span_id") !== undefined) ? "pageload" : "";
  const environment = envOf(first, ctx, "environment", 64);
  const release = envOf(first, ctx, "release", 200);
  const vitals = vitalsOf(spans);
  return {
    kind: "spans",
    projectId: ctx.projectId,
    traceId: first.traceId,
    spanId: first.span.span_id,
    eventId: null,
    parentSpanId: segmentId,
    name,
    op,
    status: "unknown",
    environment,
    release,
    startedAt: start * 1000,
    endedAt: stop * 1000,
    durationMs: (stop - start) * 1000,
    spanCount: checked.spans.length,
    vitals,
    dropped: checked.dropped,
    tree: encodeSpanTree({
      kind: "spans",
      project_id: ctx.projectId,
      trace_id: first.traceId,
      event_id: null,
      segment_id: segmentId,
      transaction: name || null,
      environment: environment || null,
      release: release || null,
      platform: null,
      sdk: sdkOf(first.attributes),
      measurements: Object.fromEntries(vitals),
      spans: checked.spans,
      dropped: checked.dropped,
    }),
  };
}

function sdkOf(attributes: JsonRecord): string | null {
  const name = asString(attribute(attributes, "sentry.sdk.name"));
  if (name === undefined) return null;
  const version = asString(attribute(attributes, "sentry.sdk.version"));
  return clip(version === undefined ? name : `${name}@${version}`, 100);
}
