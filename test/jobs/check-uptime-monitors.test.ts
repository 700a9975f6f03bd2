import { createScheduledController, env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../../faultline-worker";
import {
  DUE_UPTIME_MONITORS,
  type UptimeJobDeps,
  checkRowOf,
  checkUptimeMonitors,
  mapBounded,
  nextDueAfter,
  persistUptimeChecks,
} from "../../queue-consumer/jobs/check-uptime-monitors";
import { insertRule, recordingQueue } from "../support/seed-alerts";
import { seedProject } from "../support/seed";
import { countRowsRead } from "../support/count-rows-read";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 7, 3, 0, 0);

interface MonitorSpec {
  url?: string;
  interval?: number;
  failureThreshold?: number;
  recoveryThreshold?: number;
  keyword?: string | null;
  timeoutMs?: number;
  status?: "active" | "disabled";
  nextDueAt?: number;
}

async function insertMonitor(projectId: number, spec: MonitorSpec = {}): Promise<number> {
  const row = await env.DB.prepare(
    `INSERT INTO uptime_monitors (project_id, name, url, method, timeout_ms, interval_seconds, body_keyword, status, failure_threshold,
       recovery_threshold, next_due_at, date_created)
     VALUES (?, 'Shop', ?, 'GET', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  )
    .bind(
      projectId,
      spec.url ?? "https://shop.example.com/health",
      spec.timeoutMs ?? 5000,
      spec.interval ?? 60,
      spec.keyword ?? null,
      spec.status ?? "active",
      spec.failureThreshold ?? 3,
      spec.recoveryThreshold ?? 1,
      spec.nextDueAt ?? T0,
      T0,
    )
    .first<{ id: number }>();
  return row!.id;
}

/** A due monitor as the job reads it: the insertMonitor defaults, due at `at`. */
function dueMonitor(id: number, projectId: number, at: number) {
  return {
    id,
    project_id: projectId,
    name: "Shop",
    url: "https://shop.example.com/health",
    method: "GET" as const,
    expected_status_min: 200,
    expected_status_max: 299,
    timeout_ms: 5000,
    interval_seconds: 60,
    body_keyword: null,
    environment: "production",
    next_due_at: at,
  };
}

/** A target whose answer the test sets; counts its requests. */
function target(initial: number) {
  let status = initial;
  const requests: string[] = [];
  return {
    requests,
    set: (s: number) => {
      status = s;
    },
    fetch: async (request: Request) => {
      requests.push(request.url);
      return new Response(status === 200 ? "all good" : "down", { status });
    },
  };
}

async function run(at: number, deps: Partial<UptimeJobDeps>, alerts = recordingQueue()) {
  const result = await checkUptimeMonitors({ ...env, ALERTS: alerts.queue }, at, { clock: () => at, ...deps });
  return { result, alerts };
}

async function checks(monitorId: number) {
  const { results } = await env.DB.prepare(
    "SELECT scheduled_at, status, http_status, reason, incident FROM uptime_checks WHERE monitor_id = ? ORDER BY scheduled_at",
  )
    .bind(monitorId)
    .all<{ scheduled_at: number; status: string; http_status: number | null; reason: string | null; incident: string | null }>();
  return results;
}

async function monitor(id: number) {
  return env.DB.prepare("SELECT uptime_status, consecutive_failures, consecutive_successes, next_due_at FROM uptime_monitors WHERE id = ?")
    .bind(id)
    .first<{ uptime_status: string; consecutive_failures: number; consecutive_successes: number; next_due_at: number }>();
}

async function issues(projectId: number) {
  const { results } = await env.DB.prepare("SELECT title, status, times_seen FROM issues WHERE project_id = ? ORDER BY id")
    .bind(projectId)
    .all<{ title: string; status: string; times_seen: number }>();
  return results;
}

beforeEach(async () => {
  // Each test's monitors only: the job reads every project's.
  await env.DB.prepare("UPDATE uptime_monitors SET status = 'disabled'").run();
});

describe("nextDueAfter", () => {
  it("moves one interval on, or past a long pause to the first time after now on the same cadence", () => {
    expect(nextDueAfter(T0, MINUTE, T0)).toBe(T0 + MINUTE);
    expect(nextDueAfter(T0, MINUTE, T0 + MINUTE - 1)).toBe(T0 + MINUTE);
    expect(nextDueAfter(T0, MINUTE, T0 + MINUTE)).toBe(T0 + 2 * MINUTE);
    expect(nextDueAfter(T0, 5 * MINUTE, T0 + 61 * MINUTE + 7)).toBe(T0 + 65 * MINUTE);
  });
});

describe("mapBounded", () => {
  it("runs at most the limit at once and keeps the order", async () => {
    let running = 0;
    let most = 0;
    const out = await mapBounded([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3, async (n) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, n % 3));
      running -= 1;
      return n * 2;
    });
    expect(out).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(most).toBe(3);
  });
});

describe("the uptime minute job", () => {
  it("opens an issue after the failure threshold, alerts once, and resolves it on recovery", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, { triggers: [{ type: "new_issue" }] });
    const id = await insertMonitor(projectId, { failureThreshold: 3, recoveryThreshold: 2 });
    const site = target(503);

    await run(T0, { fetch: site.fetch });
    await run(T0 + MINUTE, { fetch: site.fetch });
    expect(await issues(projectId)).toEqual([]);
    expect(await monitor(id)).toMatchObject({ uptime_status: "ok", consecutive_failures: 2 });
    const third = await run(T0 + 2 * MINUTE, { fetch: site.fetch });
    expect(third.result).toEqual({ checked: 1, failed: 1 });
    expect(await issues(projectId)).toEqual([{ title: "Uptime failure: Shop", status: "unresolved", times_seen: 1 }]);
    expect(await monitor(id)).toMatchObject({ uptime_status: "failed", consecutive_failures: 3, next_due_at: T0 + 3 * MINUTE });
    expect(third.alerts.sent.filter((m) => m.kind === "deliver")).toHaveLength(1);
    const firings = await env.DB.prepare("SELECT count(*) AS n FROM alert_firings WHERE rule_id = ?").bind(ruleId).first<{ n: number }>();
    expect(firings?.n).toBe(1);

    // Down still: each failure adds an event to the open issue.
    await run(T0 + 3 * MINUTE, { fetch: site.fetch });
    expect(await issues(projectId)).toEqual([{ title: "Uptime failure: Shop", status: "unresolved", times_seen: 2 }]);

    // Up again: resolved after two successes.
    site.set(200);
    await run(T0 + 4 * MINUTE, { fetch: site.fetch });
    expect((await issues(projectId))[0]?.status).toBe("unresolved");
    await run(T0 + 5 * MINUTE, { fetch: site.fetch });
    expect(await issues(projectId)).toEqual([{ title: "Uptime failure: Shop", status: "resolved", times_seen: 2 }]);
    expect(await monitor(id)).toMatchObject({ uptime_status: "ok", consecutive_failures: 0, consecutive_successes: 2 });
    expect((await checks(id)).map((c) => [c.status, c.incident])).toEqual([
      ["error", null],
      ["error", null],
      ["error", "failure"],
      ["error", "failure"],
      ["ok", null],
      ["ok", "recovery"],
    ]);
    expect((await checks(id))[0]).toMatchObject({ scheduled_at: T0, http_status: 503, reason: "status 503, expected 200–299" });
    expect(site.requests).toHaveLength(6);
  });

  it("checks a monitor once when two runs meet, and records nothing more when the minute is run again", async () => {
    const { projectId } = await seedProject();
    const id = await insertMonitor(projectId, { failureThreshold: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const slow = async () => {
      calls += 1;
      await gate;
      return new Response("down", { status: 500 });
    };
    const both = Promise.all([run(T0, { fetch: slow }), run(T0, { fetch: slow })]);
    await new Promise((r) => setTimeout(r, 50));
    release();
    const [a, b] = await both;
    expect(a.result.checked + b.result.checked).toBe(1);
    expect(calls).toBe(1);
    await run(T0, { fetch: slow });
    expect(calls).toBe(1);
    expect(await checks(id)).toHaveLength(1);
    expect(await issues(projectId)).toEqual([{ title: "Uptime failure: Shop", status: "unresolved", times_seen: 1 }]);
  });

  it("writes a check, its streak and its event once when the same write is made twice", async () => {
    const { projectId } = await seedProject();
    const id = await insertMonitor(projectId, { failureThreshold: 1 });
    const due = dueMonitor(id, projectId, T0);
    const { row, event } = await checkRowOf(due, { status: "error", httpStatus: 502, latencyMs: 12, reason: "status 502" }, T0);
    const first = await persistUptimeChecks(env.DB, [row], [event!], T0);
    const second = await persistUptimeChecks(env.DB, [row], [event!], T0);
    expect(first.newIssueIds).toHaveLength(1);
    expect(second.newIssueIds).toEqual([]);
    expect(second.touchedIssueIds).toEqual([]);
    expect(await checks(id)).toHaveLength(1);
    expect(await monitor(id)).toMatchObject({ consecutive_failures: 1, uptime_status: "failed" });
    expect(await issues(projectId)).toEqual([{ title: "Uptime failure: Shop", status: "unresolved", times_seen: 1 }]);
  });

  it("reads only this run's checks, however many a monitor has kept", async () => {
    const { projectId } = await seedProject();
    const id = await insertMonitor(projectId, { failureThreshold: 1 });
    // Two days of checks a minute apart, as retention keeps far more.
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2880)
       INSERT INTO uptime_checks (monitor_id, scheduled_at, date_created, status, http_status, duration_ms, changed_by_run)
       SELECT ?1, ?2 - n.i * 60000, ?2 - n.i * 60000, 'ok', 200, 40, 'earlier' FROM n`,
    )
      .bind(id, T0)
      .run();
    const { db: counted, counter } = countRowsRead(env.DB);
    const write = async (at: number, status: "ok" | "error") => {
      const result = { status, httpStatus: status === "ok" ? 200 : 502, latencyMs: 12, reason: status === "ok" ? null : "status 502" };
      const { row, event } = await checkRowOf(dueMonitor(id, projectId, at), result, at);
      counter.rowsRead = 0;
      await persistUptimeChecks(counted, [row], event ? [event] : [], at);
      return counter.rowsRead;
    };

    // A failure that opens the issue (threshold 1), then the success that resolves it.
    const failing = await write(T0, "error");
    const recovering = await write(T0 + MINUTE, "ok");
    expect(await issues(projectId)).toEqual([{ title: "Uptime failure: Shop", status: "resolved", times_seen: 1 }]);
    expect((await checks(id)).slice(-2).map((c) => c.incident)).toEqual(["failure", "recovery"]);
    expect(failing).toBeLessThan(2880);
    expect(recovering).toBeLessThan(2880);
  });

  it("records a target that hangs, redirects forever or answers an endless body as a failure, and goes on", async () => {
    const { projectId } = await seedProject();
    const hang = await insertMonitor(projectId, { url: "https://hang.example.com/", timeoutMs: 1000 });
    const loop = await insertMonitor(projectId, { url: "https://loop.example.com/" });
    const huge = await insertMonitor(projectId, { url: "https://huge.example.com/", keyword: "never there" });
    const fine = await insertMonitor(projectId, { url: "https://fine.example.com/" });
    let bytesServed = 0;
    const fetchTarget = async (request: Request) => {
      const host = new URL(request.url).host;
      if (host === "hang.example.com") return new Promise<Response>(() => {});
      if (host === "loop.example.com") return new Response(null, { status: 302, headers: { location: "/again" } });
      if (host === "huge.example.com") {
        const chunk = new Uint8Array(64 * 1024).fill(97);
        return new Response(
          new ReadableStream({
            pull(controller) {
              bytesServed += chunk.byteLength;
              controller.enqueue(chunk);
            },
          }),
        );
      }
      return new Response("ok");
    };
    const { result } = await run(T0, { fetch: fetchTarget, clock: Date.now });
    expect(result).toEqual({ checked: 4, failed: 3 });
    expect((await checks(hang))[0]).toMatchObject({ status: "error", http_status: null, reason: "no answer within 1000 ms" });
    expect((await checks(loop))[0]).toMatchObject({ status: "error", http_status: 302, reason: "more than 5 redirects" });
    expect((await checks(huge))[0]).toMatchObject({ status: "error", http_status: 200 });
    expect((await checks(huge))[0]?.reason).toContain("do not contain the keyword");
    expect(bytesServed).toBeLessThan(2 * 1024 * 1024);
    expect((await checks(fine))[0]).toMatchObject({ status: "ok", http_status: 200, reason: null });
  });

  it("records each check alone when the minute's write fails as a whole", async () => {
    const { projectId } = await seedProject();
    const up = await insertMonitor(projectId, { url: "https://up.example.com/" });
    const down = await insertMonitor(projectId, { url: "https://down.example.com/", failureThreshold: 1 });
    let batches = 0;
    const flaky = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "batch")
          return async (statements: D1PreparedStatement[]) => {
            batches += 1;
            if (batches === 1) throw new Error("D1 is busy");
            return target.batch(statements);
          };
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const fetchTarget = async (request: Request) => new Response("", { status: request.url.includes("down") ? 500 : 200 });
    const alerts = recordingQueue();
    const result = await checkUptimeMonitors({ ...env, DB: flaky, ALERTS: alerts.queue }, T0, { fetch: fetchTarget, clock: () => T0 });
    expect(result).toEqual({ checked: 2, failed: 1 });
    expect(batches).toBe(3);
    expect((await checks(up)).map((c) => c.status)).toEqual(["ok"]);
    expect((await checks(down)).map((c) => [c.status, c.incident])).toEqual([["error", "failure"]]);
    expect(await issues(projectId)).toEqual([{ title: "Uptime failure: Shop", status: "unresolved", times_seen: 1 }]);
  });

  it("refuses a private target at check time outside local development, without requesting it", async () => {
    const { projectId } = await seedProject();
    const id = await insertMonitor(projectId, { url: "http://127.0.0.1:8080/health" });
    const site = target(200);
    await run(T0, { fetch: site.fetch });
    expect(site.requests).toEqual([]);
    expect((await checks(id))[0]).toMatchObject({ status: "error", reason: "127.0.0.1 is a loopback, private or internal address" });

    const local = await insertMonitor(projectId, { url: "http://127.0.0.1:8080/health" });
    await checkUptimeMonitors({ ...env, ALERTS: recordingQueue().queue, UPTIME_ALLOW_PRIVATE_TARGETS: "1" }, T0 + MINUTE, {
      fetch: site.fetch,
      clock: () => T0,
    });
    expect((await checks(local))[0]).toMatchObject({ status: "ok" });
  });

  it("checks only active due monitors, oldest due first, at most the limit per run", async () => {
    const { projectId } = await seedProject();
    const late = await insertMonitor(projectId, { nextDueAt: T0 - 5 * MINUTE, url: "https://a.example.com/" });
    const later = await insertMonitor(projectId, { nextDueAt: T0 - MINUTE, url: "https://b.example.com/" });
    await insertMonitor(projectId, { nextDueAt: T0 + MINUTE, url: "https://future.example.com/" });
    await insertMonitor(projectId, { status: "disabled", url: "https://off.example.com/" });
    const site = target(200);
    await run(T0, { fetch: site.fetch, limit: 1 });
    expect(site.requests).toEqual(["https://a.example.com/"]);
    // Overdue by five minutes: the next check is the next minute, not five to catch up.
    expect((await monitor(late))?.next_due_at).toBe(T0 + MINUTE);
    await run(T0, { fetch: site.fetch });
    expect(site.requests).toEqual(["https://a.example.com/", "https://b.example.com/"]);
    expect((await monitor(later))?.next_due_at).toBe(T0 + MINUTE);
  });

  it("finds due monitors and this run's checks through indexes", async () => {
    const plan = async (sql: string, ...params: unknown[]) =>
      (
        await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .bind(...params)
          .all<{ detail: string }>()
      ).results
        .map((r) => r.detail)
        .join("; ");
    expect(await plan(DUE_UPTIME_MONITORS, T0, 10)).toContain("USING INDEX uptime_monitors_by_due");
    expect(
      await plan(
        "SELECT c.id FROM json_each(?1) r CROSS JOIN uptime_checks c WHERE c.monitor_id = r.value ->> 'm' AND c.scheduled_at = r.value ->> 's' AND c.changed_by_run = ?2",
        "[]",
        "run",
      ),
    ).toContain("USING INDEX uptime_checks_monitor_id_scheduled_at_unique");
  });

  it("runs from the Worker's minute trigger", async () => {
    const { projectId } = await seedProject();
    const id = await insertMonitor(projectId, { url: "http://10.0.0.1/" });
    await worker.scheduled(createScheduledController({ scheduledTime: T0, cron: "* * * * *" }), {
      ...env,
      ALERTS: recordingQueue().queue,
    });
    expect((await checks(id))[0]).toMatchObject({ status: "error", reason: "10.0.0.1 is a loopback, private or internal address" });
  });
});
