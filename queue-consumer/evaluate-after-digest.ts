import type { Env } from "../worker/env";
import type { EvaluateMessage } from "./alert-queue-message";
import { type AlertEvaluation, evaluateAlertRules, evaluationOf, finishEvaluation } from "./evaluate-alert-rules";
import { type DigestOutcome, EVALUATION_STALE_MS, type StaleEvaluation } from "./persist-digest";

/** Evaluations this old are dropped, not run: an alert a day late is noise. */
const EVALUATION_MAX_AGE_MS = 86_400_000;

/**
 * Runs right after the events consumer commits a batch. The batch is already acknowledged, so an
 * evaluation that fails here is handed to the `alerts` queue, whose consumer runs it again (with
 * the same id and clock) until it succeeds. If even that fails, or the invocation dies first, the
 * evaluation is still pending in D1 (written with the batch): the next batch's commit reports it
 * stale and it is rebuilt and run here, as the hourly job does for a project that went quiet.
 */
export async function evaluateAfterDigest(outcomes: readonly DigestOutcome[], env: Env): Promise<void> {
  const evaluation = evaluationOf(outcomes);
  if (evaluation !== null) {
    try {
      await evaluateAlertRules(env.DB, env.ALERTS, evaluation);
    } catch (err) {
      console.error("alerts: evaluation failed, queued to run again", evaluation.evaluationId, err);
      try {
        await env.ALERTS.send({ kind: "evaluate", ...evaluation } satisfies EvaluateMessage);
      } catch (sendErr) {
        console.error("alerts: could not queue the evaluation; it stays pending", evaluation.evaluationId, sendErr);
      }
    }
  }
  const stale = outcomes.flatMap((o) => o.staleEvaluations);
  if (stale.length > 0) await recoverAlertEvaluations(env.DB, env.ALERTS, stale);
}

/** The hourly job's share: evaluations left pending while no new event came to report them. */
export async function recoverPendingEvaluations(d1: D1Database, alerts: Queue, now = Date.now()): Promise<number> {
  const { results } = await d1
    .prepare("SELECT evaluation_id, min(created_at) AS created_at FROM alert_evaluations_pending WHERE created_at < ?1 GROUP BY evaluation_id LIMIT 100")
    .bind(now - EVALUATION_STALE_MS)
    .all<{ evaluation_id: string; created_at: number }>();
  await recoverAlertEvaluations(d1, alerts, results.map((r) => ({ evaluationId: r.evaluation_id, createdAt: r.created_at })), now);
  return results.length;
}

/**
 * Runs lost evaluations again, with their own id and clock, so whatever part of them ran before
 * is not sent twice (firings are unique per rule, issue and evaluation or window). Each is rebuilt
 * from its runs: the issues their events went to, and those the runs created, regressed or
 * escalated (issues.changed_by_run). One that fails stays pending for the next try.
 */
export async function recoverAlertEvaluations(d1: D1Database, alerts: Queue, stale: readonly StaleEvaluation[], now = Date.now()): Promise<void> {
  for (const { evaluationId, createdAt } of stale) {
    try {
      if (now - createdAt > EVALUATION_MAX_AGE_MS) {
        console.error("alerts: pending evaluation too old to send, dropped", evaluationId, new Date(createdAt).toISOString());
      } else {
        const evaluation = await rebuildEvaluation(d1, evaluationId, createdAt);
        console.warn("alerts: running a lost evaluation again", evaluationId);
        if (evaluation !== null) await evaluateAlertRules(d1, alerts, evaluation);
      }
      await finishEvaluation(d1, evaluationId);
    } catch (err) {
      console.error("alerts: lost evaluation failed again, still pending", evaluationId, err);
    }
  }
}

/** What the evaluation's runs changed, as evaluateAfterDigest had it; null when nothing is left of them. */
export async function rebuildEvaluation(d1: D1Database, evaluationId: string, now: number): Promise<AlertEvaluation | null> {
  // events_by_batch finds the runs' events; the issue says whether one of the runs changed it, and how.
  const { results } = await d1
    .prepare(
      `WITH runs AS (SELECT run FROM alert_evaluations_pending WHERE evaluation_id = ?1)
       SELECT DISTINCT i.id, i.substatus, i.changed_by_run IN (SELECT run FROM runs) AS changed
       FROM events e JOIN issues i ON i.id = e.issue_id
       WHERE e.ingest_batch IN (SELECT run FROM runs)`,
    )
    .bind(evaluationId)
    .all<{ id: number; substatus: string; changed: number }>();
  const changed = (substatus: string | null) => results.filter((r) => r.changed === 1 && (substatus === null ? r.substatus !== "regressed" && r.substatus !== "escalating" : r.substatus === substatus)).map((r) => r.id);
  return evaluationOf(
    [
      {
        // The runs' own mark is "created" unless they regressed or escalated it.
        newIssueIds: changed(null),
        regressedIssueIds: changed("regressed"),
        escalatedIssueIds: changed("escalating"),
        touchedIssueIds: results.map((r) => r.id),
        evaluationId,
        now,
        staleEvaluations: [],
      },
    ],
    now,
    evaluationId,
  );
}
