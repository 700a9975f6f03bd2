import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { apiApp } from "../../../dashboard/api/api-app";
import { DAY, HOUR } from "../../../protocol/time";
import {
  type SeededOrganization,
  fixtureEvent,
  recordEvents,
  seedHourly,
  seedIssue,
  seedIssueTag,
  seedOrganization,
  seedProjectIn,
  seedRelease,
} from "../../support/seed-issues";

// The clock the API reads (Date is faked): 12:30 UTC, so hour and day buckets are predictable.
const NOW = Date.UTC(2026, 10, 22, 12, 30, 0);

beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ["Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

interface Answer {
  status: number;
  link: string | null;
  json: any;
}

async function call(method: string, path: string, token: string, body?: unknown): Promise<Answer> {
  const ctx = createExecutionContext();
  const init: RequestInit = { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const res = await apiApp.fetch(new Request(`http://dashboard.test/api/0${path}`, init), env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, link: res.headers.get("link"), json: text === "" ? null : JSON.parse(text) };
}

const get = (path: string, token: string) => call("GET", path, token);
const put = (path: string, token: string, body: unknown) => call("PUT", path, token, body);
const streamOf = (org: SeededOrganization) => `/projects/${org.orgSlug}/${org.projectSlug}/issues/`;
const ids = (answer: Answer) => (answer.json as Array<{ id: string }>).map((i) => Number(i.id));
const NOT_FOUND = { detail: "The requested resource does not exist" };

/** Sentry's stats series: `buckets` buckets of `width` ms ending with the one holding NOW, with counts placed. */
function series(width: number, buckets: number, counts: Record<number, number> = {}): Array<[number, number]> {
  const last = NOW - (NOW % width);
  return Array.from({ length: buckets }, (_, i) => {
    const start = last - (buckets - 1 - i) * width;
    return [start / 1000, counts[start] ?? 0];
  });
}

async function issueRow(id: number) {
  return env.DB.prepare(
    "SELECT status, substatus, resolved_at, resolved_in_release, resolved_in_next_release, ignored_until, ignored_until_count, ignored_count_base, times_seen FROM issues WHERE id = ?",
  )
    .bind(id)
    .first<Record<string, unknown>>();
}

describe("the issue stream, from real SDK events", () => {
  it("lists a project's unresolved issues, last seen first, in Sentry's issue shape", async () => {
    const org = await seedOrganization();
    const base = NOW - 3 * HOUR;
    // The node error was first seen two days ago, from an older release and another user.
    await recordEvents(org.projectId, [
      fixtureEvent("node-2", { timestamp: NOW - 2 * DAY, eventId: `${"0".repeat(31)}1`, release: "acceptance@0.9.0", user: { id: "7" } }),
    ]);
    const [nodeIssue, browserIssue, messageIssue, rejectionIssue] = await recordEvents(org.projectId, [
      fixtureEvent("node-2", { timestamp: base }),
      fixtureEvent("browser-2", { timestamp: base + 60_000 }),
      fixtureEvent("node-3", { timestamp: base + 120_000 }),
      fixtureEvent("browser-5", { timestamp: base + 180_000 }),
    ]);

    const answer = await get(streamOf(org), org.token);
    expect(answer.status).toBe(200);
    expect(ids(answer)).toEqual([rejectionIssue, messageIssue, browserIssue, nodeIssue]);
    const project = { id: String(org.projectId), slug: org.projectSlug, name: org.projectName, platform: null };
    const release = (version: string, firstSeen: number, lastSeen: number) => ({
      version,
      shortVersion: version.split("@")[1],
      ref: null,
      url: null,
      dateCreated: new Date(firstSeen).toISOString(),
      dateReleased: null,
      firstEvent: new Date(firstSeen).toISOString(),
      lastEvent: new Date(lastSeen).toISOString(),
      data: {},
      owner: null,
      commitCount: 0,
      lastCommit: null,
      deployCount: 0,
      lastDeploy: null,
      authors: [],
      projects: [project],
    });
    const nodeTime = Math.floor(base / 1000) * 1000;
    expect(answer.json[3]).toEqual({
      id: String(nodeIssue),
      shortId: `${org.projectSlug.toUpperCase()}-${nodeIssue!.toString(36).toUpperCase()}`,
      title: "Error: failed to load config",
      culprit: "client in loadConfig",
      permalink: `http://dashboard.test/issues/${nodeIssue}/`,
      logger: null,
      level: "error",
      status: "unresolved",
      statusDetails: {},
      substatus: "new",
      isPublic: false,
      platform: "node",
      project,
      type: "error",
      issueType: "error",
      issueCategory: "error",
      priority: "high",
      metadata: { type: "Error", value: "failed to load config" },
      numComments: 0,
      assignedTo: null,
      isBookmarked: false,
      isSubscribed: false,
      subscriptionDetails: null,
      hasSeen: false,
      shareId: null,
      annotations: [],
      count: "2",
      userCount: 2,
      firstSeen: new Date(NOW - 2 * DAY).toISOString(),
      lastSeen: new Date(base).toISOString(),
      firstRelease: release("acceptance@0.9.0", NOW - 2 * DAY, NOW - 2 * DAY),
      lastRelease: release("acceptance@1.0.0", base, base + 180_000),
      // The event two days ago is outside the 24 hours.
      stats: { "24h": series(HOUR, 24, { [nodeTime - (nodeTime % HOUR)]: 1 }) },
    });
    expect(answer.json[1]).toMatchObject({
      title: "node: something noteworthy happened",
      level: "warning",
      priority: "medium",
      count: "1",
      userCount: 1,
    });
  });

  it("answers 404 for another organization's project, and for the caller's org with a foreign project", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    await seedIssue(other.projectId);
    expect(await get(streamOf(other), org.token)).toMatchObject({ status: 404, json: NOT_FOUND });
    expect(await get(`/projects/${org.orgSlug}/${other.projectSlug}/issues/`, org.token)).toMatchObject({ status: 404, json: NOT_FOUND });
  });
});

describe("searching the stream", () => {
  async function seedSearchable() {
    const org = await seedOrganization();
    const at = (minutesAgo: number) => NOW - minutesAgo * 60_000;
    const a = await seedIssue(org.projectId, {
      title: "TypeError: Cannot read properties of undefined (reading 'items')",
      culprit: "app/cart in addItem",
      lastSeen: at(1),
    });
    const b = await seedIssue(org.projectId, {
      title: "Slow query 100%_done",
      culprit: "db/pool in acquire",
      level: "warning",
      lastSeen: at(2),
    });
    const c = await seedIssue(org.projectId, {
      title: "ValueError: bad input",
      culprit: "app/form in submit",
      status: "resolved",
      substatus: "ongoing",
      lastSeen: at(3),
    });
    const d = await seedIssue(org.projectId, {
      title: "Deprecated call",
      culprit: "lib/legacy in Call",
      level: "info",
      status: "ignored",
      substatus: "forever",
      lastSeen: at(4),
    });
    const e = await seedIssue(org.projectId, {
      title: "progress 100 and done",
      culprit: "jobs/report in run",
      level: "info",
      lastSeen: at(5),
    });
    for (const [issue, environment, release] of [
      [a, "production", "1.0.0"],
      [b, "staging", "1.1.0"],
      [c, "production", "1.1.0"],
      [d, "production", "1.0.0"],
    ] as const) {
      await seedIssueTag(issue, "environment", environment);
      await seedIssueTag(issue, "release", release);
    }
    await seedIssueTag(a, "browser", "Chrome 120");
    await seedIssueTag(b, "browser", "Firefox 118");
    // An issue of another project of the same organization carries every value too.
    const sibling = await seedProjectIn(org.orgId, "sibling");
    const s = await seedIssue(sibling, { title: "TypeError: Cannot read properties of undefined", lastSeen: at(0) });
    await seedIssueTag(s, "environment", "production");
    return { org, a, b, c, d, e };
  }

  it("firstRelease: finds the issues first seen in a release, whatever later events named", async () => {
    const org = await seedOrganization();
    const first = await seedIssue(org.projectId, { firstRelease: "shop@1.0", lastRelease: "shop@1.1", lastSeen: NOW - 3000 });
    const second = await seedIssue(org.projectId, { firstRelease: "shop@1.1", lastRelease: "shop@1.1", lastSeen: NOW - 2000 });
    const none = await seedIssue(org.projectId, { firstRelease: null, lastSeen: NOW - 1000 });
    const q = async (query: string) => ids(await get(`${streamOf(org)}?query=${encodeURIComponent(query)}`, org.token));
    expect(await q("firstRelease:shop@1.1")).toEqual([second]);
    expect(await q('first-release:"shop@1.0"')).toEqual([first]);
    expect(await q("firstRelease:[shop@1.0,shop@1.1]")).toEqual([second, first]);
    expect(await q("!firstRelease:shop@1.0")).toEqual([none, second]);
    expect(await q("firstRelease:shop@2.0")).toEqual([]);
  });

  it("applies each filter, alone and combined, like Sentry's search", async () => {
    const { org, a, b, c, d, e } = await seedSearchable();
    const search = async (params: string) => {
      const answer = await get(`${streamOf(org)}?${params}`, org.token);
      expect(answer.status).toBe(200);
      return ids(answer);
    };
    const q = (query: string) => search(`query=${encodeURIComponent(query)}`);
    // No query parameter at all means is:unresolved; an empty one means everything.
    expect(await search("")).toEqual([a, b, e]);
    expect(await q("")).toEqual([a, b, c, d, e]);
    expect(await q("is:unresolved")).toEqual([a, b, e]);
    expect(await q("is:resolved")).toEqual([c]);
    expect(await q("is:ignored")).toEqual([d]);
    expect(await q("is:archived")).toEqual([d]);
    expect(await q("!is:unresolved")).toEqual([c, d]);
    expect(await q("is:[resolved, ignored]")).toEqual([c, d]);
    expect(await q("is:resolved is:unresolved")).toEqual([]);
    expect(await q("level:error")).toEqual([a, c]);
    expect(await q("level:[warning,info]")).toEqual([b, d, e]);
    expect(await q("!level:error is:unresolved")).toEqual([b, e]);
    expect(await q("environment:production")).toEqual([a, c, d]);
    expect(await q("environment:production is:unresolved")).toEqual([a]);
    expect(await q("!environment:production")).toEqual([b, e]);
    expect(await q("release:1.1.0")).toEqual([b, c]);
    expect(await q('release:"1.0.0"')).toEqual([a, d]);
    expect(await q("release:[1.0.0,1.1.0] !environment:staging")).toEqual([a, c, d]);
    expect(await q('browser:"Chrome 120"')).toEqual([a]);
    expect(await q("browser:Chrome")).toEqual([]);
    // Free text: a case-insensitive substring of the title or the culprit.
    expect(await q("typeerror")).toEqual([a]);
    expect(await q("CART IN")).toEqual([a]);
    expect(await q("TypeError: Cannot read")).toEqual([a]);
    expect(await q('"properties of" is:unresolved')).toEqual([a]);
    expect(await q("in")).toEqual([a, b, c, d, e]);
    // % and _ are literal characters, not LIKE wildcards.
    expect(await q("100%_done")).toEqual([b]);
    expect(await q("100%")).toEqual([b]);
    // Longer than the 50 bytes D1 takes in a LIKE pattern (https://developers.cloudflare.com/d1/platform/limits/).
    expect(await q("typeerror: cannot read properties of undefined (reading 'ITEMS')")).toEqual([a]);
    expect(await q("x".repeat(300))).toEqual([]);
    expect(await q("is:unresolved level:error environment:production cart")).toEqual([a]);
    // Sentry's `environment` parameter, repeatable, on top of the (default) query.
    expect(await search("environment=staging")).toEqual([b]);
    expect(await search("environment=staging&environment=production&query=")).toEqual([a, b, c, d]);
  });

  it("refuses queries and parameters it cannot answer, naming the field", async () => {
    const { org } = await seedSearchable();
    const detail = async (params: string) => {
      const answer = await get(`${streamOf(org)}?${params}`, org.token);
      expect(answer.status).toBe(400);
      return answer.json.detail as string;
    };
    expect(await detail("query=is:bookmarked")).toBe(
      "query: is:bookmarked is not supported (use unresolved, resolved, ignored, assigned or unassigned)",
    );
    expect(await detail("query=release:[]")).toBe("query: release: needs a value");
    expect(await detail("sort=priority")).toBe('sort: Invalid option: expected one of "date"|"new"|"freq"|"user"');
    expect(await detail("statsPeriod=7d")).toBe('statsPeriod: Invalid option: expected one of "24h"|"14d"|""');
    expect(await detail("limit=0")).toBe("limit: Too small: expected number to be >=1");
    expect(await detail("limit=101")).toBe("limit: Too big: expected number to be <=100");
    expect(await detail("limit=ten")).toBe("limit: Invalid input: expected number, received NaN");
    expect(await detail("cursor=abc")).toBe("cursor: not a cursor this API returned");
    expect(await detail(`query=${encodeURIComponent(Array.from({ length: 13 }, (_, i) => `t${i}:x`).join(" "))}`)).toBe(
      "query: at most 12 filters",
    );
  });
});

describe("sorting the stream", () => {
  it("sorts by last seen, first seen, events and users, each descending", async () => {
    const org = await seedOrganization();
    const p = await seedIssue(org.projectId, { lastSeen: NOW - 1000, firstSeen: NOW - 20_000, timesSeen: 20, userCount: 1 });
    const q = await seedIssue(org.projectId, { lastSeen: NOW - 2000, firstSeen: NOW - 10_000, timesSeen: 10, userCount: 5 });
    const r = await seedIssue(org.projectId, { lastSeen: NOW - 3000, firstSeen: NOW - 30_000, timesSeen: 30, userCount: 3 });
    const sorted = async (sort: string) => ids(await get(`${streamOf(org)}?sort=${sort}`, org.token));
    expect(await sorted("date")).toEqual([p, q, r]);
    expect(await sorted("new")).toEqual([q, p, r]);
    expect(await sorted("freq")).toEqual([r, p, q]);
    expect(await sorted("user")).toEqual([q, r, p]);
  });
});

describe("paginating the stream with cursors", () => {
  /** The links of a Link header: rel → {url path under /api/0, results, cursor}. */
  function links(header: string | null) {
    const out: Record<string, { path: string; results: boolean; cursor: string }> = {};
    for (const part of (header ?? "").split(/,\s*(?=<)/)) {
      const m = /^<([^>]+)>; rel="(previous|next)"; results="(true|false)"; cursor="([^"]+)"$/.exec(part.trim());
      if (m === null) throw new Error(`not a Sentry link: ${part}`);
      const url = new URL(m[1]!);
      out[m[2]!] = { path: url.pathname.replace(/^\/api\/0/, "") + url.search, results: m[3] === "true", cursor: m[4]! };
    }
    return out;
  }

  async function walk(first: string, token: string, direction: "next" | "previous") {
    const pages: number[][] = [];
    let path: string | null = first;
    for (let guard = 0; path !== null && guard < 50; guard++) {
      const answer = await get(path, token);
      expect(answer.status).toBe(200);
      pages.push(ids(answer));
      const link = links(answer.link)[direction]!;
      path = link.results ? link.path : null;
    }
    return pages;
  }

  it("answers Sentry's Link header with keyset cursors", async () => {
    const org = await seedOrganization();
    const first = await seedIssue(org.projectId, { lastSeen: NOW - 1000 });
    const second = await seedIssue(org.projectId, { lastSeen: NOW - 2000 });
    const answer = await get(`${streamOf(org)}?limit=1&statsPeriod=`, org.token);
    expect(ids(answer)).toEqual([first]);
    const base = `http://dashboard.test/api/0${streamOf(org)}?limit=1&statsPeriod=`;
    expect(answer.link).toBe(
      `<${base}&cursor=${NOW - 1000}%3A${first}%3A1>; rel="previous"; results="false"; cursor="${NOW - 1000}:${first}:1", ` +
        `<${base}&cursor=${NOW - 1000}%3A${first}%3A0>; rel="next"; results="true"; cursor="${NOW - 1000}:${first}:0"`,
    );
    const next = await get(`${streamOf(org)}?limit=1&statsPeriod=&cursor=${NOW - 1000}:${first}:0`, org.token);
    expect(ids(next)).toEqual([second]);
    expect(links(next.link)).toEqual({
      previous: {
        path: `${streamOf(org)}?limit=1&statsPeriod=&cursor=${NOW - 2000}%3A${second}%3A1`,
        results: true,
        cursor: `${NOW - 2000}:${second}:1`,
      },
      next: {
        path: `${streamOf(org)}?limit=1&statsPeriod=&cursor=${NOW - 2000}%3A${second}%3A0`,
        results: false,
        cursor: `${NOW - 2000}:${second}:0`,
      },
    });
  });

  it.each(["date", "new", "freq", "user"])(
    "walks every page of sort=%s forward and back, ties included, without duplicates or gaps",
    async (sort) => {
      const org = await seedOrganization();
      const all: Array<{ id: number; value: number }> = [];
      for (let i = 0; i < 23; i++) {
        // Few distinct values, so most pages start or end inside a run of equal sort values.
        const lastSeen = NOW - (i % 4) * 1000;
        const firstSeen = NOW - DAY + (i % 3) * 1000;
        const timesSeen = [5, 5, 9][i % 3]!;
        const userCount = i % 2;
        const id = await seedIssue(org.projectId, { lastSeen, firstSeen, timesSeen, userCount });
        all.push({ id, value: { date: lastSeen, new: firstSeen, freq: timesSeen, user: userCount }[sort]! });
      }
      await seedIssue(org.projectId, { status: "resolved", lastSeen: NOW });
      const expected = [...all].sort((x, y) => y.value - x.value || x.id - y.id).map((x) => x.id);

      const forward = await walk(`${streamOf(org)}?sort=${sort}&limit=5&statsPeriod=`, org.token, "next");
      expect(forward.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
      expect(forward.flat()).toEqual(expected);

      // From the last page, "previous" links lead back through the same pages.
      const lastCursor = `${all.find((x) => x.id === expected[19])!.value}:${expected[19]}:0`;
      const back = await walk(`${streamOf(org)}?sort=${sort}&limit=5&statsPeriod=&cursor=${lastCursor}`, org.token, "previous");
      expect(back).toEqual([...forward].reverse().slice(0, 5));
    },
  );

  it("keeps the search in the links while paging a filtered stream", async () => {
    const org = await seedOrganization();
    const tagged: number[] = [];
    for (let i = 0; i < 7; i++) {
      const id = await seedIssue(org.projectId, { lastSeen: NOW - i * 1000 });
      if (i % 2 === 0) {
        await seedIssueTag(id, "environment", "production");
        tagged.push(id);
      }
    }
    const pages = await walk(`${streamOf(org)}?query=${encodeURIComponent("environment:production")}&limit=3`, org.token, "next");
    expect(pages).toEqual([tagged.slice(0, 3), tagged.slice(3)]);
  });

  it("answers an empty page past the end with no further results either way but back", async () => {
    const org = await seedOrganization();
    const only = await seedIssue(org.projectId, { lastSeen: NOW - 1000 });
    const answer = await get(`${streamOf(org)}?cursor=${NOW - 1000}:${only}:0`, org.token);
    expect(answer.json).toEqual([]);
    const { previous, next } = links(answer.link);
    expect(next!.results).toBe(false);
    expect(previous!.results).toBe(true);
    // Previous from past the end is the last page.
    expect(ids(await get(previous!.path, org.token))).toEqual([only]);
  });
});

