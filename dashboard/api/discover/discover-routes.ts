/**
 * The organization-wide query routes that Grafana's Sentry data source, sentry-mcp and
 * dashboards call: events-stats (a count over time), events (Discover over errors, one row per
 * issue; over transactions, transaction-discover.ts answers both), stats_v2 (what was accepted and
 * what was refused, per category and outcome) and the organization's tag keys. Everything is
 * added up from the digest's hourly and daily rollups, so a query over 90 days reads rollup rows,
 * never events (discover-queries.ts). Counts are hourly: an interval under an hour is rounded up
 * to one.
 */
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { type Context, Hono } from "hono";
import type { ApiEnv } from "../api-env";
import { badRequest, notFound } from "../api-error";
import { type IssueRow, listIssues } from "../issues/issue-queries";
import { type IssueSearch, parseIssueSearch } from "../issues/parse-issue-search";
import { shortId } from "../issues/serialize-issue";
import { iso } from "../projects/serialize-project";
import { database } from "../route-scope";
import {
  acceptedDayCounts,
  type HourCount,
  issueHourCounts,
  projectHourCounts,
  refusedDayCounts,
  rejectedDayCounts,
  tagKeyTotals,
} from "./discover-queries";
import { type QueryWindow, bucketTimes, queryProjects, queryWindow } from "./discover-window";
import { organizationWithProjects } from "../organizations/organization-queries";
import { transactionSeries, transactionTable, wantsTransactions } from "./transaction-discover";

export const discoverRoutes = new Hono<ApiEnv>({ strict: false });

/** Issues a filtered query adds up at most; past it the counts are of the most recently seen. */
const MAX_ISSUES = 1000;

// https://docs.sentry.io/api/discover/retrieve-event-counts-for-an-organization-v2/ (yAxis=count())
discoverRoutes.get("/organizations/:org/events-stats", async (c) => {
  const { db, projectIds } = await scope(c);
  const window = queryWindow(c, { period: "24h", interval: "1h" });
  const yAxes = c.req.queries("yAxis") ?? ["count()"];
  if (wantsTransactions(c)) return transactionSeries(c, projectIds, window, yAxes);
  for (const y of yAxes) if (y !== "count()") badRequest(`yAxis: "${y.slice(0, 50)}" is not supported (count() is)`);
  const counts = await eventCounts(db, projectIds, searchOf(c), window);
  const buckets = bucketTimes(window);
  const series = {
    data: buckets.map((t, i) => [t, [{ count: counts[i] ?? 0 }]]),
    start: window.start / 1000,
    end: window.end / 1000,
    isMetricsData: false,
    meta: { fields: { time: "date", count: "integer" }, units: { time: null, count: null } },
  };
  // One yAxis answers the series itself; several answer one series per yAxis, as Sentry does.
  return c.json(yAxes.length === 1 ? series : Object.fromEntries(yAxes.map((y) => [y, series])));
});

const FIELDS: Record<string, { type: string; value: (issue: IssueRow, count: number) => unknown }> = {
  title: { type: "string", value: (i) => i.title },
  issue: { type: "string", value: (i) => shortId(i.project.slug, i.id) },
  "issue.id": { type: "integer", value: (i) => i.id },
  project: { type: "string", value: (i) => i.project.slug },
  "project.id": { type: "integer", value: (i) => i.project.id },
  culprit: { type: "string", value: (i) => i.culprit },
  level: { type: "string", value: (i) => i.level },
  release: { type: "string", value: (i) => i.lastRelease },
  "count()": { type: "integer", value: (_i, count) => count },
  // Users over the issue's whole life: users are not counted per hour.
  "count_unique(user)": { type: "integer", value: (i) => i.userCount },
  "last_seen()": { type: "date", value: (i) => iso(i.lastSeen) },
  "first_seen()": { type: "date", value: (i) => iso(i.firstSeen) },
};

