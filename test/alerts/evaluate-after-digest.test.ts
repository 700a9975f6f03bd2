import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AlertQueueMessage } from "../../protocol/alert-queue-message";
import { evaluateAfterDigest, recoverAlertEvaluations, recoverPendingEvaluations } from "../../queue-consumer/alerts/evaluate-after-digest";
import { type AlertEvaluation, evaluateAlertRules, evaluationOf } from "../../queue-consumer/alerts/evaluate-alert-rules";
import worker from "../../faultline-worker";
import { seedProject } from "../support/seed";
import { digest, envelopeMessage, insertRule, recordingQueue } from "../support/seed-alerts";

const twoSlackTargets = [
  { type: "slack" as const, url: "https://hooks.slack.com/services/T0/B0/0" },
  { type: "slack" as const, url: "https://hooks.slack.com/services/T0/B0/1" },
];

async function firings(ruleId: number) {
  const { results } = await env.DB.prepare("SELECT issue_id, evaluation_id FROM alert_firings WHERE rule_id = ? ORDER BY id")
    .bind(ruleId)
    .all<{ issue_id: number; evaluation_id: string }>();
  return results;
}

async function deliveries(ruleId: number) {
  const { results } = await env.DB.prepare("SELECT id, status FROM alert_deliveries WHERE rule_id = ? ORDER BY id")
    .bind(ruleId)
    .all<{ id: number; status: string }>();
  return results;
}

async function pending(evaluationId: string) {
  const { results } = await env.DB.prepare(
    "SELECT run, created_at, attempts, next_attempt_at FROM alert_evaluations_pending WHERE evaluation_id = ? ORDER BY run",
  )
    .bind(evaluationId)
    .all<{ run: string; created_at: number; attempts: number; next_attempt_at: number }>();
  return results;
}

/** A queue that refuses everything: Queues down while the consumer runs. */
const downQueue = {
  async send() {
    throw new Error("queue unavailable");
  },
  async sendBatch() {
    throw new Error("queue unavailable");
  },
} as unknown as Queue;

const MINUTES = 60_000;

/** Makes a pending evaluation `ms` older (its clock and when it is due): the later batch or job that finds it. */
async function age(evaluationId: string, ms: number) {
  await env.DB.prepare(
    "UPDATE alert_evaluations_pending SET created_at = created_at - ?1, next_attempt_at = next_attempt_at - ?1 WHERE evaluation_id = ?2",
  )
    .bind(ms, evaluationId)
    .run();
}

