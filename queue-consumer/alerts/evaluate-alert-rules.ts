import { storedRuleConditionsSchema } from "../../db/alert-rule-definition";
import { type AlertContext, issueShortId } from "../../alert-channels/alert-context";
import type { DeliverMessage, EvaluateMessage } from "../../protocol/alert-queue-message";
import { recentEventCounter } from "./count-recent-events";
import { fireFeedbackAlerts } from "./fire-feedback-alerts";
import { type IssueFacts, type RuleToMatch, filterHolds, matchAlertRule } from "./match-alert-rule";
import type { DigestOutcome } from "../digest/digest-outcome";

/** One run of the alert rules over what a digest batch changed. */
export type AlertEvaluation = Omit<EvaluateMessage, "kind">;

// Queues takes at most 100 messages per sendBatch (https://developers.cloudflare.com/queues/platform/limits/).
const SEND_BATCH_MAX = 100;

/**
 * The evaluation of a committed digest batch, or null when no issue received a new event. Its id
 * and clock are the ones the digest recorded as pending (outcomes of one batch share them).
 */
export function evaluationOf(
  outcomes: readonly DigestOutcome[],
  now = outcomes[0]?.now ?? Date.now(),
  evaluationId: string = outcomes[0]?.evaluationId ?? crypto.randomUUID(),
): AlertEvaluation | null {
  const union = (pick: (o: DigestOutcome) => number[]) => [...new Set(outcomes.flatMap(pick))];
  const evaluation = {
    evaluationId,
    now,
    newIssueIds: union((o) => o.newIssueIds),
    regressedIssueIds: union((o) => o.regressedIssueIds),
    escalatedIssueIds: union((o) => o.escalatedIssueIds),
    touchedIssueIds: union((o) => o.touchedIssueIds),
    pendingRuns: outcomes.flatMap((o) => (o.pendingRun === null ? [] : [o.pendingRun])),
  };
  const any =
    evaluation.newIssueIds.length +
    evaluation.regressedIssueIds.length +
    evaluation.escalatedIssueIds.length +
    evaluation.touchedIssueIds.length;
  // A run with no issue changes is still evaluated when it recorded itself pending: its feedback.
  return any === 0 && evaluation.pendingRuns.length === 0 ? null : evaluation;
}

interface RuleRow {
  id: number;
  project_id: number;
  name: string;
  match: string;
  triggers: string;
  filters: string;
  frequency_minutes: number;
}

interface IssueRow {
  id: number;
  project_id: number;
  title: string;
  culprit: string;
  level: string;
  first_seen: number;
  last_seen: number;
  times_seen: number;
  user_count: number;
  last_event_id: string | null;
  project_slug: string;
  project_name: string;
  organization_slug: string;
  event_level: string | null;
  event_environment: string | null;
  event_release: string | null;
  event_tags: string | null;
  event_timestamp: number | null;
}

/** One of the issue's events, as filters and notifications see it. */
interface EventFacts {
  eventId: string;
  level: string;
  environment: string | null;
  release: string | null;
  tags: Array<[string, string]>;
  timestamp: number;
}

interface BatchEventRow {
  issue_id: number;
  event_id: string;
  level: string;
  environment: string | null;
  release: string | null;
  tags: string | null;
  timestamp: number;
}

interface Firing {
  ruleId: number;
  issueId: number;
  projectId: number;
  windowKey: string;
  throttleMs: number;
  context: AlertContext;
}

/**
 * Evaluates the rules of every project an evaluation touched, records what fires and queues one
 * delivery per firing and target. Exactly once, whatever is retried: a firing is unique per
 * (rule, issue, window) and per (rule, issue, evaluation), the throttle is checked again inside
 * the write, and deliveries are queued from the database (those of this evaluation still
 * pending), so a second run sends what the first could not and nothing it did.
 */
