/**
 * The `new_feedback` trigger: each user feedback a digest run stored notifies the rules of its
 * project that name the trigger (alone, or among others with "any"), once, through the rule's
 * targets like any alert. The feedback's issue, when its event has landed, is what the
 * notification points at; otherwise the project's Feedback page.
 *
 * Exactly once, however often it runs: a firing is unique per (rule, feedback) through its
 * `issue_id`, the feedback row's id negated (feedback firings never meet an issue's: those are
 * positive) and its window key, and the deliveries are queued from the database by the
 * evaluation that runs it (evaluate-alert-rules.ts), as an issue's are. A run that stored feedback
 * for a project with such a rule is recorded as pending in the digest's own transaction
 * (items/feedback/feedback-statements.ts), so an evaluation lost after the commit is run again.
 */
import type { AlertContext } from "../../alert-channels/alert-context";
import { issueShortId } from "../../alert-channels/alert-context";
import { storedRuleConditionsSchema } from "../../db/alert-rule-definition";
import { filterHolds } from "./match-alert-rule";

interface FeedbackRow {
  id: number;
  feedback_id: string;
  project_id: number;
  name: string;
  email: string;
  message: string;
  environment: string | null;
  release: string | null;
  date_created: number;
  issue_id: number | null;
  issue_title: string | null;
  issue_culprit: string | null;
  issue_level: string | null;
  issue_first_seen: number | null;
  issue_last_seen: number | null;
  issue_times_seen: number | null;
  issue_user_count: number | null;
  project_slug: string;
  project_name: string;
  organization_slug: string;
}

interface RuleRow {
  id: number;
  project_id: number;
  name: string;
  match: string;
  triggers: string;
  filters: string;
}

/** Longest part of a message a notification quotes. */
const QUOTE_MAX = 300;

/** The rules that name the trigger, of the projects the runs stored feedback for. */
const RULES = `SELECT r.id, r.project_id, r.name, r.match, r.triggers, r.filters FROM alert_rules r
  WHERE r.project_id IN (SELECT DISTINCT project_id FROM user_feedback WHERE ingest_batch IN (SELECT value FROM json_each(?1)))
    AND EXISTS (SELECT 1 FROM json_each(r.triggers) t WHERE t.value ->> 'type' = 'new_feedback')`;

const FEEDBACK = `SELECT f.id, f.feedback_id, f.project_id, f.name, f.email, f.message, f.environment, f.release, f.date_created,
    i.id AS issue_id, i.title AS issue_title, i.culprit AS issue_culprit, i.level AS issue_level, i.first_seen AS issue_first_seen,
    i.last_seen AS issue_last_seen, i.times_seen AS issue_times_seen, i.user_count AS issue_user_count,
    p.slug AS project_slug, p.name AS project_name, o.slug AS organization_slug
  FROM user_feedback f
  JOIN projects p ON p.id = f.project_id
  JOIN organizations o ON o.id = p.organization_id
  LEFT JOIN events e ON e.project_id = f.project_id AND e.event_id = f.event_id
  LEFT JOIN issues i ON i.id = e.issue_id
  WHERE f.ingest_batch IN (SELECT value FROM json_each(?1)) AND f.project_id IN (SELECT value FROM json_each(?2))`;

export interface FeedbackFiring {
  ruleId: number;
  feedbackRowId: number;
  projectId: number;
  windowKey: string;
  context: AlertContext;
}

/**
 * Records the firings (and their deliveries) of the feedback the runs stored. Answers how many
 * rules could fire (when none, nothing of this evaluation waits to be queued) and how many
 * firings are new.
 */
