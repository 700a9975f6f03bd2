import { describe, expect, it } from "vitest";
import type { AlertFilter, AlertTrigger } from "../../db/alert-rule-definition";
import {
  type IssueFacts,
  type RuleToMatch,
  type WindowCounter,
  filterHolds,
  matchAlertRule,
} from "../../queue-consumer/alerts/match-alert-rule";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const now = Date.UTC(2026, 10, 20, 12, 7, 30);

const issue = (facts: Partial<IssueFacts> = {}): IssueFacts => ({
  firstSeen: now - 2 * DAY,
  level: "error",
  isNew: false,
  regressed: false,
  escalated: false,
  event: {
    level: "error",
    environment: "production",
    release: "shop@2.4.0",
    tags: [
      ["route", "/checkout"],
      ["browser", "Chrome 126"],
    ],
  },
  ...facts,
});

const rule = (triggers: AlertTrigger[], extra: Partial<RuleToMatch> = {}): RuleToMatch => ({
  match: "any",
  triggers,
  filters: [],
  frequencyMinutes: 30,
  ...extra,
});

/** Windows holding these counts, and every question asked of them. */
function counter(events: Record<number, number> = {}, users: Record<number, number> = {}) {
  const asked: string[] = [];
  const c: WindowCounter = {
    async hasEvents(intervalMs, n) {
      asked.push(`events ${intervalMs} ${n}`);
      return (events[intervalMs] ?? 0) >= n;
    },
    async hasUsers(intervalMs, n) {
      asked.push(`users ${intervalMs} ${n}`);
      return (users[intervalMs] ?? 0) >= n;
    },
  };
  return Object.assign(c, { asked });
}

const moment = (lastFiredAt: number | null = null) => ({ now, evaluationId: "eval-1", lastFiredAt });

describe("matchAlertRule: metric triggers", () => {
  const p95 = { type: "transaction_duration", percentile: "p95", value: 500, interval: "5m" } as const;
  const own = (facts: Partial<IssueFacts>, ruleId = "7") =>
    issue({ ...facts, event: { level: "error", environment: null, release: null, tags: [["alert.rule", ruleId]] } });

  it("hold for the rule's own metric issue when it is new or regressed: one notification per crossing", async () => {
    const metric = rule([p95], { id: 7 });
    const opened = await matchAlertRule(metric, own({ isNew: true }), counter(), moment());
    expect(opened?.reasons).toEqual(["p95 of all transactions above 500 ms in 5 minutes"]);
    expect(await matchAlertRule(metric, own({ regressed: true }), counter(), moment())).not.toBeNull();
    expect(await matchAlertRule(metric, own({}), counter(), moment())).toBeNull();
  });

  it("never hold for another rule's metric issue or for an error's issue", async () => {
    const metric = rule([{ type: "failure_rate", transaction: "GET /", value: 0.05, interval: "1h" }], { id: 7 });
    expect(await matchAlertRule(metric, own({ isNew: true }, "8"), counter(), moment())).toBeNull();
    expect(await matchAlertRule(metric, issue({ isNew: true }), counter(), moment())).toBeNull();
  });
});

describe("matchAlertRule: triggers", () => {
  it("new_issue fires for an issue the digest just created, once per issue", async () => {
    expect(await matchAlertRule(rule([{ type: "new_issue" }]), issue({ isNew: true }), counter(), moment())).toEqual({
      windowKey: "new_issue",
      reasons: ["A new issue was created"],
      quietMs: 0,
    });
    expect(await matchAlertRule(rule([{ type: "new_issue" }]), issue(), counter(), moment())).toBeNull();
  });

  it("regression and escalating fire for what this evaluation saw, keyed by it", async () => {
    expect(await matchAlertRule(rule([{ type: "regression" }]), issue({ regressed: true }), counter(), moment())).toEqual({
      windowKey: "regression:eval-1",
      reasons: ["A resolved issue regressed"],
      quietMs: 0,
    });
    expect(await matchAlertRule(rule([{ type: "regression" }]), issue({ escalated: true }), counter(), moment())).toBeNull();
    expect(await matchAlertRule(rule([{ type: "escalating" }]), issue({ escalated: true }), counter(), moment())).toEqual({
      windowKey: "escalating:eval-1",
      reasons: ["An ignored issue escalated"],
      quietMs: 0,
    });
    expect(await matchAlertRule(rule([{ type: "escalating" }]), issue({ regressed: true }), counter(), moment())).toBeNull();
  });

  it("event_frequency fires when the window holds more than N, that is at least N + 1", async () => {
    const trigger: AlertTrigger = { type: "event_frequency", value: 100, interval: "5m" };
    const at100 = counter({ [5 * MINUTE]: 100 });
    expect(await matchAlertRule(rule([trigger]), issue(), at100, moment())).toBeNull();
    expect(at100.asked).toEqual([`events ${5 * MINUTE} 101`]);
    const window = Math.floor(now / (5 * MINUTE)) * 5 * MINUTE;
    expect(await matchAlertRule(rule([trigger]), issue(), counter({ [5 * MINUTE]: 5000 }), moment())).toEqual({
      windowKey: `event_frequency:5m:${window}`,
      reasons: ["More than 100 events in 5 minutes"],
      quietMs: 5 * MINUTE,
    });
  });

  it("unique_users fires when the window holds more than N distinct users", async () => {
    const trigger: AlertTrigger = { type: "unique_users", value: 1, interval: "1h" };
    expect(await matchAlertRule(rule([trigger]), issue(), counter({}, { [HOUR]: 1 }), moment())).toBeNull();
    expect(await matchAlertRule(rule([trigger]), issue(), counter({}, { [HOUR]: 2 }), moment())).toEqual({
      windowKey: `unique_users:1h:${Math.floor(now / HOUR) * HOUR}`,
      reasons: ["More than 1 user in an hour"],
      quietMs: HOUR,
    });
  });

  it("a frequency trigger fires once per crossing: not again within its interval of the last notification", async () => {
    const trigger: AlertTrigger = { type: "event_frequency", value: 10, interval: "1d" };
    const busy = () => counter({ [DAY]: 1000 });
    // Throttle over (30 minutes), but the day since the last notification is not: still the same crossing.
    const soon = busy();
    expect(await matchAlertRule(rule([trigger]), issue(), soon, moment(now - 2 * HOUR))).toBeNull();
    expect(soon.asked).toEqual([]);
    expect(await matchAlertRule(rule([trigger]), issue(), busy(), moment(now - DAY))).not.toBeNull();
  });

  it("match any fires on one trigger and gives every reason that held; all needs each", async () => {
    const triggers: AlertTrigger[] = [{ type: "new_issue" }, { type: "event_frequency", value: 0, interval: "1m" }, { type: "regression" }];
    const counts = () => counter({ [MINUTE]: 1 });
    expect(await matchAlertRule(rule(triggers), issue({ isNew: true }), counts(), moment())).toEqual({
      windowKey: "new_issue",
      reasons: ["A new issue was created", "More than 0 events in a minute"],
      quietMs: MINUTE,
    });
    expect(await matchAlertRule(rule(triggers, { match: "all" }), issue({ isNew: true }), counts(), moment())).toBeNull();
    expect(await matchAlertRule(rule(triggers, { match: "all" }), issue({ isNew: true, regressed: true }), counts(), moment())).toEqual({
      windowKey: "new_issue",
      reasons: ["A new issue was created", "More than 0 events in a minute", "A resolved issue regressed"],
      quietMs: MINUTE,
    });
  });

  it("match all stops at the first trigger that does not hold, counting nothing after it", async () => {
    const c = counter({ [MINUTE]: 50 });
    expect(
      await matchAlertRule(
        rule([{ type: "new_issue" }, { type: "event_frequency", value: 1, interval: "1m" }], { match: "all" }),
        issue(),
        c,
        moment(),
      ),
    ).toBeNull();
    expect(c.asked).toEqual([]);
  });
});

