import {
  ALERT_INTERVALS,
  ALERT_LEVELS,
  type AlertFilter,
  type AlertInterval,
  type AlertRuleConditions,
  type AlertTrigger,
  type MetricTrigger,
  durationMs,
} from "../../db/alert-rule-definition";

/** What the digest just learned about an issue, and the event a rule's filters look at (one of those the digest stored). */
export interface IssueFacts {
  firstSeen: number;
  level: string;
  isNew: boolean;
  regressed: boolean;
  escalated: boolean;
  event: { level: string; environment: string | null; release: string | null; tags: ReadonlyArray<readonly [string, string]> } | null;
}

/**
 * Whether the issue's last `intervalMs` holds at least `n` events, or events of `n` distinct
 * users: a yes/no question, so that a count can stop at `n` rows.
 */
export interface WindowCounter {
  hasEvents(intervalMs: number, n: number): Promise<boolean>;
  hasUsers(intervalMs: number, n: number): Promise<boolean>;
}

export interface RuleToMatch extends AlertRuleConditions {
  frequencyMinutes: number;
  /** The rule's id: a metric trigger holds for the issues its own crossings opened. */
  id?: number;
}

/** The tag a metric rule's crossing event carries (queue-consumer/jobs/evaluate-metric-alerts.ts): the rule's id. */
export const METRIC_RULE_TAG = "alert.rule";

export interface RuleMatch {
  /** The occasion the rule fires for: one notification per (rule, issue, window) at most. */
  windowKey: string;
  reasons: string[];
  /**
   * How long since the rule last notified about the issue the occasions that held need: a
   * frequency trigger's interval (it fires once per crossing), 0 for an event. The evaluation
   * checks it again, with the throttle, in the transaction that records the firing.
   */
  quietMs: number;
}

export interface MatchMoment {
  now: number;
  /** Names this evaluation: event-driven occasions (a regression, an escalation) are unique to it. */
  evaluationId: string;
  /** When this rule last notified about this issue; null if never. */
  lastFiredAt: number | null;
}

const INTERVAL_WORDS: Record<AlertInterval, string> = {
  "1m": "a minute",
  "5m": "5 minutes",
  "15m": "15 minutes",
  "1h": "an hour",
  "1d": "a day",
};

/**
 * Decides whether a rule fires for an issue. The throttle comes first (at most one notification
 * per rule and issue every frequencyMinutes), then the filters (all must hold), then the
 * triggers (any or all). A frequency trigger fires when its count is over the threshold and the
 * rule has not notified about the issue within the interval: once when the count crosses the
 * threshold, not on every event after it. While the count stays over, it fires again at most once
 * per interval (and per frequencyMinutes), where Sentry's condition would fire on every event
 * that its action interval lets through.
 */
export async function matchAlertRule(
  rule: RuleToMatch,
  issue: IssueFacts,
  counter: WindowCounter,
  moment: MatchMoment,
): Promise<RuleMatch | null> {
  const { now, lastFiredAt } = moment;
  if (lastFiredAt !== null && now - lastFiredAt < rule.frequencyMinutes * 60_000) return null;
  if (!rule.filters.every((filter) => filterHolds(filter, issue, now))) return null;
  const occasions: Occasion[] = [];
  for (const trigger of rule.triggers) {
    const occasion = await triggerOccasion(trigger, issue, counter, moment, rule.id);
    if (occasion === null && rule.match === "all") return null;
    if (occasion !== null) occasions.push(occasion);
  }
  const [first] = occasions;
  if (first === undefined) return null;
  return { windowKey: first.key, reasons: occasions.map((o) => o.reason), quietMs: Math.max(...occasions.map((o) => o.quietMs)) };
}

interface Occasion {
  key: string;
  reason: string;
  quietMs: number;
}

