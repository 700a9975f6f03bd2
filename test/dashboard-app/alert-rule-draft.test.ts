import { describe, expect, it } from "vitest";
import {
  type AlertRule,
  describeRule,
  describeTestResult,
  draftOf,
  emptyDraft,
  ruleBody,
  savedSecret,
  testNotificationBody,
} from "../../dashboard/src/alert-rule-draft";
import { alertRuleInputSchema } from "../../db/alert-rule-definition";

const stored: AlertRule = {
  id: "4",
  name: "Checkout errors to #oncall",
  match: "all",
  triggers: [
    { type: "new_issue" },
    { type: "escalating" },
    { type: "new_feedback" },
    { type: "event_frequency", value: 100, interval: "5m" },
    { type: "unique_users", value: 10, interval: "1d" },
  ],
  filters: [
    { type: "level", value: "error" },
    { type: "environment", value: "production" },
    { type: "release", value: "shop@2.4.0" },
    { type: "tag", key: "route", value: "/checkout" },
    { type: "tag", key: "region", value: "eu=west" },
    { type: "age", older_than: "7d" },
  ],
  targets: [
    { id: "8", type: "slack", url: "https://hooks.slack.com/services/T0/B0/x" },
    { id: "9", type: "webhook", url: "https://hooks.example.com/sentry", secret: "ab".repeat(32) },
    { id: "10", type: "email", address: "oncall@example.com" },
  ],
  frequencyMinutes: 15,
  dateCreated: "2026-11-20T09:00:00.000Z",
  dateUpdated: "2026-11-20T09:00:00.000Z",
};

describe("the alert rule form's draft", () => {
  it("reads a stored rule and gives back the same rule", () => {
    const body = ruleBody(draftOf(stored));
    expect(body).toEqual({
      name: stored.name,
      match: "all",
      triggers: stored.triggers,
      filters: stored.filters,
      targets: [
        { type: "slack", url: "https://hooks.slack.com/services/T0/B0/x" },
        { type: "webhook", url: "https://hooks.example.com/sentry" },
        { type: "email", address: "oncall@example.com" },
      ],
      frequencyMinutes: 15,
    });
    expect(alertRuleInputSchema({ allowLoopbackHttp: false }).safeParse(body).success).toBe(true);
  });

  it("starts as Sentry's default rule: new issues and regressions, every 30 minutes at most", () => {
    const draft = emptyDraft();
    draft.name = "New errors";
    draft.targets = [{ type: "slack", destination: " https://hooks.slack.com/services/T0/B0/x " }];
    expect(ruleBody(draft)).toEqual({
      name: "New errors",
      match: "any",
      triggers: [{ type: "new_issue" }, { type: "regression" }],
      filters: [],
      targets: [{ type: "slack", url: "https://hooks.slack.com/services/T0/B0/x" }],
      frequencyMinutes: 30,
    });
  });

  it("sends what was typed when it is not a number, so that the API names the field", () => {
    const draft = emptyDraft();
    draft.frequency = { on: true, value: "lots", interval: "5m" };
    draft.frequencyMinutes = "";
    const body = ruleBody(draft);
    expect(body.triggers).toContainEqual({ type: "event_frequency", value: "lots", interval: "5m" });
    expect(body.frequencyMinutes).toBe("");
  });

  it("reads and gives back a metric rule, its failure rate a percentage in the form and a fraction in the API", () => {
    const metric: AlertRule = {
      ...stored,
      match: "any",
      triggers: [
        { type: "transaction_duration", transaction: "GET /checkout", percentile: "p99", value: 800, interval: "15m" },
        { type: "failure_rate", value: 0.075, interval: "1h" },
        { type: "crash_free_rate", release: "latest", value: 99.5, interval: "1d" },
      ],
      filters: [{ type: "environment", value: "production" }],
    };
    const draft = draftOf(metric);
    expect(draft.failureRate).toMatchObject({ on: true, value: "7.5", transaction: "" });
    const body = ruleBody(draft);
    expect(body.triggers).toEqual(metric.triggers);
    expect(alertRuleInputSchema({ allowLoopbackHttp: false }).safeParse(body).success).toBe(true);
    expect(describeRule(metric).when).toBe(
      "any of: p99 of GET /checkout is above 800 ms in 15 minutes; the failure rate of all transactions is above 7.5% in an hour; crash-free sessions of the latest release are below 99.5% in a day",
    );
  });

  it("says the rule in words", () => {
    expect(describeRule(stored)).toEqual({
      when: "all of: a new issue is created; an ignored issue escalates; a user sends feedback; more than 100 events in 5 minutes; more than 10 users in a day",
      if: "level is error or worse and environment is production and release is shop@2.4.0 and route is /checkout and region is eu=west and the issue is older than 7d",
      then: "Slack, webhook, email oncall@example.com, at most every 15 min per issue",
    });
  });
});

describe("Send test", () => {
  it("posts one target as the API reads it: a saved webhook with its secret, the rule's name when it has one", () => {
    const draft = draftOf(stored);
    expect(testNotificationBody(draft, 0)).toEqual({
      name: stored.name,
      target: { type: "slack", url: "https://hooks.slack.com/services/T0/B0/x" },
    });
    expect(testNotificationBody(draft, 1)).toEqual({
      name: stored.name,
      target: { type: "webhook", url: "https://hooks.example.com/sentry", secret: "ab".repeat(32) },
    });
    expect(testNotificationBody({ ...emptyDraft(), name: "  " }, 0)).toEqual({ target: { type: "slack", url: "" } });
  });

  it("keeps a webhook's secret while the target is the saved one, and drops it once changed", () => {
    const webhook = { type: "webhook" as const, destination: " https://hooks.example.com/sentry " };
    expect(savedSecret(stored, webhook)).toBe("ab".repeat(32));
    expect(savedSecret(stored, { ...webhook, destination: "https://hooks.example.com/other" })).toBeUndefined();
    expect(savedSecret(stored, { ...webhook, type: "slack" })).toBeUndefined();
    expect(savedSecret(null, webhook)).toBeUndefined();
  });

  it("says whether the test arrived, and why not", () => {
    expect(describeTestResult({ sent: true, httpStatus: 200, latencyMs: 84, error: null })).toBe("Test sent: 200 in 84 ms");
    expect(describeTestResult({ sent: false, httpStatus: 404, latencyMs: 30, error: "HTTP 404: no_service" })).toBe(
      "Test not sent: HTTP 404: no_service",
    );
    expect(
      describeTestResult({ sent: false, httpStatus: 401, latencyMs: 9, error: "HTTP 401", note: "Signed with a one-off secret" }),
    ).toBe("Test not sent: HTTP 401 (Signed with a one-off secret)");
  });
});
