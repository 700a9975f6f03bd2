import type { Env } from "../worker/env";
import { recordDeadLetters } from "./record-dead-letters";
import { recordReceivedEnvelopes } from "./record-received-envelopes";

/** Dispatches a queue batch to the consumer of its queue. */
export async function handleQueueBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  switch (batch.queue) {
    case "events":
      return recordReceivedEnvelopes(batch, env);
    case "events-dlq":
    case "alerts-dlq":
      return recordDeadLetters(batch, env.DB);
    default:
      // The alerts consumer arrives with alert rules; until then nothing is enqueued there.
      batch.ackAll();
  }
}
