import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { IngestMessage } from "../../../../protocol/ingest-message";
import { digestEvents } from "../../../../queue-consumer/digest/digest-events";
import nodeStart from "../../../fixtures/sdk-requests/node-check-in-1.envelope?raw";
import nodeOk from "../../../fixtures/sdk-requests/node-check-in-2.envelope?raw";
import nodeStartAgain from "../../../fixtures/sdk-requests/node-check-in-3.envelope?raw";
import nodeError from "../../../fixtures/sdk-requests/node-check-in-4.envelope?raw";
import { seedProject } from "../../../support/seed";
import { countRowsRead } from "../../../support/count-rows-read";

const enc = new TextEncoder();
type QueuedMessage = Parameters<typeof createMessageBatch<IngestMessage>>[1][number];
let counter = 0;
const T0 = Date.UTC(2026, 11, 7, 2, 0, 30);

function message(projectId: number, body: string, receivedAt: number, id?: string): QueuedMessage {
  counter += 1;
  const bytes = enc.encode(body);
  return {
    id: id ?? `check-in-${counter}-${Math.random().toString(36).slice(2)}`,
    timestamp: new Date(),
    attempts: 1,
    body: {
      v: 1,
      kind: "envelope",
      projectId,
      keyId: 1,
      receivedAt,
      clientIp: null,
      userAgent: "test",
      eventId: null,
      size: bytes.byteLength,
      body: bytes,
    },
  };
}

function envelope(checkIn: Record<string, unknown>): string {
  return `{}\n{"type":"check_in"}\n${JSON.stringify(checkIn)}\n`;
}

async function digest(messages: QueuedMessage[]) {
  const batch = createMessageBatch<IngestMessage>("events", messages);
  const outcomes = await digestEvents(batch as MessageBatch<unknown>, env);
  const result = await getQueueResult(batch, createExecutionContext());
  expect(result.retryMessages).toEqual([]);
  return outcomes;
}

async function checkIns(projectId: number) {
  const { results } = await env.DB.prepare(
    "SELECT guid, status, duration, incident FROM monitor_checkins WHERE project_id = ? ORDER BY date_created, id",
  )
    .bind(projectId)
    .all<{ guid: string; status: string; duration: number | null; incident: string | null }>();
  return results;
}

async function environment(projectId: number, slug: string) {
  return env.DB.prepare(
    `SELECT e.status, e.incident_open, e.last_checkin, e.next_checkin, e.next_checkin_latest FROM monitor_environments e
     JOIN monitors m ON m.id = e.monitor_id WHERE m.project_id = ? AND m.slug = ?`,
  )
    .bind(projectId, slug)
    .first<{ status: string; incident_open: number; last_checkin: number; next_checkin: number; next_checkin_latest: number }>();
}

async function monitorIssues(projectId: number) {
  const { results } = await env.DB.prepare("SELECT id, title, status, times_seen FROM issues WHERE project_id = ? ORDER BY id")
    .bind(projectId)
    .all<{ id: number; title: string; status: string; times_seen: number }>();
  return results;
}

async function rejections(projectId: number) {
  const { results } = await env.DB.prepare("SELECT reason, detail FROM rejected_envelopes WHERE project_id = ? ORDER BY id")
    .bind(projectId)
    .all<{ reason: string; detail: string }>();
  return results;
}

const schedule = { schedule: { type: "crontab", value: "*/5 * * * *" } };