describe("stats", () => {
  it("counts events per hour over 24h, per day over 14d, or not at all", async () => {
    const org = await seedOrganization();
    const issue = await seedIssue(org.projectId, { lastSeen: NOW - 1000 });
    const thisHour = NOW - (NOW % HOUR);
    await seedHourly(issue, thisHour, 4);
    await seedHourly(issue, thisHour - 5 * HOUR, 2);
    await seedHourly(issue, thisHour - 23 * HOUR, 1);
    await seedHourly(issue, thisHour - 24 * HOUR, 8); // just outside 24h, inside today-1
    await seedHourly(issue, NOW - 13 * DAY, 3);
    await seedHourly(issue, NOW - 14 * DAY, 5); // outside 14d
    const today = NOW - (NOW % DAY);

    const day = await get(`${streamOf(org)}?statsPeriod=24h`, org.token);
    expect(day.json[0].stats).toEqual({ "24h": series(HOUR, 24, { [thisHour]: 4, [thisHour - 5 * HOUR]: 2, [thisHour - 23 * HOUR]: 1 }) });
    const fortnight = await get(`${streamOf(org)}?statsPeriod=14d`, org.token);
    // 12:00 today minus 23 and 24 hours are both yesterday (UTC).
    expect(fortnight.json[0].stats).toEqual({ "14d": series(DAY, 14, { [today]: 6, [today - DAY]: 9, [today - 13 * DAY]: 3 }) });
    const none = await get(`${streamOf(org)}?statsPeriod=`, org.token);
    expect(none.json[0]).not.toHaveProperty("stats");
  });
});