describe("evaluateAfterDigest", () => {
  it("the digest records a run's evaluation as pending only where the project has rules, and a finished one is cleared", async () => {
    const withRules = await seedProject();
    await insertRule(withRules.projectId, { triggers: [{ type: "new_issue" }] });
    const without = await seedProject();

    const [outcome] = await digest([envelopeMessage(withRules.projectId)]);
    expect(await pending(outcome!.evaluationId)).toEqual([
      { run: outcome!.pendingRun, created_at: outcome!.now, attempts: 0, next_attempt_at: outcome!.now + 2 * MINUTES },
    ]);
    const { queue, sent } = recordingQueue();
    await evaluateAfterDigest([outcome!], { ...env, ALERTS: queue });
    expect(sent).toHaveLength(1);
    expect(await pending(outcome!.evaluationId)).toEqual([]);

    const [quiet] = await digest([envelopeMessage(without.projectId)]);
    expect(quiet!.touchedIssueIds).toHaveLength(1);
    expect(quiet!.pendingRun).toBeNull();
    expect(await pending(quiet!.evaluationId)).toEqual([]);
  });

  it("a rule deleted between the commit and the evaluation leaves nothing pending", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, { triggers: [{ type: "new_issue" }] });
    const outcomes = await digest([envelopeMessage(projectId)]);
    await env.DB.batch([
      env.DB.prepare("DELETE FROM alert_targets WHERE rule_id = ?").bind(ruleId),
      env.DB.prepare("DELETE FROM alert_rules WHERE id = ?").bind(ruleId),
    ]);
    await evaluateAfterDigest(outcomes, { ...env, ALERTS: recordingQueue().queue });
    expect(await pending(outcomes[0]!.evaluationId)).toEqual([]);
  });

  it("hands an evaluation that failed to the alerts queue, and running it from there sends each delivery once and clears it", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, { triggers: [{ type: "new_issue" }], targets: twoSlackTargets });
    const flaky = recordingQueue({ failSendBatch: 1 });
    const outcomes = await digest([envelopeMessage(projectId)]);
    await evaluateAfterDigest(outcomes, { ...env, ALERTS: flaky.queue });

    // The deliveries were recorded, but could not be queued: the evaluation itself was.
    expect(await deliveries(ruleId)).toHaveLength(2);
    expect(flaky.sent).toHaveLength(1);
    const retried = flaky.sent[0]!;
    expect(retried).toMatchObject({ kind: "evaluate", newIssueIds: [expect.any(Number)] });
    expect(await pending(outcomes[0]!.evaluationId)).toHaveLength(1);

    const { kind: _kind, ...evaluation } = retried as Extract<AlertQueueMessage, { kind: "evaluate" }>;
    const working = recordingQueue();
    expect(await evaluateAlertRules(env.DB, working.queue, evaluation satisfies AlertEvaluation)).toEqual({ fired: 0, queued: 2 });
    expect(working.sent.map((m) => m.kind === "deliver" && m.deliveryId)).toEqual((await deliveries(ruleId)).map((d) => d.id));
    expect(await firings(ruleId)).toHaveLength(1);
    expect(await pending(outcomes[0]!.evaluationId)).toEqual([]);
  });

  it("an evaluation lost after the commit (its deliveries unqueued, the alerts queue down) is run again by a later batch, sending each delivery once", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, { triggers: [{ type: "new_issue" }], targets: twoSlackTargets });
    const lost = await digest([envelopeMessage(projectId, { variant: "lost" })]);
    await evaluateAfterDigest(lost, { ...env, ALERTS: downQueue });
    expect((await deliveries(ruleId)).map((d) => d.status)).toEqual(["pending", "pending"]);
    const evaluationId = lost[0]!.evaluationId;
    expect(await pending(evaluationId)).toHaveLength(1);

    // Within a minute it could still be on its way: a later batch leaves it alone.
    const working = recordingQueue();
    const soon = await digest([envelopeMessage(projectId, { variant: "lost" })]);
    expect(soon[0]!.staleEvaluations).toEqual([]);

    await age(evaluationId, 5 * MINUTES);
    const later = await digest([envelopeMessage(projectId, { variant: "lost" })]);
    expect(later[0]!.staleEvaluations).toEqual([{ evaluationId, createdAt: lost[0]!.now - 5 * MINUTES }]);
    await evaluateAfterDigest(later, { ...env, ALERTS: working.queue });
    expect(working.sent.filter((m) => m.kind === "deliver").map((m) => m.kind === "deliver" && m.deliveryId)).toEqual(
      (await deliveries(ruleId)).map((d) => d.id),
    );
    expect(await firings(ruleId)).toEqual([{ issue_id: lost[0]!.newIssueIds[0], evaluation_id: evaluationId }]);
    expect(await pending(evaluationId)).toEqual([]);
  });

  it("does nothing for a batch that stored no new event", async () => {
    const { queue, sent } = recordingQueue();
    await evaluateAfterDigest(
      [
        {
          newIssueIds: [],
          regressedIssueIds: [],
          escalatedIssueIds: [],
          touchedIssueIds: [],
          evaluationId: "nothing",
          now: Date.now(),
          pendingRun: null,
          staleEvaluations: [],
        },
      ],
      { ...env, ALERTS: queue },
    );
    expect(sent).toEqual([]);
  });
});

