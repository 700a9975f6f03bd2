/**
 * What the transaction and span kinds hand the batch: one row per transaction (a `transaction`
 * item, or a segment span of a span stream, which counts exactly like one) or per group of spans
 * that arrived without their segment, with its span tree ready for R2. The statements
 * (transaction-statements.ts) write the slim index row and, for the rows a run inserted, the
 * rollups; store-span-trees.ts puts the trees of a whole batch in one R2 object first.
 */
import type { OutcomeReason } from "../../../../protocol/outcome";
import { DAY, HOUR } from "../../../../protocol/time";
import type { WebVital } from "../../../../protocol/web-vitals";

export interface PreparedTrace {
  kind: "transaction" | "segment" | "spans";
  projectId: number;
  traceId: string;
  /** The transaction's span id; for a group of spans, its first span's. */
  spanId: string;
  eventId: string | null;
  parentSpanId: string | null;
  /** The transaction name (for a group of spans, its segment's name when the spans say it). */
  name: string;
  op: string;
  status: string;
  environment: string;
  release: string;
  /** ms since the epoch. */
  startedAt: number;
  endedAt: number;
  durationMs: number;
  spanCount: number;
  vitals: Array<[WebVital, number]>;
  /** Spans left out of the tree, by reason: recorded with the message (prepare-message.ts). */
  dropped: Dropped[];
  /** The encoded span tree (protocol/span-tree.ts). */
  tree: Uint8Array;
  /** Where the tree went in R2: set by storeSpanTrees before the batch is written. */
  stored?: { key: string; offset: number; length: number };
}

/** Spans left out of a tree, counted by outcome reason. */
export interface Dropped {
  reason: "invalid_span" | "too_many_spans";
  count: number;
}

/** Why part of an item was left out (the rest is kept). */
export interface TraceProblem {
  reason: OutcomeReason;
  detail: string;
}

/** A transaction or span item the digest does not keep, with its outcome reason. */
export class TraceRefused extends Error {
  override name = "TraceRefused";
  constructor(
    readonly reason: OutcomeReason,
    message: string,
  ) {
    super(message);
  }
}

/** Transactions and spans that take longer than this are refused (a clock that jumped, most likely). */
export const MAX_DURATION_MS = DAY;
/** Spans kept per transaction, and per span item (the span v2 protocol's limit). */
export const MAX_SPANS = 1000;
/** Relay's limit on transaction names (relay-event-schema, `max_chars = 200`). */
export const MAX_NAME_CHARS = 200;

export function dayOf(ms: number): number {
  return ms - (ms % DAY);
}

export function hourOf(ms: number): number {
  return ms - (ms % HOUR);
}

/** 32 hex digits (dashes and upper case accepted, as Relay's TraceId does), or undefined. */
export function traceIdOf(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const id = value.replaceAll("-", "").toLowerCase();
  return /^[0-9a-f]{32}$/.test(id) && !/^0+$/.test(id) ? id : undefined;
}

/** 16 hex digits, or undefined. */
export function spanIdOf(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const id = value.toLowerCase();
  return /^[0-9a-f]{16}$/.test(id) && !/^0+$/.test(id) ? id : undefined;
}

// Relay's defaults for max_secs_in_future and max_secs_in_past (see items/error/normalize-event.ts).
const MAX_MS_IN_FUTURE = 60_000;
const MAX_MS_IN_PAST = 30 * DAY;

/**
 * How far to move a transaction's times so it ends when it was received, when its end is more
 * than a minute ahead of the receipt or 30 days behind it: every time of the tree moves by the
 * same amount, as Relay corrects clock drift (relay-event-normalization clock_drift.rs), so
 * durations stay what they were. 0 when the clock looks right.
 */
export function clockShiftMs(endMs: number, receivedAt: number): number {
  return endMs > receivedAt + MAX_MS_IN_FUTURE || endMs < receivedAt - MAX_MS_IN_PAST ? receivedAt - endMs : 0;
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max);
}
