import type { Env } from "../../protocol/env";
import type { EvaluateMessage } from "../../protocol/alert-queue-message";
import { type AlertEvaluation, evaluateAlertRules, evaluationOf, finishRuns } from "./evaluate-alert-rules";
import {
  type DigestOutcome,
  EVALUATION_STALE_MS,
  type StaleEvaluation,
  dueEvaluations,
  staleEvaluationsOf,
} from "../digest/digest-outcome";

/** Evaluations this old are dropped, not run: an alert a day late is noise. */
const EVALUATION_MAX_AGE_MS = 86_400_000;
/** Between tries of an evaluation that keeps failing: doubling from EVALUATION_STALE_MS, up to an hour. */
const RETRY_MAX_MS = 3_600_000;

/**
 * Runs right after the events consumer commits a batch. The batch is already acknowledged, so an
 * evaluation that fails here is handed to the `alerts` queue, whose consumer runs it again (with
 * the same id and clock) until it succeeds. If even that fails, or the invocation dies first, the
 * evaluation is still pending in D1 (written with the batch): when it is due, the next batch's
 * commit reports it and it is run here, as the hourly job does for a project that went quiet.
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
  // Each run's commit read the same list: once per evaluation.
  const stale = [...new Map(outcomes.flatMap((o) => o.staleEvaluations).map((s) => [s.evaluationId, s])).values()];
  if (stale.length > 0) await recoverAlertEvaluations(env.DB, env.ALERTS, stale);
}

/** The hourly job's share: evaluations left pending while no new event came to report them. */
export async function recoverPendingEvaluations(d1: D1Database, alerts: Queue, now = Date.now()): Promise<number> {
  const due = staleEvaluationsOf(await dueEvaluations(d1, now, 100).all());
  await recoverAlertEvaluations(d1, alerts, due, now);
  return due.length;
}

interface ClaimedRun {
  run: string;
  changes: string;
}

/**
 * Runs lost evaluations again, with their own id and clock, so whatever part of them ran before
 * is not sent twice (firings are unique per rule, issue and evaluation or window). Each is first
 * claimed, so two invocations that find it at once do not both run it, and put off with backoff,
 * so one that keeps failing is not retried on every batch; it is over when its runs are cleared.
 */
export async function recoverAlertEvaluations(
  d1: D1Database,
  alerts: Queue,
  stale: readonly StaleEvaluation[],
  now = Date.now(),
): Promise<void> {
  for (const { evaluationId, createdAt } of stale) {
    try {
      const { results: claimed } = await d1
        .prepare(
          `UPDATE alert_evaluations_pending SET attempts = attempts + 1, next_attempt_at = ?2 + min(?4, ?3 << min(attempts, 20))
           WHERE evaluation_id = ?1 AND next_attempt_at <= ?2
           RETURNING run, changes`,
        )
        .bind(evaluationId, now, EVALUATION_STALE_MS, RETRY_MAX_MS)
        .all<ClaimedRun>();
      if (claimed.length === 0) continue;
      const runs = claimed.map((c) => c.run);
      if (now - createdAt > EVALUATION_MAX_AGE_MS) {
        console.error("alerts: pending evaluation too old to send, dropped", evaluationId, new Date(createdAt).toISOString());
        await finishRuns(d1, runs);
        continue;
      }
      console.warn("alerts: running a lost evaluation again", evaluationId);
      const evaluation = await rebuildEvaluation(d1, claimed, evaluationId, createdAt);
      // A late notification counts for the throttle from when it is sent, not from when it was due.
      if (evaluation === null) await finishRuns(d1, runs);
      else await evaluateAlertRules(d1, alerts, { ...evaluation, pendingRuns: runs, firedAt: now });
    } catch (err) {
      console.error("alerts: lost evaluation failed again, still pending", evaluationId, err);
    }
  }
}

/**
 * What the evaluation's runs changed, as evaluateAfterDigest had it: the issues their events went
 * to, and those they created, regressed or escalated as recorded at their commit, and the runs
 * (whose user feedback fires on its own). Null when there is no run.
 */
export async function rebuildEvaluation(
  d1: D1Database,
  runs: readonly ClaimedRun[],
  evaluationId: string,
  now: number,
): Promise<AlertEvaluation | null> {
  const { results } = await d1
    .prepare("SELECT DISTINCT issue_id FROM events WHERE ingest_batch IN (SELECT value FROM json_each(?1))")
    .bind(JSON.stringify(runs.map((r) => r.run)))
    .all<{ issue_id: number }>();
  const changes = runs.flatMap((r) => parseChanges(r.changes));
  const changed = (kind: string) => changes.filter(([, k]) => k === kind).map(([id]) => id);
  return evaluationOf(
    [
      {
        newIssueIds: changed("new"),
        regressedIssueIds: changed("regressed"),
        escalatedIssueIds: changed("escalating"),
        touchedIssueIds: results.map((r) => r.issue_id),
        evaluationId,
        now,
        // The runs' user feedback is evaluated from the runs themselves (fire-feedback-alerts.ts).
        pendingRun: runs[0]?.run ?? null,
        staleEvaluations: [],
      },
    ],
    now,
    evaluationId,
  );
}

function parseChanges(text: string): Array<[number, string]> {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed)
      ? parsed.filter((c): c is [number, string] => Array.isArray(c) && typeof c[0] === "number" && typeof c[1] === "string")
      : [];
  } catch {
    return [];
  }
}