export async function evaluateAlertRules(
  d1: D1Database,
  alerts: Queue,
  evaluation: AlertEvaluation,
): Promise<{ fired: number; queued: number }> {
  const { evaluationId, now } = evaluation;
  const firedAt = evaluation.firedAt ?? now;
  const runs = evaluation.pendingRuns ?? [];
  // Done, whichever way it ends well: the runs that recorded it as pending no longer need to.
  const done = () => finishRuns(d1, runs);
  // The runs' user feedback fires on its own (new_feedback); queued below with the issues' firings.
  const feedback = await fireFeedbackAlerts(d1, runs, evaluationId, firedAt);
  const feedbackOnly = async () => {
    const queued = feedback.rules === 0 ? 0 : await queuePendingDeliveries(d1, alerts, evaluationId);
    await done();
    return { fired: feedback.fired, queued };
  };
  const issueIds = [
    ...new Set([
      ...evaluation.touchedIssueIds,
      ...evaluation.newIssueIds,
      ...evaluation.regressedIssueIds,
      ...evaluation.escalatedIssueIds,
    ]),
  ];
  if (issueIds.length === 0) return feedbackOnly();

  // One query when no project has rules, which is the common case.
  const { results: ruleRows } = await d1
    .prepare(
      `SELECT id, project_id, name, match, triggers, filters, frequency_minutes FROM alert_rules
       WHERE project_id IN (SELECT DISTINCT project_id FROM issues WHERE id IN (SELECT value FROM json_each(?1)))`,
    )
    .bind(JSON.stringify(issueIds))
    .all<RuleRow>();
  const rules = ruleRows.flatMap((row) => {
    const conditions = storedRuleConditionsSchema.safeParse({
      match: row.match,
      triggers: parseJson(row.triggers),
      filters: parseJson(row.filters),
    });
    if (!conditions.success) {
      console.error("alerts: rule has unreadable conditions, skipped", row.id);
      return [];
    }
    return [
      {
        id: row.id,
        projectId: row.project_id,
        name: row.name,
        rule: { ...conditions.data, frequencyMinutes: row.frequency_minutes, id: row.id } satisfies RuleToMatch,
      },
    ];
  });
  // No rule any more (deleted since the commit, or unreadable): nothing to send but feedback's.
  if (rules.length === 0) return feedbackOnly();

  const projectIds = [...new Set(rules.map((r) => r.projectId))];
  const [issueResult, throttleResult, eventsResult] = await d1.batch([
    // The issue as committed, with its latest event (unique index on project + event_id).
    d1
      .prepare(
        `SELECT i.id, i.project_id, i.title, i.culprit, i.level, i.first_seen, i.last_seen, i.times_seen, i.user_count, i.last_event_id,
           p.slug AS project_slug, p.name AS project_name, o.slug AS organization_slug,
           e.level AS event_level, e.environment AS event_environment, e.release AS event_release, e.tags AS event_tags, e.timestamp AS event_timestamp
         FROM issues i
         JOIN projects p ON p.id = i.project_id
         JOIN organizations o ON o.id = p.organization_id
         LEFT JOIN events e ON e.project_id = i.project_id AND e.event_id = i.last_event_id
         WHERE i.id IN (SELECT value FROM json_each(?1)) AND i.project_id IN (SELECT value FROM json_each(?2))`,
      )
      .bind(JSON.stringify(issueIds), JSON.stringify(projectIds)),
    d1
      .prepare(
        `SELECT rule_id, issue_id, last_fired_at FROM alert_throttle
         WHERE rule_id IN (SELECT value FROM json_each(?1)) AND issue_id IN (SELECT value FROM json_each(?2))`,
      )
      .bind(JSON.stringify(rules.map((r) => r.id)), JSON.stringify(issueIds)),
    // The events the evaluation's runs stored (events_by_batch), newest first: Sentry tries a
    // rule's filters on each event, so an issue whose latest event is filtered out still fires
    // for an earlier one of the same batch that passes.
    d1
      .prepare(
        `SELECT issue_id, event_id, level, environment, release, tags, timestamp FROM events
         WHERE ingest_batch IN (SELECT value FROM json_each(?1)) AND issue_id IN (SELECT value FROM json_each(?2))
           AND project_id IN (SELECT value FROM json_each(?3))
         ORDER BY timestamp DESC, id DESC`,
      )
      .bind(JSON.stringify(runs), JSON.stringify(issueIds), JSON.stringify(projectIds)),
  ]);
  const batchEvents = new Map<number, EventFacts[]>();
  for (const row of (eventsResult?.results ?? []) as unknown as BatchEventRow[]) {
    const list = batchEvents.get(row.issue_id) ?? [];
    list.push({
      eventId: row.event_id,
      level: row.level,
      environment: row.environment,
      release: row.release,
      tags: parseTags(row.tags),
      timestamp: row.timestamp,
    });
    batchEvents.set(row.issue_id, list);
  }
  const issues = (issueResult?.results ?? []) as unknown as IssueRow[];
  const lastFired = new Map<string, number>();
  for (const row of (throttleResult?.results ?? []) as Array<{ rule_id: number; issue_id: number; last_fired_at: number }>) {
    lastFired.set(`${row.rule_id}:${row.issue_id}`, row.last_fired_at);
  }

  const isNew = new Set(evaluation.newIssueIds);
  const regressed = new Set(evaluation.regressedIssueIds);
  const escalated = new Set(evaluation.escalatedIssueIds);
  const firings: Firing[] = [];
  for (const issue of issues) {
    const facts: Omit<IssueFacts, "event"> = {
      firstSeen: issue.first_seen,
      level: issue.level,
      isNew: isNew.has(issue.id),
      regressed: regressed.has(issue.id),
      escalated: escalated.has(issue.id),
    };
    // The runs' events of the issue, or (an evaluation that does not know its runs) its latest event.
    const latest: EventFacts | null =
      issue.last_event_id === null || issue.event_level === null
        ? null
        : {
            eventId: issue.last_event_id,
            level: issue.event_level,
            environment: issue.event_environment,
            release: issue.event_release,
            tags: parseTags(issue.event_tags),
            timestamp: issue.event_timestamp ?? issue.last_seen,
          };
    const candidates: Array<EventFacts | null> = batchEvents.get(issue.id) ?? [latest];
    const counter = recentEventCounter(d1, { issueId: issue.id, timesSeen: issue.times_seen, userCount: issue.user_count }, now);
    for (const { id, projectId, name, rule } of rules) {
      if (projectId !== issue.project_id) continue;
      // The newest event that every filter holds for; the rule's triggers then decide.
      const event = candidates.find((e) => rule.filters.every((f) => filterHolds(f, { ...facts, event: e }, now)));
      if (event === undefined) continue;
      const match = await matchAlertRule(rule, { ...facts, event }, counter, {
        now,
        evaluationId,
        lastFiredAt: lastFired.get(`${id}:${issue.id}`) ?? null,
      });
      if (match === null) continue;
      // Checked again in the write below: the throttle, or a frequency trigger's interval when longer.
      const throttleMs = Math.max(rule.frequencyMinutes * 60_000, match.quietMs);
      firings.push({
        ruleId: id,
        issueId: issue.id,
        projectId,
        windowKey: match.windowKey,
        throttleMs,
        context: contextOf(issue, event, { id, name }, match.reasons, firedAt),
      });
    }
  }

  const statements: D1PreparedStatement[] = [];
  if (firings.length > 0) {
    statements.push(
      // The throttle is checked again here, inside the transaction: a concurrent evaluation that
      // fired for the same rule and issue in the meantime wins, and this one records nothing.
      d1
        .prepare(
          `INSERT INTO alert_firings (rule_id, issue_id, project_id, window_key, evaluation_id, fired_at, context)
           SELECT f.value ->> 'ruleId', f.value ->> 'issueId', f.value ->> 'projectId', f.value ->> 'windowKey', ?2, ?4, f.value -> 'context'
           FROM json_each(?1) AS f
           WHERE NOT EXISTS (
             SELECT 1 FROM alert_throttle t
             WHERE t.rule_id = f.value ->> 'ruleId' AND t.issue_id = f.value ->> 'issueId'
               AND t.evaluation_id <> ?2 AND t.last_fired_at > ?3 - (f.value ->> 'throttleMs')
           )
           ON CONFLICT DO NOTHING`,
        )
        .bind(JSON.stringify(firings), evaluationId, now, firedAt),
      d1
        .prepare(
          `INSERT INTO alert_throttle (rule_id, issue_id, last_fired_at, evaluation_id)
           SELECT rule_id, issue_id, fired_at, evaluation_id FROM alert_firings WHERE evaluation_id = ?1
           ON CONFLICT (rule_id, issue_id) DO UPDATE SET last_fired_at = excluded.last_fired_at, evaluation_id = excluded.evaluation_id
           WHERE excluded.last_fired_at >= alert_throttle.last_fired_at`,
        )
        .bind(evaluationId),
      d1
        .prepare(
          `INSERT INTO alert_deliveries (firing_id, project_id, rule_id, issue_id, target_id, target_type, status, attempts, created_at, updated_at)
           SELECT f.id, f.project_id, f.rule_id, f.issue_id, t.id, t.type, 'pending', 0, ?2, ?2
           FROM alert_firings f JOIN alert_targets t ON t.rule_id = f.rule_id
           WHERE f.evaluation_id = ?1
           ON CONFLICT (firing_id, target_id) DO NOTHING`,
        )
        .bind(evaluationId, firedAt),
    );
  }
  // Also on a run that fires nothing new: what an earlier run of this evaluation recorded but could not queue.
  statements.push(
    d1
      .prepare(
        `SELECT d.id, d.project_id FROM alert_firings f JOIN alert_deliveries d ON d.firing_id = f.id
         WHERE f.evaluation_id = ?1 AND d.status = 'pending' ORDER BY d.id`,
      )
      .bind(evaluationId),
  );
  const results = await d1.batch<{ id: number; project_id: number }>(statements);
  const pending = results.at(-1)?.results ?? [];
  const messages = pending.map((d) => ({ body: { kind: "deliver", deliveryId: d.id, projectId: d.project_id } satisfies DeliverMessage }));
  for (let i = 0; i < messages.length; i += SEND_BATCH_MAX) await alerts.sendBatch(messages.slice(i, i + SEND_BATCH_MAX));
  // Every delivery is on the queue.
  await done();
  return { fired: feedback.fired + (firings.length === 0 ? 0 : (results[0]?.meta.changes ?? 0)), queued: messages.length };
}