describe("recovering lost evaluations", () => {
  it("rebuilds exactly what the run changed (new, regressed, escalated, touched), and the hourly job sends it once", async () => {
    const { projectId } = await seedProject();
    // Two issues from before, one resolved and one ignored until its next event.
    const [before] = await digest([
      envelopeMessage(projectId, { variant: "comes-back" }),
      envelopeMessage(projectId, { variant: "ignored" }),
    ]);
    await evaluateAfterDigest([before!], { ...env, ALERTS: recordingQueue().queue });
    const [resolvedId, ignoredId] = before!.newIssueIds;
    await env.DB.prepare("UPDATE issues SET status = 'resolved', substatus = 'ongoing', resolved_at = ? WHERE id = ?")
      .bind(Date.now(), resolvedId)
      .run();
    await env.DB.prepare(
      "UPDATE issues SET status = 'ignored', substatus = 'until_condition_met', ignored_until_count = 1, ignored_count_base = times_seen WHERE id = ?",
    )
      .bind(ignoredId)
      .run();
    const rules = {
      created: await insertRule(projectId, { triggers: [{ type: "new_issue" }] }),
      regressed: await insertRule(projectId, { triggers: [{ type: "regression" }] }),
      escalated: await insertRule(projectId, { triggers: [{ type: "escalating" }] }),
    };

    // The run commits and the invocation dies before any evaluation.
    const lost = await digest([
      envelopeMessage(projectId, { variant: "brand-new" }),
      envelopeMessage(projectId, { variant: "comes-back" }),
      envelopeMessage(projectId, { variant: "ignored" }),
    ]);
    const original = evaluationOf(lost)!;
    expect(original.regressedIssueIds).toEqual([resolvedId]);
    expect(original.escalatedIssueIds).toEqual([ignoredId]);
    // Before the evaluation is found, someone ignores the issue that came back: it still came back in that run.
    await env.DB.prepare("UPDATE issues SET status = 'ignored', substatus = 'forever' WHERE id = ?").bind(resolvedId).run();

    await age(original.evaluationId, 5 * MINUTES);
    const { queue, sent } = recordingQueue();
    await worker.scheduled!(createScheduledController({ scheduledTime: Date.now(), cron: "17 * * * *" }), { ...env, ALERTS: queue });
    expect(await firings(rules.created.ruleId)).toEqual([{ issue_id: original.newIssueIds[0], evaluation_id: original.evaluationId }]);
    expect(await firings(rules.regressed.ruleId)).toEqual([{ issue_id: resolvedId, evaluation_id: original.evaluationId }]);
    expect(await firings(rules.escalated.ruleId)).toEqual([{ issue_id: ignoredId, evaluation_id: original.evaluationId }]);
    expect(sent).toHaveLength(3);
    expect(await pending(original.evaluationId)).toEqual([]);

    // Run again, it finds nothing left to do.
    expect(await recoverPendingEvaluations(env.DB, queue, Date.now())).toBe(0);
    expect(sent).toHaveLength(3);
  });

  it("an evaluation over a day old is dropped, not sent", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, { triggers: [{ type: "new_issue" }] });
    const [lost] = await digest([envelopeMessage(projectId)]);
    await age(lost!.evaluationId, 25 * 60 * MINUTES);
    const { queue, sent } = recordingQueue();
    await recoverPendingEvaluations(env.DB, queue, Date.now());
    expect(sent).toEqual([]);
    expect(await firings(ruleId)).toEqual([]);
    expect(await pending(lost!.evaluationId)).toEqual([]);
  });

  it("an evaluation found by two invocations at once runs once; one that fails again waits, doubling, before the next try", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, { triggers: [{ type: "new_issue" }], targets: twoSlackTargets });
    const [lost] = await digest([envelopeMessage(projectId)]);
    await age(lost!.evaluationId, 5 * MINUTES);
    const stale = [{ evaluationId: lost!.evaluationId, createdAt: lost!.now - 5 * MINUTES }];

    // Queues down: the claim holds it off for 2 minutes, then 4.
    const now = Date.now();
    await recoverAlertEvaluations(env.DB, downQueue, stale, now);
    expect(await pending(lost!.evaluationId)).toEqual([expect.objectContaining({ attempts: 1, next_attempt_at: now + 2 * MINUTES })]);
    await recoverAlertEvaluations(env.DB, downQueue, stale, now + MINUTES);
    expect(await pending(lost!.evaluationId)).toEqual([expect.objectContaining({ attempts: 1 })]);
    await recoverAlertEvaluations(env.DB, downQueue, stale, now + 2 * MINUTES);
    expect(await pending(lost!.evaluationId)).toEqual([expect.objectContaining({ attempts: 2, next_attempt_at: now + 6 * MINUTES })]);

    const first = recordingQueue();
    const second = recordingQueue();
    await Promise.all([
      recoverAlertEvaluations(env.DB, first.queue, stale, now + 6 * MINUTES),
      recoverAlertEvaluations(env.DB, second.queue, stale, now + 6 * MINUTES),
    ]);
    expect(first.sent.length + second.sent.length).toBe(2);
    expect(await firings(ruleId)).toHaveLength(1);
    // Late: it counts for the throttle from the try that recorded it (the first), not from the batch's commit 5 minutes before.
    expect(await env.DB.prepare("SELECT fired_at FROM alert_firings WHERE rule_id = ?").bind(ruleId).first("fired_at")).toBe(now);
    expect(await env.DB.prepare("SELECT last_fired_at FROM alert_throttle WHERE rule_id = ?").bind(ruleId).first("last_fired_at")).toBe(
      now,
    );
    expect((await deliveries(ruleId)).map((d) => d.status)).toEqual(["pending", "pending"]);
    expect(await pending(lost!.evaluationId)).toEqual([]);
  });

  it("runs an evaluation that the digest wrote in several runs (one message at a time) as one, and clears every run", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, { triggers: [{ type: "new_issue" }] });
    // A message of a project that does not exist fails the batch's write: the rest are written one by one.
    const outcomes = await digest([
      envelopeMessage(projectId, { variant: "one" }),
      envelopeMessage(999_999_999),
      envelopeMessage(projectId, { variant: "two" }),
    ]);
    expect(outcomes).toHaveLength(2);
    const evaluationId = outcomes[0]!.evaluationId;
    expect(outcomes[1]!.evaluationId).toBe(evaluationId);
    expect((await pending(evaluationId)).map((p) => p.run).toSorted()).toEqual(outcomes.map((o) => o.pendingRun).toSorted());

    await age(evaluationId, 5 * MINUTES);
    const later = await digest([envelopeMessage(projectId, { variant: "one" }), envelopeMessage(projectId, { variant: "one" })]);
    expect(later[0]!.staleEvaluations).toEqual([{ evaluationId, createdAt: outcomes[0]!.now - 5 * MINUTES }]);
    const { queue, sent } = recordingQueue();
    await evaluateAfterDigest([...later, ...later], { ...env, ALERTS: queue });
    expect((await firings(ruleId)).map((f) => f.issue_id).toSorted()).toEqual(outcomes.flatMap((o) => o.newIssueIds).toSorted());
    expect(sent).toHaveLength(2);
    expect(await pending(evaluationId)).toEqual([]);
  });
});
