import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import { edgeEventQuery, findEventQuery, issueEventsQuery, neighborEventQuery } from "../../../dashboard/api/events/event-queries";
import {
  type IssueRow,
  type IssueSort,
  STATS_PERIODS,
  findAssigneesQuery,
  findMembersQuery,
  issueListQuery,
  issuePartitionQuery,
  issueSortValue,
  issueStatsQuery,
  issueTagValues,
  latestReleaseQuery,
  listIssues,
  releasesQuery,
  streamPartitions,
  updateIssueLifecycleQuery,
} from "../../../dashboard/api/issues/issue-queries";
import { parseIssueSearch } from "../../../dashboard/api/issues/parse-issue-search";
import { listProjectsQuery } from "../../../dashboard/api/projects/project-queries";
import { seedIssue, seedOrganization, seedProjectIn } from "../../support/seed-issues";

// The read API's queries, planned by SQLite: every list is an index search, none reads a whole
// table that grows with events (the dashboard benchmark seeds a million events).
async function plan(query: { toSQL(): { sql: string; params: unknown[] } }): Promise<string[]> {
  const { sql, params } = query.toSQL();
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail);
}

function expectNoScans(steps: string[]) {
  for (const step of steps) expect(step).not.toMatch(/^SCAN (issues|events|issue_tags|issue_hourly|releases|projects)\b/);
}

const db = () => drizzle(env.DB);
const list = (
  query: string,
  sort: "date" | "new" | "freq" | "user",
  projectIds: number[],
  cursor: { value: number; id: number; previous: boolean } | null = null,
) => issueListQuery(db(), { projectIds, search: parseIssueSearch(query), sort, cursor, limit: 25 });

