import zlib from "node:zlib";
import { RefusedError, refuse } from "./refusal";

/**
 * Reads a request body, undoing its Content-Encoding, and refuses it (413) as soon as the
 * compressed or the decompressed bytes pass `maxBytes`, so a compression bomb is never fully
 * inflated. workerd hands bodies over still encoded; DecompressionStream covers gzip and deflate,
 * node:zlib covers brotli (sent by Python's SDK).
 */
export async function readBody(
  body: ReadableStream<Uint8Array> | null,
  contentEncoding: string | null,
  maxBytes: number,
): Promise<Uint8Array> {
  const encodings = (contentEncoding ?? "")
    .split(",")
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== "" && e !== "identity");
  for (const e of encodings) {
    if (!DECODERS.has(e)) refuse(400, "unsupported_encoding", `unsupported content encoding: ${e}`);
  }
  // Each layer may inflate up to maxBytes: no SDK stacks more than one, so a long list is only work.
  if (encodings.length > MAX_ENCODINGS)
    refuse(400, "unsupported_encoding", `at most ${MAX_ENCODINGS} content encodings, got ${encodings.length}`);
  let bytes = body ? await collect(body, maxBytes) : new Uint8Array();
  // Encodings are listed in the order they were applied; undo them last to first.
  for (const e of encodings.reverse()) bytes = await decode(e, bytes, maxBytes);
  return bytes;
}

const DECODERS = new Set(["gzip", "x-gzip", "deflate", "br"]);
const MAX_ENCODINGS = 2;

async function decode(encoding: string, bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  if (bytes.byteLength === 0) return bytes;
  if (encoding === "gzip" || encoding === "x-gzip") {
    const inflated = gunzipSingleMember(bytes, maxBytes);
    if (inflated) return inflated;
  }
  try {
    if (encoding === "br") return inflateInOneCall(zlib.brotliDecompressSync, bytes, maxBytes);
    // HTTP's "deflate" is zlib-wrapped, but some clients send raw deflate: tell them apart by the zlib header.
    const format = encoding === "deflate" ? (hasZlibHeader(bytes) ? "deflate" : "deflate-raw") : "gzip";
    return await collect(new Blob([bytes]).stream().pipeThrough(new DecompressionStream(format)), maxBytes);
  } catch (err) {
    if (err instanceof RefusedError) throw err;
    return refuse(400, "bad_compression", `body is not valid ${encoding} data`);
  }
}

/**
 * The fast path for what SDKs send, one complete gzip member: inflated in one call, at a fraction
 * of DecompressionStream's cost (it yields 4 KiB chunks, each a read). Output past `maxBytes` is
 * refused here (413) rather than inflated a second time by the stream path; anything else
 * (corrupt, bytes after the member) returns null, for the stream path to judge as before.
 */
function gunzipSingleMember(bytes: Uint8Array, maxBytes: number): Uint8Array | null {
  let inflated: Uint8Array;
  try {
    inflated = inflateInOneCall(zlib.gunzipSync, bytes, maxBytes);
  } catch (err) {
    if (err instanceof RefusedError) throw err;
    return null;
  }
  // gunzipSync reads on past the first member; the stream path refuses that. A member ends with
  // its inflated length mod 2^32 (RFC 1952), so a mismatch means something followed it. (Only a
  // crafted input, e.g. empty members before the real one, matches and is accepted here.)
  const isize = new DataView(bytes.buffer, bytes.byteOffset + bytes.byteLength - 4, 4).getUint32(0, true);
  if (isize !== inflated.byteLength % 2 ** 32) return null;
  return inflated;
}

// workerd grows a one-call inflate's output in steps and refuses once the buffer would pass
// maxOutputLength (up to tens of KiB early, as measured), so the limit gets room and an exact check follows.
const ONE_CALL_LIMIT_ROOM = 1024 * 1024;

/**
 * A node:zlib one-call inflate, refused with 413 past `maxBytes`; zlib's own error for bad data.
 * (Brotli goes this way too: workerd's streaming brotli overflows the call stack on large output.)
 */
export function inflateInOneCall(
  inflate: (input: Uint8Array, options: { maxOutputLength: number }) => Buffer,
  bytes: Uint8Array,
  maxBytes: number,
): Uint8Array {
  let inflated: Buffer;
  try {
    inflated = inflate(bytes, { maxOutputLength: maxBytes + ONE_CALL_LIMIT_ROOM });
  } catch (err) {
    // zlib signals only the output limit with a RangeError (Node and workerd alike); bad data is a plain Error.
    if (err instanceof RangeError) refuse(413, "body_too_large", `body exceeds ${maxBytes} bytes`);
    throw err;
  }
  if (inflated.byteLength > maxBytes) refuse(413, "body_too_large", `body exceeds ${maxBytes} bytes`);
  return new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength); // a plain Uint8Array, not a node Buffer
}

export function hasZlibHeader(b: Uint8Array): boolean {
  const [cmf, flg] = [b[0] ?? 0, b[1] ?? 0];
  return (cmf & 0x0f) === 8 && ((cmf << 8) | flg) % 31 === 0;
}

/** Concatenates a stream's chunks, refusing with 413 past `maxBytes`. */
export async function collect(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      refuse(413, "body_too_large", `body exceeds ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return concat(chunks, total);
}

/** The chunks as one array of `total` bytes (the one chunk itself when there is one). */
export function concat(chunks: Uint8Array[], total = chunks.reduce((n, c) => n + c.byteLength, 0)): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