async function triggerOccasion(
  trigger: AlertTrigger,
  issue: IssueFacts,
  counter: WindowCounter,
  moment: MatchMoment,
  ruleId: number | undefined,
): Promise<Occasion | null> {
  switch (trigger.type) {
    case "transaction_duration":
    case "failure_rate":
    case "crash_free_rate": {
      // The minute job decided the crossing; it reaches the rule as its own metric issue, new
      // or regressed, so each crossing notifies once.
      const ownIssue = issue.event?.tags.some(([key, value]) => key === METRIC_RULE_TAG && value === String(ruleId)) ?? false;
      if (!ownIssue || !(issue.isNew || issue.regressed)) return null;
      return { key: `metric:${moment.evaluationId}`, reason: metricTriggerReason(trigger), quietMs: 0 };
    }
    case "new_feedback":
      // Fired for each feedback, not for an issue's events (fire-feedback-alerts.ts).
      return null;
    case "new_issue":
      return issue.isNew ? { key: "new_issue", reason: "A new issue was created", quietMs: 0 } : null;
    case "regression":
      return issue.regressed ? { key: `regression:${moment.evaluationId}`, reason: "A resolved issue regressed", quietMs: 0 } : null;
    case "escalating":
      return issue.escalated ? { key: `escalating:${moment.evaluationId}`, reason: "An ignored issue escalated", quietMs: 0 } : null;
    case "event_frequency":
    case "unique_users": {
      const intervalMs = ALERT_INTERVALS[trigger.interval];
      if (moment.lastFiredAt !== null && moment.now - moment.lastFiredAt < intervalMs) return null;
      const over =
        trigger.type === "event_frequency"
          ? await counter.hasEvents(intervalMs, trigger.value + 1)
          : await counter.hasUsers(intervalMs, trigger.value + 1);
      if (!over) return null;
      const what = trigger.type === "event_frequency" ? (trigger.value === 1 ? "event" : "events") : trigger.value === 1 ? "user" : "users";
      return {
        key: `${trigger.type}:${trigger.interval}:${Math.floor(moment.now / intervalMs) * intervalMs}`,
        reason: `More than ${trigger.value} ${what} in ${INTERVAL_WORDS[trigger.interval]}`,
        quietMs: intervalMs,
      };
    }
  }
}

/** Sentry's "level is greater than or equal to"; an unknown level is below every named one. */
function levelRank(level: string): number {
  return (ALERT_LEVELS as readonly string[]).indexOf(level);
}

export function filterHolds(filter: AlertFilter, issue: IssueFacts, now: number): boolean {
  const event = issue.event;
  switch (filter.type) {
    case "level":
      return levelRank(event?.level ?? issue.level) >= levelRank(filter.value);
    case "environment":
      return event?.environment === filter.value;
    case "release":
      return event?.release === filter.value;
    case "tag":
      return event?.tags.some(([key, value]) => key === filter.key && value === filter.value) ?? false;
    case "age": {
      const age = now - issue.firstSeen;
      if (filter.older_than !== undefined) return age > (durationMs(filter.older_than) ?? Number.POSITIVE_INFINITY);
      return age < (durationMs(filter.newer_than ?? "") ?? 0);
    }
  }
}

/** "p95 of /checkout above 500 ms in 5 minutes": what a metric trigger watches, as one line. */
export function metricTriggerReason(trigger: MetricTrigger): string {
  const window = INTERVAL_WORDS[trigger.interval];
  if (trigger.type === "crash_free_rate") {
    const release = trigger.release === "latest" ? "the latest release" : trigger.release;
    return `Crash-free sessions of ${release} below ${trigger.value}% in ${window}`;
  }
  const of = trigger.transaction === undefined ? "all transactions" : trigger.transaction;
  if (trigger.type === "transaction_duration") return `${trigger.percentile} of ${of} above ${trigger.value} ms in ${window}`;
  return `Failure rate of ${of} above ${Math.round(trigger.value * 10_000) / 100}% in ${window}`;
}
