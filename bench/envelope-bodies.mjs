// Request bodies for the ingest benchmark, made from captured SDK envelopes: each request
// carries a fresh event_id (the digest keeps one event per id), at little cost to the load
// generator, which shares the CPUs with the server.
import { randomUUID } from "node:crypto";
import { crc32, deflateRawSync, gunzipSync, gzipSync } from "node:zlib";

/** Sentry's event id form: a UUID's 32 hex digits. */
const newEventId = () => randomUUID().replaceAll("-", "");

function templateOf(envelope) {
  const id = /^\{"event_id":"([0-9a-f]{32})"/.exec(envelope)?.[1];
  if (!id) throw new Error("the envelope has no event_id in its header");
  return { id, parts: envelope.split(id) };
}

/** `() => string`: the envelope with every copy of its event_id replaced by a fresh one. */
export function withFreshEventIds(envelope) {
  const { parts } = templateOf(envelope);
  return () => parts.join(newEventId());
}

/**
 * `() => Buffer`: the envelope gzip'd, with fresh event ids. Compressing 48 KB per request would
 * cost the client more than the server spends on it, so only the start, up to the last copy of the
 * id in the first 4 KB, changes: it travels in a stored (uncompressed) deflate block, followed by
 * the rest deflated once. The trailer's CRC-32 is updated through the linearity of CRCs.
 */
export function gzipWithFreshEventIds(envelope) {
  const { id } = templateOf(envelope);
  const splitAt = envelope.slice(0, 4096).lastIndexOf(id) + id.length;
  const head = envelope.slice(0, splitAt).split(id);
  const headLength = Buffer.byteLength(envelope.slice(0, splitAt));
  const rest = Buffer.from(envelope.slice(splitAt));
  if (headLength > 0xffff) throw new Error("a stored block holds at most 65535 bytes");

  const gzipHeader = gzipSync(Buffer.alloc(0)).subarray(0, 10);
  // BFINAL=0, BTYPE=00 (stored), padded to the byte; then LEN and its one's complement.
  const storedHeader = Buffer.from([0, headLength & 0xff, headLength >> 8, ~headLength & 0xff, (~headLength >> 8) & 0xff]);
  const restDeflated = deflateRawSync(rest);
  const size = headLength + rest.byteLength;

  // crc32(rest, c) = M·c xor crc32(rest, 0) for a linear M over GF(2): tabulate M once.
  const crcOfRestFromZero = crc32(rest, 0);
  const columns = Array.from({ length: 32 }, (_, bit) => (crc32(rest, 2 ** bit) ^ crcOfRestFromZero) >>> 0);
  const crcContinuedOverRest = (c) => {
    let out = crcOfRestFromZero;
    for (let bit = 0; bit < 32; bit++) if ((c >>> bit) & 1) out ^= columns[bit];
    return out >>> 0;
  };

  const make = () => {
    const headBytes = Buffer.from(head.join(newEventId()));
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crcContinuedOverRest(crc32(headBytes)), 0);
    trailer.writeUInt32LE(size >>> 0, 4);
    return Buffer.concat([gzipHeader, storedHeader, headBytes, restDeflated, trailer]);
  };
  const sample = make();
  const inflated = gunzipSync(sample);
  if (inflated.byteLength !== size || crc32(inflated) !== sample.readUInt32LE(sample.byteLength - 8))
    throw new Error("gzip construction is wrong");
  return make;
}
