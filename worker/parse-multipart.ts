import { Buffer } from "node:buffer";

/**
 * A multipart/form-data parser (RFC 7578, over RFC 2046's multipart syntax) whose parts are views
 * into the request body, never copies. A minidump upload may be 20 MiB; Request.formData() would
 * hold it several times over (the Response's copy, its File parts, their ArrayBuffers) within a
 * Worker's 128 MB, while this keeps the one body and the envelope made from it. Delimiters are
 * found with Buffer.indexOf, a native search, so a large body costs one pass.
 */
export interface MultipartPart {
  name: string;
  /** Present (maybe "") when the part is a file. */
  filename: string | null;
  contentType: string | null;
  body: Uint8Array;
}

export class MultipartError extends Error {
  override name = "MultipartError";
}

/** The boundary of a `multipart/form-data` Content-Type; null for any other type. */
export function multipartBoundary(contentType: string | null): string | null {
  const match = /^\s*multipart\/form-data\s*(;.*)$/is.exec(contentType ?? "");
  if (!match) return null;
  const boundary = parameters(match[1]!).get("boundary");
  // RFC 2046: 1 to 70 characters.
  return boundary !== undefined && boundary.length >= 1 && boundary.length <= 70 ? boundary : null;
}

const CRLF = Buffer.from("\r\n");
const BLANK_LINE = Buffer.from("\r\n\r\n");
const DASH = 0x2d;
const utf8 = new TextDecoder();

export function parseMultipart(body: Uint8Array, boundary: string): MultipartPart[] {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const dashBoundary = Buffer.from(`--${boundary}`);
  // A boundary is preceded by a line break, which belongs to it (RFC 2046 5.1.1), except one
  // that opens the body with no preamble.
  const delimiter = Buffer.concat([CRLF, dashBoundary]);
  let at: number;
  if (bytes.subarray(0, dashBoundary.byteLength).equals(dashBoundary)) at = 0;
  else {
    const first = bytes.indexOf(delimiter);
    if (first === -1) throw new MultipartError("the body has no boundary");
    at = first + CRLF.byteLength;
  }
  const parts: MultipartPart[] = [];
  for (;;) {
    at += dashBoundary.byteLength;
    // The close delimiter "--boundary--"; what follows is the epilogue.
    if (bytes[at] === DASH && bytes[at + 1] === DASH) return parts;
    // Transport padding, then the line break ending the boundary line.
    while (bytes[at] === 0x20 || bytes[at] === 0x09) at += 1;
    if (!bytes.subarray(at, at + CRLF.byteLength).equals(CRLF)) throw new MultipartError("a boundary line does not end in CRLF");
    const next = bytes.indexOf(delimiter, at);
    if (next === -1) throw new MultipartError("the body ends inside a part");
    // The headers end at a blank line, whose second line break is the next delimiter's when the
    // part has no content at all; its content is then empty (subarray past its end).
    const headersEnd = bytes.indexOf(BLANK_LINE, at);
    if (headersEnd === -1 || headersEnd > next) throw new MultipartError("a part's headers do not end");
    const part = readPart(
      utf8.decode(bytes.subarray(at + CRLF.byteLength, headersEnd)),
      body.subarray(headersEnd + BLANK_LINE.byteLength, next),
    );
    if (part !== null) parts.push(part);
    at = next + CRLF.byteLength;
  }
}

/** A part from its headers; null for one without a field name, which no form field can hold. */
function readPart(headerText: string, body: Uint8Array): MultipartPart | null {
  let disposition: Map<string, string> | undefined;
  let contentType: string | null = null;
  for (const line of headerText.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon === -1) continue;
    const header = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (header === "content-disposition") disposition = parameters(value.replace(/^[^;]*/, ""));
    else if (header === "content-type") contentType = value === "" ? null : value;
  }
  const name = disposition?.get("name");
  if (name === undefined) return null;
  return { name, filename: disposition?.get("filename") ?? null, contentType, body };
}

/**
 * `; key=value; key="quoted value"` to a map with lower-case keys. Quoted values are taken as
 * they are, without backslash escapes: form encoders percent-encode a quote instead (HTML's
 * form submission), and a Windows path's backslashes must survive.
 */
function parameters(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const match of text.matchAll(/;\s*([^\s=;]+)\s*=\s*(?:"([^"]*)"|([^;]*))/g)) {
    out.set(match[1]!.toLowerCase(), match[2] ?? match[3]!.trim());
  }
  return out;
}