describe("the issue stream's query plans", () => {
  it.each([
    ["date", "issues_by_last_seen"],
    ["new", "issues_by_first_seen"],
    ["freq", "issues_by_times_seen"],
    ["user", "issues_by_user_count"],
  ] as const)("sort=%s with one status reads %s already in order (no sort step)", async (sort, index) => {
    const steps = await plan(list("is:unresolved", sort, [1]));
    expect(steps).toContain(`SEARCH issues USING INDEX ${index} (project_id=? AND status=?)`);
    expect(steps.join("\n")).not.toContain("TEMP B-TREE");
    expectNoScans(steps);
  });

  it("a cursor going forward or back is a range on the same index", async () => {
    const next = await plan(list("is:unresolved", "freq", [1], { value: 5, id: 3, previous: false }));
    expect(next).toContain("SEARCH issues USING INDEX issues_by_times_seen (project_id=? AND status=? AND times_seen<?)");
    const back = await plan(list("is:unresolved", "date", [1], { value: 5, id: 3, previous: true }));
    expect(back).toContain("SEARCH issues USING INDEX issues_by_last_seen (project_id=? AND status=? AND last_seen>?)");
    expect([...next, ...back].join("\n")).not.toContain("TEMP B-TREE");
  });

  it("environment, release and tag filters find issues through issue_tags_by_value", async () => {
    for (const query of [
      "is:unresolved environment:production",
      "is:unresolved release:1.0.0 browser:[Chrome,Firefox]",
      "is:unresolved !environment:staging",
    ]) {
      const steps = await plan(list(query, "date", [1]));
      expect(steps).toContain("SEARCH issue_tags USING COVERING INDEX issue_tags_by_value (project_id=? AND key=? AND value=?)");
      expect(steps).toContain("SEARCH issues USING INDEX issues_by_last_seen (project_id=? AND status=?)");
      expectNoScans(steps);
    }
  });

  it("without a status, or across projects, it still seeks the index by project (then sorts that project's issues)", async () => {
    for (const steps of [await plan(list("", "date", [1])), await plan(list("level:error TypeError", "new", [1, 2, 3]))]) {
      expect(steps.some((s) => /^SEARCH issues USING INDEX issues_by_\w+ \(project_id=\?/.test(s))).toBe(true);
      expectNoScans(steps);
    }
  });

  it("assigned to members, or to anyone, reads issues_by_assignee; taking in the unassigned reads the stream's index in order", async () => {
    const assigned = (query: string, userIds: number[], sort: IssueSort = "date") => {
      const search = parseIssueSearch(query);
      const assignees = search.assignees.map((f) => ({
        userIds: f.values.some((v) => v.kind === "me") ? userIds : [],
        nobody: f.values.some((v) => v.kind === "none"),
        negated: f.negated,
      }));
      return issueListQuery(db(), { projectIds: [1], search, sort, cursor: null, limit: 25, assignees });
    };
    for (const [query, range] of [
      ["is:unresolved assigned:me", "(project_id=? AND assigned_user_id=?)"],
      ["assigned:me", "(project_id=? AND assigned_user_id=?)"],
      ["is:unresolved is:assigned", "(project_id=? AND assigned_user_id>?)"],
      ["is:unresolved !assigned:[me,none]", "(project_id=? AND assigned_user_id>?)"],
    ] as const) {
      const steps = await plan(assigned(query, [7, 8]));
      expect(steps, query).toContain(`SEARCH issues USING INDEX issues_by_assignee ${range}`);
      expectNoScans(steps);
    }
    for (const query of ["is:unresolved is:unassigned", "is:unresolved !assigned:me", "is:unresolved assigned:[me,none]"]) {
      const steps = await plan(assigned(query, [7]));
      expect(steps, query).toContain("SEARCH issues USING INDEX issues_by_last_seen (project_id=? AND status=?)");
      expect(steps.join("\n"), query).not.toContain("TEMP B-TREE");
      expectNoScans(steps);
    }
  });

  it("an issue page's assignees are primary-key searches, members by (organization, user) or by email", async () => {
    const page = [{ assignedUserId: 3 }, { assignedUserId: null }] as IssueRow[];
    expect(await plan(findAssigneesQuery(db(), page))).toContain("SEARCH users USING INTEGER PRIMARY KEY (rowid=?)");
    const members = await plan(findMembersQuery(db(), 1, { userIds: [3], emails: ["a@example.com"] }));
    expectNoScans(members);
    expect(members.join("\n")).not.toMatch(/SCAN (users|memberships)\b/);
  });

  it("stats, releases and tags of a page are primary-key searches", async () => {
    const stats = await plan(issueStatsQuery(db(), [1, 2, 3], STATS_PERIODS["14d"], Date.now()));
    expect(stats).toContain("SEARCH issue_hourly USING PRIMARY KEY (issue_id=? AND hour>? AND hour<?)");
    const releases = await plan(releasesQuery(db(), [{ projectId: 1, version: "1.0.0" }]));
    expect(releases).toContain("SEARCH releases USING PRIMARY KEY (project_id=? AND version=?)");
    const tags = await plan(issueTagValues(db(), 1));
    expect(tags).toEqual(["SEARCH issue_tags USING PRIMARY KEY (issue_id=?)"]);
    const latest = await plan(latestReleaseQuery(db(), 1));
    expect(latest[0]).toBe("SEARCH releases USING PRIMARY KEY (project_id=?)");
    for (const steps of [stats, releases, tags, latest]) expectNoScans(steps);
  });

  it("a status change touches issues by id", async () => {
    const steps = await plan(
      updateIssueLifecycleQuery(db(), 1, [1, 2], {
        status: "resolved",
        resolvedAt: 1,
        resolvedInRelease: null,
        resolvedInNextRelease: false,
        ignoredUntil: null,
        ignoredUntilCount: null,
        snapshotCountBase: false,
      }),
    );
    expect(steps).toContain("SEARCH issues USING INTEGER PRIMARY KEY (rowid=?)");
    expectNoScans(steps);
  });

  it("projects come from the unique (organization, slug) index, their first event from issues_by_first_seen", async () => {
    const steps = await plan(listProjectsQuery(db(), [1]));
    expect(steps.some((s) => /^SEARCH projects USING INDEX sqlite_autoindex_projects_1 \(organization_id=\?\)$/.test(s))).toBe(true);
    expect(
      steps.filter((s) => s.startsWith("SEARCH issues USING COVERING INDEX issues_by_first_seen (project_id=? AND status=?)")),
    ).toHaveLength(3);
    expectNoScans(steps);
  });
});

describe("the event queries' plans", () => {
  it("an issue's events, pages, edges and neighbours all read events_by_issue", async () => {
    const cases = [
      [issueEventsQuery(db(), 1, null, 100), "(issue_id=?)"],
      [issueEventsQuery(db(), 1, { value: 5, id: 3, previous: false }, 100), "(issue_id=? AND timestamp<?)"],
      [issueEventsQuery(db(), 1, { value: 5, id: 3, previous: true }, 100), "(issue_id=? AND timestamp>?)"],
      [edgeEventQuery(db(), 1, "latest"), "(issue_id=?)"],
      [edgeEventQuery(db(), 1, "oldest"), "(issue_id=?)"],
      [neighborEventQuery(db(), { issueId: 1, timestamp: 5, id: 3 }, "previous"), "(issue_id=? AND timestamp<?)"],
      [neighborEventQuery(db(), { issueId: 1, timestamp: 5, id: 3 }, "next"), "(issue_id=? AND timestamp>?)"],
    ] as const;
    for (const [query, range] of cases) expect(await plan(query)).toEqual([`SEARCH events USING INDEX events_by_issue ${range}`]);
  });

  it("an event by id uses the unique (project_id, event_id) index", async () => {
    expect(await plan(findEventQuery(db(), 1, "0123456789abcdef0123456789abcdef"))).toEqual([
      "SEARCH events USING INDEX sqlite_autoindex_events_1 (project_id=? AND event_id=?)",
    ]);
  });
});

describe("the stream across projects and statuses", () => {
  // Small values so that sort values tie across projects and statuses: ties are broken by id.
  async function seedSpread(): Promise<number[]> {
    const org = await seedOrganization();
    const projectIds = [org.projectId, await seedProjectIn(org.orgId, "second"), await seedProjectIn(org.orgId, "third")];
    const statuses = ["unresolved", "resolved", "ignored"] as const;
    let n = 0;
    const rows = [];
    for (const projectId of projectIds) {
      for (let i = 0; i < 14; i++) {
        n++;
        rows.push(
          seedIssue(projectId, {
            status: statuses[(n * 7) % 3],
            level: n % 4 === 0 ? "warning" : "error",
            lastSeen: 1_000 + ((n * 13) % 9),
            firstSeen: 500 + ((n * 5) % 7),
            timesSeen: 1 + ((n * 11) % 6),
            userCount: (n * 3) % 4,
          }),
        );
      }
    }
    await Promise.all(rows);
    return projectIds;
  }

  type Cursor = { value: number; id: number; previous: boolean };

  /** Walks every page forward, then one page back from the last, with the cursors the route builds. */
  async function walk(read: (cursor: Cursor | null) => Promise<IssueRow[]>, sort: IssueSort, limit: number) {
    const pages: IssueRow[][] = [];
    let cursor: Cursor | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const rows = await read(cursor);
      pages.push(rows.slice(0, limit));
      if (rows.length <= limit) break;
      const last = rows[limit - 1]!;
      cursor = { value: issueSortValue(last, sort), id: last.id, previous: false };
    }
    const top = pages.at(-1)![0]!;
    const back = await read({ value: issueSortValue(top, sort), id: top.id, previous: true });
    return { pages: pages.map((p) => p.map((r) => r.id)), back: back.slice(0, limit).map((r) => r.id) };
  }

  it.each([
    ["is:unresolved", "date"],
    ["is:unresolved", "freq"],
    ["", "new"],
    ["is:[unresolved,ignored]", "user"],
    ["level:error", "date"],
    ["!is:resolved level:warning", "freq"],
  ] as const)("%s sorted by %s reads each pair in index order and merges to the sorting statement's pages", async (query, sort) => {
    const projectIds = await seedSpread();
    const search = parseIssueSearch(query);
    const limit = 2;
    const merged = (cursor: Cursor | null) => listIssues(db(), { projectIds, search, sort, cursor, limit });
    const single = async (cursor: Cursor | null) => (await issueListQuery(db(), { projectIds, search, sort, cursor, limit })) as IssueRow[];

    const expected = await walk(single, sort, limit);
    expect(expected.pages.length).toBeGreaterThan(2);
    expect(expected.back).toHaveLength(limit);
    expect(await walk(merged, sort, limit)).toEqual(expected);
    // Whole rows, the project included, as the single statement answers them; a project named
    // twice is still one project.
    expect(await merged(null)).toEqual(await single(null));
    expect(await listIssues(db(), { projectIds: [...projectIds, projectIds[0]!], search, sort, cursor: null, limit })).toEqual(
      await single(null),
    );

    for (const p of streamPartitions({ projectIds, search })) {
      const steps = await plan(
        issuePartitionQuery(db(), {
          projectIds: [p.projectId],
          search: { ...search, statuses: new Set([p.status]) },
          sort,
          cursor: null,
          limit,
        }),
      );
      expect(steps.join("\n")).not.toContain("TEMP B-TREE");
    }
  });
});
