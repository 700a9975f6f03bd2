import type { StoredBlob } from "../dashboard/api/events/event-queries";

/**
 * The normalized event (Sentry's event schema) stored in events.data: gzip'd JSON, written with
 * CompressionStream("gzip") by the digest.
 */
export async function readEventData(blob: StoredBlob): Promise<{ data: Record<string, unknown>; size: number }> {
  const bytes = new Uint8Array(blob instanceof Uint8Array ? blob : new Uint8Array(blob));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  const json = await new Response(stream).arrayBuffer();
  const data = JSON.parse(new TextDecoder().decode(json)) as unknown;
  // `size` is Sentry's: the event's bytes as JSON.
  return { data: typeof data === "object" && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {}, size: json.byteLength };
}
