/**
 * An alert rule as the form edits it, and the conversions between that and the API's rule
 * (/api/0/projects/{org}/{project}/alert-rules/, shaped by db/alert-rule-definition.ts). The
 * form keeps text as typed; the API names anything wrong in what comes out of `ruleBody`.
 */
export const INTERVALS = ["1m", "5m", "15m", "1h", "1d"] as const;
export type Interval = (typeof INTERVALS)[number];
export const LEVELS = ["debug", "info", "warning", "error", "fatal"] as const;
export const TARGET_TYPES = ["slack", "discord", "teams", "webhook", "email", "push"] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

export type Trigger =
  | { type: "new_issue" | "regression" | "escalating" | "new_feedback" }
  | { type: "event_frequency" | "unique_users"; value: number; interval: Interval }
  | { type: "transaction_duration"; transaction?: string; percentile: Percentile; value: number; interval: Interval }
  | { type: "failure_rate"; transaction?: string; value: number; interval: Interval }
  | { type: "crash_free_rate"; release: string; value: number; interval: Interval };
export const PERCENTILES = ["p50", "p75", "p95", "p99"] as const;
export type Percentile = (typeof PERCENTILES)[number];
export type Filter =
  | { type: "level" | "environment" | "release"; value: string }
  | { type: "tag"; key: string; value: string }
  | { type: "age"; older_than?: string; newer_than?: string };
export interface Target {
  id?: string;
  type: TargetType;
  url?: string;
  address?: string;
  secret?: string;
}

export interface AlertRule {
  id: string;
  name: string;
  match: "any" | "all";
  triggers: Trigger[];
  filters: Filter[];
  targets: Target[];
  frequencyMinutes: number;
  dateCreated: string;
  dateUpdated: string;
}

export interface Delivery {
  id: string;
  ruleId: string;
  issueId: string;
  targetId: string;
  targetType: string;
  status: "pending" | "sending" | "retrying" | "sent" | "failed";
  attempts: Array<{
    attempt: number;
    dateStarted: string;
    latencyMs: number;
    httpStatus: number | null;
    outcome: string;
    error: string | null;
    retryDelaySeconds: number | null;
  }>;
  lastError: string | null;
  dateCreated: string;
  dateSent: string | null;
}

interface Threshold {
  on: boolean;
  value: string;
  interval: Interval;
}

/** A metric trigger on transactions: the failure rate's value is a percentage here, a fraction in the API. */
interface MetricThreshold extends Threshold {
  transaction: string;
}

export interface RuleDraft {
  name: string;
  match: "any" | "all";
  newIssue: boolean;
  regression: boolean;
  escalating: boolean;
  /** A user sends feedback (once per feedback). */
  feedback: boolean;
  frequency: Threshold;
  users: Threshold;
  /** Metric triggers (transactions), which stand alone in their rule. */
  duration: MetricThreshold & { percentile: Percentile };
  failureRate: MetricThreshold;
  /** Crash-free sessions of a release ("latest": the project's newest) below a percentage. */
  crashFree: Threshold & { release: string };
  level: string;
  environment: string;
  release: string;
  /** `key=value`, one per line. */
  tags: string;
  age: { on: boolean; direction: "older_than" | "newer_than"; value: string };
  targets: Array<{ type: TargetType; destination: string; secret?: string }>;
  frequencyMinutes: string;
}

export function emptyDraft(): RuleDraft {
  return {
    name: "",
    match: "any",
    newIssue: true,
    regression: true,
    escalating: false,
    feedback: false,
    frequency: { on: false, value: "100", interval: "1h" },
    users: { on: false, value: "10", interval: "1h" },
    duration: { on: false, value: "1000", interval: "5m", transaction: "", percentile: "p95" },
    failureRate: { on: false, value: "5", interval: "5m", transaction: "" },
    crashFree: { on: false, value: "99.5", interval: "1h", release: "latest" },
    level: "",
    environment: "",
    release: "",
    tags: "",
    age: { on: false, direction: "newer_than", value: "7d" },
    targets: [{ type: "slack", destination: "" }],
    frequencyMinutes: "30",
  };
}