// https://docs.sentry.io/api/discover/query-discover-events-in-table-format/ — over errors, one
// row per issue: the fields above, sorted by any of them (`sort=-count()`), `per_page` rows.
discoverRoutes.get("/organizations/:org/events", async (c) => {
  if (wantsTransactions(c))
    return speculatively(c, (projectIds, slugs) =>
      transactionTable(c, projectIds, slugs, queryWindow(c, { period: "14d", interval: "1h" })),
    );
  const { db, projectIds } = await scope(c);
  const dataset = c.req.query("dataset") ?? "errors";
  if (dataset !== "errors" && dataset !== "discover")
    badRequest(`dataset: "${dataset.slice(0, 50)}" is not supported (errors and transactions are)`);
  const fields = c.req.queries("field") ?? [];
  if (fields.length === 0) badRequest("field: give at least one field");
  for (const f of fields)
    if (FIELDS[f] === undefined) badRequest(`field: "${f.slice(0, 50)}" is not supported (${Object.keys(FIELDS).join(", ")})`);
  const sort = c.req.query("sort") ?? (fields.includes("count()") ? "-count()" : `-${fields[0]}`);
  const sortField = sort.replace(/^-/, "");
  if (!fields.includes(sortField)) badRequest(`sort: "${sort.slice(0, 50)}" is not one of the fields`);
  const perPage = Number(c.req.query("per_page") ?? "50");
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) badRequest("per_page: a whole number from 1 to 100");

  const window = queryWindow(c, { period: "14d", interval: "1h" });
  const issues = await matchingIssues(db, projectIds, searchOf(c), window);
  const totals = new Map<number, number>();
  for (const row of await issueHourCounts(
    db,
    issues.map((i) => i.id),
    window.start,
    window.end,
  ))
    totals.set(row.key, (totals.get(row.key) ?? 0) + row.count);
  const rows = issues
    .map((issue) => ({ issue, count: totals.get(issue.id) ?? 0 }))
    .filter((r) => r.count > 0)
    .map(({ issue, count }) => Object.fromEntries(fields.map((f) => [f, FIELDS[f]!.value(issue, count)])));
  const direction = sort.startsWith("-") ? -1 : 1;
  rows.sort((a, b) => direction * compare(a[sortField], b[sortField]));
  return c.json({
    data: rows.slice(0, perPage),
    meta: { fields: Object.fromEntries(fields.map((f) => [f, FIELDS[f]!.type])), units: Object.fromEntries(fields.map((f) => [f, null])) },
  });
});

// Sentry's data categories for the envelope item types the digest counts
// (https://develop.sentry.dev/sdk/telemetry/outcomes/, "DataCategory").
const CATEGORIES: Record<string, string> = {
  event: "error",
  transaction: "transaction",
  span: "span",
  attachment: "attachment",
  session: "session",
  sessions: "session",
  check_in: "monitor",
  feedback: "feedback",
  user_report: "user_report_v2",
  profile: "profile",
  replay_event: "replay",
};

// https://docs.sentry.io/api/organizations/retrieve-event-counts-for-an-organization-v2/ —
// `field=sum(quantity)`, `groupBy` category, outcome and/or project; per UTC day: that is how
// accepted items are counted. Outcomes: accepted (stored by the digest) and invalid (refused by it).
discoverRoutes.get("/organizations/:org/stats_v2", async (c) => {
  const { db, projectIds } = await scope(c);
  const window = queryWindow(c, { period: "14d", interval: "1d" });
  if (window.interval % 86_400_000 !== 0) badRequest("interval: a whole number of days (counts are kept per day)");
  const fields = c.req.queries("field") ?? ["sum(quantity)"];
  for (const f of fields) if (f !== "sum(quantity)" && f !== "sum(times_seen)") badRequest(`field: "${f.slice(0, 50)}" is not supported`);
  const groupBy = c.req.queries("groupBy") ?? [];
  for (const g of groupBy)
    if (g !== "category" && g !== "outcome" && g !== "project") badRequest(`groupBy: "${g.slice(0, 50)}" is not supported`);
  const categories = c.req.queries("category");
  const outcomes = c.req.queries("outcome");

  const [accepted, rejected, refused] = await Promise.all([
    acceptedDayCounts(db, projectIds, window.start, window.end),
    rejectedDayCounts(db, projectIds, window.start, window.end),
    refusedDayCounts(db, projectIds, window.start, window.end),
  ]);
  const rows = [
    ...accepted.map((r) => ({ ...r, category: CATEGORIES[r.kind] ?? "default", outcome: "accepted" })),
    // A message the digest could not read was meant as an error event, as far as anyone knows.
    ...rejected.map((r) => ({ ...r, category: "error", outcome: "invalid" })),
    // Requests ingest refused: Relay's outcomes are rate_limited for a 429 and invalid for a body
    // it cannot take (malformed, too large; https://develop.sentry.dev/sdk/telemetry/client-reports/).
    ...refused.map((r) => ({ ...r, category: "error", outcome: r.kind === "429" ? "rate_limited" : "invalid" })),
  ].filter(
    (r) => (categories === undefined || categories.includes(r.category)) && (outcomes === undefined || outcomes.includes(r.outcome)),
  );

  const intervals = bucketTimes(window);
  const groups = new Map<string, { by: Record<string, string | number>; series: number[] }>();
  for (const row of rows) {
    const by: Record<string, string | number> = {};
    for (const g of groupBy) by[g] = g === "project" ? row.projectId : g === "category" ? row.category : row.outcome;
    const key = JSON.stringify(by);
    const group = groups.get(key) ?? { by, series: intervals.map(() => 0) };
    groups.set(key, group);
    const slot = Math.floor((row.day - window.start) / window.interval);
    if (slot >= 0 && slot < intervals.length) group.series[slot]! += row.count;
  }
  return c.json({
    start: iso(window.start),
    end: iso(window.end),
    intervals: intervals.map((t) => iso(t * 1000)),
    groups: [...groups.values()].map(({ by, series }) => ({
      by,
      totals: Object.fromEntries(fields.map((f) => [f, series.reduce((a, b) => a + b, 0)])),
      series: Object.fromEntries(fields.map((f) => [f, series])),
    })),
  });
});

