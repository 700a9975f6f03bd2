import { gzipSync } from "node:zlib";

/**
 * The stored span tree: what the digest keeps in R2 of a transaction or a segment span and its
 * spans (or of spans that arrived without their segment), and what the trace route reads back.
 * Each part is gzip'd JSON on its own, so that a part is one ranged read of the object a digest
 * run writes (queue-consumer/digest/items/transaction/store-span-trees.ts); D1's `trace_items`
 * row says where it is.
 */
export interface StoredSpan {
  span_id: string;
  parent_span_id: string | null;
  op: string;
  description: string;
  /** Seconds since the epoch, with fractions. */
  start_timestamp: number;
  timestamp: number;
  status: string;
  /** A few of the span's data or attributes (http, db, origin), never user data. */
  data?: Record<string, string | number | boolean>;
}

export interface StoredSpanTree {
  kind: "transaction" | "segment" | "spans";
  project_id: number;
  trace_id: string;
  /** The transaction's event id; null for span streams. */
  event_id: string | null;
  /** The transaction's (segment's) span id: the root of `spans` for a transaction or segment. */
  segment_id: string | null;
  transaction: string | null;
  environment: string | null;
  release: string | null;
  platform: string | null;
  sdk: string | null;
  /** Web Vitals and other measurements, by name (lcp, fcp, cls, inp, ttfb). */
  measurements: Record<string, number>;
  spans: StoredSpan[];
  /** What the digest left out, and why: spans past the limit, or spans it could not read. */
  dropped: Array<{ reason: string; count: number }>;
}

/**
 * gzip at level 1: for a tree of a few KB it is five times as fast as the default level 6 and
 * about 5% larger (measured on the Django transaction of test/fixtures: 40 µs and 792 bytes
 * against 200 µs and 758); trees are written for every transaction and read rarely.
 */
export function encodeSpanTree(tree: StoredSpanTree): Uint8Array {
  const gzipped = gzipSync(JSON.stringify(tree), { level: 1 });
  return new Uint8Array(gzipped.buffer, gzipped.byteOffset, gzipped.byteLength);
}

export async function decodeSpanTree(bytes: Uint8Array | ArrayBuffer): Promise<StoredSpanTree | null> {
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    const value = JSON.parse(await new Response(stream).text()) as unknown;
    if (typeof value !== "object" || value === null || !Array.isArray((value as StoredSpanTree).spans)) return null;
    return value as StoredSpanTree;
  } catch {
    return null;
  }
}
