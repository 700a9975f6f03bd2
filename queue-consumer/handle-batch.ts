import { retryReadQueries } from "../db/retry-read-queries";
import type { Env } from "../protocol/env";
import { deliverAlerts } from "./alerts/deliver-alert";
import { digestEvents } from "./digest/digest-events";
import { evaluateAfterDigest } from "./alerts/evaluate-after-digest";
import { markDeadDeliveries } from "./alerts/mark-dead-deliveries";
import { recordDeadLetters } from "./digest/record-dead-letters";

/** What a queue's batches are for, by the queue's name; null for a queue this Worker does not consume. */
export function queueRole(queue: string): "events" | "events-dlq" | "alerts" | "alerts-dlq" | null {
  // `events-<n>`: the events queue sharded by project (docs/operations.md, "Past one queue").
  const events = /^events(-\d+)?(-dlq)?$/.exec(queue);
  if (events) return events[2] ? "events-dlq" : "events";
  if (queue === "alerts" || queue === "alerts-dlq") return queue;
  return null;
}

/**
 * Dispatches a queue batch to the consumer of its queue. Reads retry transient D1 failures, as
 * production D1 does on its own (db/retry-read-queries.ts): locally the dashboard shares the
 * SQLite file, and a read of the consumer's that meets its write fails with SQLITE_BUSY.
 */
export async function handleQueueBatch(batch: MessageBatch<unknown>, workerEnv: Env): Promise<void> {
  const env: Env = { ...workerEnv, DB: retryReadQueries(workerEnv.DB) };
  switch (queueRole(batch.queue)) {
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
    case null:
      // Never acknowledged unread: Queues retries the batch, then moves it to the queue's
      // dead-letter queue if it has one, while the log says which queue needs a route.
      throw new Error(`no consumer for queue "${batch.queue}": route it in queue-consumer/handle-batch.ts`);
  }
}