describe("check_in items from @sentry/node's withMonitor", () => {
  it("create the monitor from monitor_config and complete one run per check-in id, with its duration", async () => {
    const { projectId } = await seedProject();
    await digest([message(projectId, nodeStart, T0), message(projectId, nodeOk, T0 + 51)]);

    const monitor = await env.DB.prepare("SELECT slug, name, status, config FROM monitors WHERE project_id = ?")
      .bind(projectId)
      .first<{ slug: string; status: string; config: string }>();
    expect(monitor?.slug).toBe("nightly-backup");
    expect(monitor?.status).toBe("active");
    expect(JSON.parse(monitor!.config)).toEqual({
      schedule_type: "crontab",
      schedule: "0 3 * * *",
      checkin_margin: 5,
      max_runtime: 10,
      timezone: "Europe/Vienna",
      failure_issue_threshold: 2,
      recovery_threshold: 1,
    });
    expect(await checkIns(projectId)).toEqual([{ guid: "045a811918c5477c859071c96941819a", status: "ok", duration: 51, incident: null }]);
    const env1 = await environment(projectId, "nightly-backup");
    expect(env1?.status).toBe("ok");
    expect(env1?.last_checkin).toBe(T0 + 51);
    // 03:00 in Vienna (UTC+1 in December) is 02:00 UTC: the next is tomorrow's.
    expect(new Date(env1!.next_checkin).toISOString()).toBe("2026-12-08T02:00:00.000Z");
    expect(env1?.next_checkin_latest).toBe(env1!.next_checkin + 5 * 60_000);
  });

  it("change nothing when delivered again, in another batch or twice in one", async () => {
    const { projectId } = await seedProject();
    const sent = [
      message(projectId, nodeStart, T0),
      message(projectId, nodeOk, T0 + 51),
      message(projectId, nodeStartAgain, T0 + 1000),
      message(projectId, nodeError, T0 + 1001),
    ];
    await digest(sent);
    const first = { checkIns: await checkIns(projectId), environment: await environment(projectId, "nightly-backup") };
    await digest(sent);
    await digest([...sent, ...sent]);
    expect(await checkIns(projectId)).toEqual(first.checkIns);
    expect(await environment(projectId, "nightly-backup")).toEqual(first.environment);
    expect(first.checkIns.map((c) => c.status)).toEqual(["ok", "error"]);
  });

  it("open an issue once failure_issue_threshold runs in a row fail, through the alert path, and resolve it on recovery", async () => {
    const { projectId } = await seedProject();
    await digest([message(projectId, nodeStart, T0), message(projectId, nodeOk, T0 + 51)]);
    // One failure of two: no issue yet, and the monitor is still ok (Sentry's thresholds).
    await digest([message(projectId, nodeStartAgain, T0 + 1000), message(projectId, nodeError, T0 + 1001)]);
    expect(await monitorIssues(projectId)).toEqual([]);
    expect((await environment(projectId, "nightly-backup"))?.status).toBe("ok");

    const secondFailure = envelope({
      check_in_id: "1".repeat(32),
      monitor_slug: "nightly-backup",
      status: "error",
      environment: "production",
    });
    const outcomes = await digest([message(projectId, secondFailure, T0 + 2000)]);
    const issues = await monitorIssues(projectId);
    expect(issues).toEqual([{ id: issues[0]!.id, title: "Cron failure: nightly-backup", status: "unresolved", times_seen: 1 }]);
    expect(outcomes.flatMap((o) => o.newIssueIds)).toEqual([issues[0]!.id]);
    expect(await environment(projectId, "nightly-backup")).toMatchObject({ status: "error", incident_open: 1 });

    // While the issue is open every failure adds an event; a redelivery adds none.
    const third = message(projectId, envelope({ check_in_id: "2".repeat(32), monitor_slug: "nightly-backup", status: "error" }), T0 + 3000);
    await digest([third]);
    await digest([third]);
    expect((await monitorIssues(projectId))[0]?.times_seen).toBe(2);

    // recovery_threshold 1: one ok resolves it; the next failure regresses it.
    await digest([message(projectId, envelope({ check_in_id: "3".repeat(32), monitor_slug: "nightly-backup", status: "ok" }), T0 + 4000)]);
    expect((await monitorIssues(projectId))[0]?.status).toBe("resolved");
    expect(await environment(projectId, "nightly-backup")).toMatchObject({ status: "ok", incident_open: 0 });
    const regressed = await digest([
      message(projectId, envelope({ check_in_id: "4".repeat(32), monitor_slug: "nightly-backup", status: "error" }), T0 + 5000),
      message(projectId, envelope({ check_in_id: "5".repeat(32), monitor_slug: "nightly-backup", status: "error" }), T0 + 5001),
    ]);
    expect(regressed.flatMap((o) => o.regressedIssueIds)).toEqual([issues[0]!.id]);
    expect((await monitorIssues(projectId))[0]).toMatchObject({ status: "unresolved", times_seen: 3 });
  });

  it("read no more of a monitor's history than its thresholds need, however long it is", async () => {
    const { projectId } = await seedProject();
    await digest([message(projectId, envelope({ monitor_slug: "busy", status: "ok", monitor_config: schedule }), T0)]);
    // 720 ok check-ins before it, as an every-minute job has after half a day.
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 720)
       INSERT INTO monitor_checkins (project_id, monitor_id, monitor_environment_id, guid, status, date_created, date_updated, changed_by_run)
       SELECT c.project_id, c.monitor_id, c.monitor_environment_id, 'past-' || n.i, 'ok', c.date_created - n.i * 60000,
         c.date_created - n.i * 60000, 'test'
       FROM monitor_checkins c JOIN n WHERE c.project_id = ?1`,
    )
      .bind(projectId)
      .run();
    const { db: counted, counter } = countRowsRead(env.DB);
    const digestCounted = async (body: Record<string, unknown>, at: number) => {
      counter.rowsRead = 0;
      const batch = createMessageBatch<IngestMessage>("events", [message(projectId, envelope(body), at)]);
      await digestEvents(batch as MessageBatch<unknown>, { ...env, DB: counted });
      return counter.rowsRead;
    };

    // failure_issue_threshold 1: the failure opens the issue. Counting its streak over the newest
    // 720 check-ins read at least as many rows.
    const failing = await digestCounted({ monitor_slug: "busy", status: "error" }, T0 + 60_000);
    expect(await monitorIssues(projectId)).toMatchObject([{ title: "Cron failure: busy", status: "unresolved" }]);
    expect(failing).toBeLessThan(720);
    // And the ok that resolves it: the environment's status, set from this run's check-ins, read
    // the environment's history newest first until a failure of this run that was not there.
    const recovering = await digestCounted({ monitor_slug: "busy", status: "ok" }, T0 + 120_000);
    expect(await monitorIssues(projectId)).toMatchObject([{ status: "resolved" }]);
    expect(recovering).toBeLessThan(720);
  });

  it("count a failure threshold above 10 over the longer window", async () => {
    const { projectId } = await seedProject();
    const config = { ...schedule, failure_issue_threshold: 12 };
    await digest([message(projectId, envelope({ monitor_slug: "flaky", status: "ok", monitor_config: config }), T0)]);
    for (let i = 1; i <= 11; i++) await digest([message(projectId, envelope({ monitor_slug: "flaky", status: "error" }), T0 + i * 1000)]);
    expect(await monitorIssues(projectId)).toEqual([]);
    await digest([message(projectId, envelope({ monitor_slug: "flaky", status: "error" }), T0 + 12_000)]);
    expect(await monitorIssues(projectId)).toMatchObject([{ title: "Cron failure: flaky", times_seen: 1 }]);
  });

  it("let the all-zero id end the latest run in progress, and a redelivery end no other", async () => {
    const { projectId } = await seedProject();
    const nil = "00000000-0000-0000-0000-000000000000";
    const start = (at: number) =>
      message(projectId, envelope({ check_in_id: nil, monitor_slug: "hourly", status: "in_progress", monitor_config: schedule }), at);
    const done = message(projectId, envelope({ check_in_id: nil, monitor_slug: "hourly", status: "ok" }), T0 + 10_000);
    await digest([start(T0)]);
    await digest([done]);
    await digest([start(T0 + 20_000)]);
    await digest([done]);
    const rows = await checkIns(projectId);
    expect(rows.map((r) => [r.status, r.duration])).toEqual([
      ["ok", 10_000],
      ["in_progress", null],
    ]);
  });

  it("look for the run the all-zero id ends among the environment's newest 50 check-ins only", async () => {
    const { projectId } = await seedProject();
    const nil = "0".repeat(32);
    await digest([
      message(projectId, envelope({ check_in_id: nil, monitor_slug: "busy", status: "in_progress", monitor_config: schedule }), T0),
    ]);
    const heartbeats = Array.from({ length: 50 }, (_, i) =>
      message(
        projectId,
        envelope({ check_in_id: (i + 1).toString(16).padStart(32, "a"), monitor_slug: "busy", status: "ok" }),
        T0 + 1000 + i,
      ),
    );
    await digest(heartbeats);
    await digest([message(projectId, envelope({ check_in_id: nil, monitor_slug: "busy", status: "ok" }), T0 + 5000)]);
    const statuses = (await checkIns(projectId)).map((c) => c.status);
    expect(statuses[0]).toBe("in_progress");
    expect(statuses.filter((s) => s === "ok")).toHaveLength(51);
  });

  it("keep an ok or error with no run in progress as a check-in of its own (a heartbeat)", async () => {
    const { projectId } = await seedProject();
    await digest([
      message(projectId, envelope({ monitor_slug: "Heart Beat!", status: "ok", duration: 2.5, monitor_config: schedule }), T0),
    ]);
    const rows = await env.DB.prepare("SELECT status, duration, date_created FROM monitor_checkins WHERE project_id = ?")
      .bind(projectId)
      .all();
    expect(rows.results).toEqual([{ status: "ok", duration: 2500, date_created: T0 - 2500 }]);
    expect(await env.DB.prepare("SELECT slug FROM monitors WHERE project_id = ?").bind(projectId).first("slug")).toBe("heart-beat");
  });
});

describe("check-ins that cannot be kept are recorded with their reason", () => {
  it("refuse check-ins for a monitor that does not exist, or is disabled", async () => {
    const { projectId } = await seedProject();
    await digest([message(projectId, envelope({ check_in_id: "a".repeat(32), monitor_slug: "nobody", status: "ok" }), T0)]);
    await digest([
      message(projectId, envelope({ check_in_id: "b".repeat(32), monitor_slug: "paused", status: "ok", monitor_config: schedule }), T0),
    ]);
    await env.DB.prepare("UPDATE monitors SET status = 'disabled' WHERE project_id = ?").bind(projectId).run();
    await digest([
      message(
        projectId,
        envelope({ check_in_id: "c".repeat(32), monitor_slug: "paused", status: "error", monitor_config: schedule }),
        T0 + 1,
      ),
    ]);
    expect((await rejections(projectId)).map((r) => r.reason)).toEqual(["unknown_monitor", "monitor_disabled"]);
    expect((await checkIns(projectId)).map((c) => c.guid)).toEqual(["b".repeat(32)]);
    expect(await monitorIssues(projectId)).toEqual([]);
  });

  it.each([
    ["a status a client may not send", { status: "missed" }, "invalid_check_in"],
    ["a negative duration", { duration: -1 }, "invalid_check_in"],
    ["an absurd duration", { duration: 1e12 }, "invalid_check_in"],
    ["a duration that is not a number", { duration: "5" }, "invalid_check_in"],
    ["an id that is not a UUID", { check_in_id: "nope" }, "invalid_check_in"],
    ["no slug", { monitor_slug: "!!!" }, "invalid_check_in"],
    ["an unknown timezone", { monitor_config: { ...schedule, timezone: "Mars/Olympus_Mons" } }, "invalid_monitor_config"],
    ["a schedule that never fires", { monitor_config: { schedule: { type: "crontab", value: "0 0 30 2 *" } } }, "invalid_monitor_config"],
    ["a schedule by the second", { monitor_config: { schedule: { type: "crontab", value: "* * * * * *" } } }, "invalid_monitor_config"],
    ["an invalid schedule", { monitor_config: { schedule: { type: "crontab", value: "every day" } } }, "invalid_monitor_config"],
    ["an interval of no length", { monitor_config: { schedule: { type: "interval", value: 0, unit: "hour" } } }, "invalid_monitor_config"],
    ["an oversized monitor_config", { monitor_config: { ...schedule, padding: "x".repeat(10_000) } }, "invalid_monitor_config"],
  ])("refuse %s", async (_, change, reason) => {
    const { projectId } = await seedProject();
    const body = { check_in_id: "d".repeat(32), monitor_slug: "job", status: "ok", ...change };
    await digest([message(projectId, envelope(body), T0)]);
    const [rejection] = await rejections(projectId);
    expect(rejection?.reason).toBe(reason);
    expect(await checkIns(projectId)).toEqual([]);
  });

  it("ignore a monitor_config that cannot be used when the monitor exists, and keep the check-in", async () => {
    const { projectId } = await seedProject();
    await digest([
      message(projectId, envelope({ check_in_id: "e".repeat(32), monitor_slug: "job", status: "ok", monitor_config: schedule }), T0),
    ]);
    const bad = {
      check_in_id: "f".repeat(32),
      monitor_slug: "job",
      status: "ok",
      monitor_config: { ...schedule, timezone: "Nowhere/Land" },
    };
    await digest([message(projectId, envelope(bad), T0 + 1)]);
    expect((await checkIns(projectId)).map((c) => c.guid)).toEqual(["e".repeat(32), "f".repeat(32)]);
    expect(
      JSON.parse((await env.DB.prepare("SELECT config FROM monitors WHERE project_id = ?").bind(projectId).first<string>("config"))!)
        .timezone,
    ).toBe("UTC");
    expect((await rejections(projectId)).map((r) => r.reason)).toEqual(["invalid_monitor_config"]);
  });
});
