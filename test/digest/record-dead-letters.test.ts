import { createExecutionContext, createMessageBatch, env, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { recordDeadLetters } from "../../queue-consumer/digest/record-dead-letters";
import type { IngestMessage } from "../../protocol/ingest-message";
import { seedProject } from "../support/seed";

interface Row {
  queue: string;
  message_id: string;
  project_id: number | null;
  attempts: number;
  body: number[];
}

async function rowsOf(messageId: string) {
  const { results } = await env.DB.prepare("SELECT queue, message_id, project_id, attempts, body FROM dead_letters WHERE message_id = ?")
    .bind(messageId)
    .all<Row>();
  return results;
}

/** An ingest message whose request body is `size` bytes of an envelope, every byte of it different from its neighbours. */
function ingestMessage(projectId: number, size: number): { id: string; timestamp: Date; attempts: number; body: IngestMessage } {
  const header = new TextEncoder().encode('{"event_id":"0123456789abcdef0123456789abcdef"}\n{"type":"event"}\n{"extra":"');
  const body = new Uint8Array(size);
  body.set(header);
  for (let i = header.byteLength; i < size; i += 1) body[i] = 97 + (i % 26);
  return {
    id: `dead-${crypto.randomUUID()}`,
    timestamp: new Date(1_700_000_000_000),
    attempts: 5,
    body: {
      v: 1,
      kind: "envelope",
      projectId,
      keyId: 1,
      receivedAt: 1_700_000_000_000,
      clientIp: null,
      userAgent: "sentry.javascript.node/11.12.0",
      eventId: null,
      size,
      body,
    },
  } as never;
}

describe("recordDeadLetters", () => {
  it("keeps an ingest message's whole request body, even past 64 KiB, and acknowledges the batch", async () => {
    const { projectId } = await seedProject();
    // The inline limit is ~100 KB: anything up to it travels in the message itself.
    const message = ingestMessage(projectId, 99_000);
    const batch = createMessageBatch<IngestMessage>("events-dlq", [message]);
    const ctx = createExecutionContext();
    await recordDeadLetters(batch as MessageBatch<unknown>, env.DB);
    await waitOnExecutionContext(ctx);
    expect((await getQueueResult(batch, ctx)).ackAll).toBe(true);

    const [row, ...more] = await rowsOf(message.id);
    expect(more).toEqual([]);
    expect(row).toMatchObject({ queue: "events-dlq", project_id: projectId, attempts: 5 });
    const stored = JSON.parse(new TextDecoder().decode(new Uint8Array(row!.body))) as IngestMessage & { body: { bytes: string } };
    expect(stored).toMatchObject({ projectId, kind: "envelope", size: 99_000, userAgent: "sentry.javascript.node/11.12.0" });
    const bytes = Uint8Array.from(atob(stored.body.bytes), (c) => c.charCodeAt(0));
    expect(bytes.byteLength).toBe(99_000);
    expect(bytes).toEqual(message.body.body);
  });

  it("stores a message delivered to the dead-letter queue twice once", async () => {
    const { projectId } = await seedProject();
    const message = ingestMessage(projectId, 500);
    for (let i = 0; i < 2; i += 1) {
      const batch = createMessageBatch<IngestMessage>("events-dlq", [message]);
      await recordDeadLetters(batch as MessageBatch<unknown>, env.DB);
    }
    expect(await rowsOf(message.id)).toHaveLength(1);
  });

  it("keeps an alert delivery as JSON, and a message without a project under none", async () => {
    const alert = {
      id: `alert-${crypto.randomUUID()}`,
      timestamp: new Date(),
      attempts: 6,
      body: { deliveryId: 7, target: { type: "webhook", url: "https://example.com/hook" } },
    };
    const batch = createMessageBatch("alerts-dlq", [alert]);
    await recordDeadLetters(batch as MessageBatch<unknown>, env.DB);
    const [row] = await rowsOf(alert.id);
    expect(row).toMatchObject({ queue: "alerts-dlq", project_id: null, attempts: 6 });
    expect(JSON.parse(new TextDecoder().decode(new Uint8Array(row!.body)))).toEqual(alert.body);
  });
});