// https://docs.sentry.io/api/events/list-an-organizations-tags/ (the tag keys events carried)
discoverRoutes.get("/organizations/:org/tags", async (c) => {
  const { db, projectIds } = await scope(c);
  const rows = await tagKeyTotals(db, projectIds);
  return c.json(rows.map((r) => ({ key: r.key, name: tagName(r.key), totalValues: r.total })));
});

/** The organization's projects asked for (queryProjects) and every project's slug, in one read. */
async function scope(c: Context<ApiEnv>): Promise<{ db: DrizzleD1Database; projectIds: number[]; slugs: Map<number, string> }> {
  const db = database(c);
  const scoped = (await organizationWithProjects(db, c.get("principal"), c.req.param("org") ?? "")) ?? notFound();
  return { db, projectIds: queryProjects(c, [...scoped.projects.keys()]), slugs: scoped.projects };
}

/**
 * Answers with `answer` over the projects a request names by id (`project=1&project=2`) while
 * the organization and its projects are read beside it, one round trip fewer: nothing is
 * answered until they are, and any failure waits for them, so another organization is still a
 * 404, a project outside it still the 400 queryProjects gives, before any other answer. Without
 * project ids, the organization's are read first.
 */
async function speculatively(
  c: Context<ApiEnv>,
  answer: (projectIds: number[], slugs: Promise<Map<number, string>>) => Promise<Response>,
): Promise<Response> {
  const asked = (c.req.queries("project") ?? []).filter((p) => p !== "-1");
  const scoped = scope(c);
  if (asked.length === 0 || !asked.every((p) => /^\d{1,15}$/.test(p))) {
    const { projectIds, slugs } = await scoped;
    return answer(projectIds, Promise.resolve(slugs));
  }
  const slugs = scoped.then((s) => s.slugs);
  slugs.catch(() => undefined);
  try {
    return await answer(asked.map(Number), slugs);
  } catch (err) {
    await scoped;
    throw err;
  }
}

/** `query` in the issue search syntax, plus `environment` (repeatable). No query means every event. */
function searchOf(c: Context<ApiEnv>): IssueSearch {
  const search = parseIssueSearch(c.req.query("query") ?? "");
  const environments = c.req.queries("environment") ?? [];
  if (environments.length > 0) search.tags.push({ key: "environment", values: environments, negated: false });
  return search;
}

function filtered(search: IssueSearch): boolean {
  return (
    search.statuses.size < 3 ||
    search.levels.length > 0 ||
    search.firstReleases.length > 0 ||
    search.tags.length > 0 ||
    search.text !== null
  );
}

/** The issues a search matches that were seen in the window, most recently seen first. */
async function matchingIssues(db: DrizzleD1Database, projectIds: number[], search: IssueSearch, window: QueryWindow): Promise<IssueRow[]> {
  const rows = await listIssues(db, { projectIds, search, sort: "date", cursor: null, limit: MAX_ISSUES, since: window.start });
  return rows.slice(0, MAX_ISSUES);
}

/** Events per bucket: the projects' totals, or, for a filtered search, its issues' totals. */
async function eventCounts(db: DrizzleD1Database, projectIds: number[], search: IssueSearch, window: QueryWindow): Promise<number[]> {
  let rows: HourCount[];
  if (filtered(search)) {
    const issues = await matchingIssues(db, projectIds, search, window);
    rows = await issueHourCounts(
      db,
      issues.map((i) => i.id),
      window.start,
      window.end,
    );
  } else {
    rows = await projectHourCounts(db, projectIds, window.start, window.end);
  }
  const counts: number[] = [];
  for (const row of rows) {
    const slot = Math.floor((row.hour - window.start) / window.interval);
    counts[slot] = (counts[slot] ?? 0) + row.count;
  }
  return counts;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a ?? "").localeCompare(String(b ?? ""));
}

function tagName(key: string): string {
  return key.replaceAll("_", " ").replace(/(^|[^A-Za-z])([a-z])/g, (_m, before: string, letter: string) => before + letter.toUpperCase());
}
