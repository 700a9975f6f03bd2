/**
 * The feedback kind's share of a digest run's write: one user_feedback row per (project, feedback
 * id), so an item delivered again, or a user report sent twice for one event, writes nothing more
 * (Sentry keeps the first report of an event too). The rows this run inserted come back by name,
 * for the `new_feedback` alert trigger.
 */
import { drizzle } from "drizzle-orm/d1";
import { userFeedback } from "../../../../db/schema";
import type { BatchWrite, BatchResults } from "../../batch-write";
import type { PreparedFeedback } from "./prepare-feedback";

const NEW_FEEDBACK = "newFeedback";

/** Adds the inserts; answers a reader of the ids of the rows this run inserted. */
export function addFeedbackStatements(batch: BatchWrite, feedback: readonly PreparedFeedback[]): (results: BatchResults) => number[] {
  if (feedback.length === 0) return () => [];
  const db = drizzle(batch.d1);
  const rows = feedback.map((f) => ({ ...f, ingestBatch: batch.run }));
  batch.addInsertChunks(
    rows,
    (chunk) => db.insert(userFeedback).values(chunk).onConflictDoNothing().returning({ id: userFeedback.id }),
    NEW_FEEDBACK,
  );
  return (results) => results.ids(NEW_FEEDBACK);
}
