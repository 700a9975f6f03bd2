import { SELF, env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { CHECK_INS_PER_MONITOR_PER_MINUTE, takeCheckIns } from "../../worker/check-in-rate-limit";
import { MAX_CHECK_IN_BYTES } from "../../worker/inspect-envelope";
import { BASE } from "../support/ingest-requests";
import { type SeededKey, seedProject } from "../support/seed";

const cronUrl = (key: SeededKey, slug: string, query = "", project: number | string = key.projectId, publicKey = key.publicKey) =>
  `${BASE}/api/${project}/cron/${slug}/${publicKey}/${query}`;

async function send(url: string, init: RequestInit = {}) {
  const res = await SELF.fetch(url, init);
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function waitForCheckIns(projectId: number, count: number, done: (rows: Array<{ status: string }>) => boolean = () => true) {
  return vi.waitFor(
    async () => {
      const { results } = await env.DB.prepare(
        "SELECT c.status, c.duration, e.name AS environment FROM monitor_checkins c JOIN monitor_environments e ON e.id = c.monitor_environment_id WHERE c.project_id = ? ORDER BY c.id",
      )
        .bind(projectId)
        .all<{ status: string; duration: number | null; environment: string }>();
      if (results.length !== count || !done(results)) throw new Error(`waiting for ${count} check-ins, have ${JSON.stringify(results)}`);
      return results;
    },
    { timeout: 20_000, interval: 50 },
  );
}

const config = { schedule: { type: "interval", value: 1, unit: "hour" }, checkin_margin: 5 };

describe("HTTP check-ins (GET|POST /api/{project}/cron/{slug}/{key}/)", () => {
  it("takes a JSON body that creates the monitor, then query-string check-ins that start and end a run, each 202", async () => {
    const key = await seedProject();
    const created = await send(cronUrl(key, "nightly-export"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: "ok", environment: "staging", monitor_config: config }),
    });
    expect(created.status).toBe(202);
    await waitForCheckIns(key.projectId, 1);
    expect((await send(cronUrl(key, "nightly-export", "?status=in_progress&environment=staging"))).status).toBe(202);
    await waitForCheckIns(key.projectId, 2);
    expect((await send(cronUrl(key, "nightly-export", "?status=ok&environment=staging"), { method: "POST" })).status).toBe(202);
    const rows = await waitForCheckIns(key.projectId, 2, (r) => r[1]?.status === "ok");
    expect(rows.map((r) => [r.status, r.environment])).toEqual([
      ["ok", "staging"],
      ["ok", "staging"],
    ]);
  });

  it("reads project 0 as the key's own project, as Sentry's older docs wrote the URL", async () => {
    const key = await seedProject();
    await send(cronUrl(key, "job"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: "ok", monitor_config: config }),
    });
    expect((await send(cronUrl(key, "job", "?status=error", 0))).status).toBe(202);
    await waitForCheckIns(key.projectId, 2);
  });

  it.each([
    ["an unknown key", (k: SeededKey) => cronUrl(k, "job", "?status=ok", k.projectId, "0".repeat(32)), 401, "unknown_key"],
    ["another project's key", (k: SeededKey) => cronUrl(k, "job", "?status=ok", k.projectId + 100_000), 403, "project_mismatch"],
    ["a project id that is not a number", (k: SeededKey) => cronUrl(k, "job", "?status=ok", "abc"), 404, "not_found"],
    ["no status", (k: SeededKey) => cronUrl(k, "job"), 400, "invalid_check_in"],
    ["a status a client may not send", (k: SeededKey) => cronUrl(k, "job", "?status=missed"), 400, "invalid_check_in"],
    ["a duration that is not a number", (k: SeededKey) => cronUrl(k, "job", "?status=ok&duration=soon"), 400, "invalid_check_in"],
  ])("refuses %s with %i", async (_, url, status, reason) => {
    const key = await seedProject();
    const res = await send(url(key));
    expect(res.status).toBe(status);
    expect(res.json.reason).toBe(reason);
  });

  it("refuses a disabled key, a body that is not JSON, an oversized monitor_config and other methods", async () => {
    const disabled = await seedProject({ enabled: false });
    expect((await send(cronUrl(disabled, "job", "?status=ok"))).json.reason).toBe("key_disabled");
    const key = await seedProject();
    const json = (body: string) => send(cronUrl(key, "job"), { method: "POST", headers: { "content-type": "application/json" }, body });
    expect((await json("{not json")).status).toBe(400);
    expect((await json("[1]")).status).toBe(400);
    const huge = await json(JSON.stringify({ status: "ok", monitor_config: { ...config, padding: "x".repeat(MAX_CHECK_IN_BYTES) } }));
    expect(huge.status).toBe(413);
    expect(huge.json.reason).toBe("body_too_large");
    expect((await send(cronUrl(key, "job", "?status=ok"), { method: "PUT" })).status).toBe(405);
  });

  it("refuses a monitor past its check-ins for the minute with 429, by HTTP and in an envelope, and takes other monitors", async () => {
    const key = await seedProject();
    // The quota is per minute: near a minute's end, start in the next one, so the requests below fall in the same minute.
    const untilNextMinute = 60_000 - (Date.now() % 60_000);
    if (untilNextMinute < 5_000) await new Promise((r) => setTimeout(r, untilNextMinute + 50));
    for (let i = 0; i < CHECK_INS_PER_MONITOR_PER_MINUTE; i++) takeCheckIns(key.projectId, ["runaway"]);
    const http = await SELF.fetch(cronUrl(key, "runaway", "?status=ok"));
    expect(http.status).toBe(429);
    expect(http.headers.get("x-sentry-rate-limits")).toMatch(/^\d+:monitor:project:monitor_rate_limit$/);
    const envelope = `{}\n{"type":"check_in"}\n${JSON.stringify({ check_in_id: "a".repeat(32), monitor_slug: "runaway", status: "ok" })}\n`;
    const sdk = await SELF.fetch(`${BASE}/api/${key.projectId}/envelope/?sentry_key=${key.publicKey}`, { method: "POST", body: envelope });
    expect(sdk.status).toBe(429);
    expect((await send(cronUrl(key, "other-job", "?status=ok"))).status).toBe(202);
  });

  it("records a check-in for a monitor that does not exist as a rejection, not a failure of the request", async () => {
    const key = await seedProject();
    expect((await send(cronUrl(key, "ghost", "?status=ok"))).status).toBe(202);
    const reason = await vi.waitFor(
      async () => {
        const row = await env.DB.prepare("SELECT reason FROM rejected_envelopes WHERE project_id = ?")
          .bind(key.projectId)
          .first<string>("reason");
        if (!row) throw new Error("not yet");
        return row;
      },
      { timeout: 20_000, interval: 50 },
    );
    expect(reason).toBe("unknown_monitor");
  });
});
