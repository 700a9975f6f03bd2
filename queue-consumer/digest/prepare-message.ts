import { gzipSync } from "node:zlib";
import type { IngestMessage } from "../../protocol/ingest-message";
import { type Grouping, fingerprintEvent } from "./items/error/fingerprint-event";
import { addMinidumpCrash, eventFromMinidumpEnvelope, mergedIntoMinidumpEvent, minidumpAttachment } from "./items/minidump/minidump-event";
import { type NormalizedEvent, normalizeEvent } from "./items/error/normalize-event";
import { EnvelopeParseError, type EnvelopeItem, parseEnvelope, parseItemJson } from "../../protocol/parse-envelope";
import { type ScrubOptions, scrubNormalizedEvent } from "./items/error/scrub-event";

/** An error event, normalized, scrubbed and grouped, ready to persist. */
export interface PreparedEvent {
  projectId: number;
  event: NormalizedEvent;
  grouping: Grouping;
  /** gzip'd JSON of `event.data`. */
  data: Uint8Array;
}

/** Any other envelope item, kept as sent (attachments in R2, referenced by `bodyKey`). */
export interface PreparedItem {
  projectId: number;
  messageId: string;
  itemIndex: number;
  itemType: string;
  eventId: string | null;
  receivedAt: number;
  payload: Uint8Array | null;
  bodyKey: string | null;
}

export interface PreparedRejection {
  messageId: string;
  projectId: number;
  receivedAt: number;
  reason: string;
  detail: string;
  body: Uint8Array | null;
  bodyKey: string | null;
}

export interface PreparedMessage {
  events: PreparedEvent[];
  items: PreparedItem[];
  rejections: PreparedRejection[];
}

// Items whose payload is an event in Sentry's event schema (https://develop.sentry.dev/sdk/data-model/envelope-items/).
const ERROR_EVENT_ITEMS = new Set(["event"]);
// Larger non-event payloads are kept in R2 rather than in a D1 row.
const INLINE_ITEM_MAX_BYTES = 256 * 1024;

export interface PrepareContext {
  messageId: string;
  scrub: ScrubOptions;
  /** Stores an attachment (or an oversized item) and answers its key. */
  storeBlob: (key: string, bytes: Uint8Array) => Promise<void>;
}

/**
 * Turns one accepted request into rows: events through normalize → scrub → fingerprint, other
 * items kept as sent. A part that cannot be read becomes a rejection with its reason (recorded,
 * never dropped); the rest of the envelope still goes through.
 */
export async function prepareMessage(message: IngestMessage, body: Uint8Array, ctx: PrepareContext): Promise<PreparedMessage> {
  const out: PreparedMessage = { events: [], items: [], rejections: [] };
  const reject = (reason: string, detail: string, keepBody = true) =>
    out.rejections.push({
      messageId: ctx.messageId,
      projectId: message.projectId,
      receivedAt: message.receivedAt,
      reason,
      detail: detail.slice(0, 1000),
      body: keepBody && body.byteLength <= INLINE_ITEM_MAX_BYTES ? body : null,
      bodyKey: keepBody ? (message.bodyKey ?? null) : null,
    });

  if (message.kind === "store") {
    try {
      out.events.push(await prepareEvent(JSON.parse(new TextDecoder().decode(body)), message, message.eventId, ctx));
    } catch (err) {
      reject("malformed_event", errorText(err));
    }
    return out;
  }

  let items: EnvelopeItem[];
  let headerEventId: string | null = message.eventId;
  try {
    const envelope = parseEnvelope(body);
    items = envelope.items;
    // Ingest put the canonical event id in the message when there is an event; other items may still name one.
    if (headerEventId === null && typeof envelope.header.event_id === "string") headerEventId = envelope.header.event_id.slice(0, 64);
  } catch (err) {
    reject("malformed_envelope", err instanceof EnvelopeParseError ? err.message : errorText(err));
    return out;
  }

  // A minidump's crash goes into the envelope's event, or makes one (crashpad sends no event item).
  const minidump = minidumpAttachment(items);
  const eventFromMinidump = minidump !== undefined && !items.some((item) => ERROR_EVENT_ITEMS.has(item.type));
  for (const [index, item] of items.entries()) {
    if (eventFromMinidump && mergedIntoMinidumpEvent(item)) continue;
    if (ERROR_EVENT_ITEMS.has(item.type)) {
      try {
        const raw = parseItemJson(item);
        out.events.push(await prepareEvent(minidump ? addMinidumpCrash(raw, minidump.payload) : raw, message, headerEventId, ctx));
      } catch (err) {
        reject("malformed_event", `${item.type} item ${index}: ${errorText(err)}`);
      }
      continue;
    }
    let payload: Uint8Array | null;
    let bodyKey: string | null = null;
    if (item.type === "attachment" || item.payload.byteLength > INLINE_ITEM_MAX_BYTES) {
      bodyKey = `items/${message.projectId}/${ctx.messageId}/${index}`;
      await ctx.storeBlob(bodyKey, item.payload);
      payload = null;
    } else {
      // A copy: the item is a view into the whole request body (up to 20 MiB, with attachments),
      // which would otherwise stay in memory with the batch until it is written.
      payload = item.payload.slice();
    }
    out.items.push({
      projectId: message.projectId,
      messageId: ctx.messageId,
      itemIndex: index,
      itemType: item.type.slice(0, 64),
      eventId: headerEventId,
      receivedAt: message.receivedAt,
      payload,
      bodyKey,
    });
  }
  if (eventFromMinidump) {
    try {
      out.events.push(await prepareEvent(eventFromMinidumpEnvelope(items, minidump.payload), message, headerEventId, ctx));
    } catch (err) {
      reject("malformed_event", `minidump: ${errorText(err)}`);
    }
  }
  return out;
}

async function prepareEvent(raw: unknown, message: IngestMessage, eventId: string | null, ctx: PrepareContext): Promise<PreparedEvent> {
  const normalized = normalizeEvent(raw, { eventId, receivedAt: message.receivedAt, clientIp: message.clientIp });
  // Ingest answered the client with this id; the stored event must carry the same one.
  if (eventId) normalized.eventId = eventId;
  const event = scrubNormalizedEvent(normalized, ctx.scrub);
  event.data.event_id = event.eventId;
  // Scrub before grouping, as Sentry does, so grouping components hold nothing scrubbed.
  const grouping = await fingerprintEvent(event.data);
  return { projectId: message.projectId, event, grouping, data: await gzipJson(event.data) };
}

/**
 * Synchronous zlib (nodejs_compat) rather than CompressionStream: for events of a few KB the
 * stream plumbing costs more than the compression (npm run bench:digest -- --profile).
 */
export async function gzipJson(value: unknown): Promise<Uint8Array> {
  const gzipped = gzipSync(JSON.stringify(value));
  return new Uint8Array(gzipped.buffer, gzipped.byteOffset, gzipped.byteLength);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
