import { drizzle } from "drizzle-orm/d1";
import { deadLetters } from "../../db/schema";

/** Consumer of the dead-letter queues: every message that kept failing is kept, with its body, for the dashboard. */
export async function recordDeadLetters(batch: MessageBatch<unknown>, d1: D1Database): Promise<void> {
  const db = drizzle(d1);
  const rows = batch.messages.map((message) => {
    const body = message.body as { projectId?: unknown } | null;
    const projectId = body && typeof body === "object" && typeof body.projectId === "number" ? body.projectId : null;
    return db
      .insert(deadLetters)
      .values({
        queue: batch.queue,
        messageId: message.id,
        projectId,
        receivedAt: message.timestamp.getTime(),
        attempts: message.attempts,
        body: Buffer.from(serialize(message.body)),
      })
      .onConflictDoNothing();
  });
  const [first, ...rest] = rows;
  if (first) await db.batch([first, ...rest]);
  batch.ackAll();
}

/**
 * The message as JSON, its byte fields (an ingest message's request body, up to the inline
 * limit) whole, in base64 as `{"bytes": …}`; a message that is bytes itself is kept as is.
 */
export function serialize(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return body;
  return new TextEncoder().encode(
    JSON.stringify(body, (_k, v) =>
      v instanceof Uint8Array ? { bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") } : v,
    ),
  );
}