describe("the organization's stream", () => {
  it("spans the organization's projects, narrowed by ?project=, with Sentry's window and sparkline parameters", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    const sibling = await seedProjectIn(org.orgId, "web-app", "javascript");
    const own = await seedIssue(org.projectId, { lastSeen: NOW - 1000 });
    const web = await seedIssue(sibling, { lastSeen: NOW - 2 * HOUR });
    await seedIssue(other.projectId, { lastSeen: NOW });
    const stream = `/organizations/${org.orgSlug}/issues/`;

    const all = await get(stream, org.token);
    expect(ids(all)).toEqual([own, web]);
    expect(all.json[1]).toMatchObject({
      shortId: `WEB-APP-${web.toString(36).toUpperCase()}`,
      project: { id: String(sibling), slug: "web-app", platform: "javascript" },
    });
    expect(Object.keys(all.json[0].stats)).toEqual(["24h"]);
    expect(ids(await get(`${stream}?project=${sibling}`, org.token))).toEqual([web]);
    expect(ids(await get(`${stream}?project=${sibling}&project=${org.projectId}`, org.token))).toEqual([own, web]);
    expect(ids(await get(`${stream}?project=-1`, org.token))).toEqual([own, web]);
    // statsPeriod is the window searched here; groupStatsPeriod the sparkline.
    expect(ids(await get(`${stream}?statsPeriod=1h`, org.token))).toEqual([own]);
    const fortnight = await get(`${stream}?groupStatsPeriod=14d`, org.token);
    expect(fortnight.json[0].stats["14d"]).toHaveLength(14);
    expect((await get(`${stream}?groupStatsPeriod=`, org.token)).json[0]).not.toHaveProperty("stats");

    expect(await get(`${stream}?project=${other.projectId}`, org.token)).toMatchObject({
      status: 403,
      json: { detail: `You do not have permission to perform this action (project ${other.projectId}).` },
    });
    expect((await get(`${stream}?project=web`, org.token)).json).toEqual({ detail: 'project: "web" is not a project id' });
    expect(await get(`/organizations/${other.orgSlug}/issues/`, org.token)).toMatchObject({ status: 404, json: NOT_FOUND });
  });
});

