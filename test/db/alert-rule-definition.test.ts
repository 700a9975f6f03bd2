import { describe, expect, it } from "vitest";
import {
  alertRuleInputSchema,
  durationMs,
  isAllowedTargetUrl,
  isLoopbackHost,
  storedRuleConditionsSchema,
} from "../../db/alert-rule-definition";

const deployed = alertRuleInputSchema({ allowLoopbackHttp: false });
const local = alertRuleInputSchema({ allowLoopbackHttp: true });
const rule = {
  name: "New errors",
  triggers: [{ type: "new_issue" }],
  targets: [{ type: "slack", url: "https://hooks.slack.com/services/T0/B0/x" }],
};

function firstProblem(schema: typeof deployed, input: unknown): string {
  const result = schema.safeParse(input);
  if (result.success) return "valid";
  const issue = result.error.issues[0]!;
  return issue.path.map(String).join(".");
}

describe("alertRuleInputSchema", () => {
  it("fills Sentry's defaults: match any, no filters, a notification every 30 minutes at most", () => {
    expect(deployed.parse(rule)).toEqual({ ...rule, match: "any", filters: [], frequencyMinutes: 30 });
  });

  it("accepts every trigger, filter and target of the contract", () => {
    const full = {
      name: "Everything",
      match: "all",
      triggers: [
        { type: "new_issue" },
        { type: "regression" },
        { type: "escalating" },
        { type: "event_frequency", value: 100, interval: "5m" },
        { type: "unique_users", value: 10, interval: "1h" },
      ],
      filters: [
        { type: "level", value: "error" },
        { type: "environment", value: "production" },
        { type: "release", value: "app@1.2.3" },
        { type: "tag", key: "route", value: "/checkout" },
        { type: "age", older_than: "7d" },
        { type: "age", newer_than: "30m" },
      ],
      targets: [
        { type: "slack", url: "https://hooks.slack.com/services/T0/B0/x" },
        { type: "discord", url: "https://discord.com/api/webhooks/1/abc" },
        { type: "teams", url: "https://prod-00.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke" },
        { type: "webhook", url: "https://hooks.example.com/sentry" },
        { type: "email", address: "oncall@example.com" },
      ],
      frequencyMinutes: 5,
    };
    expect(deployed.parse(full)).toEqual(full);
  });

  it("names the field that is wrong", () => {
    expect(firstProblem(deployed, { ...rule, name: " " })).toBe("name");
    expect(firstProblem(deployed, { ...rule, match: "most" })).toBe("match");
    expect(firstProblem(deployed, { ...rule, triggers: [] })).toBe("triggers");
    expect(firstProblem(deployed, { ...rule, triggers: [{ type: "first_seen" }] })).toBe("triggers.0.type");
    expect(firstProblem(deployed, { ...rule, triggers: [{ type: "event_frequency", value: 10, interval: "2m" }] })).toBe(
      "triggers.0.interval",
    );
    expect(firstProblem(deployed, { ...rule, triggers: [{ type: "event_frequency", value: 1.5, interval: "5m" }] })).toBe(
      "triggers.0.value",
    );
    expect(firstProblem(deployed, { ...rule, triggers: [{ type: "unique_users", value: -1, interval: "1d" }] })).toBe("triggers.0.value");
    expect(firstProblem(deployed, { ...rule, filters: [{ type: "level", value: "critical" }] })).toBe("filters.0.value");
    expect(firstProblem(deployed, { ...rule, filters: [{ type: "tag", key: "", value: "x" }] })).toBe("filters.0.key");
    expect(firstProblem(deployed, { ...rule, filters: [{ type: "age", older_than: "7 days" }] })).toBe("filters.0.older_than");
    expect(firstProblem(deployed, { ...rule, filters: [{ type: "age", older_than: "7d", newer_than: "1d" }] })).toBe(
      "filters.0.older_than",
    );
    expect(firstProblem(deployed, { ...rule, filters: [{ type: "age" }] })).toBe("filters.0.older_than");
    expect(firstProblem(deployed, { ...rule, targets: [] })).toBe("targets");
    expect(firstProblem(deployed, { ...rule, targets: [{ type: "pagerduty", url: "https://events.pagerduty.com" }] })).toBe(
      "targets.0.type",
    );
    expect(firstProblem(deployed, { ...rule, targets: [{ type: "email", address: "not an address" }] })).toBe("targets.0.address");
    expect(firstProblem(deployed, { ...rule, targets: [{ type: "slack", url: "http://hooks.slack.com/x" }] })).toBe("targets.0.url");
    expect(firstProblem(deployed, { ...rule, targets: [{ type: "slack" }] })).toBe("targets.0.url");
    expect(firstProblem(deployed, { ...rule, frequencyMinutes: 43_201 })).toBe("frequencyMinutes");
    expect(firstProblem(deployed, { ...rule, extra: true })).toBe("");
    expect(firstProblem(deployed, { ...rule, triggers: [{ type: "new_issue", value: 3 }] })).toBe("triggers.0");
  });

  it("takes metric triggers alone, narrowed by environment and release only", () => {
    const duration = { type: "transaction_duration", transaction: "GET /checkout", value: 500, interval: "5m" };
    expect(deployed.parse({ ...rule, triggers: [duration] }).triggers).toEqual([{ ...duration, percentile: "p95" }]);
    const failures = { type: "failure_rate", value: 0.05, interval: "1h" };
    expect(firstProblem(deployed, { ...rule, triggers: [failures, duration], filters: [{ type: "environment", value: "prod" }] })).toBe(
      "valid",
    );
    expect(firstProblem(deployed, { ...rule, triggers: [failures, { type: "new_issue" }] })).toBe("triggers");
    expect(firstProblem(deployed, { ...rule, triggers: [failures], filters: [{ type: "level", value: "error" }] })).toBe("triggers");
    expect(firstProblem(deployed, { ...rule, triggers: [{ ...failures, value: 5 }] })).toBe("triggers.0.value");
    expect(firstProblem(deployed, { ...rule, triggers: [{ ...duration, percentile: "p90" }] })).toBe("triggers.0.percentile");
    expect(firstProblem(deployed, { ...rule, triggers: [{ ...duration, transaction: "x".repeat(201) }] })).toBe("triggers.0.transaction");
  });

  it("takes a crash_free_rate trigger: a percentage, for the latest release unless it names one", () => {
    const crashFree = { type: "crash_free_rate", value: 99.5, interval: "1h" };
    expect(deployed.parse({ ...rule, triggers: [crashFree] }).triggers).toEqual([{ ...crashFree, release: "latest" }]);
    expect(deployed.parse({ ...rule, triggers: [{ ...crashFree, release: "shop@2.0.0" }] }).triggers[0]).toMatchObject({
      release: "shop@2.0.0",
    });
    expect(firstProblem(deployed, { ...rule, triggers: [{ ...crashFree, value: 101 }] })).toBe("triggers.0.value");
    expect(firstProblem(deployed, { ...rule, triggers: [{ ...crashFree, release: "r".repeat(201) }] })).toBe("triggers.0.release");
    expect(firstProblem(deployed, { ...rule, triggers: [crashFree, { type: "regression" }] })).toBe("triggers");
  });

  it("accepts a rule read back from the API, with target ids and secrets, and drops them", () => {
    const echoed = { ...rule, targets: [{ id: "7", type: "webhook", url: "https://hooks.example.com/x", secret: "abc" }] };
    expect(deployed.parse(echoed).targets).toEqual([{ id: "7", type: "webhook", url: "https://hooks.example.com/x", secret: "abc" }]);
  });

  it("allows http to loopback addresses only in local development", () => {
    for (const url of ["http://127.0.0.1:9999/slack", "http://127.1.2.3/x", "http://localhost:8080/x", "http://[::1]:9000/x"]) {
      const input = { ...rule, targets: [{ type: "webhook", url }] };
      expect(local.safeParse(input).success, url).toBe(true);
      expect(deployed.safeParse(input).success, url).toBe(false);
    }
    for (const url of [
      "http://10.0.0.1/x",
      "http://example.com/x",
      "http://127.0.0.1.example.com/x",
      "ftp://127.0.0.1/x",
      "https://user:pw@example.com/x",
    ]) {
      expect(local.safeParse({ ...rule, targets: [{ type: "webhook", url }] }).success, url).toBe(false);
    }
  });
});

