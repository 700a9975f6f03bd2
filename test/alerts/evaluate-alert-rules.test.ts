import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AlertFilter } from "../../db/alert-rule-definition";
import type { AlertContext } from "../../alert-channels/alert-context";
import { type AlertEvaluation, evaluateAlertRules, evaluationOf } from "../../queue-consumer/alerts/evaluate-alert-rules";
import { seedProject } from "../support/seed";
import { type QueuedIngestMessage, digest, envelopeMessage, insertRule, recordingQueue } from "../support/seed-alerts";

const twoSlackTargets = [
  { type: "slack" as const, url: "https://hooks.slack.com/services/T0/B0/0" },
  { type: "slack" as const, url: "https://hooks.slack.com/services/T0/B0/1" },
];

async function firings(ruleId: number) {
  const { results } = await env.DB.prepare(
    "SELECT id, issue_id, window_key, evaluation_id, context FROM alert_firings WHERE rule_id = ? ORDER BY id",
  )
    .bind(ruleId)
    .all<{
      id: number;
      issue_id: number;
      window_key: string;
      evaluation_id: string;
      context: string;
    }>();
  return results.map((r) => ({ ...r, context: JSON.parse(r.context) as AlertContext }));
}

async function deliveries(ruleId: number) {
  const { results } = await env.DB.prepare("SELECT id, firing_id, target_id, status FROM alert_deliveries WHERE rule_id = ? ORDER BY id")
    .bind(ruleId)
    .all();
  return results;
}

/** Digests the messages, then runs the rules on what changed, as the events consumer does. */
async function digestAndEvaluate(queue: Queue, messages: QueuedIngestMessage[]) {
  const evaluation = evaluationOf(await digest(messages));
  const outcome = evaluation === null ? { fired: 0, queued: 0 } : await evaluateAlertRules(env.DB, queue, evaluation);
  return { evaluation, ...outcome };
}