export function draftOf(rule: AlertRule): RuleDraft {
  const draft = emptyDraft();
  const has = (type: Trigger["type"]) => rule.triggers.some((t) => t.type === type);
  const threshold = (type: "event_frequency" | "unique_users", fallback: Threshold): Threshold => {
    const t = rule.triggers.find((x) => x.type === type);
    return t && "value" in t ? { on: true, value: String(t.value), interval: t.interval } : { ...fallback, on: false };
  };
  const value = (type: "level" | "environment" | "release") => {
    const f = rule.filters.find((x) => x.type === type);
    return f && "value" in f ? f.value : "";
  };
  const age = rule.filters.find((f): f is Extract<Filter, { type: "age" }> => f.type === "age");
  const duration = rule.triggers.find((t): t is Extract<Trigger, { type: "transaction_duration" }> => t.type === "transaction_duration");
  const failureRate = rule.triggers.find((t): t is Extract<Trigger, { type: "failure_rate" }> => t.type === "failure_rate");
  const crashFree = rule.triggers.find((t): t is Extract<Trigger, { type: "crash_free_rate" }> => t.type === "crash_free_rate");
  return {
    name: rule.name,
    match: rule.match,
    newIssue: has("new_issue"),
    regression: has("regression"),
    escalating: has("escalating"),
    feedback: has("new_feedback"),
    frequency: threshold("event_frequency", draft.frequency),
    users: threshold("unique_users", draft.users),
    duration: duration
      ? {
          on: true,
          value: String(duration.value),
          interval: duration.interval,
          transaction: duration.transaction ?? "",
          percentile: duration.percentile,
        }
      : draft.duration,
    failureRate: failureRate
      ? {
          on: true,
          value: String(Math.round(failureRate.value * 10_000) / 100),
          interval: failureRate.interval,
          transaction: failureRate.transaction ?? "",
        }
      : draft.failureRate,
    crashFree: crashFree
      ? { on: true, value: String(crashFree.value), interval: crashFree.interval, release: crashFree.release }
      : draft.crashFree,
    level: value("level"),
    environment: value("environment"),
    release: value("release"),
    tags: rule.filters.flatMap((f) => (f.type === "tag" ? [`${f.key}=${f.value}`] : [])).join("\n"),
    age: age
      ? { on: true, direction: age.older_than !== undefined ? "older_than" : "newer_than", value: age.older_than ?? age.newer_than ?? "" }
      : draft.age,
    targets: rule.targets.map((t) => ({
      type: t.type,
      destination: (t.type === "email" || t.type === "push" ? t.address : t.url) ?? "",
      secret: t.secret,
    })),
    frequencyMinutes: String(rule.frequencyMinutes),
  };
}

/** The API body for a draft. Numbers typed as text go as numbers when they read as one, else as typed, for the API to refuse by name. */
export function ruleBody(draft: RuleDraft) {
  const number = (text: string) => (text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text);
  const triggers: unknown[] = [];
  if (draft.newIssue) triggers.push({ type: "new_issue" });
  if (draft.regression) triggers.push({ type: "regression" });
  if (draft.escalating) triggers.push({ type: "escalating" });
  if (draft.feedback) triggers.push({ type: "new_feedback" });
  if (draft.frequency.on)
    triggers.push({ type: "event_frequency", value: number(draft.frequency.value), interval: draft.frequency.interval });
  if (draft.users.on) triggers.push({ type: "unique_users", value: number(draft.users.value), interval: draft.users.interval });
  const transaction = (text: string) => (text.trim() === "" ? {} : { transaction: text.trim() });
  if (draft.duration.on)
    triggers.push({
      type: "transaction_duration",
      ...transaction(draft.duration.transaction),
      percentile: draft.duration.percentile,
      value: number(draft.duration.value),
      interval: draft.duration.interval,
    });
  if (draft.failureRate.on) {
    const percent = number(draft.failureRate.value);
    triggers.push({
      type: "failure_rate",
      ...transaction(draft.failureRate.transaction),
      value: typeof percent === "number" ? percent / 100 : percent,
      interval: draft.failureRate.interval,
    });
  }
  if (draft.crashFree.on)
    triggers.push({
      type: "crash_free_rate",
      release: draft.crashFree.release.trim() === "" ? "latest" : draft.crashFree.release.trim(),
      value: number(draft.crashFree.value),
      interval: draft.crashFree.interval,
    });
  const filters: unknown[] = [];
  if (draft.level !== "") filters.push({ type: "level", value: draft.level });
  if (draft.environment.trim() !== "") filters.push({ type: "environment", value: draft.environment.trim() });
  if (draft.release.trim() !== "") filters.push({ type: "release", value: draft.release.trim() });
  for (const line of draft.tags.split("\n")) {
    if (line.trim() === "") continue;
    const at = line.indexOf("=");
    filters.push({ type: "tag", key: (at < 0 ? line : line.slice(0, at)).trim(), value: at < 0 ? "" : line.slice(at + 1).trim() });
  }
  if (draft.age.on) filters.push({ type: "age", [draft.age.direction]: draft.age.value.trim() });
  return {
    name: draft.name,
    match: draft.match,
    triggers,
    filters,
    targets: draft.targets.map(targetBody),
    frequencyMinutes: number(draft.frequencyMinutes),
  };
}

