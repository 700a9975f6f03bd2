/**
 * Turns one accepted request into rows, each envelope item by its kind (digest/items/<kind>/):
 * events through the error kind, transactions and span streams through theirs, attachments to R2,
 * every other item kept as sent. A part that cannot be read becomes a rejection with its reason
 * (recorded, never dropped); the rest of the envelope still goes through.
 */
import type { IngestMessage } from "../../protocol/ingest-message";
import type { OutcomeReason } from "../../protocol/outcome";
import { EnvelopeParseError, type EnvelopeItem, parseEnvelope, parseItemJson } from "../../protocol/parse-envelope";
import { prepareAttachment } from "./items/attachment/prepare-attachment";
import { CheckInError, type PreparedCheckIn, prepareCheckIn } from "./items/check-in/prepare-check-in";
import { type PreparedEvent, type SourceFilesOf, prepareErrorEvent } from "./items/error/prepare-error";
import { FeedbackError, type PreparedFeedback, prepareFeedbackEvent, prepareUserReport } from "./items/feedback/prepare-feedback";
import {
  type PreparedSessionAggregate,
  type PreparedSessionUpdate,
  SessionRefused,
  prepareSessionAggregate,
  prepareSessionUpdate,
} from "./items/session/prepare-session";
import type { ScrubOptions } from "./items/error/scrub-event";
import { INLINE_ITEM_MAX_BYTES, type KeptItemContext, type PreparedItem, prepareKeptItem } from "./items/kept/kept-item";
import { isSpanV2Item, prepareSpanItem } from "./items/span/prepare-span-item";
import { prepareTransaction } from "./items/transaction/prepare-transaction";
import { type Dropped, type PreparedTrace, TraceRefused } from "./items/transaction/prepared-trace";
import { addMinidumpCrash, eventFromMinidumpEnvelope, mergedIntoMinidumpEvent, minidumpAttachment } from "./items/minidump/minidump-event";
import type { PreparedRejection } from "./record-rejections";

export type { PreparedCheckIn } from "./items/check-in/prepare-check-in";
export type { PreparedEvent } from "./items/error/prepare-error";
export type { PreparedFeedback } from "./items/feedback/prepare-feedback";
export type { PreparedSessionAggregate, PreparedSessionUpdate } from "./items/session/prepare-session";
export type { PreparedItem } from "./items/kept/kept-item";
export type { PreparedTrace } from "./items/transaction/prepared-trace";
export type { PreparedRejection } from "./record-rejections";

/** One message's rows, by kind. A new kind adds its field here and its statements in persist-digest.ts. */
export interface PreparedMessage {
  events: PreparedEvent[];
  checkIns: PreparedCheckIn[];
  /** Transactions, segment spans and spans without their segment (items/transaction/, items/span/). */
  traces: PreparedTrace[];
  /** Feedback items, user reports (items/feedback/). */
  feedback: PreparedFeedback[];
  /** Session updates and request-mode aggregates (items/session/). */
  sessions: PreparedSessionUpdate[];
  sessionAggregates: PreparedSessionAggregate[];
  items: PreparedItem[];
  rejections: PreparedRejection[];
}

export interface PrepareContext {
  messageId: string;
  /**
   * The project's data-scrubbing settings, or how to read them: the digest reads them once per
   * batch, and only when an item that scrubs (an event, a check-in, feedback) first needs them,
   * so a batch of sessions or transactions makes no read for them.
   */
  scrub: ScrubOptions | (() => Promise<ScrubOptions>);
  /** Stores an attachment (or an oversized item) and answers its key. */
  storeBlob: (key: string, bytes: Uint8Array) => Promise<void>;
  /** The project's uploaded source maps, for JavaScript events (find-source-files.ts). */
  sourceFiles?: SourceFilesOf;
}

