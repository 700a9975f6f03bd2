import { enforceRetentionOnSchedule } from "../queue-consumer/enforce-retention";
import { handleQueueBatch } from "../queue-consumer/handle-batch";
import type { Env } from "./env";
import { ingestApp } from "./ingest-app";

// One Worker: ingest answers HTTP at the edge, the consumers digest the queues.
export default {
  fetch: ingestApp.fetch,
  queue: handleQueueBatch,
  scheduled: enforceRetentionOnSchedule,
} satisfies ExportedHandler<Env>;
