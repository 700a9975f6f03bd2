import { type Envelope, EnvelopeParseError, parseEnvelope } from "../protocol/parse-envelope";
import { refuse } from "./refusal";

/**
 * The cheap checks ingest makes before enqueueing (full parsing belongs to the consumer).
 * Envelope format: https://develop.sentry.dev/sdk/data-model/envelopes/ — a JSON header line,
 * then items, each a JSON header line and a payload that is either `length` bytes (followed by an
 * optional newline) or, without `length`, everything up to the next newline or the end.
 */
export interface EnvelopeSummary {
  header: Record<string, unknown>;
  /** 32 lowercase hex digits, from the envelope header or the event item; null when there is no event. */
  eventId: string | null;
  itemTypes: string[];
  /** Rate-limit categories (https://develop.sentry.dev/sdk/expected-features/rate-limiting/#definitions) of the event-like item, if any. */
  eventCategories: string[];
  /**
   * What the envelope counts as against the key's quota: its event's categories, else "span" for
   * an envelope of span streams, which carry transactions (their segment spans) but no event.
   */
  quotaCategories: string[];
  /** The monitor slug of each check_in item that names one (worker/check-in-rate-limit.ts). */
  checkInSlugs: string[];
}

export interface EnvelopeLimits {
  maxEventBytes: number;
}

// Items that carry one event each (Relay allows at most one of them per envelope), with the
// rate-limit categories each counts as. An event item is an error or a default (message) event
// depending on its content, so it may count as either.
const EVENT_ITEMS: Record<string, readonly string[]> = {
  event: ["error", "default"],
  transaction: ["transaction"],
  security: ["security"],
  raw_security: ["security"],
  // User feedback: https://develop.sentry.dev/sdk/data-model/envelope-items/#user-feedback
  feedback: ["feedback"],
};

/** Every category a key's event quota counts: what a 429's X-Sentry-Rate-Limits names. */
export const EVENT_CATEGORIES: readonly string[] = [...new Set([...Object.values(EVENT_ITEMS).flat(), "span"])];

const decoder = new TextDecoder();

/** Attachments one envelope (or one minidump upload) may carry; SDKs send a handful with an event. */
export const MAX_ATTACHMENTS = 100;

/** Relay's limit on a check-in item (max_check_in_size, 100 KiB); a real one is a few hundred bytes. */
export const MAX_CHECK_IN_BYTES = 102_400;

export function inspectEnvelope(bytes: Uint8Array, limits: EnvelopeLimits): EnvelopeSummary {
  if (bytes.byteLength === 0) refuse(400, "empty_body", "empty envelope");
  let envelope: Envelope;
  try {
    envelope = parseEnvelope(bytes);
  } catch (err) {
    return refuse(400, "malformed_envelope", err instanceof EnvelopeParseError ? err.message : "malformed envelope");
  }
  const { header, items } = envelope;
  let eventId = header.event_id === undefined || header.event_id === null ? null : normalizeEventId(header.event_id);
  const eventCategories: string[] = [];
  const checkInSlugs: string[] = [];
  let attachments = 0;
  for (const item of items) {
    // Each attachment is one R2 write in the digest, which has a budget of calls per batch.
    if (item.type === "attachment" && ++attachments > MAX_ATTACHMENTS)
      refuse(413, "too_many_items", `more than ${MAX_ATTACHMENTS} attachments in one envelope`);
    if (item.type === "check_in") {
      if (item.payload.byteLength > MAX_CHECK_IN_BYTES) refuse(413, "item_too_large", `check_in item exceeds ${MAX_CHECK_IN_BYTES} bytes`);
      const slug = checkInSlug(item.payload);
      if (slug !== null) checkInSlugs.push(slug);
    }
    const categories = EVENT_ITEMS[item.type];
    if (categories === undefined) continue;
    if (eventCategories.length > 0) refuse(400, "duplicate_item", "an envelope may carry at most one event or transaction");
    if (item.payload.byteLength > limits.maxEventBytes) {
      refuse(413, "item_too_large", `${item.type} item exceeds ${limits.maxEventBytes} bytes`);
    }
    eventCategories.push(...categories);
    // The header's id wins over the payload's: https://develop.sentry.dev/sdk/data-model/envelope-items/#event
    eventId ??= topLevelEventId(item.payload);
  }
  // The digest makes an error event of a minidump sent without one, as Relay does, so it counts as one.
  if (eventCategories.length === 0 && items.some(isMinidump)) eventCategories.push("error");
  if (eventCategories.length > 0 && eventId === null) eventId = newEventId();
  // Span streams (https://develop.sentry.dev/sdk/telemetry/spans/span-protocol/) are how
  // @sentry/node and @sentry/browser send transactions: one envelope of spans counts once.
  const quotaCategories = eventCategories.length === 0 && items.some((i) => i.type === "span") ? ["span"] : eventCategories;
  return { header, eventId, itemTypes: items.map((i) => i.type), eventCategories, quotaCategories, checkInSlugs };
}

