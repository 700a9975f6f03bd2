/**
 * The error kind's prepare step: a raw event (an `event` item, a `/store/` body, or the event a
 * minidump makes) through normalize → scrub → symbolicate → fingerprint, into the row the batch
 * writes.
 */
import type { IngestMessage } from "../../../../protocol/ingest-message";
import { encodeEventData } from "../../../../protocol/event-data";
import { type Grouping, fingerprintEvent } from "./fingerprint-event";
import { type NormalizedEvent, normalizeEvent, retitleEvent } from "./normalize-event";
import { type ScrubOptions, scrubNormalizedEvent } from "./scrub-event";
import { type SourceFiles, symbolicateJavaScript } from "./symbolicate-javascript";

/** A project's uploaded source maps, or null when it has none (find-source-files.ts). */
export type SourceFilesOf = (projectId: number) => Promise<SourceFiles | null>;

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
  sourceFiles?: SourceFilesOf,
): Promise<PreparedEvent> {
  const normalized = normalizeEvent(raw, { eventId, receivedAt: message.receivedAt, clientIp: message.clientIp });
  // Ingest answered the client with this id; the stored event must carry the same one.
  if (eventId) normalized.eventId = eventId;
  const event = scrubNormalizedEvent(normalized, scrub);
  event.data.event_id = event.eventId;
  if (sourceFiles !== undefined) await applySourceMaps(event, message.projectId, sourceFiles);
  // Scrub before grouping, as Sentry does, so grouping components hold nothing scrubbed.
  const grouping = await fingerprintEvent(event.data);
  return { projectId: message.projectId, event, grouping, data: await encodeEventData(event.data) };
}

/**
 * JavaScript frames through the project's source maps, after scrubbing (Relay scrubs before
 * Sentry processes an event) and before grouping, so the issue, its title and culprit are the
 * original code's: two functions minified to one name are two issues, one function at two
 * minified positions is one. A map never fails the event: it stays as sent and says why.
 */
async function applySourceMaps(event: NormalizedEvent, projectId: number, sourceFiles: SourceFilesOf): Promise<void> {
  if (event.platform !== "javascript" && event.platform !== "node") return;
  try {
    const files = await sourceFiles(projectId);
    if (files !== null && (await symbolicateJavaScript(event.data, files))) retitleEvent(event);
  } catch (err) {
    console.error("digest: source maps failed for an event", event.eventId, err);
  }
}
