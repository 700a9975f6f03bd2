/**
 * Puts the span trees of a whole batch in one R2 object, before the batch's D1 write: one R2
 * write per batch rather than per transaction (R2 bills each write; a batch holds up to 100
 * messages). Each tree is gzip'd on its own, so the trace view reads one with a ranged GET of
 * the offset and length its `trace_items` row keeps. A batch that fails to commit leaves an
 * object no row points to; retention removes it with its day.
 */
import type { PreparedTrace } from "./prepared-trace";

/** The R2 key of a batch's span trees: by UTC day, which retention deletes by. */
export function spanTreesKey(now: number, batchId: string): string {
  return `spans/${new Date(now).toISOString().slice(0, 10)}/${batchId}`;
}

export async function storeSpanTrees(
  traces: readonly PreparedTrace[],
  put: (key: string, bytes: Uint8Array) => Promise<void>,
  now: number,
  batchId: string = crypto.randomUUID(),
): Promise<void> {
  if (traces.length === 0) return;
  const key = spanTreesKey(now, batchId);
  const total = traces.reduce((n, t) => n + t.tree.byteLength, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const t of traces) {
    bytes.set(t.tree, offset);
    t.stored = { key, offset, length: t.tree.byteLength };
    offset += t.tree.byteLength;
  }
  await put(key, bytes);
}
