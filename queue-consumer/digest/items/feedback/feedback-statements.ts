/**
 * The feedback kind's share of a digest run's write: one user_feedback row per (project, feedback
 * id), so an item delivered again, or a user report sent twice for one event, writes nothing more
 * (Sentry keeps the first report of an event too). When a project of the feedback this run
 * inserted has a rule with the `new_feedback` trigger, the run is recorded as pending alert
 * evaluation in the same transaction (as the error kind records its own), so the alert fires
 * even if the evaluation after the commit is lost (queue-consumer/alerts/fire-feedback-alerts.ts).
 */
import { drizzle } from "drizzle-orm/d1";
import { userFeedback } from "../../../../db/schema";
import type { BatchWrite, BatchResults } from "../../batch-write";
import { EVALUATION_STALE_MS } from "../../digest-outcome";
import type { PreparedFeedback } from "./prepare-feedback";

const NEW_FEEDBACK = "feedback.new";
const PENDING = "feedback.pendingEvaluation";

export interface FeedbackOutcome {
  /** Ids of the rows this run inserted. */
  newFeedbackIds: number[];
  /** Whether the run recorded itself as pending alert evaluation for its feedback. */
  pending: boolean;
}

/** Adds the inserts; answers a reader of what they did. */
export function addFeedbackStatements(
  batch: BatchWrite,
  feedback: readonly PreparedFeedback[],
  evaluationId: string,
): (results: BatchResults) => FeedbackOutcome {
  if (feedback.length === 0) return () => ({ newFeedbackIds: [], pending: false });
  const db = drizzle(batch.d1);
  const rows = feedback.map((f) => ({ ...f, ingestBatch: batch.run }));
  batch.addInsertChunks(
    rows,
    (chunk) => db.insert(userFeedback).values(chunk).onConflictDoNothing().returning({ id: userFeedback.id }),
    NEW_FEEDBACK,
  );
  // The error kind's statement may have recorded the run already (its projects' events).
  batch.addSql(
    `INSERT INTO alert_evaluations_pending (run, evaluation_id, created_at, changes, next_attempt_at)
      SELECT ?1, ?5, ?4, '[]', ?4 + ?6
      WHERE EXISTS (SELECT 1 FROM alert_rules r
        WHERE r.project_id IN (SELECT DISTINCT project_id FROM user_feedback WHERE ingest_batch = ?1)
          AND EXISTS (SELECT 1 FROM json_each(r.triggers) t WHERE t.value ->> 'type' = 'new_feedback'))
      ON CONFLICT (run) DO NOTHING`,
    PENDING,
    evaluationId,
    EVALUATION_STALE_MS,
  );
  return (results) => ({ newFeedbackIds: results.ids(NEW_FEEDBACK), pending: results.changes(PENDING) > 0 });
}
