import { MultipartError, multipartBoundary, parseMultipart } from "./parse-multipart";
import { reject } from "./rejection";

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

export function readMinidumpUpload(body: Uint8Array, contentType: string | null): MinidumpUpload {
  const boundary = multipartBoundary(contentType);
  if (boundary === null) {
    if (/^\s*multipart\//i.test(contentType ?? "")) reject(400, "invalid_multipart", "a multipart/form-data body needs a boundary");
    return { files: [{ field: null, filename: "Minidump", contentType: "application/x-dmp", bytes: body }], fields: [] };
  }
  const upload: MinidumpUpload = { files: [], fields: [] };
  try {
    for (const part of parseMultipart(body, boundary)) {
      if (part.filename === null) upload.fields.push([part.name, utf8.decode(part.body)]);
      else upload.files.push({ field: part.name, filename: part.filename === "" ? part.name : part.filename, contentType: part.contentType, bytes: part.body });
    }
  } catch (err) {
    if (err instanceof MultipartError) reject(400, "invalid_multipart", `body is not valid multipart/form-data: ${err.message}`);
    throw err;
  }
  return upload;
}
