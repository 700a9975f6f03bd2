import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BatchWrite } from "../../../queue-consumer/digest/batch-write";
import {
  type PreparedSessionUpdate,
  prepareSessionAggregate,
  prepareSessionUpdate,
} from "../../../queue-consumer/digest/items/session/prepare-session";
import { addSessionStatements } from "../../../queue-consumer/digest/items/session/session-statements";
import { call, releasePath } from "../../support/release-api";
import { seedOrganization } from "../../support/seed-issues";

const HOUR = 3_600_000;
// The clock the API reads (Date is faked): half past an hour.
const NOW = Date.UTC(2026, 11, 7, 12, 30, 0);
beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ["Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Sessions as the digest writes them: `counts` of each final status, a user per session unless `users` says how many. */
async function digestSessions(
  projectId: number,
  release: string,
  at: number,
  counts: { exited?: number; errored?: number; crashed?: number; abnormal?: number },
  environment = "production",
): Promise<void> {
  const updates: PreparedSessionUpdate[] = [];
  let n = 0;
  for (const [status, count] of Object.entries(counts)) {
    for (let i = 0; i < count; i++) {
      n += 1;
      const fields = { sid: crypto.randomUUID(), did: `${release}-user-${n % 4}`, started: new Date(at).toISOString(), init: true, seq: 1 };
      const attrs = { release, environment };
      updates.push(
        await prepareSessionUpdate({ ...fields, status: "ok", attrs }, { projectId, receivedAt: at, messageId: "m", itemIndex: 0 }),
      );
      updates.push(
        await prepareSessionUpdate(
          { ...fields, init: false, seq: 2, status: status === "errored" ? "exited" : status, errors: status === "errored" ? 1 : 0, attrs },
          { projectId, receivedAt: at, messageId: "m", itemIndex: 0 },
        ),
      );
    }
  }
  const batch = new BatchWrite(env.DB, at);
  addSessionStatements(batch, updates, []);
  await batch.commit();
}

describe("release health on releases", () => {
  it("gives each project's healthData with ?health=1: exact crash-free rates, users and adoption", async () => {
    const org = await seedOrganization();
    // 16 sessions of release 2.0 (3 crashed, 2 errored) and 4 of 1.0, in the last hours.
    await digestSessions(org.projectId, "shop@2.0.0", NOW - 2 * HOUR, { exited: 6, errored: 2, crashed: 3 });
    await digestSessions(org.projectId, "shop@2.0.0", NOW - HOUR, { exited: 5 });
    await digestSessions(org.projectId, "shop@1.0.0", NOW - 3 * HOUR, { exited: 4 });
    // Older than the summary's 24 hours: counted in 14d, not in 24h.
    await digestSessions(org.projectId, "shop@2.0.0", NOW - 30 * HOUR, { crashed: 1 });

    const { status, json } = await call("GET", `${releasePath(org.orgSlug, "shop@2.0.0")}?health=1&project=${org.projectId}`, org.token);
    expect(status).toBe(200);
    const [project] = json.projects;
    expect(project).toMatchObject({ id: org.projectId, hasHealthData: true });
    expect(project.healthData).toMatchObject({
      totalSessions: 16,
      sessionsCrashed: 3,
      sessionsErrored: 2,
      crashFreeSessions: 81.25,
      // Users 0..3 of the release; three of the crashed sessions' users.
      totalUsers: 4,
      crashFreeUsers: 25,
      adoption: 80,
      totalSessions24h: 16,
      totalProjectSessions24h: 20,
      hasHealthData: true,
    });
    expect(project.healthData.stats["24h"]).toHaveLength(24);
    expect(project.healthData.stats["24h"].reduce((sum: number, [, n]: [number, number]) => sum + n, 0)).toBe(16);

    const wider = await call("GET", `${releasePath(org.orgSlug, "shop@2.0.0")}?health=1&summaryStatsPeriod=14d`, org.token);
    expect(wider.json.projects[0].healthData).toMatchObject({
      totalSessions: 17,
      sessionsCrashed: 4,
      crashFreeSessions: 100 - (100 * 4) / 17,
    });
  });

  it("says hasHealthData without ?health=1, and gives healthData in the list with it", async () => {
    const org = await seedOrganization();
    await digestSessions(org.projectId, "api@3.1.0", NOW - HOUR, { exited: 3, crashed: 1 });
    const plain = await call("GET", releasePath(org.orgSlug, "api@3.1.0"), org.token);
    expect(plain.json.projects[0].hasHealthData).toBe(true);
    expect(plain.json.projects[0]).not.toHaveProperty("healthData");
    const list = await call("GET", `/organizations/${org.orgSlug}/releases/?health=1`, org.token);
    expect(list.json.map((r: any) => [r.version, r.projects[0].healthData.crashFreeSessions])).toEqual([["api@3.1.0", 75]]);
  });

  it("refuses a summaryStatsPeriod Sentry does not offer", async () => {
    const org = await seedOrganization();
    await digestSessions(org.projectId, "api@1", NOW - HOUR, { exited: 1 });
    const { status } = await call("GET", `${releasePath(org.orgSlug, "api@1")}?health=1&summaryStatsPeriod=5y`, org.token);
    expect(status).toBe(400);
  });
});

describe("GET /api/0/organizations/{org}/sessions/", () => {
  it("answers sessions and users by release and status in Sentry's shape", async () => {
    const org = await seedOrganization();
    await digestSessions(org.projectId, "web@1.0", NOW - 2 * HOUR, { exited: 2, crashed: 1 });
    await digestSessions(org.projectId, "web@1.1", NOW - HOUR, { exited: 3, errored: 1, abnormal: 1 });
    const { status, json } = await call(
      "GET",
      `/organizations/${org.orgSlug}/sessions/?field=sum(session)&field=count_unique(user)&groupBy=release&groupBy=session.status&interval=1h&statsPeriod=24h`,
      org.token,
    );
    expect(status).toBe(200);
    // From the hour 24 hours ago to the end of the current hour.
    expect(json.intervals).toHaveLength(25);
    expect(json.start).toBe(new Date(NOW - 24 * HOUR - HOUR / 2).toISOString().replace(".000", ""));
    expect(json.end).toBe(new Date(NOW + HOUR / 2).toISOString().replace(".000", ""));
    const byStatus = (release: string) =>
      Object.fromEntries(
        json.groups.filter((g: any) => g.by.release === release).map((g: any) => [g.by["session.status"], g.totals["sum(session)"]]),
      );
    expect(byStatus("web@1.0")).toEqual({ healthy: 2, errored: 0, abnormal: 0, crashed: 1 });
    expect(byStatus("web@1.1")).toEqual({ healthy: 3, errored: 1, abnormal: 1, crashed: 0 });
    const crashed = json.groups.find((g: any) => g.by.release === "web@1.0" && g.by["session.status"] === "crashed");
    expect(crashed.totals["count_unique(user)"]).toBe(1);
    expect(crashed.series["sum(session)"][22]).toBe(1);
    expect(crashed.series["sum(session)"].reduce((a: number, b: number) => a + b, 0)).toBe(1);
  });

  it("answers crash-free rates for a release named in the query, and refuses what it cannot answer", async () => {
    const org = await seedOrganization();
    await digestSessions(org.projectId, "app@2", NOW - HOUR, { exited: 3, crashed: 1 });
    await digestSessions(org.projectId, "app@3", NOW - HOUR, { exited: 1 });
    const path = `/organizations/${org.orgSlug}/sessions/`;
    const { json } = await call(
      "GET",
      `${path}?field=crash_free_rate(session)&field=sum(session)&query=release:"app@2"&statsPeriod=24h`,
      org.token,
    );
    expect(json.groups).toEqual([{ by: {}, totals: { "crash_free_rate(session)": 0.75, "sum(session)": 4 }, series: expect.any(Object) }]);
    expect((await call("GET", `${path}?field=sum(session)&interval=30m`, org.token)).status).toBe(400);
    expect((await call("GET", `${path}?field=p50(session.duration)`, org.token)).status).toBe(400);
    expect((await call("GET", `${path}?field=crash_free_rate(session)&groupBy=session.status`, org.token)).status).toBe(400);
    expect((await call("GET", `${path}?field=sum(session)&interval=1h&statsPeriod=90d`, org.token)).status).toBe(400);
    expect((await call("GET", `${path}?field=sum(session)&query=transaction:x`, org.token)).status).toBe(400);
    const other = await seedOrganization();
    expect((await call("GET", `${path}?field=sum(session)&project=${other.projectId}`, org.token)).status).toBe(403);
  });

  it("answers per environment for a version with spaces and a plus, as the release page asks", async () => {
    const org = await seedOrganization();
    await digestSessions(org.projectId, "shop@2.4.0+build 7", NOW - HOUR, { exited: 1 });
    const params = new URLSearchParams([
      ["field", "sum(session)"],
      ["field", "crash_free_rate(session)"],
      ["field", "count_unique(user)"],
      ["field", "crash_free_rate(user)"],
      ["groupBy", "environment"],
      ["interval", "24h"],
      ["statsPeriod", "48h"],
      ["query", 'release:"shop@2.4.0+build 7"'],
    ]);
    const { status, json } = await call("GET", `/organizations/${org.orgSlug}/sessions/?${params}`, org.token);
    expect(status).toBe(200);
    expect(json.groups).toMatchObject([
      { by: { environment: "production" }, totals: { "sum(session)": 1, "crash_free_rate(session)": 1 } },
    ]);
  });

  it("counts request-mode aggregates with the sessions", async () => {
    const org = await seedOrganization();
    const aggregate = await prepareSessionAggregate(
      {
        aggregates: [{ started: new Date(NOW - HOUR).toISOString(), exited: 9, crashed: 1 }],
        attrs: { release: "django@1", environment: "production" },
      },
      { projectId: org.projectId, receivedAt: NOW, messageId: "agg-1", itemIndex: 0 },
    );
    const batch = new BatchWrite(env.DB, NOW);
    addSessionStatements(batch, [], [aggregate]);
    await batch.commit();
    const { json } = await call("GET", `${releasePath(org.orgSlug, "django@1")}?health=1`, org.token);
    expect(json.projects[0].healthData).toMatchObject({
      totalSessions: 10,
      sessionsCrashed: 1,
      crashFreeSessions: 90,
      totalUsers: 0,
      crashFreeUsers: null,
    });
  });
});
