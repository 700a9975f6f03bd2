import type { Env } from "../worker/env";
import { deliverAlerts } from "./deliver-alert";
import { digestEvents } from "./digest-events";
import { evaluateAfterDigest } from "./evaluate-after-digest";
import { markDeadDeliveries } from "./mark-dead-deliveries";
import { recordDeadLetters } from "./record-dead-letters";

/** Dispatches a queue batch to the consumer of its queue. */
export async function handleQueueBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  switch (batch.queue) {
    case "events":
      // Alert rules run once the batch is committed, on what it changed.
      await evaluateAfterDigest(await digestEvents(batch, env), env);
      return;
    case "alerts":
      return deliverAlerts(batch, env);
    case "alerts-dlq":
      await markDeadDeliveries(batch, env.DB);
      return recordDeadLetters(batch, env.DB);
    case "events-dlq":
      return recordDeadLetters(batch, env.DB);
    default:
      batch.ackAll();
  }
}
