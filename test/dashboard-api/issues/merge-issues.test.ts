import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { apiApp } from "../../../dashboard/api/api-app";
import { MERGE_STATEMENTS, mergePlan } from "../../../dashboard/api/issues/merge-issues";
import { HOUR } from "../../../protocol/time";
import {
  type SeededOrganization,
  fixtureEvent,
  randomEventId,
  recordEvents,
  seedIssue,
  seedOrganization,
  seedProjectIn,
} from "../../support/seed-issues";
import { type SeededUser, seedUser } from "../../support/seed-users";

// Sentry's merge (https://docs.sentry.io/api/events/bulk-mutate-a-list-of-issues/): the bulk PUT
// with {"merge": 1} folds the listed issues into the one seen most.

async function call(method: string, path: string, token: string, body?: unknown) {
  const ctx = createExecutionContext();
  const init: RequestInit = { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await apiApp.fetch(new Request(`http://dashboard.test/api/0${path}`, init), env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, json: text === "" ? null : JSON.parse(text) };
}

const get = (path: string, token: string) => call("GET", path, token);
const bulk = (org: SeededOrganization, ids: number[], body: unknown, token = org.token) =>
  call("PUT", `/projects/${org.orgSlug}/${org.projectSlug}/issues/?${ids.map((id) => `id=${id}`).join("&")}`, token, body);

async function tokenOf(orgId: number, user: SeededUser): Promise<string> {
  const token = `flt_user_${crypto.randomUUID().replaceAll("-", "")}`;
  const hash = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
  await env.DB.prepare("INSERT INTO api_tokens (organization_id, user_id, label, token_hash, created_at) VALUES (?, ?, 'mine', ?, ?)")
    .bind(orgId, user.userId, hash, Date.now())
    .run();
  return token;
}

async function rowsOf(sql: string, ...params: unknown[]) {
  return (
    await env.DB.prepare(sql)
      .bind(...params)
      .all<Record<string, unknown>>()
  ).results;
}

/** A node error seen three times by two users, and a browser error seen twice, one user shared. */
async function seedPair() {
  const org = await seedOrganization();
  const now = Date.now();
  const [node] = await recordEvents(org.projectId, [
    fixtureEvent("node-2", {
      timestamp: now - 5 * HOUR,
      eventId: randomEventId(),
      user: { id: "7" },
      release: "app@1.0.0",
      environment: "production",
    }),
    fixtureEvent("node-2", {
      timestamp: now - 4 * HOUR,
      eventId: randomEventId(),
      user: { id: "8" },
      release: "app@1.1.0",
      environment: "production",
    }),
    fixtureEvent("node-2", {
      timestamp: now - 3 * HOUR,
      eventId: randomEventId(),
      user: { id: "8" },
      release: "app@1.1.0",
      environment: "staging",
    }),
  ]);
  const [browser] = await recordEvents(org.projectId, [
    fixtureEvent("browser-2", {
      timestamp: now - 9 * HOUR,
      eventId: randomEventId(),
      user: { id: "7" },
      release: "app@0.9.0",
      environment: "production",
    }),
    fixtureEvent("browser-2", {
      timestamp: now - HOUR,
      eventId: randomEventId(),
      user: { id: "9" },
      release: "app@1.2.0",
      environment: "production",
    }),
  ]);
  return { org, node: node!, browser: browser!, now };
}

describe("mergePlan", () => {
  it("makes the issue seen most the parent, the highest id among equals, as Sentry does", () => {
    expect(
      mergePlan([
        { id: 1, timesSeen: 5 },
        { id: 2, timesSeen: 9 },
        { id: 3, timesSeen: 1 },
      ]),
    ).toEqual({ parent: 2, children: [1, 3] });
    expect(
      mergePlan([
        { id: 4, timesSeen: 2 },
        { id: 6, timesSeen: 2 },
        { id: 5, timesSeen: 2 },
      ]),
    ).toEqual({ parent: 6, children: [5, 4] });
  });
});

describe("PUT /projects/{org}/{project}/issues/?id=..&id=.. with merge", () => {
  it("folds the children into the parent: events, counts, sightings, users, tags, buckets, comments; the child is gone", async () => {
    const { org, node, browser, now } = await seedPair();
    const member = await seedUser(org.orgId, "member");
    const memberToken = await tokenOf(org.orgId, member);
    await call("POST", `/issues/${browser}/comments/`, memberToken, { text: "same bug as the node one?" });
    await call("PUT", `/issues/${browser}/`, org.token, { assignedTo: member.email });
    const hoursBefore = await rowsOf("SELECT sum(count) AS n FROM issue_hourly WHERE issue_id IN (?, ?)", node, browser);

    const answer = await bulk(org, [browser, node], { merge: 1 }, memberToken);
    expect(answer).toEqual({ status: 200, json: { merge: { parent: String(node), children: [String(browser)] } } });

    const parent = (await get(`/issues/${node}/`, org.token)).json;
    expect(parent).toMatchObject({
      count: "5",
      userCount: 3,
      firstSeen: new Date(now - 9 * HOUR).toISOString(),
      lastSeen: new Date(now - HOUR).toISOString(),
      firstRelease: { version: "app@0.9.0" },
      lastRelease: { version: "app@1.2.0" },
      numComments: 1,
      // It had no assignee: it takes the child's.
      assignedTo: { email: member.email },
    });
    const environment = parent.tags.find((t: { key: string }) => t.key === "environment");
    expect(environment.topValues.map((v: { value: string; count: number }) => [v.value, v.count])).toEqual([
      ["production", 4],
      ["staging", 1],
    ]);
    expect((await get(`/issues/${node}/events/`, org.token)).json).toHaveLength(5);
    expect(await rowsOf("SELECT sum(count) AS n FROM issue_hourly WHERE issue_id = ?", node)).toEqual(hoursBefore);
    const trail = parent.activity.map((a: { type: string; data: unknown; user: { id: string } | null }) => [
      a.type,
      a.data,
      a.user?.id ?? null,
    ]);
    expect(trail.slice(0, 1)).toEqual([["merge", { issues: [{ id: browser }] }, String(member.userId)]]);
    expect(trail.map((t: unknown[]) => t[0])).toContain("note");

    // The child answers 404 everywhere, and nothing of it is left.
    expect((await get(`/issues/${browser}/`, org.token)).status).toBe(404);
    expect((await get(`/issues/${browser}/events/`, org.token)).status).toBe(404);
    for (const table of ["events", "issue_hourly", "issue_tags", "issue_users", "issue_activity"])
      expect(await rowsOf(`SELECT count(*) AS n FROM ${table} WHERE issue_id = ?`, browser), table).toEqual([{ n: 0 }]);
    const stream = (await get(`/projects/${org.orgSlug}/${org.projectSlug}/issues/?query=`, org.token)).json;
    expect(stream.map((i: { id: string }) => Number(i.id))).toEqual([node]);
    // Its fingerprint now names the parent.
    expect(await rowsOf("SELECT issue_id FROM issue_merges WHERE project_id = ?", org.projectId)).toEqual([{ issue_id: node }]);
  });

  it("merges a parent on: the fingerprints merged into it follow it", async () => {
    const org = await seedOrganization();
    const [a, b, c] = [
      await seedIssue(org.projectId, { timesSeen: 2 }),
      await seedIssue(org.projectId, { timesSeen: 1 }),
      await seedIssue(org.projectId, { timesSeen: 9 }),
    ];
    await bulk(org, [a, b], { merge: true });
    expect((await bulk(org, [c, a], { merge: "1" })).json).toEqual({ merge: { parent: String(c), children: [String(a)] } });
    expect(await rowsOf("SELECT issue_id AS i FROM issue_merges WHERE project_id = ? ORDER BY i", org.projectId)).toEqual([
      { i: c },
      { i: c },
    ]);
    expect((await get(`/issues/${c}/`, org.token)).json.count).toBe("12");
  });

  it.each([
    ["one issue", (ids: number[]) => ids.slice(0, 1), { merge: 1 }, "merge: needs two issues of the project or more"],
    ["no ids", () => [], { merge: 1 }, "merge: list the issues to merge (?id=...&id=...)"],
    ["a status too", (ids: number[]) => ids, { merge: 1, status: "resolved" }, "merge: give it alone, not with status"],
    ["an assignee too", (ids: number[]) => ids, { merge: 1, assignedTo: "" }, "merge: give it alone, not with assignedTo"],
    ["merge: yes", (ids: number[]) => ids, { merge: "yes" }, "merge: Invalid input"],
  ])("refuses %s with a 400, merging nothing", async (_what, pick, body, detail) => {
    const { org, node, browser } = await seedPair();
    const answer = await bulk(org, pick([node, browser]), body);
    expect(answer.status).toBe(400);
    expect(answer.json.detail).toContain(detail);
    expect(await rowsOf("SELECT count(*) AS n FROM issues WHERE id IN (?, ?)", node, browser)).toEqual([{ n: 2 }]);
  });

  it("merges only the project's issues: another project's are left alone, and none of them is a 204", async () => {
    const { org, node, browser } = await seedPair();
    const sibling = await seedIssue(await seedProjectIn(org.orgId, "sibling-merge"), { timesSeen: 50 });
    expect((await bulk(org, [node, browser, sibling], { merge: 1 })).json).toEqual({
      merge: { parent: String(node), children: [String(browser)] },
    });
    expect(await rowsOf("SELECT times_seen AS n FROM issues WHERE id = ?", sibling)).toEqual([{ n: 50 }]);
    const other = await seedOrganization();
    const foreign = [await seedIssue(other.projectId), await seedIssue(other.projectId)];
    expect(await bulk(org, foreign, { merge: 1 })).toEqual({ status: 204, json: null });
    // Another organization's token finds no such project.
    expect((await bulk(org, [node, sibling], { merge: 1 }, other.token)).status).toBe(404);
    expect(await rowsOf("SELECT count(*) AS n FROM issues WHERE id IN (?, ?)", ...foreign)).toEqual([{ n: 2 }]);
  });

  it("is no single issue's change: PUT /issues/{id}/ with merge is a 400", async () => {
    const { org, node } = await seedPair();
    const answer = await call("PUT", `/issues/${node}/`, org.token, { merge: 1 });
    expect(answer.status).toBe(400);
    expect(answer.json.detail).toMatch(/^merge: merges two issues or more/);
  });
});

describe("the merge's statements", () => {
  it("find every child row through an index, reading no table that grows with events whole", async () => {
    const values = [1, "[2,3]", 1, Date.now(), null, "merge:plan"];
    for (const sql of MERGE_STATEMENTS) {
      const highest = Math.max(0, ...[...sql.matchAll(/\?(\d+)/g)].map((m) => Number(m[1])));
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...values.slice(0, highest))
        .all<{ detail: string }>();
      const details = plan.results.map((r) => r.detail);
      expect(
        details.filter((d) => /^SCAN (events|issues|issue_\w+)\b/.test(d)),
        `${sql}\n${details.join("\n")}`,
      ).toEqual([]);
    }
  });
});
