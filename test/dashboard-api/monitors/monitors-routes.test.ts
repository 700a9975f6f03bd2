import { createExecutionContext, createMessageBatch, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { apiApp } from "../../../dashboard/api/api-app";
import type { IngestMessage } from "../../../protocol/ingest-message";
import { digestEvents } from "../../../queue-consumer/digest/digest-events";
import { type SeededOrganization, seedOrganization } from "../../support/seed-issues";

async function call(org: SeededOrganization, method: string, path: string, body?: unknown, token = org.token) {
  const ctx = createExecutionContext();
  const request = new Request(`https://faultline.example.com/api/0/organizations/${org.orgSlug}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const res = await apiApp.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, json: text === "" ? null : (JSON.parse(text) as any) };
}

let counter = 0;
async function checkIn(projectId: number, body: Record<string, unknown>, receivedAt: number) {
  counter += 1;
  const bytes = new TextEncoder().encode(`{}\n{"type":"check_in"}\n${JSON.stringify(body)}\n`);
  const message = {
    id: `api-test-${counter}-${Math.random().toString(36).slice(2)}`,
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

const T0 = Date.UTC(2026, 11, 7, 2, 0, 30);
const config = { schedule_type: "crontab", schedule: "0 * * * *", checkin_margin: 5, max_runtime: 20, timezone: "UTC" };

describe("/api/0/organizations/{org}/monitors/", () => {
  it("creates a monitor without an SDK and lists it in Sentry's shape, with no check-in yet", async () => {
    const org = await seedOrganization();
    const created = await call(org, "POST", "/monitors/", { project: org.projectSlug, name: "Nightly Backup", type: "cron_job", config });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      slug: "nightly-backup",
      name: "Nightly Backup",
      status: "active",
      config: {
        schedule_type: "crontab",
        schedule: "0 * * * *",
        checkin_margin: 5,
        max_runtime: 20,
        timezone: "UTC",
        failure_issue_threshold: 1,
        recovery_threshold: 1,
      },
      lastCheckIn: null,
      nextCheckIn: null,
      project: { id: String(org.projectId), slug: org.projectSlug },
    });
    const list = await call(org, "GET", `/monitors/?project=${org.projectId}`);
    expect(list.json.map((m: { slug: string }) => m.slug)).toEqual(["nightly-backup"]);
    expect((await call(org, "GET", "/monitors/?project=999999999")).json).toEqual([]);
  });

  it("shows check-ins: the monitor's status, last and next check-in, and its check-ins newest first with durations in ms", async () => {
    const org = await seedOrganization();
    await call(org, "POST", "/monitors/", { project: org.projectId, name: "etl", config });
    await checkIn(org.projectId, { check_in_id: "1".repeat(32), monitor_slug: "etl", status: "in_progress", environment: "prod" }, T0);
    await checkIn(
      org.projectId,
      { check_in_id: "1".repeat(32), monitor_slug: "etl", status: "ok", environment: "prod", duration: 1.5 },
      T0 + 1500,
    );
    await checkIn(org.projectId, { check_in_id: "2".repeat(32), monitor_slug: "etl", status: "error", environment: "staging" }, T0 + 3000);

    const monitor = (await call(org, "GET", "/monitors/etl/")).json;
    expect(monitor).toMatchObject({
      status: "error",
      lastCheckIn: new Date(T0 + 3000).toISOString(),
      nextCheckIn: "2026-12-07T03:00:00.000Z",
    });
    expect(monitor.environments.map((e: { name: string; status: string }) => [e.name, e.status])).toEqual([
      ["prod", "ok"],
      ["staging", "error"],
    ]);
    const checkIns = (await call(org, "GET", "/monitors/etl/checkins/")).json;
    expect(checkIns).toEqual([
      {
        id: "2".repeat(32),
        status: "error",
        duration: null,
        dateCreated: new Date(T0 + 3000).toISOString(),
        expectedTime: null,
        environment: "staging",
      },
      {
        id: "1".repeat(32),
        status: "ok",
        duration: 1500,
        dateCreated: new Date(T0).toISOString(),
        expectedTime: null,
        environment: "prod",
      },
    ]);
    expect((await call(org, "GET", "/monitors/etl/checkins/?environment=prod&limit=1")).json.map((c: { id: string }) => c.id)).toEqual([
      "1".repeat(32),
    ]);
  });

  it("disables, reconfigures and deletes a monitor", async () => {
    const org = await seedOrganization();
    await checkIn(
      org.projectId,
      { monitor_slug: "sync", status: "ok", monitor_config: { schedule: { type: "crontab", value: "0 * * * *" } } },
      T0,
    );
    const disabled = await call(org, "PUT", "/monitors/sync/", { status: "disabled" });
    expect(disabled.json).toMatchObject({ status: "disabled", nextCheckIn: null });
    const due = await env.DB.prepare(
      "SELECT e.next_checkin_latest FROM monitor_environments e JOIN monitors m ON m.id = e.monitor_id WHERE m.project_id = ?",
    )
      .bind(org.projectId)
      .first("next_checkin_latest");
    expect(due).toBeNull();

    const enabled = await call(org, "PUT", "/monitors/sync/", {
      status: "active",
      config: { schedule: "*/10 * * * *", timezone: "Europe/Berlin" },
    });
    expect(enabled.json).toMatchObject({
      status: "ok",
      nextCheckIn: "2026-12-07T02:10:00.000Z",
      config: { schedule: "*/10 * * * *", timezone: "Europe/Berlin" },
    });

    expect((await call(org, "DELETE", "/monitors/sync/")).status).toBe(202);
    expect((await call(org, "GET", "/monitors/sync/")).status).toBe(404);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM monitor_checkins WHERE project_id = ?").bind(org.projectId).first("n")).toBe(0);
  });

  it.each([
    [
      "a schedule that never fires",
      { project: "P", name: "x", config: { schedule_type: "crontab", schedule: "0 0 30 2 *" } },
      "config: the crontab schedule never fires",
    ],
    [
      "an unknown timezone",
      { project: "P", name: "x", config: { schedule: "0 * * * *", timezone: "Mars/Base" } },
      'config: unknown timezone "Mars/Base"',
    ],
    [
      "an interval unit that does not exist",
      { project: "P", name: "x", config: { schedule_type: "interval", schedule: [1, "fortnight"] } },
      "config: the interval unit must be one of year, month, week, day, hour, minute",
    ],
    [
      "an oversized config",
      { project: "P", name: "x", config: { schedule: "0 * * * *", padding: "x".repeat(5000) } },
      "config: config exceeds 4096 bytes",
    ],
    ["a project of another organization", { project: "elsewhere", name: "x", config }, "project: no such project"],
    ["no name", { project: "P", config }, "name: Invalid input: expected string, received undefined"],
  ])("refuses to create a monitor with %s (400)", async (_, body, detail) => {
    const org = await seedOrganization();
    const res = await call(org, "POST", "/monitors/", { ...body, ...(body.project === "P" ? { project: org.projectSlug } : {}) });
    expect(res.status).toBe(400);
    expect(res.json.detail).toBe(detail);
  });

  it("refuses a second monitor with the same slug, a bad PUT, and answers 404 to another organization", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    expect((await call(org, "POST", "/monitors/", { project: org.projectSlug, name: "dup", config })).status).toBe(201);
    expect((await call(org, "POST", "/monitors/", { project: org.projectSlug, name: "dup", config })).status).toBe(400);
    expect((await call(org, "PUT", "/monitors/dup/", { config: { max_runtime: -5 } })).json.detail).toBe(
      "config: max_runtime must be a whole number from 1 to 40320",
    );
    expect((await call(org, "PUT", "/monitors/dup/", { status: "paused" })).status).toBe(400);
    expect((await call(org, "GET", "/monitors/dup/", undefined, other.token)).status).toBe(404);
    expect((await call(org, "GET", "/monitors/", undefined, "not-a-token")).status).toBe(401);
  });
});
