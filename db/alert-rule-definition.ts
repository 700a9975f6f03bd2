// zod/mini: this module is part of the Worker bundle (the digest reads rules with it), where the
// classic API's size is paid at every cold start.
import * as z from "zod/mini";

/**
 * What an alert rule says, in the shape of Sentry's issue alert builder
 * (https://docs.sentry.io/product/alerts/create-alerts/issue-alert-config/): WHEN any or all of
 * the triggers happen, IF every filter holds, THEN notify every target, at most once per rule and
 * issue every `frequencyMinutes`. Stored as JSON columns of alert_rules; validated here when the
 * API receives a rule and again when the digest reads one back.
 */

/** The intervals frequency triggers count over, in ms. */
export const ALERT_INTERVALS = { "1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "1d": 86_400_000 } as const;
export type AlertInterval = keyof typeof ALERT_INTERVALS;

/** Sentry's levels from least to most severe: "level at least X" compares positions here. */
export const ALERT_LEVELS = ["debug", "info", "warning", "error", "fatal"] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];

// Sentry's tag limits (https://docs.sentry.io/platforms/javascript/enriching-events/tags/).
const TAG_KEY_MAX = 200;
const TAG_VALUE_MAX = 200;
const DURATION_UNITS_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION_MAX_MS = 365 * 86_400_000;
/** Queues delay a retried message by at most 12 hours; a longer throttle is still honoured, so 30 days is the cap. */
export const FREQUENCY_MINUTES_MAX = 43_200;
export const FREQUENCY_MINUTES_DEFAULT = 30;

/** "30m", "12h", "7d", "2w" in ms; null when the text is not such a duration. */
export function durationMs(text: string): number | null {
  const match = /^(\d{1,6})([mhdw])$/.exec(text);
  if (match === null) return null;
  return Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS];
}

const TRANSACTION_NAME_MAX = 200;
// Sentry's release names are at most 200 characters.
const RELEASE_MAX = 200;
/** The percentiles a transaction_duration trigger can watch, as the performance API names them. */
export const DURATION_PERCENTILES = ["p50", "p75", "p95", "p99"] as const;
const threshold = z.number().check(z.int(), z.nonnegative(), z.maximum(1_000_000_000));
const interval = z.enum(Object.keys(ALERT_INTERVALS) as [AlertInterval, ...AlertInterval[]]);
const shortText = (max: number) => z.string().check(z.trim(), z.minLength(1), z.maxLength(max));
const duration = z.string().check(
  z.refine((text) => {
    const ms = durationMs(text);
    return ms !== null && ms > 0 && ms <= DURATION_MAX_MS;
  }, "expected a duration like 30m, 12h, 7d or 2w, at most a year"),
);

export const alertTriggerSchema = z.discriminatedUnion(
  "type",
  [
    z.strictObject({ type: z.literal("new_issue") }),
    z.strictObject({ type: z.literal("regression") }),
    z.strictObject({ type: z.literal("escalating") }),
    // A user sent feedback (queue-consumer/alerts/fire-feedback-alerts.ts): once per feedback.
    z.strictObject({ type: z.literal("new_feedback") }),
    z.strictObject({ type: z.literal("event_frequency"), value: threshold, interval }),
    z.strictObject({ type: z.literal("unique_users"), value: threshold, interval }),
    z.strictObject({
      type: z.literal("transaction_duration"),
      transaction: z.optional(shortText(TRANSACTION_NAME_MAX)),
      percentile: z._default(z.enum(DURATION_PERCENTILES), "p95"),
      value: threshold,
      interval,
    }),
    z.strictObject({
      type: z.literal("failure_rate"),
      transaction: z.optional(shortText(TRANSACTION_NAME_MAX)),
      value: z.number().check(z.gte(0), z.lte(1)),
      interval,
    }),
    // Release health: crash-free sessions of a release (its version, or "latest", the project's
    // newest) below `value` percent, over sessions started in the window.
    z.strictObject({
      type: z.literal("crash_free_rate"),
      value: z.number().check(z.gte(0), z.lte(100)),
      interval,
      release: z._default(shortText(RELEASE_MAX), "latest"),
    }),
  ],
  {
    error:
      "expected one of new_issue, regression, escalating, new_feedback, event_frequency, unique_users, transaction_duration, failure_rate, crash_free_rate",
  },
);
export type AlertTrigger = z.infer<typeof alertTriggerSchema>;

/**
 * Metric triggers watch a number over a window rather than an issue's events (Sentry's metric
 * alerts, https://docs.sentry.io/product/alerts/create-alerts/metric-alert-config/). The minute
 * job (queue-consumer/jobs/evaluate-metric-alerts.ts) computes them from the hourly rollups; a
 * crossing opens or regresses the rule's own metric issue, which is what notifies the rule's
 * targets, and a recovery resolves it, so a crossing fires once and the next crossing again.
 */
export const METRIC_TRIGGER_TYPES = ["transaction_duration", "failure_rate", "crash_free_rate"] as const;
export type MetricTrigger = Extract<AlertTrigger, { type: (typeof METRIC_TRIGGER_TYPES)[number] }>;

export function isMetricTrigger(trigger: AlertTrigger): trigger is MetricTrigger {
  return (METRIC_TRIGGER_TYPES as readonly string[]).includes(trigger.type);
}

/** The filters a metric rule can narrow its numbers with: the rollups know these, not levels or tags. */
const METRIC_FILTER_TYPES: readonly string[] = ["environment", "release"];

