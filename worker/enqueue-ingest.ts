import type { IngestMessage } from "../protocol/ingest-message";
import { UNAVAILABLE_RETRY_AFTER_SECONDS, refuse } from "./refusal";

export interface EnqueueTarget {
  queue: Queue;
  bucket: R2Bucket;
  /** Bodies larger than this go to R2 first (Queues cap a message at 128 KB). */
  inlineMaxBytes: number;
}

type Metadata = Omit<IngestMessage, "body" | "bodyKey" | "size">;

// Request headers copied into the message are cut to this many characters, so that a message with
// an inline body still fits Queues' 128 KB (https://developers.cloudflare.com/queues/platform/limits/)
// however long a User-Agent the client sends; a real one is a few hundred.
const MAX_HEADER_CHARS = 1024;

/**
 * Hands an accepted request to the digest. Only when this resolves may ingest answer 200:
 * a client is never told we kept what we did not.
 */
export async function enqueueIngest(target: EnqueueTarget, fullMeta: Metadata, body: Uint8Array): Promise<void> {
  const meta = { ...fullMeta, clientIp: cut(fullMeta.clientIp), userAgent: cut(fullMeta.userAgent) };
  let message: IngestMessage;
  let bodyKey: string | undefined;
  try {
    if (body.byteLength > target.inlineMaxBytes) {
      const day = new Date(meta.receivedAt).toISOString().slice(0, 10);
      bodyKey = `raw/${meta.projectId}/${day}/${crypto.randomUUID()}`;
      await target.bucket.put(bodyKey, body);
      message = { ...meta, size: body.byteLength, bodyKey };
    } else {
      message = { ...meta, size: body.byteLength, body: body as Uint8Array<ArrayBuffer> };
    }
    await target.queue.send(message, { contentType: "v8" });
  } catch (err) {
    console.error("enqueue failed", err);
    if (bodyKey) await target.bucket.delete(bodyKey).catch(() => {});
    refuse(503, "unavailable", "could not accept the event right now, retry later", { retryAfter: UNAVAILABLE_RETRY_AFTER_SECONDS });
  }
}

function cut(header: string | null): string | null {
  return header === null ? null : header.slice(0, MAX_HEADER_CHARS);
}
