import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { apiApp } from "../../../dashboard/api/api-app";
import { DAY, HOUR } from "../../../protocol/time";
import { seedHourly, seedIssue, seedIssueTag, seedOrganization, seedProjectIn } from "../../support/seed-issues";

const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);
const WINDOW = `start=${new Date(T0).toISOString()}&end=${new Date(T0 + 6 * HOUR).toISOString()}`;

async function get(path: string, token: string) {
  const ctx = createExecutionContext();
  const res = await apiApp.fetch(
    new Request(`http://dashboard.test/api/0${path}`, { headers: { authorization: `Bearer ${token}` } }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, json: (await res.json()) as any };
}

async function seedProjectHour(projectId: number, at: number, count: number): Promise<void> {
  await env.DB.prepare("INSERT INTO project_hourly (project_id, hour, count) VALUES (?, ?, ?)").bind(projectId, at, count).run();
}

describe("GET /organizations/{org}/events-stats/", () => {
  it("counts the organization's events per bucket, from the hourly rollups, in Sentry's series shape", async () => {
    const org = await seedOrganization();
    const second = await seedProjectIn(org.orgId, "zz-stats");
    await seedProjectHour(org.projectId, T0, 3);
    await seedProjectHour(org.projectId, T0 + 2 * HOUR, 4);
    await seedProjectHour(second, T0 + 2 * HOUR, 5);
    await seedProjectHour(second, T0 + 7 * HOUR, 100); // outside the window

    const hourly = await get(`/organizations/${org.orgSlug}/events-stats/?yAxis=count()&interval=1h&${WINDOW}`, org.token);
    expect(hourly.status).toBe(200);
    expect(hourly.json.data.map(([t, [{ count }]]: any) => [t * 1000 - T0, count])).toEqual([
      [0, 3],
      [HOUR, 0],
      [2 * HOUR, 9],
      [3 * HOUR, 0],
      [4 * HOUR, 0],
      [5 * HOUR, 0],
    ]);
    expect(hourly.json).toMatchObject({ start: T0 / 1000, end: (T0 + 6 * HOUR) / 1000, isMetricsData: false });

    const oneProject = await get(`/organizations/${org.orgSlug}/events-stats/?interval=3h&project=${second}&${WINDOW}`, org.token);
    expect(oneProject.json.data.map(([, [{ count }]]: any) => count)).toEqual([5, 0]);
  });

  it("counts only the matching issues' events for a query, and refuses what it cannot answer", async () => {
    const org = await seedOrganization();
    const fatal = await seedIssue(org.projectId, { level: "fatal", lastSeen: T0 + HOUR });
    const warning = await seedIssue(org.projectId, { level: "warning", lastSeen: T0 + HOUR });
    await seedHourly(fatal, T0 + HOUR, 2);
    await seedHourly(warning, T0 + HOUR, 7);
    const answer = await get(`/organizations/${org.orgSlug}/events-stats/?query=${encodeURIComponent("level:fatal")}&${WINDOW}`, org.token);
    expect(answer.json.data.map(([, [{ count }]]: any) => count)).toEqual([0, 2, 0, 0, 0, 0]);

    const other = await seedOrganization();
    for (const [query, detail] of [
      ["yAxis=p95()", 'yAxis: "p95()" is not supported (count() is)'],
      [`project=${other.projectId}`, `project: ${other.projectId} is not a project of this organization`],
      ["statsPeriod=forever", 'statsPeriod: "forever" is not a duration like 1h, 24h or 14d'],
      ["start=2026-01-01T00:00:00Z", "start and end: give both, or statsPeriod"],
    ]) {
      expect(await get(`/organizations/${org.orgSlug}/events-stats/?${query}`, org.token), query).toEqual({
        status: 400,
        json: { detail },
      });
    }
    expect((await get(`/organizations/${other.orgSlug}/events-stats/`, org.token)).status).toBe(404);
  });
});

describe("GET /organizations/{org}/events/?dataset=errors", () => {
  it("answers one row per issue with the fields asked for, sorted by count in the window", async () => {
    const org = await seedOrganization();
    const a = await seedIssue(org.projectId, { title: "TypeError: a", level: "error", lastSeen: T0 + HOUR, userCount: 4 });
    const b = await seedIssue(org.projectId, { title: "ValueError: b", level: "fatal", lastSeen: T0 + 2 * HOUR });
    const quiet = await seedIssue(org.projectId, { title: "Old", lastSeen: T0 + HOUR });
    await seedHourly(a, T0 + HOUR, 2);
    await seedHourly(b, T0 + 2 * HOUR, 5);
    await seedHourly(quiet, T0 - DAY, 50); // before the window

    const fields = ["title", "issue", "count()", "count_unique(user)", "level"].map((f) => `field=${encodeURIComponent(f)}`).join("&");
    const answer = await get(`/organizations/${org.orgSlug}/events/?dataset=errors&${fields}&${WINDOW}`, org.token);
    expect(answer.status).toBe(200);
    const short = (id: number) => `${org.projectSlug.toUpperCase()}-${id.toString(36).toUpperCase()}`;
    expect(answer.json.data).toEqual([
      { title: "ValueError: b", issue: short(b), "count()": 5, "count_unique(user)": 0, level: "fatal" },
      { title: "TypeError: a", issue: short(a), "count()": 2, "count_unique(user)": 4, level: "error" },
    ]);
    expect(answer.json.meta.fields).toEqual({
      title: "string",
      issue: "string",
      "count()": "integer",
      "count_unique(user)": "integer",
      level: "string",
    });

    const byTitle = await get(
      `/organizations/${org.orgSlug}/events/?field=title&field=count()&sort=title&query=Error&${WINDOW}`,
      org.token,
    );
    expect(byTitle.json.data.map((r: any) => r.title)).toEqual(["TypeError: a", "ValueError: b"]);
    expect(
      (await get(`/organizations/${org.orgSlug}/events/?field=title&field=count()&per_page=1&${WINDOW}`, org.token)).json.data,
    ).toHaveLength(1);
  });

  it("refuses fields, datasets and sorts it cannot answer with 400", async () => {
    const org = await seedOrganization();
    const base = `/organizations/${org.orgSlug}/events/`;
    expect((await get(`${base}?field=transaction.duration`, org.token)).json.detail).toMatch(
      /^field: "transaction.duration" is not supported/,
    );
    expect((await get(`${base}?dataset=spans&field=title`, org.token)).json.detail).toBe(
      'dataset: "spans" is not supported (errors and transactions are)',
    );
    // Transactions have fields of their own (test/dashboard-api/discover/transaction-discover.test.ts).
    expect((await get(`${base}?dataset=transactions&field=title`, org.token)).json.detail).toMatch(/^field: "title" is not supported/);
    expect((await get(`${base}?field=title&sort=-level`, org.token)).json.detail).toBe('sort: "-level" is not one of the fields');
    expect((await get(base, org.token)).status).toBe(400);
  });
});

describe("GET /organizations/{org}/stats_v2/", () => {
  it("groups accepted and refused items by category and outcome, per day", async () => {
    const org = await seedOrganization();
    const day = T0 - (T0 % DAY);
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO item_counts (project_id, day, item_type, count) VALUES (?, ?, 'event', 7), (?, ?, 'attachment', 2), (?, ?, 'event', 1)",
      ).bind(org.projectId, day, org.projectId, day, org.projectId, day + DAY),
      env.DB.prepare(
        "INSERT INTO rejected_envelopes (message_id, project_id, received_at, reason, detail) VALUES (?, ?, ?, 'malformed_event', 'x')",
      ).bind(crypto.randomUUID(), org.projectId, day + HOUR),
    ]);
    const range = `start=${new Date(day).toISOString()}&end=${new Date(day + 2 * DAY).toISOString()}&interval=1d`;
    const answer = await get(
      `/organizations/${org.orgSlug}/stats_v2/?field=sum(quantity)&groupBy=category&groupBy=outcome&${range}`,
      org.token,
    );
    expect(answer.status).toBe(200);
    expect(answer.json.intervals).toEqual([new Date(day).toISOString(), new Date(day + DAY).toISOString()]);
    const byKey = Object.fromEntries(answer.json.groups.map((g: any) => [`${g.by.category}/${g.by.outcome}`, g.series["sum(quantity)"]]));
    expect(byKey).toEqual({ "error/accepted": [7, 1], "attachment/accepted": [2, 0], "error/invalid": [1, 0] });

    const errorsOnly = await get(
      `/organizations/${org.orgSlug}/stats_v2/?field=sum(quantity)&category=error&outcome=accepted&${range}`,
      org.token,
    );
    expect(errorsOnly.json.groups).toEqual([{ by: {}, totals: { "sum(quantity)": 8 }, series: { "sum(quantity)": [7, 1] } }]);
    expect((await get(`/organizations/${org.orgSlug}/stats_v2/?interval=1h`, org.token)).status).toBe(400);
  });

  it("counts requests ingest refused: a 429 as rate_limited, a malformed or too large one as invalid", async () => {
    const org = await seedOrganization();
    const day = T0 - (T0 % DAY);
    await env.DB.prepare(
      `INSERT INTO ingest_refusals (project_id, hour, reason, count, status, detail, last_seen) VALUES
         (?1, ?2, 'invalid_json', 4, 400, 'x', ?2), (?1, ?2 + 3600000, 'too_large', 2, 413, 'x', ?2),
         (?1, ?2 + 86400000, 'rate_limited', 5, 429, 'x', ?2), (?1, ?2 - 3600000, 'invalid_json', 9, 400, 'x', ?2)`,
    )
      .bind(org.projectId, day)
      .run();
    const range = `start=${new Date(day).toISOString()}&end=${new Date(day + 2 * DAY).toISOString()}&interval=1d`;
    const answer = await get(
      `/organizations/${org.orgSlug}/stats_v2/?field=sum(quantity)&groupBy=outcome&groupBy=category&${range}`,
      org.token,
    );
    const byKey = Object.fromEntries(answer.json.groups.map((g: any) => [`${g.by.category}/${g.by.outcome}`, g.series["sum(quantity)"]]));
    // The day before the range is left out.
    expect(byKey).toEqual({ "error/invalid": [6, 0], "error/rate_limited": [0, 5] });
    const limited = await get(`/organizations/${org.orgSlug}/stats_v2/?field=sum(quantity)&outcome=rate_limited&${range}`, org.token);
    expect(limited.json.groups).toEqual([{ by: {}, totals: { "sum(quantity)": 5 }, series: { "sum(quantity)": [0, 5] } }]);
  });
});

describe("GET /organizations/{org}/tags/", () => {
  it("lists the tag keys of the organization's events with how many events carried each", async () => {
    const org = await seedOrganization();
    const issue = await seedIssue(org.projectId);
    await seedIssueTag(issue, "browser", "Firefox", 2);
    await seedIssueTag(issue, "browser", "Chrome", 3);
    await seedIssueTag(issue, "server_name", "web-1", 1);
    const answer = await get(`/organizations/${org.orgSlug}/tags/`, org.token);
    expect(answer.json).toEqual([
      { key: "browser", name: "Browser", totalValues: 5 },
      { key: "server_name", name: "Server Name", totalValues: 1 },
    ]);
  });
});