describe("GET /api/0/issues/{id}/", () => {
  it("answers the issue with 24h and 30d stats and its tag breakdown", async () => {
    const org = await seedOrganization();
    const [issue] = await recordEvents(org.projectId, [fixtureEvent("node-2", { timestamp: NOW - 2 * HOUR })]);
    await recordEvents(org.projectId, [
      fixtureEvent("node-2", { timestamp: NOW - 3 * DAY, eventId: "f".repeat(32), user: { id: "7" }, environment: "staging" }),
    ]);
    const answer = await get(`/issues/${issue}/`, org.token);
    expect(answer.status).toBe(200);
    const twoHoursAgo = NOW - 2 * HOUR;
    const today = NOW - (NOW % DAY);
    expect(answer.json).toMatchObject({ id: String(issue), count: "2", userCount: 2, title: "Error: failed to load config" });
    expect(answer.json.stats).toEqual({
      "24h": series(HOUR, 24, { [twoHoursAgo - (twoHoursAgo % HOUR)]: 1 }),
      "30d": series(DAY, 30, { [today]: 1, [today - 3 * DAY]: 1 }),
    });
    expect(answer.json.tags.map((t: { key: string }) => t.key)).toEqual([
      "environment",
      "handled",
      "lang",
      "level",
      "mechanism",
      "os",
      "os.name",
      "release",
      "runtime",
      "runtime.name",
      "server_name",
      "user",
    ]);
    expect(answer.json.tags[0]).toEqual({
      key: "environment",
      name: "Environment",
      totalValues: 2,
      uniqueValues: 2,
      topValues: [
        {
          key: "environment",
          name: "acceptance",
          value: "acceptance",
          count: 1,
          firstSeen: new Date(NOW - 2 * HOUR).toISOString(),
          lastSeen: new Date(NOW - 2 * HOUR).toISOString(),
        },
        {
          key: "environment",
          name: "staging",
          value: "staging",
          count: 1,
          firstSeen: new Date(NOW - 3 * DAY).toISOString(),
          lastSeen: new Date(NOW - 3 * DAY).toISOString(),
        },
      ],
    });
    expect(answer.json.tags.find((t: { key: string }) => t.key === "server_name").name).toBe("Server Name");
    expect(answer.json).toMatchObject({
      // Nothing has happened to it but its first sight.
      activity: [{ id: "0", user: null, type: "first_seen", data: { priority: "high" }, dateCreated: answer.json.firstSeen }],
      seenBy: [],
      participants: [],
      pluginActions: [],
      pluginIssues: [],
      pluginContexts: [],
      userReportCount: 0,
    });
  });

  it("keeps the nine most frequent values of a tag, and GET .../tags/ answers the same breakdown", async () => {
    const org = await seedOrganization();
    const issue = await seedIssue(org.projectId);
    for (let i = 0; i < 12; i++) await seedIssueTag(issue, "url", `https://example.com/${i}`, i + 1, NOW - i * 1000);
    const answer = await get(`/issues/${issue}/`, org.token);
    const [url] = answer.json.tags;
    expect(url).toMatchObject({ key: "url", name: "Url", totalValues: 78, uniqueValues: 12 });
    expect(url.topValues.map((v: { count: number }) => v.count)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4]);
    expect((await get(`/issues/${issue}/tags/`, org.token)).json).toEqual(answer.json.tags);
  });

  it("answers 404 across organizations, under the wrong organization, and for ids that are not issues", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    const issue = await seedIssue(other.projectId);
    expect(await get(`/issues/${issue}/`, org.token)).toMatchObject({ status: 404, json: NOT_FOUND });
    expect(await get(`/issues/${issue}/tags/`, org.token)).toMatchObject({ status: 404, json: NOT_FOUND });
    expect(await get(`/organizations/${org.orgSlug}/issues/${issue}/`, other.token)).toMatchObject({ status: 404, json: NOT_FOUND });
    expect((await get(`/organizations/${other.orgSlug}/issues/${issue}/`, other.token)).status).toBe(200);
    expect(await get("/issues/not-an-id/", org.token)).toMatchObject({ status: 404, json: NOT_FOUND });
    expect(await get("/issues/999999999/", org.token)).toMatchObject({ status: 404, json: NOT_FOUND });
  });
});