function targetBody(t: RuleDraft["targets"][number]) {
  return t.type === "email" || t.type === "push"
    ? { type: t.type, address: t.destination.trim() }
    : { type: t.type, url: t.destination.trim() };
}

/**
 * The signing secret of a target in the form: the saved target's while it is that target (same
 * type and address, as the API matches them on save); changed, it is a new target with none yet.
 */
export function savedSecret(rule: AlertRule | null, target: RuleDraft["targets"][number]): string | undefined {
  const destination = target.destination.trim();
  return rule?.targets.find((t) => t.type === target.type && (t.type === "email" || t.type === "push" ? t.address : t.url) === destination)
    ?.secret;
}

/** What "Send test" posts for one target: a saved webhook signs with its own secret. */
export function testNotificationBody(draft: RuleDraft, index: number) {
  const target = draft.targets[index]!;
  const name = draft.name.trim();
  return {
    ...(name === "" ? {} : { name }),
    target: { ...targetBody(target), ...(target.type === "webhook" && target.secret ? { secret: target.secret } : {}) },
  };
}

/** The answer to a test notification. */
export interface TestNotificationResult {
  sent: boolean;
  httpStatus: number | null;
  latencyMs: number;
  error: string | null;
  /** Something to know about the test, e.g. that an unsaved webhook was signed with a one-off secret. */
  note?: string;
}

/** One line for the person who pressed "Send test". */
export function describeTestResult(result: TestNotificationResult): string {
  const note = result.note === undefined ? "" : ` (${result.note})`;
  if (result.sent) return `Test sent: ${result.httpStatus ?? "accepted"} in ${result.latencyMs} ms${note}`;
  return `Test not sent: ${result.error ?? "no answer"}${note}`;
}

const INTERVAL_WORDS: Record<Interval, string> = {
  "1m": "a minute",
  "5m": "5 minutes",
  "15m": "15 minutes",
  "1h": "an hour",
  "1d": "a day",
};
const TARGET_NAMES: Record<TargetType, string> = {
  slack: "Slack",
  discord: "Discord",
  teams: "Teams",
  webhook: "webhook",
  email: "email",
  push: "browser push",
};

/** The rule in words, the way Sentry's alert list reads: when, if, then. */
export function describeRule(rule: AlertRule): { when: string; if: string; then: string } {
  const trigger = (t: Trigger) => {
    switch (t.type) {
      case "new_issue":
        return "a new issue is created";
      case "regression":
        return "a resolved issue comes back";
      case "escalating":
        return "an ignored issue escalates";
      case "new_feedback":
        return "a user sends feedback";
      case "event_frequency":
        return `more than ${t.value} events in ${INTERVAL_WORDS[t.interval]}`;
      case "unique_users":
        return `more than ${t.value} users in ${INTERVAL_WORDS[t.interval]}`;
      case "transaction_duration":
        return `${t.percentile} of ${t.transaction ?? "all transactions"} is above ${t.value} ms in ${INTERVAL_WORDS[t.interval]}`;
      case "failure_rate":
        return `the failure rate of ${t.transaction ?? "all transactions"} is above ${Math.round(t.value * 10_000) / 100}% in ${INTERVAL_WORDS[t.interval]}`;
      case "crash_free_rate":
        return `crash-free sessions of ${t.release === "latest" ? "the latest release" : t.release} are below ${t.value}% in ${INTERVAL_WORDS[t.interval]}`;
    }
  };
  const filter = (f: Filter) => {
    switch (f.type) {
      case "level":
        return `level is ${f.value} or worse`;
      case "environment":
        return `environment is ${f.value}`;
      case "release":
        return `release is ${f.value}`;
      case "tag":
        return `${f.key} is ${f.value}`;
      case "age":
        return f.older_than !== undefined ? `the issue is older than ${f.older_than}` : `the issue is newer than ${f.newer_than}`;
    }
  };
  const targets = rule.targets.map((t) =>
    t.type === "email" ? `email ${t.address}` : t.type === "push" ? `browser push to ${t.address}` : TARGET_NAMES[t.type],
  );
  return {
    when: `${rule.match === "any" ? "any" : "all"} of: ${rule.triggers.map(trigger).join("; ")}`,
    if: rule.filters.length === 0 ? "always" : rule.filters.map(filter).join(" and "),
    then: `${targets.join(", ")}, at most every ${rule.frequencyMinutes} min per issue`,
  };
}
