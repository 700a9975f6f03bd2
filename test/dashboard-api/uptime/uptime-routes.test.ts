import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { apiApp } from "../../../dashboard/api/api-app";
import { type SeededOrganization, seedOrganization } from "../../support/seed-issues";

async function call(org: SeededOrganization, method: string, path: string, body?: unknown, bindings: Record<string, unknown> = {}) {
  const ctx = createExecutionContext();
  const request = new Request(`https://faultline.example.com/api/0${path}`, {
    method,
    headers: { authorization: `Bearer ${org.token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const res = await apiApp.fetch(request, { ...env, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, link: res.headers.get("link"), json: text === "" ? null : (JSON.parse(text) as any) };
}

const projectPath = (org: SeededOrganization) => `/projects/${org.orgSlug}/${org.projectSlug}/uptime/`;

async function createMonitor(org: SeededOrganization, body: Record<string, unknown> = {}) {
  const res = await call(org, "POST", projectPath(org), {
    name: "Shop",
    url: "https://shop.example.com/health",
    intervalSeconds: 60,
    ...body,
  });
  expect(res.status).toBe(201);
  return res.json;
}

async function insertCheck(
  monitorId: number,
  scheduledAt: number,
  status: "ok" | "error",
  durationMs: number,
  incident: string | null = null,
) {
  await env.DB.prepare(
    `INSERT INTO uptime_checks (monitor_id, scheduled_at, date_created, status, http_status, duration_ms, reason, incident, changed_by_run)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'test')`,
  )
    .bind(
      monitorId,
      scheduledAt,
      scheduledAt + 50,
      status,
      status === "ok" ? 200 : 503,
      durationMs,
      status === "ok" ? null : "status 503, expected 200–299",
      incident,
    )
    .run();
}

describe("/api/0/projects/{org}/{project}/uptime/", () => {
  it("creates a monitor with Sentry's defaults and reads it back, alone and in the organization's list", async () => {
    const org = await seedOrganization();
    const created = await createMonitor(org);
    expect(created).toMatchObject({
      projectSlug: org.projectSlug,
      environment: "production",
      name: "Shop",
      status: "active",
      uptimeStatus: 1,
      mode: 1,
      url: "https://shop.example.com/health",
      method: "GET",
      body: null,
      headers: [],
      intervalSeconds: 60,
      timeoutMs: 10000,
      expectedStatusMin: 200,
      expectedStatusMax: 299,
      bodyKeyword: null,
      downtimeThreshold: 3,
      recoveryThreshold: 1,
      lastCheckedAt: null,
    });
    expect(typeof created.id).toBe("string");
    expect(created.nextCheckAt).not.toBeNull();

    const one = await call(org, "GET", `${projectPath(org)}${created.id}/`);
    expect(one.json).toEqual(created);
    const list = await call(org, "GET", `/organizations/${org.orgSlug}/uptime/?project=${org.projectId}`);
    expect(list.json.map((m: { id: string }) => m.id)).toEqual([created.id]);
    const otherProject = await call(org, "GET", `/organizations/${org.orgSlug}/uptime/?project=999999`);
    expect(otherProject.json).toEqual([]);
  });

  it("takes Faultline's fields, changes them with PUT, disables and deletes", async () => {
    const org = await seedOrganization();
    const created = await createMonitor(org, {
      method: "HEAD",
      intervalSeconds: 300,
      timeoutMs: 5000,
      expectedStatusMin: 200,
      expectedStatusMax: 399,
      bodyKeyword: "ok",
      environment: "staging",
      downtimeThreshold: 2,
      recoveryThreshold: 2,
    });
    expect(created).toMatchObject({ method: "HEAD", intervalSeconds: 300, timeoutMs: 5000, expectedStatusMax: 399, bodyKeyword: "ok" });
    const path = `${projectPath(org)}${created.id}/`;
    const updated = await call(org, "PUT", path, { name: "Shop home", status: "disabled", bodyKeyword: null });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({
      name: "Shop home",
      status: "disabled",
      bodyKeyword: null,
      nextCheckAt: null,
      intervalSeconds: 300,
    });
    await insertCheck(Number(created.id), 1_000, "ok", 10);
    expect((await call(org, "DELETE", path)).status).toBe(204);
    expect((await call(org, "GET", path)).status).toBe(404);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM uptime_checks WHERE monitor_id = ?")
      .bind(Number(created.id))
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });

  it("checks a monitor again soon when its target changes or it is enabled again, never at a time already checked", async () => {
    const org = await seedOrganization();
    const created = await createMonitor(org);
    const id = Number(created.id);
    const path = `${projectPath(org)}${id}/`;
    const later = Date.now() + 3_600_000;
    await env.DB.prepare("UPDATE uptime_monitors SET next_due_at = ? WHERE id = ?").bind(later, id).run();
    expect((await call(org, "PUT", path, { name: "Renamed" })).json.nextCheckAt).toBe(new Date(later).toISOString());
    const before = Date.now();
    const moved = await call(org, "PUT", path, { url: "https://shop.example.com/other" });
    expect(Date.parse(moved.json.nextCheckAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(moved.json.nextCheckAt)).toBeLessThan(later);
    // A check already recorded ahead of the clock: the new time comes after it.
    await insertCheck(id, later + 5, "ok", 10);
    await call(org, "PUT", path, { status: "disabled" });
    const enabled = await call(org, "PUT", path, { status: "active" });
    expect(Date.parse(enabled.json.nextCheckAt)).toBe(later + 6);
  });

  it("starts counting failures afresh when the URL or method changes, not on a rename", async () => {
    const org = await seedOrganization();
    const created = await createMonitor(org);
    const id = Number(created.id);
    const path = `${projectPath(org)}${id}/`;
    const counts = () =>
      env.DB.prepare("SELECT consecutive_failures AS f, consecutive_successes AS s FROM uptime_monitors WHERE id = ?")
        .bind(id)
        .first<{ f: number; s: number }>();
    const set = (f: number, s: number) =>
      env.DB.prepare("UPDATE uptime_monitors SET consecutive_failures = ?, consecutive_successes = ? WHERE id = ?").bind(f, s, id).run();
    await set(2, 0);
    await call(org, "PUT", path, { name: "Renamed", timeoutMs: 5000 });
    expect(await counts()).toEqual({ f: 2, s: 0 });
    await call(org, "PUT", path, { url: "https://shop.example.com/other" });
    expect(await counts()).toEqual({ f: 0, s: 0 });
    await set(0, 4);
    await call(org, "PUT", path, { method: "HEAD" });
    expect(await counts()).toEqual({ f: 0, s: 0 });
  });

  it("answers 400 with the field and the reason for input it cannot watch", async () => {
    const org = await seedOrganization();
    const refused: Array<[Record<string, unknown>, string]> = [
      [{ url: "not a url" }, "url: not a URL"],
      [{ url: "ftp://example.com/" }, "url: only http and https URLs can be watched"],
      [{ url: "https://user:secret@example.com/" }, "url: a URL with credentials cannot be watched"],
      [{ url: "http://127.0.0.1:8080/" }, "url: 127.0.0.1 is a loopback, private or internal address"],
      [{ url: "http://[::1]/" }, "url: [::1] is a loopback, private or internal address"],
      [{ url: "http://10.1.2.3/" }, "url: 10.1.2.3 is a loopback, private or internal address"],
      [{ url: "http://localhost/" }, "url: localhost is a loopback, private or internal address"],
      [{ intervalSeconds: 30 }, "intervalSeconds: must be one of 60, 300, 600, 3600 seconds"],
      [{ intervalSeconds: "60" }, "intervalSeconds:"],
      [{ timeoutMs: 60_000 }, "timeoutMs:"],
      [{ timeoutMs: 10 }, "timeoutMs:"],
      [{ expectedStatusMin: 300, expectedStatusMax: 200 }, "expectedStatusMin: 300 is above expectedStatusMax 200"],
      [{ expectedStatusMax: 700 }, "expectedStatusMax:"],
      [{ method: "TRACE" }, "method:"],
      [{ downtimeThreshold: 0 }, "downtimeThreshold:"],
      [{ headers: [["x-a", "1"]] }, "headers:"],
      [{ body: "payload" }, "body:"],
      [{ url: `https://example.com/${"a".repeat(3000)}` }, "url:"],
    ];
    for (const [change, detail] of refused) {
      const res = await call(org, "POST", projectPath(org), { name: "x", url: "https://example.com/", intervalSeconds: 60, ...change });
      expect(res.status, JSON.stringify(change)).toBe(400);
      expect(res.json.detail, JSON.stringify(change)).toContain(detail);
    }
    const missing = await call(org, "POST", projectPath(org), { name: "x", intervalSeconds: 60 });
    expect(missing.status).toBe(400);
    expect(missing.json.detail).toBe("url: Required");
    const notJson = await call(org, "POST", projectPath(org), undefined);
    expect(notJson.status).toBe(400);
    // PUT checks the same way.
    const created = await createMonitor(org);
    const put = await call(org, "PUT", `${projectPath(org)}${created.id}/`, { url: "http://192.168.1.1/" });
    expect(put.status).toBe(400);
    expect(put.json.detail).toContain("192.168.1.1 is a loopback, private or internal address");
  });

  it("watches loopback targets only where local development allows it", async () => {
    const org = await seedOrganization();
    const local = await call(
      org,
      "POST",
      projectPath(org),
      { url: "http://127.0.0.1:9999/health", intervalSeconds: 60 },
      { UPTIME_ALLOW_PRIVATE_TARGETS: "1" },
    );
    expect(local.status).toBe(201);
    expect(local.json.name).toBe("127.0.0.1:9999");
  });

  it("hides another organization's monitors as not found, and refuses their stats", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    const created = await createMonitor(other);
    expect((await call(org, "GET", `/projects/${other.orgSlug}/${other.projectSlug}/uptime/${created.id}/`)).status).toBe(404);
    expect((await call(org, "GET", `/projects/${org.orgSlug}/${org.projectSlug}/uptime/${created.id}/`)).status).toBe(404);
    // Sentry refuses stats for ids that are not the caller's as invalid.
    const stats = await call(org, "GET", `/organizations/${org.orgSlug}/uptime-stats/?uptimeDetectorId=${created.id}`);
    expect(stats.status).toBe(400);
    expect(stats.json.detail).toBe(`uptimeDetectorId: invalid uptime detector ids: ${created.id}`);
  });
});

