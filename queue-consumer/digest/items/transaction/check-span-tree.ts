/**
 * The checks every span tree goes through before it is stored, whichever kind read it: a span's
 * times, the number of spans, span ids used twice, and parent chains that loop. What a check
 * refuses is counted with its outcome reason, so the tree says what is missing and the digest
 * records why; the transaction itself still counts.
 */
import type { StoredSpan } from "../../../../protocol/span-tree";
import { normalizeTimestamp } from "../../normalize-timestamp";
import { type Dropped, MAX_DURATION_MS, MAX_SPANS } from "./prepared-trace";

/** A span's start and end in seconds, or why they cannot be used (Relay's validate_span). */
export function spanTimes(start: unknown, end: unknown): { start: number; end: number } | string {
  const s = normalizeTimestamp(start);
  const e = normalizeTimestamp(end);
  if (s === undefined) return "span is missing start_timestamp";
  if (e === undefined) return "span is missing timestamp";
  if (typeof s !== "number") return `start_timestamp: ${s.reason}`;
  if (typeof e !== "number") return `timestamp: ${e.reason}`;
  if (e < s) return "end timestamp is smaller than start timestamp";
  if ((e - s) * 1000 > MAX_DURATION_MS) return "span lasts more than 24 hours";
  return { start: s, end: e };
}

/**
 * The spans to keep under `rootId` (the transaction's span, kept apart): the first MAX_SPANS
 * (in the order sent) of those with an id not seen before, each parent chain cut where it would
 * loop (the span closing the loop hangs from the root instead, as Relay re-parents broken spans).
 */
export function checkSpanTree(
  rootId: string | null,
  spans: readonly StoredSpan[],
  limit = MAX_SPANS,
): { spans: StoredSpan[]; dropped: Dropped[] } {
  const kept: StoredSpan[] = [];
  const seen = new Set<string>(rootId === null ? [] : [rootId]);
  let duplicates = 0;
  let overLimit = 0;
  for (const span of spans) {
    if (seen.has(span.span_id)) {
      duplicates += 1;
      continue;
    }
    if (kept.length >= limit) {
      overLimit += 1;
      continue;
    }
    seen.add(span.span_id);
    kept.push(span);
  }
  breakCycles(rootId, kept);
  const dropped: Dropped[] = [];
  if (duplicates > 0) dropped.push({ reason: "invalid_span", count: duplicates });
  if (overLimit > 0) dropped.push({ reason: "too_many_spans", count: overLimit });
  return { spans: kept, dropped };
}

/** Walks each span's parent chain once (memoised); a chain that comes back to itself is cut. */
function breakCycles(rootId: string | null, spans: StoredSpan[]): void {
  const byId = new Map(spans.map((s) => [s.span_id, s]));
  const done = new Set<string>();
  for (const start of spans) {
    const path = new Set<string>();
    let span: StoredSpan | undefined = start;
    while (span !== undefined && !done.has(span.span_id)) {
      path.add(span.span_id);
      const parent: string | null = span.parent_span_id;
      if (parent !== null && path.has(parent)) {
        span.parent_span_id = rootId;
        break;
      }
      span = parent === null ? undefined : byId.get(parent);
    }
    for (const id of path) done.add(id);
  }
}

/** Adds the counts of `more` into `into`, by reason. */
export function addDropped(into: Dropped[], more: readonly Dropped[]): Dropped[] {
  for (const d of more) {
    const same = into.find((x) => x.reason === d.reason);
    if (same) same.count += d.count;
    else into.push({ ...d });
  }
  return into;
}
