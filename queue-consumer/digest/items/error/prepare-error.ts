/**
 * The error kind's prepare step: a raw event (an `event` item, a `/store/` body, or the event a
 * minidump makes) through normalize → scrub → fingerprint, into the row the batch writes.
 */
import type { IngestMessage } from "../../../../protocol/ingest-message";
import { encodeEventData } from "../../../../protocol/event-data";
import { type Grouping, fingerprintEvent } from "./fingerprint-event";
import { type NormalizedEvent, normalizeEvent } from "./normalize-event";
import { type ScrubOptions, scrubNormalizedEvent } from "./scrub-event";

/** An error event, normalized, scrubbed and grouped, ready to persist. */
export interface PreparedEvent {
  projectId: number;
  event: NormalizedEvent;
  grouping: Grouping;
  /** The stored-event encoding of `event.data` (protocol/event-data.ts). */
  data: Uint8Array;
  /**
   * Written only if the run's check-in statements let it through: the event of a monitor's
   * failure, which opens an issue only past the monitor's failure threshold (items/check-in/).
   */
  gated?: boolean;
}

export async function prepareErrorEvent(
  raw: unknown,
  message: IngestMessage,
  eventId: string | null,
  scrub: ScrubOptions,
): Promise<PreparedEvent> {
  const normalized = normalizeEvent(raw, { eventId, receivedAt: message.receivedAt, clientIp: message.clientIp });
  // Ingest answered the client with this id; the stored event must carry the same one.
  if (eventId) normalized.eventId = eventId;
  const event = scrubNormalizedEvent(normalized, scrub);
  event.data.event_id = event.eventId;
  // Scrub before grouping, as Sentry does, so grouping components hold nothing scrubbed.
  const grouping = await fingerprintEvent(event.data);
  return { projectId: message.projectId, event, grouping, data: await encodeEventData(event.data) };
}