describe("isAllowedTargetUrl and isLoopbackHost", () => {
  it("tell loopback hosts from the rest", () => {
    expect(["127.0.0.1", "127.255.255.254", "localhost", "LOCALHOST", "[::1]"].map(isLoopbackHost)).toEqual([true, true, true, true, true]);
    expect(["128.0.0.1", "127.0.0.256", "0.0.0.0", "localhost.example.com", "[::2]"].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(isAllowedTargetUrl("https://example.com/hook", false)).toBe(true);
    expect(isAllowedTargetUrl("not a url", true)).toBe(false);
  });
});

describe("durationMs", () => {
  it("reads minutes, hours, days and weeks", () => {
    expect(["30m", "12h", "7d", "2w", "7", "7y", "-1d"].map(durationMs)).toEqual([
      1_800_000,
      43_200_000,
      604_800_000,
      1_209_600_000,
      null,
      null,
      null,
    ]);
  });
});

describe("storedRuleConditionsSchema", () => {
  it("reads back what the API stored and refuses what it never would", () => {
    expect(storedRuleConditionsSchema.safeParse({ match: "any", triggers: [{ type: "new_issue" }], filters: [] }).success).toBe(true);
    expect(storedRuleConditionsSchema.safeParse({ match: "any", triggers: null, filters: [] }).success).toBe(false);
  });
});
