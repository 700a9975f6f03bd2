import { type Envelope, EnvelopeParseError, parseEnvelope } from "../queue-consumer/parse-envelope";
import { reject } from "./rejection";

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
  /** Rate-limit categories (https://develop.sentry.dev/sdk/expected-features/rate-limiting/#definitions) of event-like items. */
  eventCategories: string[];
}

export interface EnvelopeLimits {
  maxEventBytes: number;
}

// Items that carry one event each; Relay allows at most one of them per envelope.
const EVENT_ITEMS: Record<string, string> = {
  event: "error",
  transaction: "transaction",
  security: "security",
  raw_security: "security",
  user_report_v2: "user_report_v2",
};

const decoder = new TextDecoder();

export function inspectEnvelope(bytes: Uint8Array, limits: EnvelopeLimits): EnvelopeSummary {
  if (bytes.byteLength === 0) reject(400, "empty_body", "empty envelope");
  let envelope: Envelope;
  try {
    envelope = parseEnvelope(bytes);
  } catch (err) {
    return reject(400, "malformed_envelope", err instanceof EnvelopeParseError ? err.message : "malformed envelope");
  }
  const { header, items } = envelope;
  let eventId = header.event_id === undefined || header.event_id === null ? null : normalizeEventId(header.event_id);
  const eventCategories: string[] = [];
  for (const item of items) {
    const category = EVENT_ITEMS[item.type];
    if (category === undefined) continue;
    if (eventCategories.length > 0) reject(400, "duplicate_item", "an envelope may carry at most one event or transaction");
    if (item.payload.byteLength > limits.maxEventBytes) {
      reject(413, "item_too_large", `${item.type} item exceeds ${limits.maxEventBytes} bytes`);
    }
    eventCategories.push(category);
    eventId ??= eventIdFromPayload(item.payload);
  }
  if (eventCategories.length > 0 && eventId === null) eventId = newEventId();
  return { header, eventId, itemTypes: items.map((i) => i.type), eventCategories };
}

/** A `/store/` body: one JSON event (https://develop.sentry.dev/sdk/data-model/event-payloads/). */
export function inspectStoreEvent(bytes: Uint8Array, limits: EnvelopeLimits): { eventId: string } {
  if (bytes.byteLength === 0) reject(400, "empty_body", "empty event");
  if (bytes.byteLength > limits.maxEventBytes) reject(413, "item_too_large", `event exceeds ${limits.maxEventBytes} bytes`);
  const event = parseJsonObject(bytes);
  const id = event.event_id;
  return { eventId: id === undefined || id === null ? newEventId() : normalizeEventId(id) };
}

/** Sentry event ids are UUIDs, sent as 32 hex digits; hyphenated and upper-case forms are accepted. */
export function normalizeEventId(value: unknown): string {
  if (typeof value === "string") {
    const hex = value.replace(/-/g, "").toLowerCase();
    if (/^[0-9a-f]{32}$/.test(hex) && (value.length === 32 || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))) {
      return hex;
    }
  }
  return reject(400, "invalid_event_id", "event_id must be 32 hexadecimal digits");
}

export function newEventId(): string {
  return crypto.randomUUID().replace(/-/g, "");
}

function eventIdFromPayload(payload: Uint8Array): string | null {
  // Only the start is searched: SDKs write event_id first, and this keeps the edge cheap.
  const head = decoder.decode(payload.subarray(0, 4096));
  const match = /"event_id"\s*:\s*"([^"]*)"/.exec(head);
  return match ? normalizeEventId(match[1]) : null;
}

function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return reject(400, "malformed_event", "event is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) reject(400, "malformed_event", "event is not a JSON object");
  return value as Record<string, unknown>;
}