/** Queues the deliveries of the evaluation that are still pending; answers how many. */
async function queuePendingDeliveries(d1: D1Database, alerts: Queue, evaluationId: string): Promise<number> {
  const { results } = await d1
    .prepare(
      `SELECT d.id, d.project_id FROM alert_firings f JOIN alert_deliveries d ON d.firing_id = f.id
       WHERE f.evaluation_id = ?1 AND d.status = 'pending' ORDER BY d.id`,
    )
    .bind(evaluationId)
    .all<{ id: number; project_id: number }>();
  const messages = results.map((d) => ({ body: { kind: "deliver", deliveryId: d.id, projectId: d.project_id } satisfies DeliverMessage }));
  for (let i = 0; i < messages.length; i += SEND_BATCH_MAX) await alerts.sendBatch(messages.slice(i, i + SEND_BATCH_MAX));
  return messages.length;
}

function contextOf(
  issue: IssueRow,
  event: EventFacts | null,
  rule: { id: number; name: string },
  reasons: string[],
  now: number,
): AlertContext {
  return {
    rule,
    project: { id: issue.project_id, slug: issue.project_slug, name: issue.project_name, organizationSlug: issue.organization_slug },
    issue: {
      id: issue.id,
      shortId: issueShortId(issue.project_slug, issue.id),
      title: issue.title,
      culprit: issue.culprit,
      level: issue.level,
      firstSeen: issue.first_seen,
      lastSeen: issue.last_seen,
      timesSeen: issue.times_seen,
      userCount: issue.user_count,
    },
    event:
      event === null
        ? null
        : {
            eventId: event.eventId,
            level: event.level,
            environment: event.environment,
            release: event.release,
            timestamp: event.timestamp,
          },
    reasons,
    firedAt: now,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function parseTags(text: string | null): Array<[string, string]> {
  const value = text === null ? null : parseJson(text);
  if (!Array.isArray(value)) return [];
  return value.filter(
    (pair): pair is [string, string] => Array.isArray(pair) && typeof pair[0] === "string" && typeof pair[1] === "string",
  );
}

/** An evaluation is over for these digest runs: they no longer wait for it. */
export async function finishRuns(d1: D1Database, runs: readonly string[]): Promise<void> {
  if (runs.length === 0) return;
  await d1.prepare("DELETE FROM alert_evaluations_pending WHERE run IN (SELECT value FROM json_each(?1))").bind(JSON.stringify(runs)).run();
}
