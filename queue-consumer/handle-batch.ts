import type { Env } from "../worker/env";
import { recordDeadLetters } from "./record-dead-letters";
import { digestEvents } from "./digest-events";

/** Dispatches a queue batch to the consumer of its queue. */
export async function handleQueueBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  switch (batch.queue) {
    case "events":
      await digestEvents(batch, env);
      return;
    case "events-dlq":
    case "alerts-dlq":
      return recordDeadLetters(batch, env.DB);
    default:
      // The alerts consumer arrives with alert rules; until then nothing is enqueued there.
      batch.ackAll();
  }
}
