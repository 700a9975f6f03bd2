import { createMessageBatch, createScheduledController, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../faultline-worker";
import type { IngestMessage } from "../../protocol/ingest-message";
import { digestEvents } from "../../queue-consumer/digest/digest-events";
import { detectMonitorFailures } from "../../queue-consumer/jobs/detect-monitor-failures";
import { insertRule, recordingQueue } from "../support/seed-alerts";
import { seedProject } from "../support/seed";

const enc = new TextEncoder();
const MINUTE = 60_000;
// 02:00:30 UTC.
const T0 = Date.UTC(2026, 11, 7, 2, 0, 30);
let counter = 0;

async function checkIn(projectId: number, body: Record<string, unknown>, receivedAt: number) {
  counter += 1;
  const bytes = enc.encode(`{}\n{"type":"check_in"}\n${JSON.stringify(body)}\n`);
  const message = {
    id: `job-test-${counter}-${Math.random().toString(36).slice(2)}`,
    timestamp: new Date(),
    attempts: 1,
    body: {
      v: 1,
      kind: "envelope",
      projectId,
      keyId: 1,
      receivedAt,
      clientIp: null,
      userAgent: null,
      eventId: null,
      size: bytes.byteLength,
      body: bytes,
    },
  } satisfies Parameters<typeof createMessageBatch<IngestMessage>>[1][number];
  await digestEvents(createMessageBatch<IngestMessage>("events", [message]) as MessageBatch<unknown>, env);
}

async function runMinuteJob(at: number, alerts = recordingQueue()) {
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), { ...env, ALERTS: alerts.queue });
  return alerts;
}

async function rows(projectId: number) {
  const { results } = await env.DB.prepare(
    "SELECT status, expected_time, incident FROM monitor_checkins WHERE project_id = ? ORDER BY date_created, id",
  )
    .bind(projectId)
    .all<{ status: string; expected_time: number | null; incident: string | null }>();
  return results;
}

async function monitorEnvironment(projectId: number) {
  return env.DB.prepare(
    "SELECT e.status, e.next_checkin, e.next_checkin_latest FROM monitor_environments e JOIN monitors m ON m.id = e.monitor_id WHERE m.project_id = ?",
  )
    .bind(projectId)
    .first<{ status: string; next_checkin: number | null; next_checkin_latest: number | null }>();
}

async function issues(projectId: number) {
  const { results } = await env.DB.prepare("SELECT title, status, times_seen FROM issues WHERE project_id = ? ORDER BY id")
    .bind(projectId)
    .all();
  return results;
}

const everyMinute = { schedule: { type: "crontab", value: "* * * * *" }, checkin_margin: 1 };