describe("evaluateAlertRules", () => {
  it("a new issue fires its rule once, with one delivery per target queued", async () => {
    const { projectId } = await seedProject();
    const { ruleId, targetIds } = await insertRule(projectId, { triggers: [{ type: "new_issue" }], targets: twoSlackTargets });
    const { queue, sent } = recordingQueue();

    const first = await digestAndEvaluate(queue, [envelopeMessage(projectId, { release: "shop@2.4.0", user: "u-17" })]);
    expect(first).toMatchObject({ fired: 1, queued: 2 });
    const [firing] = await firings(ruleId);
    expect(firing?.window_key).toBe("new_issue");
    const rows = await deliveries(ruleId);
    expect(rows.map((d) => d.target_id)).toEqual(targetIds);
    expect(rows.every((d) => d.status === "pending" && d.firing_id === firing?.id)).toBe(true);
    expect(sent).toEqual(rows.map((d) => ({ kind: "deliver", deliveryId: d.id, projectId })));

    // What the notification will say, frozen now.
    const issue = await env.DB.prepare("SELECT id, title, culprit, last_event_id FROM issues WHERE id = ?")
      .bind(firing!.issue_id)
      .first<{ id: number; title: string; culprit: string; last_event_id: string }>();
    expect(firing!.context).toMatchObject({
      rule: { id: ruleId, name: "Checkout errors" },
      project: { id: projectId },
      issue: { id: issue!.id, title: issue!.title, culprit: issue!.culprit, level: "error", timesSeen: 1, userCount: 1 },
      event: { eventId: issue!.last_event_id, level: "error", environment: "production", release: "shop@2.4.0" },
      reasons: ["A new issue was created"],
    });
    expect(firing!.context.issue.shortId).toMatch(/^PROJECT-.+-[0-9A-Z]+$/);

    // The next event of the same issue is not new: nothing fires.
    expect(await digestAndEvaluate(queue, [envelopeMessage(projectId)])).toMatchObject({ fired: 0, queued: 0 });
    expect(await firings(ruleId)).toHaveLength(1);
  });

  it("a redelivered event changes nothing and notifies nobody a second time", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, {
      triggers: [{ type: "new_issue" }, { type: "event_frequency", value: 0, interval: "1m" }],
      frequencyMinutes: 0,
    });
    const { queue, sent } = recordingQueue();
    const message = envelopeMessage(projectId);
    expect(await digestAndEvaluate(queue, [message])).toMatchObject({ fired: 1, queued: 1 });
    // Queues delivers at least once: the same message again.
    const again = await digestAndEvaluate(queue, [{ ...message, attempts: 2 }]);
    expect(again.evaluation).toBeNull();
    expect(await firings(ruleId)).toHaveLength(1);
    expect(sent).toHaveLength(1);
  });

  it("an evaluation run again (same id and clock) fires nothing new and queues only what is still pending", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, {
      triggers: [{ type: "new_issue" }, { type: "event_frequency", value: 0, interval: "5m" }],
      targets: twoSlackTargets,
      frequencyMinutes: 0,
    });
    const { queue, sent } = recordingQueue();
    const evaluation = evaluationOf(await digest([envelopeMessage(projectId)]))!;

    expect(await evaluateAlertRules(env.DB, queue, evaluation)).toEqual({ fired: 1, queued: 2 });
    const [first, second] = await deliveries(ruleId);
    // One delivery went out meanwhile; the other is still waiting for its consumer.
    await env.DB.prepare("UPDATE alert_deliveries SET status = 'sent' WHERE id = ?").bind(first!.id).run();

    expect(await evaluateAlertRules(env.DB, queue, evaluation)).toEqual({ fired: 0, queued: 1 });
    expect(await firings(ruleId)).toHaveLength(1);
    expect(await deliveries(ruleId)).toHaveLength(2);
    expect(sent.map((m) => m.kind === "deliver" && m.deliveryId)).toEqual([first!.id, second!.id, second!.id]);
  });

  it("a regression fires each time a resolved issue comes back, once per throttle period", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, { triggers: [{ type: "regression" }], frequencyMinutes: 0 });
    const throttled = await insertRule(projectId, { triggers: [{ type: "regression" }], frequencyMinutes: 30 });
    const { queue } = recordingQueue();
    const created = await digest([envelopeMessage(projectId)]);
    const issueId = created[0]!.newIssueIds[0]!;
    const resolve = () =>
      env.DB.prepare("UPDATE issues SET status = 'resolved', substatus = 'ongoing', resolved_at = ? WHERE id = ?")
        .bind(Date.now(), issueId)
        .run();

    await resolve();
    const back = await digestAndEvaluate(queue, [envelopeMessage(projectId)]);
    expect(back.evaluation?.regressedIssueIds).toEqual([issueId]);
    expect(back.fired).toBe(2);
    // Still unresolved: another event is no regression.
    expect(await digestAndEvaluate(queue, [envelopeMessage(projectId)])).toMatchObject({ fired: 0 });
    await resolve();
    expect(await digestAndEvaluate(queue, [envelopeMessage(projectId)])).toMatchObject({ fired: 1 });

    const keys = (await firings(ruleId)).map((f) => f.window_key);
    expect(keys).toHaveLength(2);
    expect(keys.every((k) => k.startsWith("regression:"))).toBe(true);
    expect(new Set(keys).size).toBe(2);
    expect(await firings(throttled.ruleId)).toHaveLength(1);
    expect((await firings(ruleId))[0]!.context.reasons).toEqual(["A resolved issue regressed"]);
  });

  it("an ignored issue that escalates past its condition fires the escalating trigger", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, { triggers: [{ type: "escalating" }, { type: "new_issue" }], match: "any" });
    const { queue } = recordingQueue();
    const created = await digestAndEvaluate(queue, [envelopeMessage(projectId)]);
    const issueId = created.evaluation!.newIssueIds[0]!;
    // Ignored until 2 more events (Sentry's "archive until it happens N more times").
    await env.DB.prepare(
      "UPDATE issues SET status = 'ignored', substatus = 'until_escalating', ignored_until_count = 2, ignored_count_base = times_seen WHERE id = ?",
    )
      .bind(issueId)
      .run();
    // The throttle is measured from the new-issue notification; pretend it was long ago.
    await env.DB.prepare("UPDATE alert_throttle SET last_fired_at = last_fired_at - 3600000 WHERE rule_id = ?").bind(ruleId).run();

    expect(await digestAndEvaluate(queue, [envelopeMessage(projectId)])).toMatchObject({ fired: 0 });
    const escalated = await digestAndEvaluate(queue, [envelopeMessage(projectId)]);
    expect(escalated.evaluation?.escalatedIssueIds).toEqual([issueId]);
    expect(escalated.fired).toBe(1);
    expect((await firings(ruleId)).map((f) => f.context.reasons)).toEqual([["A new issue was created"], ["An ignored issue escalated"]]);
  });

  it("an event frequency rule fires once when its threshold is crossed, not on every event after", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, {
      triggers: [{ type: "event_frequency", value: 2, interval: "1m" }],
      frequencyMinutes: 0,
    });
    const { queue } = recordingQueue();
    const fired: number[] = [];
    for (let i = 0; i < 6; i++) fired.push((await digestAndEvaluate(queue, [envelopeMessage(projectId)])).fired);
    // The third event makes it more than 2 in a minute; the ones after are the same crossing.
    expect(fired).toEqual([0, 0, 1, 0, 0, 0]);
    const [firing] = await firings(ruleId);
    expect(firing!.window_key).toMatch(/^event_frequency:1m:\d+$/);
    expect(firing!.context.reasons).toEqual(["More than 2 events in a minute"]);
    expect(firing!.context.issue.timesSeen).toBe(3);
  });

  it("two evaluations crossing a threshold at once, either side of a window's edge, fire once (frequencyMinutes 0)", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, {
      triggers: [{ type: "event_frequency", value: 2, interval: "1m" }],
      frequencyMinutes: 0,
    });
    const outcomes = await digest([envelopeMessage(projectId), envelopeMessage(projectId), envelopeMessage(projectId)]);
    const edge = Math.floor(Date.now() / 60_000) * 60_000;
    await env.DB.prepare("UPDATE events SET timestamp = ? WHERE project_id = ?")
      .bind(edge - 50, projectId)
      .run();
    // The one with the later clock has read everything when the other commits, and only then writes.
    let earlierDone!: () => void;
    const earlier = new Promise<void>((resolve) => (earlierDone = resolve));
    const writes = new WeakSet<D1PreparedStatement>();
    const held = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "prepare") {
          return (sql: string) => {
            const statement = target.prepare(sql);
            if (!sql.includes("INSERT INTO alert_firings")) return statement;
            const bind = statement.bind.bind(statement);
            statement.bind = (...values: unknown[]) => {
              const bound = bind(...values);
              writes.add(bound);
              return bound;
            };
            return statement;
          };
        }
        if (prop === "batch") {
          return async (statements: D1PreparedStatement[]) => {
            if (statements.some((st) => writes.has(st))) await earlier;
            return target.batch(statements);
          };
        }
        return Reflect.get(target, prop).bind(target);
      },
    });
    const { queue } = recordingQueue();
    const late = evaluateAlertRules(held as D1Database, queue, evaluationOf(outcomes, edge + 10, "e-late")!);
    await evaluateAlertRules(env.DB, queue, evaluationOf(outcomes, edge - 10, "e-early")!);
    earlierDone();
    await late;
    expect((await firings(ruleId)).map((f) => f.evaluation_id)).toEqual(["e-early"]);
  });

  it("a batch that crosses the threshold at once fires once", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, { triggers: [{ type: "event_frequency", value: 3, interval: "15m" }] });
    const { queue } = recordingQueue();
    expect(
      await digestAndEvaluate(
        queue,
        Array.from({ length: 10 }, () => envelopeMessage(projectId)),
      ),
    ).toMatchObject({ fired: 1, queued: 1 });
    expect(await firings(ruleId)).toHaveLength(1);
  });

  it("a unique users rule fires when more than N distinct users are affected", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, { triggers: [{ type: "unique_users", value: 1, interval: "1h" }] });
    const { queue } = recordingQueue();
    const fired: number[] = [];
    for (const user of ["alice", "alice", null, "bob", "carol"])
      fired.push((await digestAndEvaluate(queue, [envelopeMessage(projectId, { user })])).fired);
    expect(fired).toEqual([0, 0, 0, 1, 0]);
    expect((await firings(ruleId))[0]!.context.reasons).toEqual(["More than 1 user in an hour"]);
  });

  it("filters look at the event: environment, release, tag, level, and the issue's age", async () => {
    const { projectId } = await seedProject();
    const { queue } = recordingQueue();
    const rule = (filters: AlertFilter[]) => insertRule(projectId, { triggers: [{ type: "new_issue" }], filters });
    const production = await rule([{ type: "environment", value: "production" }]);
    const staging = await rule([{ type: "environment", value: "staging" }]);
    const release = await rule([{ type: "release", value: "shop@2.4.0" }]);
    const tag = await rule([{ type: "tag", key: "route", value: "/checkout" }]);
    const otherTag = await rule([{ type: "tag", key: "route", value: "/cart" }]);
    const fatal = await rule([{ type: "level", value: "fatal" }]);
    const young = await rule([{ type: "age", newer_than: "1h" }]);
    const old = await rule([{ type: "age", older_than: "1d" }]);
    const all = await rule([
      { type: "environment", value: "production" },
      { type: "release", value: "shop@2.4.0" },
      { type: "level", value: "warning" },
    ]);

    await digestAndEvaluate(queue, [
      envelopeMessage(projectId, { environment: "production", release: "shop@2.4.0", tags: { route: "/checkout" } }),
    ]);
    const firedFor = async (r: { ruleId: number }) => (await firings(r.ruleId)).length;
    expect(await Promise.all([production, staging, release, tag, otherTag, fatal, young, old, all].map(firedFor))).toEqual([
      1, 0, 1, 1, 0, 0, 1, 0, 1,
    ]);
  });

  it("a rule's filters are tried on each of the batch's events: a new issue whose latest event is filtered out fires for an earlier one", async () => {
    const { projectId } = await seedProject();
    const production = await insertRule(projectId, {
      triggers: [{ type: "new_issue" }],
      filters: [{ type: "environment", value: "production" }],
    });
    const canary = await insertRule(projectId, { triggers: [{ type: "new_issue" }], filters: [{ type: "environment", value: "canary" }] });
    const first = envelopeMessage(projectId, { environment: "production", variant: "mixed" });
    await new Promise((later) => setTimeout(later, 5));
    const second = envelopeMessage(projectId, { environment: "staging", variant: "mixed" });
    const { queue } = recordingQueue();
    const { evaluation } = await digestAndEvaluate(queue, [first, second]);
    expect(evaluation!.newIssueIds).toHaveLength(1);

    const [fired] = await firings(production.ruleId);
    expect(fired!.context.event).toMatchObject({ eventId: first.body.eventId, environment: "production" });
    expect(await firings(canary.ruleId)).toEqual([]);
  });

  it("of several events that pass, the notification shows the newest; an evaluation that does not know its runs looks at the issue's latest event", async () => {
    const { projectId } = await seedProject();
    const rule = await insertRule(projectId, {
      triggers: [{ type: "new_issue" }],
      filters: [{ type: "environment", value: "production" }],
    });
    const older = envelopeMessage(projectId, { variant: "both-pass" });
    await new Promise((later) => setTimeout(later, 5));
    const newer = envelopeMessage(projectId, { variant: "both-pass" });
    const { queue } = recordingQueue();
    await digestAndEvaluate(queue, [newer, older]);
    expect((await firings(rule.ruleId))[0]!.context.event).toMatchObject({ eventId: newer.body.eventId });

    const other = await seedProject();
    const withoutRuns = await insertRule(other.projectId, {
      triggers: [{ type: "new_issue" }],
      filters: [{ type: "environment", value: "production" }],
    });
    const only = envelopeMessage(other.projectId);
    const { pendingRuns: _runs, ...evaluation } = evaluationOf(await digest([only]))!;
    await evaluateAlertRules(env.DB, queue, evaluation);
    expect((await firings(withoutRuns.ruleId))[0]!.context.event).toMatchObject({ eventId: only.body.eventId, environment: "production" });
  });

  it("match all needs every trigger in the same evaluation", async () => {
    const { projectId } = await seedProject();
    const both = await insertRule(projectId, {
      triggers: [{ type: "new_issue" }, { type: "event_frequency", value: 1, interval: "1m" }],
      match: "all",
    });
    const { queue } = recordingQueue();
    // A new issue with two events in the batch: new, and more than one event in a minute.
    await digestAndEvaluate(queue, [envelopeMessage(projectId, { variant: "a" })]);
    await digestAndEvaluate(queue, [envelopeMessage(projectId, { variant: "b" }), envelopeMessage(projectId, { variant: "b" })]);
    const fired = await firings(both.ruleId);
    expect(fired).toHaveLength(1);
    expect(fired[0]!.context.reasons).toEqual(["A new issue was created", "More than 1 event in a minute"]);
  });

  it("rules of other projects see nothing", async () => {
    const mine = await seedProject();
    const theirs = await seedProject();
    const rule = await insertRule(theirs.projectId, { triggers: [{ type: "new_issue" }] });
    const { queue, sent } = recordingQueue();
    await digestAndEvaluate(queue, [envelopeMessage(mine.projectId)]);
    expect(await firings(rule.ruleId)).toHaveLength(0);
    expect(sent).toHaveLength(0);
  });
});
