import { SELF, createExecutionContext, createMessageBatch, env, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { sdkEnvelopes } from "../support/fixtures";
import { receivedBy, receiverKey, receiverUrl } from "../support/alert-receivers/receiver-client";
import { seedProject } from "../support/seed";
import { handleQueueBatch, queueRole } from "../../queue-consumer/handle-batch";
import type { IngestMessage } from "../../protocol/ingest-message";
import { envelopeMessage, insertRule } from "../support/seed-alerts";

// Through the real local queues: ingest → `events` consumer (digest, then the rules) → `alerts`
// consumer → the stand-in Slack receiver.
describe("handleQueueBatch: alerts", () => {
  it("a new error reaches Slack once, with a link to its issue", async () => {
    const key = await seedProject();
    const receiver = receiverKey("pipeline");
    await insertRule(key.projectId, {
      name: "Every new issue",
      triggers: [{ type: "new_issue" }],
      targets: [{ type: "slack", url: receiverUrl("ok", "slack", receiver) }],
    });

    const eventId = crypto.randomUUID().replaceAll("-", "");
    const envelope = sdkEnvelopes.browserException.replace(/"event_id":"[0-9a-f]{32}"/g, `"event_id":"${eventId}"`);
    const post = () =>
      SELF.fetch(`http://ingest.test/api/${key.projectId}/envelope/?sentry_key=${key.publicKey}&sentry_version=7`, {
        method: "POST",
        body: envelope,
      });
    expect((await post()).status).toBe(200);

    const [request] = await vi.waitFor(
      async () => {
        const received = await receivedBy(receiver);
        if (received.length === 0) throw new Error("nothing received yet");
        return received;
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(request).toMatchObject({ platform: "slack", status: 200, problems: [] });
    const issue = await env.DB.prepare("SELECT id FROM issues WHERE project_id = ?").bind(key.projectId).first<{ id: number }>();
    expect(JSON.parse(request!.body).blocks[4].elements[0].url).toBe(`http://127.0.0.1:8788/issues/${issue!.id}/`);
    await vi.waitFor(
      async () => {
        const row = await env.DB.prepare("SELECT status FROM alert_deliveries WHERE project_id = ?")
          .bind(key.projectId)
          .first<{ status: string }>();
        if (row?.status !== "sent") throw new Error(`delivery ${row?.status}`);
      },
      { timeout: 10_000, interval: 100 },
    );

    // The SDK sends the same event again (a retry after a timeout), then the issue's next event.
    expect((await post()).status).toBe(200);
    const next = sdkEnvelopes.browserException.replace(
      /"event_id":"[0-9a-f]{32}"/g,
      `"event_id":"${crypto.randomUUID().replaceAll("-", "")}"`,
    );
    expect(
      (await SELF.fetch(`http://ingest.test/api/${key.projectId}/envelope/?sentry_key=${key.publicKey}`, { method: "POST", body: next }))
        .status,
    ).toBe(200);
    await vi.waitFor(
      async () => {
        const row = await env.DB.prepare("SELECT times_seen FROM issues WHERE id = ?").bind(issue!.id).first<{ times_seen: number }>();
        if (row?.times_seen !== 2) throw new Error(`seen ${row?.times_seen} times`);
      },
      { timeout: 20_000, interval: 100 },
    );
    // The duplicate was stored once and the next event is no new issue: still one notification.
    const firings = await env.DB.prepare("SELECT count(*) AS n FROM alert_firings WHERE project_id = ?")
      .bind(key.projectId)
      .first<{ n: number }>();
    expect(firings?.n).toBe(1);
    expect(await receivedBy(receiver)).toHaveLength(1);
  });
});

describe("handleQueueBatch: routing by queue name", () => {
  it("knows the queues of wrangler.toml and the events queue's shards", () => {
    expect(["events", "events-dlq", "alerts", "alerts-dlq", "events-3", "events-3-dlq", "events-12"].map(queueRole)).toEqual([
      "events",
      "events-dlq",
      "alerts",
      "alerts-dlq",
      "events",
      "events-dlq",
      "events",
    ]);
    expect(["eventsx", "events-", "events-a", "alerts-2", "other", "events-dlq-dlq"].map(queueRole)).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  it("digests a shard's batch, and never acknowledges a batch of a queue it has no route for", async () => {
    const { projectId } = await seedProject();
    const message = envelopeMessage(projectId);
    const shard = createMessageBatch<IngestMessage>("events-2", [message]);
    const ctx = createExecutionContext();
    await handleQueueBatch(shard as MessageBatch<unknown>, env);
    await waitOnExecutionContext(ctx);
    expect((await getQueueResult(shard, ctx)).explicitAcks).toEqual([message.id]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM events WHERE project_id = ?").bind(projectId).first("n")).toBe(1);

    const stray = createMessageBatch<IngestMessage>("events-east", [envelopeMessage(projectId)]);
    const strayCtx = createExecutionContext();
    await expect(handleQueueBatch(stray as MessageBatch<unknown>, env)).rejects.toThrow('no consumer for queue "events-east"');
    await waitOnExecutionContext(strayCtx);
    const result = await getQueueResult(stray, strayCtx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.ackAll).toBe(false);
  });
});