export async function fireFeedbackAlerts(
  d1: D1Database,
  runs: readonly string[],
  evaluationId: string,
  firedAt: number,
): Promise<{ rules: number; fired: number }> {
  if (runs.length === 0) return { rules: 0, fired: 0 };
  const { results: ruleRows } = await d1.prepare(RULES).bind(JSON.stringify(runs)).all<RuleRow>();
  if (ruleRows.length === 0) return { rules: 0, fired: 0 };
  const projectIds = [...new Set(ruleRows.map((r) => r.project_id))];
  const { results: feedback } = await d1.prepare(FEEDBACK).bind(JSON.stringify(runs), JSON.stringify(projectIds)).all<FeedbackRow>();
  const firings = feedbackFirings(feedback, ruleRows, firedAt);
  if (firings.length === 0) return { rules: ruleRows.length, fired: 0 };
  const [inserted] = await d1.batch([
    d1
      .prepare(
        `INSERT INTO alert_firings (rule_id, issue_id, project_id, window_key, evaluation_id, fired_at, context)
         SELECT f.value ->> 'ruleId', -(f.value ->> 'feedbackRowId'), f.value ->> 'projectId', f.value ->> 'windowKey', ?2, ?3, f.value -> 'context'
         FROM json_each(?1) AS f WHERE true
         ON CONFLICT DO NOTHING`,
      )
      .bind(JSON.stringify(firings), evaluationId, firedAt),
    // The delivery log names the feedback's issue, or none (0).
    d1
      .prepare(
        `INSERT INTO alert_deliveries (firing_id, project_id, rule_id, issue_id, target_id, target_type, status, attempts, created_at, updated_at)
         SELECT f.id, f.project_id, f.rule_id, f.context ->> '$.issue.id', t.id, t.type, 'pending', 0, ?2, ?2
         FROM alert_firings f JOIN alert_targets t ON t.rule_id = f.rule_id
         WHERE f.evaluation_id = ?1 AND f.issue_id < 0
         ON CONFLICT (firing_id, target_id) DO NOTHING`,
      )
      .bind(evaluationId, firedAt),
  ]);
  return { rules: ruleRows.length, fired: inserted?.meta.changes ?? 0 };
}

/** Which rule fires for which feedback, with what it will say: pure, for the tests. */
export function feedbackFirings(feedback: readonly FeedbackRow[], ruleRows: readonly RuleRow[], now: number): FeedbackFiring[] {
  const firings: FeedbackFiring[] = [];
  for (const row of ruleRows) {
    const parsed = storedRuleConditionsSchema.safeParse({
      match: row.match,
      triggers: parseJson(row.triggers),
      filters: parseJson(row.filters),
    });
    if (!parsed.success) continue;
    const { match, triggers, filters } = parsed.data;
    // With "all", every trigger must hold for one occasion: a feedback is not an issue's event.
    if (match === "all" && triggers.some((t) => t.type !== "new_feedback")) continue;
    for (const f of feedback) {
      if (f.project_id !== row.project_id) continue;
      const facts = {
        firstSeen: f.issue_first_seen ?? f.date_created,
        level: "info",
        isNew: false,
        regressed: false,
        escalated: false,
        event: { level: "info", environment: f.environment, release: f.release, tags: [] },
      };
      if (!filters.every((filter) => filterHolds(filter, facts, now))) continue;
      firings.push({
        ruleId: row.id,
        feedbackRowId: f.id,
        projectId: f.project_id,
        windowKey: `feedback:${f.feedback_id}`,
        context: feedbackContext(f, { id: row.id, name: row.name }, now),
      });
    }
  }
  return firings;
}

/**
 * What the notification says: the feedback quoted as its title, who sent it, and the issue it is
 * about. Untied feedback has issue id 0, which the links turn into the project's Feedback page.
 */
function feedbackContext(f: FeedbackRow, rule: { id: number; name: string }, now: number): AlertContext {
  const who = f.name !== "" && f.email !== "" ? `${f.name} <${f.email}>` : f.name || f.email || "an anonymous user";
  const quote = f.message.length > QUOTE_MAX ? `${f.message.slice(0, QUOTE_MAX - 1)}…` : f.message;
  const issueId = f.issue_id ?? 0;
  return {
    rule,
    project: { id: f.project_id, slug: f.project_slug, name: f.project_name, organizationSlug: f.organization_slug },
    issue: {
      id: issueId,
      shortId: issueId === 0 ? "FEEDBACK" : issueShortId(f.project_slug, issueId),
      title: `Feedback: ${quote}`,
      culprit: f.issue_title === null ? `from ${who}` : `from ${who} about ${f.issue_title}`,
      level: "info",
      firstSeen: f.issue_first_seen ?? f.date_created,
      lastSeen: f.issue_last_seen ?? f.date_created,
      timesSeen: f.issue_times_seen ?? 0,
      userCount: f.issue_user_count ?? 0,
    },
    event: null,
    reasons: [`New user feedback from ${who}`],
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
