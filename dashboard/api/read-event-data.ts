/**
 * The normalized event (Sentry's event schema) stored in events.data: gzip'd JSON, written with
 * CompressionStream("gzip") by the digest.
 */
export async function readEventData(blob: Uint8Array | ArrayBuffer | number[]): Promise<{ data: Record<string, unknown>; size: number }> {
  // D1 hands blobs out as ArrayBuffers, drizzle as Buffers; either way, a plain byte copy.
  const bytes = new Uint8Array(blob instanceof Uint8Array ? blob : new Uint8Array(blob));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  const text = await new Response(stream).text();
  const data = JSON.parse(text) as unknown;
  return { data: typeof data === "object" && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {}, size: text.length };
}
