import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import {
  issueActivityQuery,
  issueNotesQuery,
  noteCountsQuery,
  postedAlreadyQuery,
} from "../../../dashboard/api/issues/issue-activity-queries";

// The activity and comment queries, planned by SQLite: each reads one issue's rows through
// issue_activity_by_issue, never the whole table.
async function plan(query: { toSQL(): { sql: string; params: unknown[] } }): Promise<string[]> {
  const { sql, params } = query.toSQL();
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail);
}

const db = () => drizzle(env.DB);

describe("the activity queries' plans", () => {
  it.each([
    ["an issue's trail", issueActivityQuery(db(), 1, 100), "(issue_id=?)"],
    ["a page of comments", issueNotesQuery(db(), 1, null, 100), "(issue_id=?)"],
    ["the next page", issueNotesQuery(db(), 1, { value: 5, id: 3, previous: false }, 100), "(issue_id=? AND created_at<?)"],
    ["the page before", issueNotesQuery(db(), 1, { value: 5, id: 3, previous: true }, 100), "(issue_id=? AND created_at>?)"],
    ["a comment posted again", postedAlreadyQuery(db(), 1, 2, "+1", 0), "(issue_id=? AND created_at>?)"],
  ])("%s reads issue_activity_by_issue in order, sorting only ties", async (_what, query, range) => {
    const steps = await plan(query);
    expect(steps.some((s) => s.startsWith(`SEARCH issue_activity USING INDEX issue_activity_by_issue ${range}`))).toBe(true);
    expect(steps.join("\n")).not.toMatch(/SCAN issue_activity|USE TEMP B-TREE FOR ORDER BY/);
  });

  it("a page's comment counts seek each issue", async () => {
    const steps = await plan(noteCountsQuery(db(), [1, 2, 3]));
    expect(steps.some((s) => s.startsWith("SEARCH issue_activity USING INDEX issue_activity_by_issue (issue_id=?)"))).toBe(true);
    expect(steps.join("\n")).not.toContain("SCAN issue_activity");
  });
});