describe("PUT /api/0/issues/{id}/", () => {
  async function seedWithReleases() {
    const org = await seedOrganization();
    // The newest release by first sight is 10.0.0, though "2.0.0" sorts last as text.
    await seedRelease(org.projectId, "1.5.0", NOW - 30 * DAY);
    await seedRelease(org.projectId, "2.0.0", NOW - 20 * DAY);
    await seedRelease(org.projectId, "10.0.0", NOW - 10 * DAY);
    const issue = await seedIssue(org.projectId, { timesSeen: 7 });
    return { org, issue };
  }

  it("resolves, writing resolved_at and clearing what an ignore left", async () => {
    const { org, issue } = await seedWithReleases();
    await put(`/issues/${issue}/`, org.token, { status: "ignored", statusDetails: { ignoreCount: 3 } });
    const answer = await put(`/issues/${issue}/`, org.token, { status: "resolved" });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ id: String(issue), status: "resolved", statusDetails: {}, substatus: null });
    expect(answer.json.stats).toHaveProperty("30d");
    expect(await issueRow(issue)).toEqual({
      status: "resolved",
      substatus: "until_escalating",
      resolved_at: NOW,
      resolved_in_release: null,
      resolved_in_next_release: 0,
      ignored_until: null,
      ignored_until_count: null,
      ignored_count_base: null,
      times_seen: 7,
    });
  });

  it("resolves in the next release: after the project's newest release by first sight", async () => {
    const { org, issue } = await seedWithReleases();
    for (const body of [
      { status: "resolved", statusDetails: { inNextRelease: true } },
      { status: "resolvedInNextRelease" },
      { status: "resolved", statusDetails: { inRelease: "latest" } },
    ]) {
      await put(`/issues/${issue}/`, org.token, { status: "unresolved" });
      const answer = await put(`/issues/${issue}/`, org.token, body);
      expect(answer.json).toMatchObject({ status: "resolved", statusDetails: { inNextRelease: true }, substatus: null });
      expect(await issueRow(issue)).toMatchObject({
        status: "resolved",
        resolved_at: NOW,
        resolved_in_release: "10.0.0",
        resolved_in_next_release: 1,
      });
    }
  });

  it("resolves in a named release, which must exist", async () => {
    const { org, issue } = await seedWithReleases();
    const answer = await put(`/issues/${issue}/`, org.token, { status: "resolved", statusDetails: { inRelease: "1.5.0" } });
    expect(answer.json).toMatchObject({ status: "resolved", statusDetails: { inRelease: "1.5.0" } });
    expect(await issueRow(issue)).toMatchObject({ resolved_in_release: "1.5.0", resolved_in_next_release: 0 });
    expect(await put(`/issues/${issue}/`, org.token, { status: "resolved", statusDetails: { inRelease: "9.9.9" } })).toMatchObject({
      status: 400,
      json: { detail: 'statusDetails.inRelease: no release "9.9.9" in this project' },
    });
  });

  it("refuses the next release when the project has none", async () => {
    const org = await seedOrganization();
    const issue = await seedIssue(org.projectId);
    expect(await put(`/issues/${issue}/`, org.token, { status: "resolved", statusDetails: { inNextRelease: true } })).toMatchObject({
      status: 400,
      json: { detail: "statusDetails.inNextRelease: No release data present in the system to form a basis for 'Next Release'" },
    });
    expect(await issueRow(issue)).toMatchObject({ status: "unresolved", resolved_at: null });
  });

  it("ignores forever, until N more events, until a date, for a duration, or until escalating", async () => {
    const { org, issue } = await seedWithReleases();
    const ignore = (statusDetails: object) => put(`/issues/${issue}/`, org.token, { status: "ignored", statusDetails });
    const snooze = { ignoreUserCount: null, ignoreUserWindow: null, ignoreWindow: null, actor: null };

    expect((await ignore({})).json).toMatchObject({ status: "ignored", substatus: "archived_forever", statusDetails: {} });
    expect(await issueRow(issue)).toMatchObject({
      status: "ignored",
      substatus: "forever",
      ignored_until: null,
      ignored_until_count: null,
      ignored_count_base: null,
    });

    expect((await ignore({ ignoreCount: 100 })).json).toMatchObject({
      substatus: "archived_until_condition_met",
      statusDetails: { ignoreCount: 100, ignoreUntil: null, ...snooze },
    });
    // Counted from now: the base is the issue's events so far.
    expect(await issueRow(issue)).toMatchObject({
      substatus: "until_escalating",
      ignored_until_count: 100,
      ignored_count_base: 7,
      ignored_until: null,
    });

    const until = "2026-12-01T00:00:00.000Z";
    expect((await ignore({ ignoreUntil: until })).json.statusDetails).toEqual({ ignoreCount: null, ignoreUntil: until, ...snooze });
    expect(await issueRow(issue)).toMatchObject({ ignored_until: Date.parse(until), ignored_until_count: null, ignored_count_base: null });

    expect((await ignore({ ignoreDuration: 30 })).json.statusDetails.ignoreUntil).toBe(new Date(NOW + 30 * 60_000).toISOString());
    expect(await issueRow(issue)).toMatchObject({ ignored_until: NOW + 30 * 60_000 });

    expect((await ignore({ ignoreCount: 5, ignoreUntil: until })).json.statusDetails).toEqual({
      ignoreCount: 5,
      ignoreUntil: until,
      ...snooze,
    });

    expect((await ignore({ ignoreUntilEscalating: true })).json).toMatchObject({
      substatus: "archived_until_escalating",
      statusDetails: { ignoreUntilEscalating: true },
    });
    expect(await issueRow(issue)).toMatchObject({ substatus: "until_escalating", ignored_until: null, ignored_until_count: null });
  });

  it("reopens: unresolved and ongoing, every lifecycle column cleared", async () => {
    const { org, issue } = await seedWithReleases();
    await put(`/issues/${issue}/`, org.token, { status: "resolved", statusDetails: { inNextRelease: true } });
    const answer = await put(`/issues/${issue}/`, org.token, { status: "unresolved" });
    expect(answer.json).toMatchObject({ status: "unresolved", substatus: "ongoing", statusDetails: {} });
    expect(await issueRow(issue)).toEqual({
      status: "unresolved",
      substatus: "ongoing",
      resolved_at: null,
      resolved_in_release: null,
      resolved_in_next_release: 0,
      ignored_until: null,
      ignored_until_count: null,
      ignored_count_base: null,
      times_seen: 7,
    });
  });

  it.each([
    [{}, 'status: Invalid option: expected one of "resolved"|"resolvedInNextRelease"|"unresolved"|"ignored"|"muted"'],
    [{ status: "closed" }, 'status: Invalid option: expected one of "resolved"|"resolvedInNextRelease"|"unresolved"|"ignored"|"muted"'],
    [{ status: "ignored", statusDetails: { ignoreCount: 0 } }, "statusDetails.ignoreCount: Too small: expected number to be >=1"],
    [
      { status: "ignored", statusDetails: { ignoreCount: "5" } },
      "statusDetails.ignoreCount: Invalid input: expected number, received string",
    ],
    [{ status: "ignored", statusDetails: { ignoreWindow: 60 } }, "statusDetails.ignoreWindow: not supported (counts are not windowed)"],
    [{ status: "ignored", statusDetails: { snooze: true } }, 'statusDetails: Unrecognized key: "snooze"'],
    [{ status: "ignored", statusDetails: { ignoreUntil: "tomorrow" } }, "statusDetails.ignoreUntil: Invalid ISO datetime"],
    [{ status: "ignored", statusDetails: { ignoreUntil: "2020-01-01T00:00:00Z" } }, "statusDetails.ignoreUntil: must be in the future"],
    [
      { status: "ignored", statusDetails: { ignoreUntil: "2026-12-01T00:00:00Z", ignoreDuration: 5 } },
      "statusDetails.ignoreDuration: give ignoreUntil or ignoreDuration, not both",
    ],
    [
      { status: "ignored", statusDetails: { ignoreUntilEscalating: true, ignoreCount: 5 } },
      "statusDetails.ignoreUntilEscalating: cannot be combined with a count or a date",
    ],
    [{ status: "resolved", statusDetails: { ignoreCount: 5 } }, 'statusDetails.ignoreCount: only applies to status "ignored"'],
    [{ status: "unresolved", statusDetails: { inRelease: "1.5.0" } }, 'statusDetails.inRelease: only applies to status "resolved"'],
    [
      { status: "resolved", statusDetails: { inNextRelease: true, inRelease: "1.5.0" } },
      "statusDetails.inRelease: give inRelease or inNextRelease, not both",
    ],
    [{ status: "resolved", statusDetails: { inNextRelease: false } }, "statusDetails.inNextRelease: Invalid input: expected true"],
    ["{not json", "body: not valid JSON"],
  ])("refuses %j with 400 naming the field, changing nothing", async (body, detail) => {
    const { org, issue } = await seedWithReleases();
    const before = await issueRow(issue);
    expect(await put(`/issues/${issue}/`, org.token, body)).toMatchObject({ status: 400, json: { detail } });
    expect(await issueRow(issue)).toEqual(before);
  });

  it("answers 404 to another organization's token and leaves the issue alone", async () => {
    const { issue } = await seedWithReleases();
    const other = await seedOrganization();
    expect(await put(`/issues/${issue}/`, other.token, { status: "resolved" })).toMatchObject({ status: 404, json: NOT_FOUND });
    expect(await issueRow(issue)).toMatchObject({ status: "unresolved", resolved_at: null });
  });
});

