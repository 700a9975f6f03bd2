import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../protocol/env";
import { HOUR, MINUTE } from "../../protocol/time";
import { evaluateMetricAlerts } from "../../queue-consumer/jobs/evaluate-metric-alerts";
import { insertRule, recordingQueue } from "../support/seed-alerts";
import { seedProject } from "../support/seed";
import { digest, ingestMessage, segmentEnvelope } from "../support/transaction-envelopes";

/**
 * The minute job's clock in these tests, and the time the data they send carries: minute 5 of the
 * previous hour, so that a whole scenario (under 20 minutes) happens within one hour in the past,
 * whatever the time the tests run at. (Windows across an hour: test/jobs/metric-window.test.ts.)
 */
function startOfScenario(): number {
  return Math.floor(Date.now() / HOUR) * HOUR - HOUR + 5 * MINUTE;
}

/** Transactions of `name` ending at `at` (received then too), with these durations and statuses. */
async function send(projectId: number, at: number, durations: number[], options: { name?: string; status?: "ok" | "error" } = {}) {
  await digest(
    durations.map((durationMs) =>
      ingestMessage(projectId, segmentEnvelope({ durationMs, end: at, name: options.name ?? "GET /checkout", status: options.status }), {
        receivedAt: at,
      }),
    ),
  );
}

async function metricIssue(projectId: number) {
  return env.DB.prepare("SELECT id, status, times_seen, title FROM issues WHERE project_id = ?1")
    .bind(projectId)
    .all<{ id: number; status: string; times_seen: number; title: string }>();
}

async function firings(ruleId: number) {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM alert_firings WHERE rule_id = ?1").bind(ruleId).first<{ n: number }>();
  return row!.n;
}

function run(at: number) {
  const alerts = recordingQueue();
  return evaluateMetricAlerts({ ...env, ALERTS: alerts.queue } as Env, at).then((result) => ({ ...result, sent: alerts.sent }));
}

