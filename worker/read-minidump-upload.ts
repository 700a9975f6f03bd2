import { MAX_ATTACHMENTS } from "./inspect-envelope";
import { MultipartError, multipartBoundary, parseMultipart } from "./parse-multipart";
import { refuse } from "./refusal";

/**
 * A minidump request as sent (https://docs.sentry.io/platforms/native/guides/minidumps/):
 * `multipart/form-data` from crashpad, Breakpad or sentry-native's crashpad backend, whose file
 * parts are the minidump and its attachments and whose other parts are plain fields, or the
 * minidump alone as the body (any other content type, as Relay takes `application/octet-stream`).
 */
export interface UploadFile {
  /** The form field's name; null for a minidump sent as the whole body. */
  field: string | null;
  filename: string;
  contentType: string | null;
  bytes: Uint8Array;
}

export interface MinidumpUpload {
  files: UploadFile[];
  fields: Array<[string, string]>;
}

const utf8 = new TextDecoder();

/**
 * What one upload may hold besides its files' bytes: each file is an attachment the digest
 * writes to R2 (one subrequest each), and plain fields travel in the queued envelope as JSON,
 * which can be six times their size. Past these: 413.
 */
export const UPLOAD_LIMITS = { files: MAX_ATTACHMENTS, fieldBytes: 65_536, fieldsBytes: 262_144 } as const;

export function readMinidumpUpload(body: Uint8Array, contentType: string | null): MinidumpUpload {
  const boundary = multipartBoundary(contentType);
  if (boundary === null) {
    if (/^\s*multipart\//i.test(contentType ?? "")) refuse(400, "invalid_multipart", "a multipart/form-data body needs a boundary");
    return { files: [{ field: null, filename: "Minidump", contentType: "application/x-dmp", bytes: body }], fields: [] };
  }
  const upload: MinidumpUpload = { files: [], fields: [] };
  let parts: ReturnType<typeof parseMultipart>;
  try {
    parts = parseMultipart(body, boundary);
  } catch (err) {
    if (err instanceof MultipartError) refuse(400, "invalid_multipart", `body is not valid multipart/form-data: ${err.message}`);
    throw err;
  }
  let fieldsBytes = 0;
  for (const part of parts) {
    if (part.filename === null) {
      if (part.body.byteLength > UPLOAD_LIMITS.fieldBytes)
        refuse(413, "item_too_large", `form field ${part.name.slice(0, 100)} is over ${UPLOAD_LIMITS.fieldBytes} bytes`);
      fieldsBytes += part.body.byteLength;
      if (fieldsBytes > UPLOAD_LIMITS.fieldsBytes)
        refuse(413, "body_too_large", `the form's fields are over ${UPLOAD_LIMITS.fieldsBytes} bytes`);
      upload.fields.push([part.name, utf8.decode(part.body)]);
    } else {
      if (upload.files.length >= UPLOAD_LIMITS.files) refuse(413, "too_many_items", `more than ${UPLOAD_LIMITS.files} files in one upload`);
      upload.files.push({
        field: part.name,
        filename: part.filename === "" ? part.name : part.filename,
        contentType: part.contentType,
        bytes: part.body,
      });
    }
  }
  return upload;
}
