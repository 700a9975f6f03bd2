import { Buffer } from "node:buffer";
import zlib from "node:zlib";
import { RefusedError, refuse } from "./refusal";
import { hasZlibHeader, inflateInOneCall } from "./read-body";

/**
 * A `/store/` body as the JSON event it carries. Legacy clients (raven-go for any event over 1 KB,
 * raven-ruby by default) post base64 of zlib'd JSON as `application/octet-stream`, with no
 * Content-Encoding. Relay reads a store body as JSON when it starts with `{`, else as base64 of
 * JSON or of zlib data (relay-server/src/endpoints/store.rs, `decode_bytes`); this also takes
 * URL-safe base64, missing padding, line breaks and raw deflate. Inflating is refused (413) past
 * `maxBytes`, the limit a Content-Encoding body has. Anything else is a 400.
 */
export function decodeStoreBody(body: Uint8Array, maxBytes: number): Uint8Array {
  const first = body[skipWhitespace(body)];
  if (first === undefined || first === OPEN_BRACE) return body;
  const binary = decodeBase64(body);
  if (binary === null) return refuse(400, "malformed_event", "event is neither JSON nor base64");
  if (binary[skipWhitespace(binary)] === OPEN_BRACE) return binary;
  try {
    return inflateInOneCall(hasZlibHeader(binary) ? zlib.inflateSync : zlib.inflateRawSync, binary, maxBytes);
  } catch (err) {
    if (err instanceof RefusedError) throw err;
    return refuse(400, "bad_compression", "event is base64, but of neither JSON nor zlib or deflate data");
  }
}

const OPEN_BRACE = 0x7b;
const PAD = 0x3d;

function isWhitespace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function skipWhitespace(bytes: Uint8Array): number {
  let i = 0;
  while (isWhitespace(bytes[i])) i += 1;
  return i;
}

/** The standard digit for each base64 digit of either alphabet (`-_` are URL-safe for `+/`); 0 for none. */
const BASE64_DIGITS = (() => {
  const digits = new Uint8Array(256);
  for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") digits[c.charCodeAt(0)] = c.charCodeAt(0);
  digits["-".charCodeAt(0)] = "+".charCodeAt(0);
  digits["_".charCodeAt(0)] = "/".charCodeAt(0);
  return digits;
})();

const ascii = new TextDecoder();

/**
 * Base64 in either alphabet, whitespace (Ruby's `encode64` breaks lines) and padding optional;
 * null for anything else. Checked here rather than left to the decoder, which skips what it does
 * not know and would make bytes of any text.
 */
function decodeBase64(text: Uint8Array): Uint8Array | null {
  const digits = new Uint8Array(text.byteLength);
  let count = 0;
  let padding = 0;
  for (const b of text) {
    if (isWhitespace(b)) continue;
    if (b === PAD) {
      padding += 1;
      continue;
    }
    const digit = BASE64_DIGITS[b]!;
    // A digit after padding, or a byte of neither alphabet.
    if (digit === 0 || padding > 0) return null;
    digits[count++] = digit;
  }
  // Four digits make three bytes; a lone digit left over makes none, and padding only fills the last group.
  if (count === 0 || count % 4 === 1) return null;
  if (padding > 0 && (padding > 2 || (count + padding) % 4 !== 0)) return null;
  const decoded = Buffer.from(ascii.decode(digits.subarray(0, count)), "base64");
  return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength); // a plain Uint8Array, not a node Buffer
}