describe("PUT /api/0/projects/{org}/{project}/issues/ without ids (sentry-cli's issues resolve|mute|unresolve)", () => {
  it("changes the project's issues of the status asked for, unresolved ones when none is given", async () => {
    const org = await seedOrganization();
    const open = await seedIssue(org.projectId);
    const done = await seedIssue(org.projectId, { status: "resolved" });
    const sibling = await seedIssue(await seedProjectIn(org.orgId, "sibling-bulk"));

    expect(await put(streamOf(org), org.token, { status: "muted" })).toMatchObject({ status: 200, json: { status: "ignored" } });
    expect(await issueRow(open)).toMatchObject({ status: "ignored", substatus: "forever" });
    expect(await issueRow(done)).toMatchObject({ status: "resolved" });
    expect(await issueRow(sibling)).toMatchObject({ status: "unresolved" });

    expect(await put(`${streamOf(org)}?status=resolved`, org.token, { status: "unresolved" })).toMatchObject({ status: 200 });
    expect(await issueRow(done)).toMatchObject({ status: "unresolved" });
    expect(await issueRow(open)).toMatchObject({ status: "ignored" });
    expect(await put(`${streamOf(org)}?status=muted`, org.token, { status: "unresolved" })).toMatchObject({ status: 200 });
    expect(await issueRow(open)).toMatchObject({ status: "unresolved" });

    expect(await put(`${streamOf(org)}?status=bogus`, org.token, { status: "resolved" })).toMatchObject({
      status: 400,
      json: { detail: 'status: "bogus" is not one of unresolved, resolved, ignored' },
    });
  });

  it("takes status muted with snoozeDuration in minutes, the older names of ignored and ignoreDuration", async () => {
    const org = await seedOrganization();
    const issue = await seedIssue(org.projectId);
    const answer = await put(`${streamOf(org)}?id=${issue}`, org.token, { status: "muted", snoozeDuration: 30 });
    expect(answer).toMatchObject({ status: 200, json: { status: "ignored" } });
    expect(await issueRow(issue)).toMatchObject({ status: "ignored", substatus: "until_escalating", ignored_until: NOW + 30 * 60_000 });
    expect(
      await put(`/issues/${issue}/`, org.token, { status: "muted", snoozeDuration: 5, statusDetails: { ignoreDuration: 5 } }),
    ).toMatchObject({
      status: 400,
      json: { detail: "snoozeDuration: give snoozeDuration or statusDetails.ignoreDuration, not both" },
    });
  });

  it("takes snoozeDuration null, as sentry-cli sends with every status: no snooze, and a snooze before is cleared", async () => {
    const org = await seedOrganization();
    const issue = await seedIssue(org.projectId);
    await put(`/issues/${issue}/`, org.token, { status: "muted", snoozeDuration: 30 });
    const cleared = await put(`/issues/${issue}/`, org.token, { status: "ignored", snoozeDuration: null });
    expect(cleared).toMatchObject({ status: 200, json: { status: "ignored" } });
    expect(await issueRow(issue)).toMatchObject({ status: "ignored", substatus: "forever", ignored_until: null });
    for (const status of ["resolved", "unresolved"]) {
      const answer = await put(`${streamOf(org)}?id=${issue}`, org.token, { status, snoozeDuration: null });
      expect(answer).toMatchObject({ status: 200, json: { status } });
    }
    expect(await put(`/issues/${issue}/`, org.token, { assignedTo: "", snoozeDuration: null })).toMatchObject({ status: 200 });
  });
});

