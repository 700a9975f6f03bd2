import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AlertQueueMessage, DeliverMessage } from "../../protocol/alert-queue-message";
import { deliverAlert, deliveryDepsFrom } from "../../queue-consumer/alerts/deliver-alert";
import { evaluateAlertRules, evaluationOf } from "../../queue-consumer/alerts/evaluate-alert-rules";
import { handleQueueBatch } from "../../queue-consumer/handle-batch";
import { receiverKey, receiverUrl } from "../support/alert-receivers/receiver-client";
import { seedProject } from "../support/seed";
import { digest, envelopeMessage, insertRule, recordingQueue } from "../support/seed-alerts";

describe("the alerts-dlq consumer", () => {
  it("marks a delivery whose retries ran out failed, keeps its last error, and records the dead letter", async () => {
    const { projectId } = await seedProject();
    await insertRule(projectId, {
      triggers: [{ type: "new_issue" }],
      targets: [
        { type: "slack", url: receiverUrl("down", "slack", receiverKey("dlq")) },
        { type: "slack", url: receiverUrl("ok", "slack", receiverKey("dlq-ok")) },
      ],
    });
    const { queue, sent } = recordingQueue();
    await evaluateAlertRules(env.DB, queue, evaluationOf(await digest([envelopeMessage(projectId)]))!);
    const [down, ok] = sent as DeliverMessage[];
    // The last attempt before Queues gives up: the target is still down.
    expect((await deliverAlert(env.DB, down!.deliveryId, deliveryDepsFrom(env))).result).toMatchObject({
      outcome: "retry",
      httpStatus: 500,
    });
    expect((await deliverAlert(env.DB, ok!.deliveryId, deliveryDepsFrom(env))).result).toMatchObject({ outcome: "sent" });

    // Queues moves the message to alerts-dlq after max_retries; a late copy of the sent one lands there too.
    const batch = createMessageBatch<AlertQueueMessage>("alerts-dlq", [
      { id: `dead-${down!.deliveryId}`, timestamp: new Date(), attempts: 7, body: down! },
      { id: `dead-${ok!.deliveryId}`, timestamp: new Date(), attempts: 7, body: ok! },
    ]);
    const ctx = createExecutionContext();
    await handleQueueBatch(batch as MessageBatch<unknown>, env);
    expect(await getQueueResult(batch, ctx)).toMatchObject({ ackAll: true, retryMessages: [] });

    const status = (id: number) =>
      env.DB.prepare("SELECT status, last_error, lease_until FROM alert_deliveries WHERE id = ?").bind(id).first();
    expect(await status(down!.deliveryId)).toEqual({
      status: "failed",
      last_error: "HTTP 500: internal error (retries exhausted)",
      lease_until: null,
    });
    expect(await status(ok!.deliveryId)).toMatchObject({ status: "sent", last_error: null });
    const dead = await env.DB.prepare("SELECT queue, project_id, attempts, body FROM dead_letters WHERE message_id = ?")
      .bind(`dead-${down!.deliveryId}`)
      .first<{ queue: string; project_id: number; attempts: number; body: ArrayBuffer }>();
    expect(dead).toMatchObject({ queue: "alerts-dlq", project_id: projectId, attempts: 7 });
    expect(JSON.parse(new TextDecoder().decode(new Uint8Array(dead!.body)))).toEqual(down);
  });
});
