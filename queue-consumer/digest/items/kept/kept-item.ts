/**
 * Items no kind digests yet, kept as sent: one stored_items row each (the payload inline, or in
 * R2 when it is large), counted per project, day and item type. Nothing a client sent is lost
 * while the kind that will read it is still to come; the rows can be digested later.
 */
import { drizzle } from "drizzle-orm/d1";
import { storedItems } from "../../../../db/schema";
import type { EnvelopeItem } from "../../../../protocol/parse-envelope";
import type { BatchWrite } from "../../batch-write";

/** An envelope item kept as sent (its payload in R2 when `bodyKey` is set). */
export interface PreparedItem {
  projectId: number;
  messageId: string;
  itemIndex: number;
  itemType: string;
  eventId: string | null;
  receivedAt: number;
  payload: Uint8Array | null;
  bodyKey: string | null;
}

/** Where the item's payload goes and what names it. */
export interface KeptItemContext {
  projectId: number;
  messageId: string;
  itemIndex: number;
  eventId: string | null;
  receivedAt: number;
  storeBlob: (key: string, bytes: Uint8Array) => Promise<void>;
}

// Larger payloads are kept in R2 rather than in a D1 row.
export const INLINE_ITEM_MAX_BYTES = 256 * 1024;

/** The R2 key of a kept item's payload. */
export function keptItemKey(ctx: KeptItemContext): string {
  return `items/${ctx.projectId}/${ctx.messageId}/${ctx.itemIndex}`;
}

export async function prepareKeptItem(
  item: EnvelopeItem,
  ctx: KeptItemContext,
  inR2 = item.payload.byteLength > INLINE_ITEM_MAX_BYTES,
): Promise<PreparedItem> {
  let payload: Uint8Array | null = null;
  let bodyKey: string | null = null;
  if (inR2) {
    bodyKey = keptItemKey(ctx);
    await ctx.storeBlob(bodyKey, item.payload);
  } else {
    // A copy: the item is a view into the whole request body (up to 20 MiB, with attachments),
    // which would otherwise stay in memory with the batch until it is written.
    payload = item.payload.slice();
  }
  return {
    projectId: ctx.projectId,
    messageId: ctx.messageId,
    itemIndex: ctx.itemIndex,
    itemType: item.type.slice(0, 64),
    eventId: ctx.eventId,
    receivedAt: ctx.receivedAt,
    payload,
    bodyKey,
  };
}

export function addKeptItemStatements(batch: BatchWrite, items: readonly PreparedItem[]): void {
  if (items.length === 0) return;
  const db = drizzle(batch.d1);
  const rows = items.map((i) => ({
    projectId: i.projectId,
    messageId: i.messageId,
    itemIndex: i.itemIndex,
    itemType: i.itemType,
    eventId: i.eventId,
    receivedAt: i.receivedAt,
    payload: i.payload ? Buffer.from(i.payload) : null,
    bodyKey: i.bodyKey,
    ingestBatch: batch.run,
  }));
  batch.addInsertChunks(rows, (chunk) => db.insert(storedItems).values(chunk).onConflictDoNothing());
  batch.addSql(`INSERT INTO item_counts (project_id, day, item_type, count)
    SELECT project_id, received_at - received_at % ?3, item_type, count(*) FROM stored_items
    WHERE ingest_batch = ?1 GROUP BY 1, 2, 3
    ON CONFLICT (project_id, day, item_type) DO UPDATE SET count = count + excluded.count`);
}