export async function prepareMessage(message: IngestMessage, body: Uint8Array, ctx: PrepareContext): Promise<PreparedMessage> {
  const out: PreparedMessage = emptyPreparedMessage();
  const discard = (reason: OutcomeReason, detail: string) =>
    out.rejections.push({
      messageId: ctx.messageId,
      projectId: message.projectId,
      receivedAt: message.receivedAt,
      reason,
      detail: detail.slice(0, 1000),
      body: body.byteLength <= INLINE_ITEM_MAX_BYTES ? body : null,
      bodyKey: message.bodyKey ?? null,
    });
  // Read before an item's try: a failed read is transient (the message is retried), never a rejection.
  const scrubOptions = async (): Promise<ScrubOptions> => (typeof ctx.scrub === "function" ? ctx.scrub() : ctx.scrub);
  const prepareEvent = async (raw: () => unknown, eventId: string | null, where: string) => {
    const scrub = await scrubOptions();
    try {
      out.events.push(await prepareErrorEvent(raw(), message, eventId, scrub, ctx.sourceFiles));
    } catch (err) {
      discard("malformed_event", `${where}${errorText(err)}`);
    }
  };

  if (message.kind === "store") {
    await prepareEvent(() => JSON.parse(new TextDecoder().decode(body)), message.eventId, "");
    return out;
  }

  let items: EnvelopeItem[];
  let envelopeTrace: Record<string, unknown> | undefined;
  let headerEventId: string | null = message.eventId;
  try {
    const envelope = parseEnvelope(body);
    items = envelope.items;
    const trace = envelope.header.trace;
    if (typeof trace === "object" && trace !== null && !Array.isArray(trace)) envelopeTrace = trace as Record<string, unknown>;
    // Ingest put the canonical event id in the message when there is an event; other items may still name one.
    if (headerEventId === null && typeof envelope.header.event_id === "string") headerEventId = envelope.header.event_id.slice(0, 64);
  } catch (err) {
    discard("malformed_envelope", err instanceof EnvelopeParseError ? err.message : errorText(err));
    return out;
  }

  // A minidump's crash goes into the envelope's event, or makes one (crashpad sends no event item).
  const minidump = minidumpAttachment(items);
  const eventFromMinidump = minidump !== undefined && !items.some((item) => item.type === "event");
  // Spans a tree left out are recorded with the message (the rest of it is kept).
  const noteDropped = (dropped: readonly Dropped[], where: string) => {
    if (dropped.length > 0)
      discard(dropped[0]!.reason, `${where}: left out ${dropped.map((d) => `${d.count} spans (${d.reason})`).join(", ")}`);
  };
  const trace = { projectId: message.projectId, receivedAt: message.receivedAt };
  for (const [index, item] of items.entries()) {
    if (eventFromMinidump && mergedIntoMinidumpEvent(item)) continue;
    const kept: KeptItemContext = {
      projectId: message.projectId,
      messageId: ctx.messageId,
      itemIndex: index,
      eventId: headerEventId,
      receivedAt: message.receivedAt,
      storeBlob: ctx.storeBlob,
    };
    // Item types: https://develop.sentry.dev/sdk/data-model/envelope-items/
    switch (item.type) {
      case "event":
        await prepareEvent(
          () => (minidump ? addMinidumpCrash(parseItemJson(item), minidump.payload) : parseItemJson(item)),
          headerEventId,
          `${item.type} item ${index}: `,
        );
        break;
      case "attachment":
        out.items.push(await prepareAttachment(item, kept));
        break;
      case "transaction":
        try {
          const prepared = prepareTransaction(parseItemJson(item), { ...trace, eventId: headerEventId });
          out.traces.push(prepared);
          noteDropped(prepared.dropped, `transaction item ${index}`);
        } catch (err) {
          discard(err instanceof TraceRefused ? err.reason : "invalid_transaction", `transaction item ${index}: ${errorText(err)}`);
        }
        break;
      case "span":
        // Span v2 (span streams); other span items (standalone v1 spans) are kept as sent.
        if (!isSpanV2Item(item)) {
          out.items.push(await prepareKeptItem(item, kept));
          break;
        }
        try {
          const prepared = prepareSpanItem(item, { ...trace, envelopeTrace });
          out.traces.push(...prepared.traces);
          noteDropped(prepared.dropped, `span item ${index}`);
        } catch (err) {
          discard(err instanceof TraceRefused ? err.reason : "invalid_span", `span item ${index}: ${errorText(err)}`);
        }
        break;
      case "check_in": {
        const scrub = await scrubOptions();
        try {
          out.checkIns.push(await prepareCheckIn(item, message, { messageId: ctx.messageId, itemIndex: index, scrub }));
        } catch (err) {
          if (!(err instanceof CheckInError)) throw err;
          discard(err.reason, `check_in item ${index}: ${err.message}`);
        }
        break;
      }
      case "feedback":
      case "user_report": {
        const scrub = item.type === "feedback" ? await scrubOptions() : undefined;
        try {
          const raw = parseItemJson(item);
          out.feedback.push(scrub ? prepareFeedbackEvent(raw, message, headerEventId, scrub) : prepareUserReport(raw, message));
        } catch (err) {
          discard(err instanceof FeedbackError ? "invalid_feedback" : "malformed_event", `${item.type} item ${index}: ${errorText(err)}`);
        }
        break;
      }
      case "session":
      case "sessions":
        try {
          const raw = parseItemJson(item);
          const session = { projectId: message.projectId, receivedAt: message.receivedAt, messageId: ctx.messageId, itemIndex: index };
          if (item.type === "session") out.sessions.push(await prepareSessionUpdate(raw, session));
          else out.sessionAggregates.push(await prepareSessionAggregate(raw, session));
        } catch (err) {
          discard(err instanceof SessionRefused ? err.reason : "invalid_session", `${item.type} item ${index}: ${errorText(err)}`);
        }
        break;
      default:
        out.items.push(await prepareKeptItem(item, kept));
    }
  }
  if (eventFromMinidump) await prepareEvent(() => eventFromMinidumpEnvelope(items, minidump.payload), headerEventId, "minidump: ");
  return out;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A message with nothing in it: what a step that makes rows of its own (the minute job) fills in. */
export function emptyPreparedMessage(): PreparedMessage {
  return { events: [], checkIns: [], traces: [], feedback: [], sessions: [], sessionAggregates: [], items: [], rejections: [] };
}