describe("PUT /api/0/projects/{org}/{project}/issues/?id=...", () => {
  it("changes the listed issues of the project only, answering the change as Sentry does", async () => {
    const org = await seedOrganization();
    const a = await seedIssue(org.projectId, { timesSeen: 3 });
    const b = await seedIssue(org.projectId, { timesSeen: 8 });
    const untouched = await seedIssue(org.projectId);
    const sibling = await seedIssue(await seedProjectIn(org.orgId, "sibling"));

    const resolved = await put(`${streamOf(org)}?id=${a}&id=${b}&id=${sibling}`, org.token, { status: "resolved" });
    expect(resolved).toMatchObject({ status: 200, json: { status: "resolved", statusDetails: {}, substatus: null } });
    expect(Object.keys(resolved.json)).toEqual(["status", "statusDetails", "substatus"]);
    for (const id of [a, b]) expect(await issueRow(id)).toMatchObject({ status: "resolved", resolved_at: NOW });
    for (const id of [untouched, sibling]) expect(await issueRow(id)).toMatchObject({ status: "unresolved", resolved_at: null });

    const ignored = await put(`${streamOf(org)}?id=${a}&id=${b}`, org.token, { status: "ignored", statusDetails: { ignoreCount: 10 } });
    expect(ignored.json).toMatchObject({
      status: "ignored",
      substatus: "archived_until_condition_met",
      statusDetails: { ignoreCount: 10 },
    });
    // Each issue counts from its own total.
    expect(await issueRow(a)).toMatchObject({ status: "ignored", resolved_at: null, ignored_until_count: 10, ignored_count_base: 3 });
    expect(await issueRow(b)).toMatchObject({ status: "ignored", ignored_until_count: 10, ignored_count_base: 8 });
  });

  it("answers 204 when no id is an issue of the project, 400 for a bad id, 404 across organizations", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    const foreign = await seedIssue(other.projectId);
    expect(await put(`${streamOf(org)}?id=${foreign}`, org.token, { status: "resolved" })).toEqual({ status: 204, link: null, json: null });
    expect(await issueRow(foreign)).toMatchObject({ status: "unresolved" });
    expect(await put(streamOf(org), org.token, { status: "resolved" })).toEqual({ status: 204, link: null, json: null });
    expect(await put(`${streamOf(org)}?id=abc`, org.token, { status: "resolved" })).toMatchObject({
      status: 400,
      json: { detail: 'id: "abc" is not an id' },
    });
    expect(await put(`${streamOf(other)}?id=${foreign}`, org.token, { status: "resolved" })).toMatchObject({
      status: 404,
      json: NOT_FOUND,
    });
    expect(await issueRow(foreign)).toMatchObject({ status: "unresolved" });
  });
});