describe("checks and stats", () => {
  it("lists checks newest first in Sentry's shape, paging on the scheduled time", async () => {
    const org = await seedOrganization();
    const created = await createMonitor(org);
    const id = Number(created.id);
    const t0 = Date.UTC(2026, 11, 7, 10, 0, 0);
    await insertCheck(id, t0, "ok", 120);
    await insertCheck(id, t0 + 60_000, "error", 30_000);
    await insertCheck(id, t0 + 120_000, "error", 40, "failure");
    const res = await call(org, "GET", `${projectPath(org)}${id}/checks/`);
    expect(res.status).toBe(200);
    expect(res.json.map((c: { checkStatus: string }) => c.checkStatus)).toEqual(["failure_incident", "failure", "success"]);
    expect(res.json[0]).toMatchObject({
      uptimeSubscriptionId: id,
      scheduledCheckTime: "2026-12-07T10:02:00Z",
      checkStatusReason: "failure",
      httpStatusCode: 503,
      durationMs: 40,
      incidentStatus: 1,
      environment: "production",
      reason: "status 503, expected 200–299",
    });
    expect(res.json[2]).toMatchObject({ checkStatus: "success", checkStatusReason: null, httpStatusCode: 200, incidentStatus: 0 });
    const page = await call(org, "GET", `${projectPath(org)}${id}/checks/?limit=1&before=${t0 + 120_000}`);
    expect(page.json.map((c: { scheduledCheckTime: string }) => c.scheduledCheckTime)).toEqual(["2026-12-07T10:01:00Z"]);
    expect((await call(org, "GET", `${projectPath(org)}${id}/checks/?limit=1000`)).status).toBe(400);
  });

  it("pages checks with Sentry's per_page, cursor and Link header", async () => {
    const org = await seedOrganization();
    const id = Number((await createMonitor(org)).id);
    const t0 = Date.UTC(2026, 11, 7, 10, 0, 0);
    for (let i = 0; i < 3; i++) await insertCheck(id, t0 + i * 60_000, "ok", 10);
    const times = (res: { json: Array<{ scheduledCheckTime: string }> }) => res.json.map((c) => c.scheduledCheckTime);
    const cursorOf = (link: string | null, rel: string) => {
      const match = new RegExp(`rel="${rel}"; results="(true|false)"; cursor="([^"]+)"`).exec(link ?? "");
      return { results: match?.[1] === "true", cursor: match?.[2] ?? "" };
    };
    const first = await call(org, "GET", `${projectPath(org)}${id}/checks/?per_page=2`);
    expect(times(first)).toEqual(["2026-12-07T10:02:00Z", "2026-12-07T10:01:00Z"]);
    expect(cursorOf(first.link, "previous").results).toBe(false);
    const next = cursorOf(first.link, "next");
    expect(next.results).toBe(true);
    const second = await call(org, "GET", `${projectPath(org)}${id}/checks/?per_page=2&cursor=${next.cursor}`);
    expect(times(second)).toEqual(["2026-12-07T10:00:00Z"]);
    expect(cursorOf(second.link, "next").results).toBe(false);
    const back = cursorOf(second.link, "previous");
    expect(back.results).toBe(true);
    const again = await call(org, "GET", `${projectPath(org)}${id}/checks/?per_page=2&cursor=${back.cursor}`);
    expect(times(again)).toEqual(times(first));
    expect((await call(org, "GET", `${projectPath(org)}${id}/checks/?per_page=101`)).status).toBe(400);
    expect((await call(org, "GET", `${projectPath(org)}${id}/checks/?cursor=soon`)).status).toBe(400);
  });

  it("counts ok and failed checks and the mean latency per bucket, every bucket present", async () => {
    const org = await seedOrganization();
    const created = await createMonitor(org);
    const id = Number(created.id);
    // Hours ago, on an hour, within the project's retention.
    const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 5 * 3_600_000;
    await insertCheck(id, t0, "ok", 100);
    await insertCheck(id, t0 + 60_000, "ok", 300);
    await insertCheck(id, t0 + 120_000, "error", 1000, "failure");
    await insertCheck(id, t0 + 2 * 3_600_000, "error", 50);
    const since = t0 / 1000;
    const res = await call(
      org,
      "GET",
      `/organizations/${org.orgSlug}/uptime-stats/?uptimeDetectorId=${id}&since=${since}&until=${since + 3 * 3600}&resolution=1h`,
    );
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      [String(id)]: [
        [since, { success: 2, failure: 0, failure_incident: 1, missed_window: 0, avgDurationMs: 467 }],
        [since + 3600, { success: 0, failure: 0, failure_incident: 0, missed_window: 0, avgDurationMs: null }],
        [since + 7200, { success: 0, failure: 1, failure_incident: 0, missed_window: 0, avgDurationMs: 50 }],
      ],
    });
    const stats = (query: string) => call(org, "GET", `/organizations/${org.orgSlug}/uptime-stats/?${query}`);
    // An id named twice, or as both parameters, is counted once.
    const twice = await stats(`uptimeDetectorId=${id}&uptimeDetectorId=${id}&uptimeAlertId=${id}&since=${since}&until=${since + 3 * 3600}`);
    expect(twice.json).toEqual(res.json);
    expect((await stats("")).status).toBe(400);
    expect((await stats(`uptimeDetectorId=abc`)).status).toBe(400);
    expect((await stats(`uptimeDetectorId=${id}&resolution=1s&statsPeriod=90d`)).status).toBe(400);
    expect((await stats(`uptimeDetectorId=${id}&resolution=soon`)).status).toBe(400);
    expect((await stats(`uptimeDetectorId=${id}&since=200&until=100`)).status).toBe(400);
    // Buckets start on a multiple of the resolution, whatever `since` says.
    const unaligned = await stats(`uptimeDetectorId=${id}&since=${since + 1800}&until=${since + 3 * 3600}&resolution=1h`);
    expect(unaligned.json).toEqual(res.json);
  });

  it("reads only what retention keeps and refuses a request that would read too many checks", async () => {
    const org = await seedOrganization();
    const stats = (query: string) => call(org, "GET", `/organizations/${org.orgSlug}/uptime-stats/?${query}`);
    const a = Number((await createMonitor(org)).id);
    const b = Number((await createMonitor(org, { url: "https://shop.example.com/b" })).id);
    // Two one-minute monitors over 90 days: about 260,000 checks.
    const tooMany = await stats(`uptimeDetectorId=${a}&uptimeDetectorId=${b}&statsPeriod=90d&resolution=1d`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.detail).toMatch(
      /^statsPeriod: up to \d+ checks to read, at most 200000; ask for a shorter period or fewer uptimeDetectorId$/,
    );
    expect((await stats(`uptimeDetectorId=${a}&statsPeriod=90d&resolution=1d`)).status).toBe(200);
    expect((await stats(`uptimeDetectorId=${a}&uptimeDetectorId=${b}&statsPeriod=30d&resolution=1d`)).status).toBe(200);
    // With a day of retention, a week asked for is the last day's buckets.
    await env.DB.prepare("UPDATE projects SET retention_days = 1 WHERE id = ?").bind(org.projectId).run();
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const week = await stats(`uptimeDetectorId=${a}&since=${(hour - 7 * 86_400_000) / 1000}&until=${hour / 1000}&resolution=1h`);
    expect(week.status).toBe(200);
    const buckets = week.json[String(a)] as Array<[number, unknown]>;
    expect(buckets.length).toBeGreaterThanOrEqual(24);
    expect(buckets.length).toBeLessThanOrEqual(25);
    expect(buckets[0]![0] % 3600).toBe(0);
    // Now one day each: 2 × 1440 checks a day for 90 days asked, within the bound.
    expect((await stats(`uptimeDetectorId=${a}&uptimeDetectorId=${b}&statsPeriod=90d&resolution=1d`)).status).toBe(200);
  });
});
