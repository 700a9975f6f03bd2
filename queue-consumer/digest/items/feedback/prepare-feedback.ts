/**
 * User feedback, from an item to its row (https://develop.sentry.dev/sdk/data-model/envelope-items/#user-feedback):
 * - a `feedback` item is an event whose `contexts.feedback` holds what the user typed (`message`,
 *   `name`, `contact_email`) and where (`url`), and, when the feedback is about an error, its
 *   `associated_event_id`; attachments such as a screenshot come in the same envelope under the
 *   feedback's event id (the attachment kind keeps them);
 * - a `user_report` item (https://develop.sentry.dev/sdk/data-model/envelope-items/#user-report---deprecated)
 *   is `{event_id, name, email, comments}` about the event it names; the crash-report dialog's
 *   form is queued as one.
 *
 * The rest of a feedback event is scrubbed like an error event's; the fields the user typed are
 * kept as typed (they are what the user chose to tell), but capped.
 */
import type { IngestMessage } from "../../../../protocol/ingest-message";
import { normalizeTimestamp } from "../../normalize-timestamp";
import { type JsonRecord, asRecord, asString, isRecord } from "../../untrusted-json";
import { type ScrubOptions, scrubEvent } from "../error/scrub-event";

/** One feedback, as stored in user_feedback. */
export interface PreparedFeedback {
  projectId: number;
  /** The feedback event's id; a user report's is the id of the event it is about. */
  feedbackId: string;
  eventId: string | null;
  name: string;
  email: string;
  message: string;
  url: string | null;
  environment: string | null;
  release: string | null;
  source: FeedbackSource;
  /** ms since the epoch. */
  dateCreated: number;
  data: string | null;
}

export type FeedbackSource = "feedback" | "user_report" | "crash_report" | "api";

/** What a feedback or user report may not be: it is refused with this reason (invalid_feedback). */
export class FeedbackError extends Error {}

/**
 * Longest message kept, in characters (Sentry's feedback widget and its crash-report form both
 * stop far below it); a longer one is cut and noted in the stored data, never refused.
 */
export const FEEDBACK_MESSAGE_MAX = 16_384;
/** Longest name, email and URL kept (Sentry's UserReport columns: 128 for name and email). */
const NAME_MAX = 128;
const EMAIL_MAX = 128;
const URL_MAX = 2_048;
/** The scrubbed rest of a feedback event, as JSON, kept up to this; past it only the typed fields are. */
const DATA_MAX = 64 * 1024;
const EVENT_ID = /^[0-9a-f]{32}$/;

/** A Sentry event id from an SDK: 32 hex digits, or a UUID with dashes; lower case. */
export function readEventId(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const id = value.trim().toLowerCase().replaceAll("-", "");
  return EVENT_ID.test(id) ? id : null;
}

/** A `feedback` item's event. `headerEventId` is the envelope's, used when the event names none. */
export function prepareFeedbackEvent(
  raw: unknown,
  message: Pick<IngestMessage, "projectId" | "receivedAt">,
  headerEventId: string | null,
  scrub: ScrubOptions,
): PreparedFeedback {
  if (!isRecord(raw)) throw new FeedbackError("the feedback item is not a JSON object");
  const feedbackId = readEventId(raw.event_id) ?? readEventId(headerEventId);
  if (feedbackId === null) throw new FeedbackError("the feedback has no event_id");
  const contexts = asRecord(raw.contexts);
  const feedback = asRecord(contexts?.feedback);
  if (feedback === undefined) throw new FeedbackError("the feedback has no contexts.feedback");
  const { message: typed, name, contact_email: email, ...rest } = feedback;
  const text = typedText(typed, Number.POSITIVE_INFINITY);
  if (text === "") throw new FeedbackError("the feedback has no message");

  // Everything but what the user typed goes through the event scrubber.
  const scrubbed = scrubEvent({ ...raw, contexts: { ...contexts, feedback: rest } }, scrub);
  const scrubbedFeedback = asRecord(asRecord(scrubbed.contexts)?.feedback) ?? {};
  const cut = text.length > FEEDBACK_MESSAGE_MAX;
  const data: JsonRecord = { ...scrubbed, ...(cut ? { _meta: { message: { truncated_from: text.length } } } : {}) };
  const json = JSON.stringify(data);
  return {
    projectId: message.projectId,
    feedbackId,
    eventId: readEventId(scrubbedFeedback.associated_event_id),
    name: typedText(name, NAME_MAX),
    email: typedText(email, EMAIL_MAX),
    message: text.slice(0, FEEDBACK_MESSAGE_MAX),
    url: asString(scrubbedFeedback.url)?.slice(0, URL_MAX) ?? null,
    environment: asString(scrubbed.environment)?.slice(0, 64) ?? null,
    release: asString(scrubbed.release)?.slice(0, 200) ?? null,
    source: "feedback",
    dateCreated: timeOf(raw.timestamp, message.receivedAt),
    data: json.length <= DATA_MAX ? json : null,
  };
}

/** A `user_report` item: `{event_id, name, email, comments}`. */
export function prepareUserReport(
  raw: unknown,
  message: Pick<IngestMessage, "projectId" | "receivedAt">,
  source: FeedbackSource = "user_report",
): PreparedFeedback {
  if (!isRecord(raw)) throw new FeedbackError("the user report is not a JSON object");
  const eventId = readEventId(raw.event_id);
  if (eventId === null) throw new FeedbackError("the user report has no valid event_id");
  const text = typedText(raw.comments, Number.POSITIVE_INFINITY);
  if (text === "") throw new FeedbackError("the user report has no comments");
  return {
    projectId: message.projectId,
    feedbackId: eventId,
    eventId,
    name: typedText(raw.name, NAME_MAX),
    email: typedText(raw.email, EMAIL_MAX),
    message: text.slice(0, FEEDBACK_MESSAGE_MAX),
    url: null,
    environment: null,
    release: null,
    source,
    dateCreated: message.receivedAt,
    data: text.length > FEEDBACK_MESSAGE_MAX ? JSON.stringify({ _meta: { message: { truncated_from: text.length } } }) : null,
  };
}

/** What a user typed: trimmed, up to `max` characters, "" when absent or not text. */
function typedText(value: unknown, max: number): string {
  return typeof value === "string" ? value.trim().slice(0, max) : "";
}

/**
 * The event's own time, or when it was received when it has none a Date can hold; never later
 * than its receipt (a clock ahead would keep it first in the list, and past retention).
 */
function timeOf(value: unknown, receivedAt: number): number {
  const seconds = normalizeTimestamp(value);
  return typeof seconds === "number" ? Math.min(Math.round(seconds * 1000), receivedAt) : receivedAt;
}
