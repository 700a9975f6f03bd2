// The SQL of the dashboard's main reads, as the API builds it, for `npm run bench:dashboard` to
// plan on the seeded database (bundled for Node by the benchmark; nothing here touches D1).
import { drizzle } from "drizzle-orm/d1";
import { edgeEventQuery, neighborEventQuery } from "../../dashboard/api/events/event-queries";
import {
  STATS_PERIODS,
  issueListQuery,
  issuePartitionQuery,
  issueStatsQuery,
  issueTagValues,
} from "../../dashboard/api/issues/issue-queries";
import { parseIssueSearch } from "../../dashboard/api/issues/parse-issue-search";

export function dashboardQueries(issueId: number, now: number) {
  const db = drizzle({} as D1Database);
  const list = (
    query: string,
    sort: "date" | "new" | "freq" | "user",
    projectIds: number[],
    cursor: { value: number; id: number; previous: boolean } | null = null,
  ) => issueListQuery(db, { projectIds, search: parseIssueSearch(query), sort, cursor, limit: 25 }).toSQL();
  return [
    { name: "stream: one project, unresolved, by last seen", ...list("is:unresolved", "date", [3]) },
    { name: "stream: by events, a later page", ...list("is:unresolved", "freq", [3], { value: 20, id: 40_000, previous: false }) },
    { name: "stream: environment:staging", ...list("is:unresolved environment:staging", "date", [3]) },
    // Across projects the API runs one statement per (project, status) in one batch and merges
    // them (listIssues); this is one of the five.
    {
      name: "stream: five projects, free text (one project's statement of five)",
      ...issuePartitionQuery(db, {
        projectIds: [3],
        search: parseIssueSearch("is:unresolved handler 42"),
        sort: "date",
        cursor: null,
        limit: 25,
      }).toSQL(),
    },
    { name: "issue: 30 days of counts", ...issueStatsQuery(db, [issueId], STATS_PERIODS["30d"], now).toSQL() },
    { name: "issue: tag values", ...issueTagValues(db, issueId).toSQL() },
    { name: "latest event", ...edgeEventQuery(db, issueId, "latest").toSQL() },
    { name: "event: the next older one", ...neighborEventQuery(db, { issueId, timestamp: now - 86_400_000, id: 1 }, "previous").toSQL() },
  ];
}
