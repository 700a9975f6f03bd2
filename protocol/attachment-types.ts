/**
 * What ingest's minidump endpoint writes into the envelope it queues and the digest reads back:
 * Sentry's attachment types (https://develop.sentry.dev/sdk/data-model/envelope-items/#attachment)
 * and the item that carries an upload's plain form fields.
 */
export const ATTACHMENT_TYPES = {
  minidump: "event.minidump",
  eventPayload: "event.payload",
  breadcrumbs: "event.breadcrumbs",
  attachment: "event.attachment",
} as const;

/** The item that carries the upload's plain form fields: a JSON list of [name, value] pairs. */
export const FORM_FIELDS_ITEM = "form_data";

/** `__sentry-event` is read (for its id at ingest, its scope in the digest) up to Sentry's largest event. */
export const MINIDUMP_EVENT_MAX_BYTES = 1_048_576;