describe("issues by short id, and searches for an event id or a short id", () => {
  const shortIdOf = (org: SeededOrganization, id: number) => `${org.projectSlug.toUpperCase()}-${id.toString(36).toUpperCase()}`;

  it("finds an issue by its short id in the issue routes and /shortids/, only in its own project and organization", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    const issue = await seedIssue(org.projectId, { title: "Error: by short id" });
    const short = shortIdOf(org, issue);

    const byShort = await get(`/organizations/${org.orgSlug}/issues/${short}/`, org.token);
    expect(byShort).toMatchObject({ status: 200, json: { id: String(issue), shortId: short, title: "Error: by short id" } });
    expect((await get(`/organizations/${org.orgSlug}/issues/${short.toLowerCase()}/`, org.token)).json.id).toBe(String(issue));

    const resolved = await get(`/organizations/${org.orgSlug}/shortids/${short}/`, org.token);
    expect(resolved.status).toBe(200);
    expect(resolved.json).toMatchObject({
      organizationSlug: org.orgSlug,
      projectSlug: org.projectSlug,
      groupId: String(issue),
      shortId: short,
      group: { id: String(issue), shortId: short },
    });

    // The id with another project's slug, an unknown id, and another organization's token: 404.
    const sibling = `SIBLING-${issue.toString(36).toUpperCase()}`;
    expect((await get(`/organizations/${org.orgSlug}/issues/${sibling}/`, org.token)).status).toBe(404);
    expect((await get(`/organizations/${org.orgSlug}/shortids/${sibling}/`, org.token)).status).toBe(404);
    expect((await get(`/organizations/${org.orgSlug}/shortids/${org.projectSlug.toUpperCase()}-ZZZZZZ/`, org.token)).status).toBe(404);
    expect((await get(`/organizations/${other.orgSlug}/shortids/${short}/`, other.token)).status).toBe(404);
    expect((await get(`/organizations/${org.orgSlug}/shortids/${short}/`, other.token)).status).toBe(404);
  });

  it("answers a search that is an event id or a short id with that one issue, marked as a direct hit", async () => {
    const org = await seedOrganization();
    const eventId = "a".repeat(32);
    const [issue] = await recordEvents(org.projectId, [fixtureEvent("node-2", { timestamp: NOW - 60_000, eventId })]);
    await seedIssue(org.projectId);

    for (const query of [eventId, "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", shortIdOf(org, issue!)]) {
      const res = await call("GET", `${streamOf(org)}?query=${encodeURIComponent(query)}`, org.token);
      expect(ids(res), query).toEqual([issue]);
    }
    const org2 = await seedOrganization();
    expect(ids(await get(`/organizations/${org2.orgSlug}/issues/?query=${eventId}`, org2.token))).toEqual([]);
    expect(ids(await get(`${streamOf(org)}?query=${"b".repeat(32)}`, org.token))).toEqual([]);
  });
});

describe("an issue's tag values", () => {
  it("lists one key's values most frequent first, and its details; an unknown key is a 404", async () => {
    const org = await seedOrganization();
    const issue = await seedIssue(org.projectId);
    await seedIssueTag(issue, "browser", "Firefox 120", 2, NOW - 1000);
    await seedIssueTag(issue, "browser", "Chrome 119", 5, NOW - 2000);
    await seedIssueTag(issue, "os", "Linux", 7, NOW - 2000);

    for (const base of [`/issues/${issue}`, `/organizations/${org.orgSlug}/issues/${issue}`]) {
      const values = await get(`${base}/tags/browser/values/`, org.token);
      expect(values.status).toBe(200);
      expect(values.json.map((v: any) => [v.key, v.value, v.name, v.count])).toEqual([
        ["browser", "Chrome 119", "Chrome 119", 5],
        ["browser", "Firefox 120", "Firefox 120", 2],
      ]);
      const tag = await get(`${base}/tags/browser/`, org.token);
      expect(tag.json).toMatchObject({ key: "browser", name: "Browser", totalValues: 7, uniqueValues: 2 });
      expect((await get(`${base}/tags/nope/`, org.token)).status).toBe(404);
      expect((await get(`${base}/tags/`, org.token)).json.map((t: any) => t.key)).toEqual(["browser", "os"]);
    }
  });
});
