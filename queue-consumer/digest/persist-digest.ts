/**
 * Writes a whole queue batch in one D1 `batch()`, which runs as one transaction: each item kind
 * adds its statements (digest/items/<kind>/) and reads its results by name (batch-write.ts).
 * Every counter moves by what the rows tagged with this run add up to, so a redelivered item
 * (already stored by an earlier run) changes nothing, and a retried batch that failed before
 * commit counts exactly once.
 */
import { BatchWrite } from "./batch-write";
import { type DigestOutcome, NO_ISSUE_CHANGES, dueEvaluations, staleEvaluationsOf } from "./digest-outcome";
import { addCheckInStatements } from "./items/check-in/check-in-statements";
import { addErrorStatements } from "./items/error/error-statements";
import { addFeedbackStatements } from "./items/feedback/feedback-statements";
import { addSessionStatements } from "./items/session/session-statements";
import { addKeptItemStatements } from "./items/kept/kept-item";
import { addTraceErrorStatements } from "./items/transaction/trace-error-statements";
import { addTransactionStatements } from "./items/transaction/transaction-statements";
import type { PreparedMessage } from "./prepare-message";
import { addRejectionStatements } from "./record-rejections";

export type DigestInput = PreparedMessage;

const DUE_EVALUATIONS = "dueEvaluations";

export async function persistDigest(
  d1: D1Database,
  input: DigestInput,
  now = Date.now(),
  evaluationId: string = crypto.randomUUID(),
): Promise<DigestOutcome> {
  const batch = new BatchWrite(d1, now);
  // Before the error kind's: a monitor's failure events are written only if these let them through.
  addCheckInStatements(batch, input.checkIns);
  const failureEvents = input.checkIns.flatMap((c) => (c.failureEvent ? [c.failureEvent] : []));
  const issueChanges = addErrorStatements(batch, [...input.events, ...failureEvents], evaluationId);
  addTraceErrorStatements(batch, [...input.events, ...failureEvents]);
  // Transactions and span streams (their span trees are in R2 already: digest-events.ts).
  addTransactionStatements(batch, input.traces);
  const feedback = addFeedbackStatements(batch, input.feedback, evaluationId);
  addSessionStatements(batch, input.sessions, input.sessionAggregates);
  addKeptItemStatements(batch, input.items);
  addRejectionStatements(batch, input.rejections);
  if (batch.isEmpty) return { ...NO_ISSUE_CHANGES, evaluationId, now, staleEvaluations: [] };
  // Read in the same round trip: evaluations of earlier runs that never finished and are due again.
  batch.add(dueEvaluations(d1, now, 10), DUE_EVALUATIONS);
  const results = await batch.commit();
  const changes = issueChanges(results);
  // A run with only feedback to alert on is pending all the same.
  const pendingRun = changes.pendingRun ?? (feedback(results).pending ? batch.run : null);
  return { ...changes, pendingRun, evaluationId, now, staleEvaluations: staleEvaluationsOf(results.of(DUE_EVALUATIONS)[0]) };
}