describe("evaluateMetricAlerts", () => {
  it("a p95 over its threshold opens the rule's issue and notifies once; recovery resolves it; the next crossing notifies again", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, {
      name: "Slow checkout",
      // The rule's throttle would hold back a second notification within it.
      frequencyMinutes: 10,
      triggers: [{ type: "transaction_duration", transaction: "GET /checkout", percentile: "p95", value: 500, interval: "5m" }],
    });
    const t0 = startOfScenario();
    await send(projectId, t0 - MINUTE, [100, 120, 90]);
    // The first run only takes the window's starting point.
    expect(await run(t0)).toMatchObject({ triggers: 1, crossed: 0 });

    await send(projectId, t0 + 4 * MINUTE, [900, 950, 1000]);
    await send(projectId, t0 + 4 * MINUTE, [5000], { name: "GET /export" });
    const crossed = await run(t0 + 5 * MINUTE);
    expect(crossed).toMatchObject({ crossed: 1, recovered: 0 });
    expect(crossed.sent.filter((m) => m.kind === "deliver")).toHaveLength(1);
    const [issue] = (await metricIssue(projectId)).results;
    expect(issue).toMatchObject({ status: "unresolved", times_seen: 1 });
    expect(issue!.title).toContain("Slow checkout: p95 of GET /checkout above 500 ms in 5 minutes");

    // Still over: nothing new. Run twice for the same minute: still nothing.
    await send(projectId, t0 + 5 * MINUTE, [1200]);
    expect((await run(t0 + 6 * MINUTE)).crossed).toBe(0);
    expect((await run(t0 + 6 * MINUTE)).crossed).toBe(0);
    expect(await firings(ruleId)).toBe(1);

    // Fast again over the whole window: resolved, without a notification.
    await send(projectId, t0 + 11 * MINUTE, [100, 100, 100, 100]);
    const recovered = await run(t0 + 12 * MINUTE);
    expect(recovered).toMatchObject({ crossed: 0, recovered: 1 });
    expect(recovered.sent).toHaveLength(0);
    expect((await metricIssue(projectId)).results[0]!.status).toBe("resolved");

    await send(projectId, t0 + 17 * MINUTE, [2000, 2000]);
    const again = await run(t0 + 18 * MINUTE);
    expect(again.crossed).toBe(1);
    expect(again.sent.filter((m) => m.kind === "deliver")).toHaveLength(1);
    expect((await metricIssue(projectId)).results).toMatchObject([{ id: issue!.id, status: "unresolved", times_seen: 2 }]);
    expect(await firings(ruleId)).toBe(2);
  });

  it("a failure rate counts every status but ok, over every transaction when none is named, in the rule's environment", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, {
      name: "Failing",
      triggers: [{ type: "failure_rate", value: 0.25, interval: "15m" }],
      filters: [{ type: "environment", value: "production" }],
    });
    const t0 = startOfScenario();
    expect((await run(t0)).crossed).toBe(0);
    await send(projectId, t0 + 30_000, [10, 10, 10], { name: "GET /a" });
    await send(projectId, t0 + 30_000, [10], { name: "GET /b", status: "error" });
    // 1 of 4 failed: at the threshold, not over it.
    expect((await run(t0 + MINUTE)).crossed).toBe(0);
    await send(projectId, t0 + MINUTE + 30_000, [10], { name: "GET /c", status: "error" });
    expect((await run(t0 + 2 * MINUTE)).crossed).toBe(1);
    expect(await firings(ruleId)).toBe(1);
  });

  it("a crash-free rate below its threshold for the latest release notifies once per crossing", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, {
      name: "Crashing release",
      // The rule's throttle would hold back a second notification within it.
      frequencyMinutes: 10,
      triggers: [{ type: "crash_free_rate", value: 99.5, interval: "5m", release: "latest" }],
    });
    /** Sessions of `release` started at `at`, each ending with one of `statuses`. */
    const sessions = (at: number, release: string, statuses: string[]) =>
      digest(
        statuses.map((status) => {
          const body = JSON.stringify({
            sid: crypto.randomUUID(),
            init: true,
            started: new Date(at).toISOString(),
            timestamp: new Date(at).toISOString(),
            status,
            attrs: { release, environment: "production" },
          });
          return ingestMessage(projectId, `{}\n{"type":"session"}\n${body}\n`, { receivedAt: at });
        }),
      );
    const t0 = startOfScenario();
    // An older release's crashes are not the latest release's.
    await sessions(t0 - MINUTE, "shop@1.0.0", ["crashed", "crashed"]);
    await sessions(t0 - 30_000, "shop@2.0.0", ["exited"]);
    expect((await run(t0)).crossed).toBe(0);

    // 3 of 4 new sessions of the latest release crash-free: 75% < 99.5%.
    await sessions(t0 + 30_000, "shop@2.0.0", ["exited", "exited", "exited", "crashed"]);
    const crossed = await run(t0 + MINUTE);
    expect(crossed).toMatchObject({ crossed: 1 });
    expect(crossed.sent.filter((m) => m.kind === "deliver")).toHaveLength(1);
    const [issue] = (await metricIssue(projectId)).results;
    expect(issue!.title).toContain("Crashing release: Crash-free sessions of the latest release below 99.5% in 5 minutes");
    expect((await run(t0 + MINUTE)).crossed).toBe(0);
    expect((await run(t0 + 2 * MINUTE)).crossed).toBe(0);

    // A window of healthy sessions only: recovered; the next crash crosses again.
    await sessions(t0 + 7 * MINUTE, "shop@2.0.0", Array(300).fill("exited"));
    expect(await run(t0 + 8 * MINUTE)).toMatchObject({ crossed: 0, recovered: 1 });
    await sessions(t0 + 13 * MINUTE, "shop@2.0.0", ["crashed"]);
    expect((await run(t0 + 14 * MINUTE)).crossed).toBe(1);
    expect(await firings(ruleId)).toBe(2);
  });

  it("skips a rule whose stored triggers cannot be read, and forgets the state of deleted rules", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, { triggers: [{ type: "failure_rate", value: 2, interval: "5m" }] });
    await env.DB.prepare("INSERT INTO metric_alert_states (rule_id, trigger_key, firing, changed_at) VALUES (?1, 'x', 1, 0)")
      .bind(ruleId + 100_000)
      .run();
    await run(Date.now());
    const left = await env.DB.prepare("SELECT count(*) AS n FROM metric_alert_states WHERE rule_id = ?1")
      .bind(ruleId + 100_000)
      .first<{ n: number }>();
    expect(left!.n).toBe(0);
  });
});
