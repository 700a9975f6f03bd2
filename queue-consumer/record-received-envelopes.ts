import { drizzle } from "drizzle-orm/d1";
import { receivedEnvelopes, rejectedEnvelopes } from "../db/schema";
import type { Env } from "../worker/env";
import { ingestMessageSchema } from "../worker/ingest-message";
import { loadBody } from "./load-body";
import { EnvelopeParseError, parseEnvelope } from "./parse-envelope";

/**
 * Until the digest groups events, the consumer keeps every accepted envelope as received.
 * Rows are keyed by the queue message id, so a redelivered batch inserts nothing twice.
 */
export async function recordReceivedEnvelopes(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const db = drizzle(env.DB);
  const statements = [];
  for (const message of batch.messages) {
    const parsed = ingestMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      statements.push(
        db
          .insert(rejectedEnvelopes)
          .values({ messageId: message.id, projectId: 0, receivedAt: Date.now(), reason: "invalid_message", detail: parsed.error.message.slice(0, 1000) })
          .onConflictDoNothing(),
      );
      continue;
    }
    const m = parsed.data;
    let itemTypes = "event";
    if (m.kind === "envelope") {
      try {
        itemTypes = parseEnvelope(await loadBody(m, env.RAW)).items.map((i) => i.type).join(",");
      } catch (err) {
        const detail = err instanceof EnvelopeParseError ? err.message : String(err);
        statements.push(
          db
            .insert(rejectedEnvelopes)
            .values({ messageId: message.id, projectId: m.projectId, receivedAt: m.receivedAt, reason: "malformed_envelope", detail, body: m.body ? Buffer.from(m.body) : null, bodyKey: m.bodyKey ?? null })
            .onConflictDoNothing(),
        );
        continue;
      }
    }
    statements.push(
      db
        .insert(receivedEnvelopes)
        .values({
          messageId: message.id,
          projectId: m.projectId,
          eventId: m.eventId,
          kind: m.kind,
          receivedAt: m.receivedAt,
          size: m.size,
          itemTypes,
          body: m.body ? Buffer.from(m.body) : null,
          bodyKey: m.bodyKey ?? null,
        })
        .onConflictDoNothing(),
    );
  }
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
  batch.ackAll();
}
