/**
 * What a digest run hands to the alert rules evaluated after its commit, and the table through
 * which an evaluation that got lost on the way is found and run again
 * (queue-consumer/alerts/evaluate-after-digest.ts).
 */

/** Issues a run changed, by what happened to them. */
export interface IssueChanges {
  newIssueIds: number[];
  regressedIssueIds: number[];
  escalatedIssueIds: number[];
  /** Issues that received at least one newly inserted event. */
  touchedIssueIds: number[];
  /** This run, when it recorded its evaluation as pending (its projects have rules); the evaluation clears it. */
  pendingRun: string | null;
}

export interface DigestOutcome extends IssueChanges {
  /** The alert evaluation of this run: its id and clock. */
  evaluationId: string;
  now: number;
  /** Evaluations of earlier runs still pending long after their commit: lost on the way, to run again. */
  staleEvaluations: StaleEvaluation[];
}

export interface StaleEvaluation {
  evaluationId: string;
  createdAt: number;
}

export const NO_ISSUE_CHANGES: IssueChanges = {
  newIssueIds: [],
  regressedIssueIds: [],
  escalatedIssueIds: [],
  touchedIssueIds: [],
  pendingRun: null,
};

/** An evaluation still pending this long after its run committed was lost, not slow: it is then due to run again. */
export const EVALUATION_STALE_MS = 120_000;

/** Evaluations due to run again, at most `limit` (alert_evaluations_pending_by_next_attempt); read them with staleEvaluationsOf. */
export function dueEvaluations(d1: D1Database, now: number, limit: number): D1PreparedStatement {
  return d1
    .prepare(
      "SELECT evaluation_id, min(created_at) AS created_at FROM alert_evaluations_pending WHERE next_attempt_at <= ?1 GROUP BY evaluation_id LIMIT ?2",
    )
    .bind(now, limit);
}

export function staleEvaluationsOf(result: D1Result | undefined): StaleEvaluation[] {
  const rows = (result?.results ?? []) as Array<{ evaluation_id: string; created_at: number }>;
  return rows.map((r) => ({ evaluationId: r.evaluation_id, createdAt: r.created_at }));
}