describe("matchAlertRule: throttle", () => {
  it("sends at most one notification per rule and issue every frequencyMinutes", async () => {
    const r = rule([{ type: "regression" }], { frequencyMinutes: 30 });
    const regressed = issue({ regressed: true });
    expect(await matchAlertRule(r, regressed, counter(), moment(now - 29 * MINUTE))).toBeNull();
    expect(await matchAlertRule(r, regressed, counter(), moment(now - 30 * MINUTE))).not.toBeNull();
    expect(await matchAlertRule({ ...r, frequencyMinutes: 0 }, regressed, counter(), moment(now))).not.toBeNull();
  });
});

describe("matchAlertRule and filterHolds: filters", () => {
  const cases: Array<[AlertFilter, boolean]> = [
    [{ type: "level", value: "warning" }, true],
    [{ type: "level", value: "error" }, true],
    [{ type: "level", value: "fatal" }, false],
    [{ type: "environment", value: "production" }, true],
    [{ type: "environment", value: "staging" }, false],
    [{ type: "release", value: "shop@2.4.0" }, true],
    [{ type: "release", value: "shop@2.3.9" }, false],
    [{ type: "tag", key: "route", value: "/checkout" }, true],
    [{ type: "tag", key: "route", value: "/cart" }, false],
    [{ type: "tag", key: "browser.name", value: "/checkout" }, false],
    [{ type: "age", older_than: "1d" }, true],
    [{ type: "age", older_than: "3d" }, false],
    [{ type: "age", newer_than: "3d" }, true],
    [{ type: "age", newer_than: "1d" }, false],
  ];
  it.each(cases)("%j holds: %s", (filter, holds) => {
    expect(filterHolds(filter, issue(), now)).toBe(holds);
  });

  it("look at the issue's level when its event could not be read, and fail the event's other filters", () => {
    const noEvent = issue({ event: null, level: "fatal" });
    expect(filterHolds({ type: "level", value: "error" }, noEvent, now)).toBe(true);
    expect(filterHolds({ type: "environment", value: "production" }, noEvent, now)).toBe(false);
    expect(filterHolds({ type: "tag", key: "route", value: "/checkout" }, noEvent, now)).toBe(false);
  });

  it("an event of an unknown level is below every level filter", () => {
    expect(
      filterHolds(
        { type: "level", value: "debug" },
        issue({ event: { level: "verbose", environment: null, release: null, tags: [] } }),
        now,
      ),
    ).toBe(false);
  });

  it("all must hold, and nothing is counted for a rule they rule out", async () => {
    const c = counter({ [MINUTE]: 50 });
    const filters: AlertFilter[] = [
      { type: "environment", value: "production" },
      { type: "level", value: "fatal" },
    ];
    expect(
      await matchAlertRule(rule([{ type: "event_frequency", value: 1, interval: "1m" }], { filters }), issue(), c, moment()),
    ).toBeNull();
    expect(c.asked).toEqual([]);
    expect(
      await matchAlertRule(rule([{ type: "new_issue" }], { filters: filters.slice(0, 1) }), issue({ isNew: true }), c, moment()),
    ).not.toBeNull();
  });
});