/** Why a rule's triggers and filters cannot go together, or null when they can. */
export function ruleConditionsProblem(rule: { triggers: readonly AlertTrigger[]; filters: readonly AlertFilter[] }): string | null {
  const metric = rule.triggers.filter(isMetricTrigger).length;
  if (metric === 0) return null;
  if (metric !== rule.triggers.length)
    return "metric triggers (transaction_duration, failure_rate, crash_free_rate) cannot be mixed with issue triggers";
  if (rule.filters.some((f) => !METRIC_FILTER_TYPES.includes(f.type))) return "a metric rule can only filter by environment and release";
  return null;
}

export const alertFilterSchema = z.discriminatedUnion(
  "type",
  [
    z.strictObject({ type: z.literal("level"), value: z.enum(ALERT_LEVELS) }),
    z.strictObject({ type: z.literal("environment"), value: shortText(TAG_VALUE_MAX) }),
    z.strictObject({ type: z.literal("release"), value: shortText(TAG_VALUE_MAX) }),
    z.strictObject({ type: z.literal("tag"), key: shortText(TAG_KEY_MAX), value: shortText(TAG_VALUE_MAX) }),
    z.strictObject({ type: z.literal("age"), older_than: z.optional(duration), newer_than: z.optional(duration) }).check(
      z.refine((f) => (f.older_than === undefined) !== (f.newer_than === undefined), {
        message: "exactly one of older_than and newer_than",
        path: ["older_than"],
      }),
    ),
  ],
  { error: "expected one of level, environment, release, tag, age" },
);
export type AlertFilter = z.infer<typeof alertFilterSchema>;

export const ALERT_TARGET_TYPES = ["slack", "discord", "teams", "webhook", "email", "push"] as const;
export type AlertTargetType = (typeof ALERT_TARGET_TYPES)[number];

/**
 * Targets are reached over https. Plain http is allowed to loopback addresses (127.0.0.0/8,
 * localhost, [::1]) only, and only when the caller says so (local development), for receivers
 * running on the developer's machine.
 */
export function isAllowedTargetUrl(text: string, allowLoopbackHttp: boolean): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.username !== "" || url.password !== "") return false;
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && allowLoopbackHttp && isLoopbackHost(url.hostname);
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === "localhost" || host === "[::1]") return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return v4 !== null && v4.slice(1).every((octet) => Number(octet) <= 255);
}

const URL_MAX = 2048;
// RFC 5321: 254 characters is the longest address that fits a forward path.
const ADDRESS_MAX = 254;

/** One target (THEN) as the API receives it. */
export function alertTargetSchema(allowLoopbackHttp: boolean) {
  const url = z.string().check(
    z.maxLength(URL_MAX),
    z.refine(
      (text) => isAllowedTargetUrl(text, allowLoopbackHttp),
      allowLoopbackHttp ? "must be an https URL (or http to a loopback address)" : "must be an https URL",
    ),
  );
  // A rule read back from the API may be sent again as it was: the target's id and secret are accepted and ignored.
  const echoed = { id: z.optional(z.string()), secret: z.optional(z.string()) };
  const withUrl = <T extends string>(type: T) => z.strictObject({ type: z.literal(type), url, ...echoed });
  return z.discriminatedUnion(
    "type",
    [
      withUrl("slack"),
      withUrl("discord"),
      withUrl("teams"),
      withUrl("webhook"),
      z.strictObject({
        type: z.literal("email"),
        address: z.email({ error: "expected an email address" }).check(z.maxLength(ADDRESS_MAX)),
        ...echoed,
      }),
      // The browsers of a member (by email) that turned notifications on in the dashboard.
      z.strictObject({
        type: z.literal("push"),
        address: z.email({ error: "expected the email of a member of the organization" }).check(z.maxLength(ADDRESS_MAX)),
        ...echoed,
      }),
    ],
    { error: `expected one of ${ALERT_TARGET_TYPES.join(", ")}` },
  );
}
export type AlertTargetInput = z.infer<ReturnType<typeof alertTargetSchema>>;

/** A rule as the API receives it. */
export function alertRuleInputSchema(options: { allowLoopbackHttp: boolean }) {
  return z
    .strictObject({
      name: shortText(256),
      match: z._default(z.enum(["any", "all"]), "any"),
      triggers: z.array(alertTriggerSchema).check(z.minLength(1), z.maxLength(10)),
      filters: z._default(z.array(alertFilterSchema).check(z.maxLength(20)), []),
      targets: z.array(alertTargetSchema(options.allowLoopbackHttp)).check(z.minLength(1), z.maxLength(10)),
      frequencyMinutes: z._default(z.number().check(z.int(), z.nonnegative(), z.maximum(FREQUENCY_MINUTES_MAX)), FREQUENCY_MINUTES_DEFAULT),
    })
    .check(
      z.refine((rule) => ruleConditionsProblem(rule) === null, {
        message: "metric triggers (transaction_duration, failure_rate) stand alone, filtered by environment and release only",
        path: ["triggers"],
      }),
    );
}
export type AlertRuleInput = z.infer<ReturnType<typeof alertRuleInputSchema>>;

/** The parts of a stored rule the digest evaluates. */
export const storedRuleConditionsSchema = z.object({
  match: z.enum(["any", "all"]),
  triggers: z.array(alertTriggerSchema).check(z.minLength(1)),
  filters: z.array(alertFilterSchema),
});
export type AlertRuleConditions = z.infer<typeof storedRuleConditionsSchema>;
