/**
 * What the digest could not read, kept with its reason and the body (inline when small, else the
 * R2 key ingest stored it under), for the ingest-problems page: recorded, never dropped.
 */
import { drizzle } from "drizzle-orm/d1";
import { rejectedEnvelopes } from "../../db/schema";
import type { OutcomeReason } from "../../protocol/outcome";
import type { BatchWrite } from "./batch-write";

export interface PreparedRejection {
  messageId: string;
  projectId: number;
  receivedAt: number;
  reason: OutcomeReason;
  detail: string;
  body: Uint8Array | null;
  bodyKey: string | null;
}

export function addRejectionStatements(batch: BatchWrite, rejections: readonly PreparedRejection[]): void {
  const rows = rejections.map((r) => ({
    messageId: r.messageId,
    projectId: r.projectId,
    receivedAt: r.receivedAt,
    reason: r.reason,
    detail: r.detail,
    body: r.body ? Buffer.from(r.body) : null,
    bodyKey: r.bodyKey,
  }));
  // A message can be rejected in parts (one bad item); one row per message, with its last reason
  // (a Map keeps the first key's place and the last value).
  const unique = [...new Map(rows.map((r) => [r.messageId, r])).values()];
  const db = drizzle(batch.d1);
  batch.addInsertChunks(unique, (chunk) => db.insert(rejectedEnvelopes).values(chunk).onConflictDoNothing());
}
