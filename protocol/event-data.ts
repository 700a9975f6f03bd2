import { gzipSync } from "node:zlib";

/**
 * The stored-event codec: the normalized event (Sentry's event schema) is kept in events.data as
 * gzip'd JSON. The digest writes it; the dashboard and alert delivery read it.
 */

/** A BLOB as D1 hands it out. */
export type StoredBlob = ArrayBuffer | Uint8Array | number[];

/**
 * Synchronous zlib (nodejs_compat) rather than CompressionStream: for events of a few KB the
 * stream plumbing costs more than the compression (npm run bench:digest -- --profile).
 */
export async function encodeEventData(value: unknown): Promise<Uint8Array> {
  const gzipped = gzipSync(JSON.stringify(value));
  return new Uint8Array(gzipped.buffer, gzipped.byteOffset, gzipped.byteLength);
}

export async function readEventData(blob: StoredBlob): Promise<{ data: Record<string, unknown>; size: number }> {
  const bytes = new Uint8Array(blob instanceof Uint8Array ? blob : new Uint8Array(blob));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  const json = await new Response(stream).arrayBuffer();
  const data = JSON.parse(new TextDecoder().decode(json)) as unknown;
  // `size` is Sentry's: the event's bytes as JSON.
  return {
    data: typeof data === "object" && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {},
    size: json.byteLength,
  };
}