describe("the minute job", () => {
  it("records a run that never checked in as missed, opens the monitor's issue and sends the new-issue alert, once", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, { triggers: [{ type: "new_issue" }] });
    await checkIn(projectId, { check_in_id: "1".repeat(32), monitor_slug: "every-minute", status: "ok", monitor_config: everyMinute }, T0);
    const due = Date.UTC(2026, 11, 7, 2, 1);
    expect(await monitorEnvironment(projectId)).toMatchObject({ next_checkin: due, next_checkin_latest: due + MINUTE });

    // Within the margin: nothing yet.
    await runMinuteJob(due + MINUTE - 1);
    expect(await rows(projectId)).toHaveLength(1);

    const alerts = await runMinuteJob(due + MINUTE);
    expect(await rows(projectId)).toEqual([
      { status: "ok", expected_time: null, incident: null },
      { status: "missed", expected_time: due, incident: "failure" },
    ]);
    expect(await issues(projectId)).toEqual([{ title: "Missed check-in: every-minute", status: "unresolved", times_seen: 1 }]);
    expect(await monitorEnvironment(projectId)).toMatchObject({ status: "missed_checkin", next_checkin: due + MINUTE });
    const firings = await env.DB.prepare("SELECT i.title FROM alert_firings f JOIN issues i ON i.id = f.issue_id WHERE f.rule_id = ?")
      .bind(ruleId)
      .all<{ title: string }>();
    expect(firings.results.map((f) => f.title)).toEqual(["Missed check-in: every-minute"]);
    expect(alerts.sent.filter((m) => m.kind === "deliver")).toHaveLength(1);

    // The same minute again (a retried invocation): nothing more.
    const again = await runMinuteJob(due + MINUTE);
    expect(await rows(projectId)).toHaveLength(2);
    expect(again.sent).toEqual([]);
    expect(await issues(projectId)).toEqual([{ title: "Missed check-in: every-minute", status: "unresolved", times_seen: 1 }]);
  });

  it("after an outage records one missed run per monitor and expects the next one still to come", async () => {
    const { projectId } = await seedProject();
    await checkIn(projectId, { check_in_id: "2".repeat(32), monitor_slug: "every-minute", status: "ok", monitor_config: everyMinute }, T0);
    const dayLater = T0 + 24 * 60 * MINUTE;
    await runMinuteJob(dayLater);
    expect((await rows(projectId)).map((r) => r.status)).toEqual(["ok", "missed"]);
    const after = await monitorEnvironment(projectId);
    expect(after!.next_checkin_latest!).toBeGreaterThan(dayLater);
  });

  it("times out a run in progress past max_runtime, and a late ok does not undo it", async () => {
    const { projectId } = await seedProject();
    const hourly = { schedule: { type: "crontab", value: "0 * * * *" }, max_runtime: 2 };
    await checkIn(projectId, { check_in_id: "3".repeat(32), monitor_slug: "slow-job", status: "in_progress", monitor_config: hourly }, T0);
    await runMinuteJob(T0 + 2 * MINUTE - 1);
    expect((await rows(projectId)).map((r) => r.status)).toEqual(["in_progress"]);
    await runMinuteJob(T0 + 2 * MINUTE);
    expect((await rows(projectId)).map((r) => r.status)).toEqual(["timeout"]);
    expect(await issues(projectId)).toEqual([{ title: "Cron timeout: slow-job", status: "unresolved", times_seen: 1 }]);
    expect((await monitorEnvironment(projectId))?.status).toBe("timeout");
    await checkIn(projectId, { check_in_id: "3".repeat(32), monitor_slug: "slow-job", status: "ok" }, T0 + 3 * MINUTE);
    expect((await rows(projectId)).map((r) => r.status)).toEqual(["timeout"]);
  });

  it("examines at most its limit of monitors per run, oldest due first, and the rest on the next", async () => {
    const { projectId } = await seedProject();
    for (const slug of ["a", "b", "c"]) await checkIn(projectId, { monitor_slug: slug, status: "ok", monitor_config: everyMinute }, T0);
    const late = T0 + 10 * MINUTE;
    expect(await detectMonitorFailures(env, late, 2)).toEqual({ missed: 2, timedOut: 0 });
    expect(await detectMonitorFailures(env, late, 2)).toEqual({ missed: 1, timedOut: 0 });
    expect(await detectMonitorFailures(env, late, 2)).toEqual({ missed: 0, timedOut: 0 });
  });

  it("writes the others when one monitor's check-in cannot be written, and that one on a later run", async () => {
    const { projectId } = await seedProject();
    for (const slug of ["a", "b", "c"]) await checkIn(projectId, { monitor_slug: slug, status: "ok", monitor_config: everyMinute }, T0);
    // D1 fails the job's whole write, then the second monitor's alone (after the reads: call 1).
    let calls = 0;
    const failing = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "batch")
          return (statements: D1PreparedStatement[]) => {
            calls += 1;
            if (calls === 2 || calls === 4) return Promise.reject(new Error("D1 is unavailable"));
            return target.batch(statements);
          };
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const late = T0 + 10 * MINUTE;
    expect(await detectMonitorFailures({ ...env, DB: failing, ALERTS: recordingQueue().queue }, late)).toEqual({ missed: 2, timedOut: 0 });
    expect(await detectMonitorFailures({ ...env, ALERTS: recordingQueue().queue }, late)).toEqual({ missed: 1, timedOut: 0 });
    expect((await rows(projectId)).filter((r) => r.status === "missed")).toHaveLength(3);
  });

  it("expects nothing of a disabled monitor", async () => {
    const { projectId } = await seedProject();
    await checkIn(projectId, { monitor_slug: "paused", status: "ok", monitor_config: everyMinute }, T0);
    await env.DB.prepare("UPDATE monitors SET status = 'disabled' WHERE project_id = ?").bind(projectId).run();
    await runMinuteJob(T0 + 10 * MINUTE);
    expect((await rows(projectId)).map((r) => r.status)).toEqual(["ok"]);
    expect(await monitorEnvironment(projectId)).toMatchObject({ next_checkin: null, next_checkin_latest: null });
  });

  it("does not run on the hourly trigger", async () => {
    const { projectId } = await seedProject();
    await checkIn(projectId, { monitor_slug: "hourly-only", status: "ok", monitor_config: everyMinute }, T0);
    await worker.scheduled(createScheduledController({ scheduledTime: T0 + 10 * MINUTE, cron: "17 * * * *" }), {
      ...env,
      ALERTS: recordingQueue().queue,
    });
    expect((await rows(projectId)).map((r) => r.status)).toEqual(["ok"]);
  });
});