/** A check-in's monitor_slug, read only to rate-limit it (the digest validates the item). */
function checkInSlug(payload: Uint8Array): string | null {
  try {
    const slug = (JSON.parse(decoder.decode(payload)) as { monitor_slug?: unknown } | null)?.monitor_slug;
    return typeof slug === "string" ? slug.trim().toLowerCase().slice(0, 100) : null;
  } catch {
    return null;
  }
}

/** https://develop.sentry.dev/sdk/data-model/envelope-items/#attachment: attachment_type event.minidump. */
function isMinidump(item: { type: string; header: Record<string, unknown> }): boolean {
  return item.type === "attachment" && item.header.attachment_type === "event.minidump";
}

/** A `/store/` body: one JSON event (https://develop.sentry.dev/sdk/data-model/event-payloads/). */
export function inspectStoreEvent(bytes: Uint8Array, limits: EnvelopeLimits): { eventId: string } {
  if (bytes.byteLength === 0) refuse(400, "empty_body", "empty event");
  if (bytes.byteLength > limits.maxEventBytes) refuse(413, "item_too_large", `event exceeds ${limits.maxEventBytes} bytes`);
  const event = parseJsonObject(bytes);
  const id = event.event_id;
  return { eventId: id === undefined || id === null ? newEventId() : normalizeEventId(id) };
}

/** Sentry event ids are UUIDs, sent as 32 hex digits; hyphenated and upper-case forms are accepted. */
export function normalizeEventId(value: unknown): string {
  if (typeof value === "string") {
    const hex = value.replace(/-/g, "").toLowerCase();
    if (
      /^[0-9a-f]{32}$/.test(hex) &&
      (value.length === 32 || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
    ) {
      return hex;
    }
  }
  return refuse(400, "invalid_event_id", "event_id must be 32 hexadecimal digits");
}

export function newEventId(): string {
  return crypto.randomUUID().replace(/-/g, "");
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const EVENT_ID_KEY = new TextEncoder().encode("event_id");

/**
 * The payload's top-level `event_id`, without parsing the event: a scan that skips over strings
 * and tracks nesting, so an `event_id` inside e.g. `extra` is never taken. It stops at the key,
 * which SDKs write first. A payload that is not a JSON object yields null (the consumer judges it).
 */
export function topLevelEventId(payload: Uint8Array): string | null {
  let depth = 0;
  let i = skipWhitespace(payload, 0);
  if (payload[i] !== 0x7b) return null;
  while (i < payload.byteLength) {
    const b = payload[i];
    if (b === QUOTE) {
      const end = stringEnd(payload, i);
      if (end === -1) return null;
      const colon = skipWhitespace(payload, end + 1);
      if (depth === 1 && payload[colon] === 0x3a && isEventIdKey(payload, i, end))
        return eventIdValue(payload, skipWhitespace(payload, colon + 1));
      i = end + 1;
      continue;
    }
    if (b === 0x7b || b === 0x5b) depth += 1;
    else if (b === 0x7d || b === 0x5d) {
      depth -= 1;
      if (depth === 0) return null;
    }
    i += 1;
  }
  return null;
}

/** The index of the quote closing the string that opens at `start`, or -1. */
function stringEnd(bytes: Uint8Array, start: number): number {
  let i = start;
  for (;;) {
    i = bytes.indexOf(QUOTE, i + 1);
    if (i === -1) return -1;
    let backslashes = 0;
    while (bytes[i - 1 - backslashes] === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return i;
  }
}

function isEventIdKey(bytes: Uint8Array, start: number, end: number): boolean {
  const raw = bytes.subarray(start + 1, end);
  if (raw.includes(BACKSLASH)) {
    // An escape that is not JSON (`"\q"`) makes a key that is not event_id; the consumer refuses the payload.
    try {
      return JSON.parse(decoder.decode(bytes.subarray(start, end + 1))) === "event_id";
    } catch {
      return false;
    }
  }
  return raw.byteLength === EVENT_ID_KEY.byteLength && raw.every((b, k) => b === EVENT_ID_KEY[k]);
}

/** The value after `"event_id":`; null is as good as absent, anything but an id string is refused. */
function eventIdValue(bytes: Uint8Array, at: number): string | null {
  if (bytes[at] === QUOTE) {
    const end = stringEnd(bytes, at);
    let value: unknown;
    try {
      value = end === -1 ? undefined : JSON.parse(decoder.decode(bytes.subarray(at, end + 1)));
    } catch {
      value = undefined;
    }
    return normalizeEventId(value);
  }
  if (decoder.decode(bytes.subarray(at, at + 4)) === "null") return null;
  return normalizeEventId(undefined);
}

function skipWhitespace(bytes: Uint8Array, from: number): number {
  let i = from;
  while (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09) i += 1;
  return i;
}

function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return refuse(400, "malformed_event", "event is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) refuse(400, "malformed_event", "event is not a JSON object");
  return value as Record<string, unknown>;
}
