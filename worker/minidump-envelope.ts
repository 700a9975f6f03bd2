import { ATTACHMENT_TYPES, FORM_FIELDS_ITEM, MINIDUMP_EVENT_MAX_BYTES } from "../protocol/attachment-types";
import { decodeMsgpack } from "../protocol/decode-msgpack";
import { newEventId, normalizeEventId } from "./inspect-envelope";
import { concat } from "./read-body";
import type { MinidumpUpload } from "./read-minidump-upload";
import { refuse } from "./refusal";

/**
 * Turns a minidump upload into the envelope an SDK would have sent, as Relay does: one
 * `attachment` item per file, typed by its form field
 * (https://develop.sentry.dev/sdk/data-model/envelope-items/#attachment), so the digest stores
 * and reads it like any other envelope.
 */
const MINIDUMP_FIELD = "upload_file_minidump";

// What sentry-native writes beside the minidump: the event and two rotating breadcrumb files, msgpack-encoded.
const FIELD_TYPES: Record<string, string> = {
  "__sentry-event": ATTACHMENT_TYPES.eventPayload,
  "__sentry-breadcrumb1": ATTACHMENT_TYPES.breadcrumbs,
  "__sentry-breadcrumb2": ATTACHMENT_TYPES.breadcrumbs,
};

export interface MinidumpEnvelope {
  eventId: string;
  envelope: Uint8Array;
  itemCount: number;
}

const encoder = new TextEncoder();

export function minidumpEnvelope(upload: MinidumpUpload): MinidumpEnvelope {
  const minidump = upload.files.find((f) => f.field === MINIDUMP_FIELD || f.field === null);
  if (minidump === undefined) refuse(400, "missing_minidump", `no ${MINIDUMP_FIELD} file in the upload`);
  if (!hasMinidumpMagic(minidump.bytes)) refuse(400, "invalid_minidump", "the minidump does not start with MDMP");
  const payload = upload.files.find((f) => f.field !== null && FIELD_TYPES[f.field] === ATTACHMENT_TYPES.eventPayload);
  const eventId = (payload && payloadEventId(payload.bytes, MINIDUMP_EVENT_MAX_BYTES)) ?? newEventId();

  const parts: Uint8Array[] = [encoder.encode(`${JSON.stringify({ event_id: eventId })}\n`)];
  const item = (header: Record<string, unknown>, bytes: Uint8Array) => {
    parts.push(encoder.encode(`${JSON.stringify({ ...header, length: bytes.byteLength })}\n`), bytes, encoder.encode("\n"));
  };
  for (const file of upload.files) {
    const attachmentType = file === minidump ? ATTACHMENT_TYPES.minidump : (FIELD_TYPES[file.field ?? ""] ?? ATTACHMENT_TYPES.attachment);
    item(
      {
        type: "attachment",
        filename: file.filename,
        attachment_type: attachmentType,
        ...(file.contentType ? { content_type: file.contentType } : {}),
      },
      file.bytes,
    );
  }
  if (upload.fields.length > 0) item({ type: FORM_FIELDS_ITEM }, encoder.encode(JSON.stringify(upload.fields)));
  return { eventId, envelope: concat(parts), itemCount: upload.files.length + (upload.fields.length > 0 ? 1 : 0) };
}

/** "MDMP", or "PMDM" for a big-endian minidump (Relay accepts both). */
function hasMinidumpMagic(bytes: Uint8Array): boolean {
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  return magic === "MDMP" || magic === "PMDM";
}

/**
 * The event id sentry-native put in `__sentry-event`, as Relay takes it: the id a crash was
 * reported under on the device, and the same one when the upload is retried. An unreadable
 * payload or id leaves it to a new one; the digest judges the payload.
 */
function payloadEventId(bytes: Uint8Array, maxBytes: number): string | null {
  if (bytes.byteLength > maxBytes) return null;
  try {
    const event = decodeMsgpack(bytes) as { event_id?: unknown } | null;
    const raw = typeof event === "object" && event !== null && !Array.isArray(event) ? event.event_id : undefined;
    const id = raw === undefined || raw === null ? null : normalizeEventId(raw);
    return id === null || /^0+$/.test(id) ? null : id;
  } catch {
    // A payload that is not msgpack, or an id that is not one (normalizeEventId's 400), is not the upload's fault.
    return null;
  }
}
