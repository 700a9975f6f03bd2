import { handleQueueBatch } from "./queue-consumer/handle-batch";
import { runScheduledJobs } from "./queue-consumer/run-scheduled-jobs";
import type { Env } from "./protocol/env";
import { ingestApp } from "./worker/ingest-app";

// One Worker: ingest answers HTTP at the edge, the consumers digest the queues.
export default {
  fetch: ingestApp.fetch,
  queue: handleQueueBatch,
  scheduled: runScheduledJobs,
} satisfies ExportedHandler<Env>;
