import type { DrizzleD1Database } from "drizzle-orm/d1";
import { type Context, Hono } from "hono";
import { z } from "zod";
import type { ApiEnv } from "../api-env";
import { badRequest, notFound } from "../api-error";
import { keysetPage, linkHeader, parseCursor } from "../cursor-pagination";
import {
  type IssueLifecycle,
  type IssueRow,
  type IssueSort,
  STATS_PERIODS,
  assignIssuesQuery,
  findAssignees,
  findIssue,
  findReleases,
  issueSortValue,
  issueStats,
  issueTagValues,
  latestRelease,
  listIssues,
  releaseExists,
  issueIdsWithStatus,
  issuesOfProjectQuery,
  updateIssueLifecycleQuery,
} from "./issue-queries";
import {
  type IssueChanges,
  lifecycleOf,
  parseIssueChanges,
  type StatusChange,
  StatusChangeError,
  statusChangeOf,
} from "./issue-status-update";
import { parseAssignee, resolveAssignee, resolveAssigneeFilters } from "./issue-assignee";
import { insertAssignmentEmailsQueries, issuesToNotify } from "./assignment-emails";
import { issueActivityRoutes } from "./issue-activity-routes";
import { insertActivitiesQuery, issueActivityQuery, noteCounts } from "./issue-activity-queries";
import { TRAIL_LENGTH, serializeTrail } from "./serialize-activity";
import { childEventCount, mergePlan, mergeStatements } from "./merge-issues";
import { type UpdateAsked, issueUpdateActivities } from "./issue-update-activity";
import { type IssueStatus, parseIssueSearch } from "./parse-issue-search";
import { listProjects } from "../projects/project-queries";
import { database, idParams, issueInScope, organizationInScope, projectInScope } from "../route-scope";
import { findEvent } from "../events/event-queries";
import { parseIssueReference } from "./issue-reference";
import { serializeAssignee, serializeIssue, serializeTagSummary, serializeTagValues } from "./serialize-issue";
import { readJsonBody, validateInput } from "../validate-input";

/**
 * Issues (https://docs.sentry.io/api/events/): the stream of a project or an organization,
 * one issue, and changes of status (resolve, ignore, reopen) and assignee, one at a time or in
 * bulk.
 */
export const issuesRoutes = new Hono<ApiEnv>({ strict: false });

// An issue's comments and activity, under the same paths.
issuesRoutes.route("/", issueActivityRoutes);

// Sentry's default search when the `query` parameter is absent; an empty `query=` means no filter.
const DEFAULT_QUERY = "is:unresolved";
const MAX_BULK_IDS = 100;
// A merge moves the children's events in one transaction: a bound on what one request may move.
const MAX_MERGE_EVENTS = 20_000;
const MAX_BULK_BY_STATUS = 1000;
const MAX_TAG_VALUES = 1000;
const MAX_PROJECTS = 100;

const listParams = z.object({
  query: z.string().optional(),
  sort: z.enum(["date", "new", "freq", "user"]).default("date"),
  statsPeriod: z.enum(["24h", "14d", ""]).default("24h"),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().optional(),
  environment: z.array(z.string().min(1).max(64)).max(20).default([]),
});

// On the organization's stream, Sentry's `statsPeriod` is the time window searched (issues seen
// in the last 24h, 14d...) and `groupStatsPeriod` picks the sparkline.
const organizationListParams = listParams.omit({ statsPeriod: true }).extend({
  statsPeriod: z
    .string()
    .regex(/^\d{1,5}[smhdw]$/, "a period like 24h or 14d")
    .optional(),
  groupStatsPeriod: z.enum(["24h", "14d", "", "auto"]).default("24h"),
});

function queryParams(c: Context<ApiEnv>) {
  const single = (name: string) => c.req.query(name);
  return {
    query: single("query"),
    sort: single("sort"),
    statsPeriod: single("statsPeriod"),
    groupStatsPeriod: single("groupStatsPeriod"),
    limit: single("limit"),
    cursor: single("cursor"),
    environment: c.req.queries("environment") ?? [],
  };
}

// https://docs.sentry.io/api/events/list-a-projects-issues/
issuesRoutes.get("/projects/:org/:project/issues", async (c) => {
  const project = await projectInScope(c);
  const params = validateInput(listParams, queryParams(c));
  return issueStream(c, project.organization.id, [project.id], { ...params, stats: params.statsPeriod, since: null });
});

// https://docs.sentry.io/api/events/list-an-organizations-issues/
issuesRoutes.get("/organizations/:org/issues", async (c) => {
  const org = await organizationInScope(c);
  const params = validateInput(organizationListParams, queryParams(c));
  const inOrg = (await listProjects(database(c), [org.id])).map((p) => p.id);
  const asked = (c.req.queries("project") ?? []).filter((p) => p !== "-1");
  let projectIds = inOrg;
  if (asked.length > 0) {
    if (asked.length > MAX_PROJECTS) badRequest(`project: at most ${MAX_PROJECTS} values`);
    projectIds = asked.map((p) => (/^\d{1,15}$/.test(p) ? Number(p) : badRequest(`project: "${p}" is not a project id`)));
    // Sentry answers 403 for projects of the organization the caller may not see; here every
    // project outside the organization is one.
    const foreign = projectIds.find((id) => !inOrg.includes(id));
    if (foreign !== undefined) return c.json({ detail: `You do not have permission to perform this action (project ${foreign}).` }, 403);
  }
  const stats = params.groupStatsPeriod === "auto" ? "24h" : params.groupStatsPeriod;
  const since = params.statsPeriod === undefined ? null : Date.now() - periodMs(params.statsPeriod);
  return issueStream(c, org.id, projectIds.slice(0, MAX_PROJECTS), { ...params, stats, since });
});

interface StreamOptions {
  query?: string;
  sort: IssueSort;
  stats: "24h" | "14d" | "";
  limit: number;
  cursor?: string;
  environment: string[];
  /** Only issues seen since (ms). */
  since: number | null;
}

async function issueStream(c: Context<ApiEnv>, organizationId: number, projectIds: number[], options: StreamOptions): Promise<Response> {
  const db = database(c);
  // A search that is only an event id or a short id finds that one issue, as Sentry's does (and
  // says so with X-Sentry-Direct-Hit), or nothing.
  const direct = await directHit(db, projectIds, (options.query ?? "").trim());
  if (direct !== undefined) {
    c.header("X-Sentry-Direct-Hit", "1");
    return c.json(await serializeIssues(c, db, direct === null ? [] : [direct], options.stats));
  }
  const search = parseIssueSearch(options.query ?? DEFAULT_QUERY);
  if (options.environment.length > 0) search.tags.push({ key: "environment", values: options.environment, negated: false });
  const cursor = parseCursor(options.cursor);
  const assignees = await resolveAssigneeFilters(db, organizationId, c.get("principal").userId, search.assignees);
  const rows = await listIssues(db, {
    projectIds,
    search,
    sort: options.sort,
    cursor,
    limit: options.limit,
    since: options.since,
    assignees,
  });
  const page = keysetPage(rows, options.limit, cursor, (issue) => ({ value: issueSortValue(issue, options.sort), id: issue.id }));
  const body = await serializeIssues(c, db, page.items, options.stats);
  c.header("Link", linkHeader(c.req.url, page));
  return c.json(body);
}

const EVENT_ID = /^[0-9a-f]{32}$/;

/** The issue a search for an event id or a short id names; null when it names none of these projects'; undefined for any other search. */
async function directHit(db: DrizzleD1Database, projectIds: number[], query: string): Promise<IssueRow | null | undefined> {
  const eventId = query.toLowerCase().replaceAll("-", "");
  if (EVENT_ID.test(eventId)) {
    for (const projectId of projectIds) {
      const event = await findEvent(db, projectId, eventId);
      if (event !== null) return findIssue(db, event.issueId);
    }
    return null;
  }
  const ref = /^\d+$/.test(query) ? null : parseIssueReference(query);
  if (ref === null || ref.projectSlug === null) return undefined;
  const issue = await findIssue(db, ref.id);
  return issue !== null && projectIds.includes(issue.projectId) && issue.project.slug.toLowerCase() === ref.projectSlug ? issue : null;
}

async function serializeIssues(c: Context<ApiEnv>, db: DrizzleD1Database, issues: IssueRow[], period: "24h" | "14d" | "") {
  const ids = issues.map((i) => i.id);
  const [stats, releases, assignees, numComments] = await Promise.all([
    period === "" ? null : issueStats(db, ids, STATS_PERIODS[period], Date.now()),
    findReleases(db, releasesOf(issues)),
    findAssignees(db, issues),
    noteCounts(db, ids),
  ]);
  const origin = new URL(c.req.url).origin;
  return issues.map((issue) =>
    serializeIssue(issue, {
      origin,
      releases,
      assignees,
      numComments,
      stats: stats === null ? undefined : { [period]: stats.get(issue.id) ?? [] },
    }),
  );
}

function releasesOf(issues: IssueRow[]) {
  return issues.flatMap((i) =>
    [i.firstRelease, i.lastRelease].filter((v): v is string => v !== null).map((version) => ({ projectId: i.projectId, version })),
  );
}

function periodMs(period: string): number {
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[period.slice(-1) as "s" | "m" | "h" | "d" | "w"];
  return Number(period.slice(0, -1)) * unit;
}

// https://docs.sentry.io/api/events/retrieve-an-issue/
issuesRoutes.get("/issues/:issueId", async (c) => c.json(await issueDetails(c, await issueInScope(c))));
issuesRoutes.get("/organizations/:org/issues/:issueId", async (c) => c.json(await issueDetails(c, await issueInScope(c))));

/** The issue page: the issue with its tag breakdown and both of Sentry's detail sparklines. */
async function issueDetails(c: Context<ApiEnv>, issue: IssueRow) {
  const db = database(c);
  const now = Date.now();
  const [day, month, tags, releases, assignees, numComments, activity] = await Promise.all([
    issueStats(db, [issue.id], STATS_PERIODS["24h"], now),
    issueStats(db, [issue.id], STATS_PERIODS["30d"], now),
    issueTagValues(db, issue.id),
    findReleases(db, releasesOf([issue])),
    findAssignees(db, [issue]),
    noteCounts(db, [issue.id]),
    issueActivityQuery(db, issue.id, TRAIL_LENGTH),
  ]);
  return {
    ...serializeIssue(issue, {
      origin: new URL(c.req.url).origin,
      releases,
      assignees,
      numComments,
      stats: { "24h": day.get(issue.id) ?? [], "30d": month.get(issue.id) ?? [] },
    }),
    tags: serializeTagSummary(tags),
    activity: serializeTrail(activity, issue),
    seenBy: [],
    participants: [],
    pluginActions: [],
    pluginIssues: [],
    pluginContexts: [],
    userReportCount: 0,
  };
}

// The list of an issue's tags, each with its top values.
issuesRoutes.get("/issues/:issueId/tags", (c) => issueTags(c));
issuesRoutes.get("/organizations/:org/issues/:issueId/tags", (c) => issueTags(c));

async function issueTags(c: Context<ApiEnv>): Promise<Response> {
  const issue = await issueInScope(c);
  return c.json(serializeTagSummary(await issueTagValues(database(c), issue.id)));
}

// https://docs.sentry.io/api/events/retrieve-tag-details/
issuesRoutes.get("/issues/:issueId/tags/:key", (c) => issueTag(c));
issuesRoutes.get("/organizations/:org/issues/:issueId/tags/:key", (c) => issueTag(c));

async function issueTag(c: Context<ApiEnv>): Promise<Response> {
  const issue = await issueInScope(c);
  const key = c.req.param("key") ?? "";
  const [tag] = serializeTagSummary(await issueTagValues(database(c), issue.id, key));
  return tag === undefined ? notFound() : c.json(tag);
}

// https://docs.sentry.io/api/events/list-a-tags-values-related-to-an-issue/ — most frequent first.
issuesRoutes.get("/issues/:issueId/tags/:key/values", (c) => issueTagValueList(c));
issuesRoutes.get("/organizations/:org/issues/:issueId/tags/:key/values", (c) => issueTagValueList(c));

async function issueTagValueList(c: Context<ApiEnv>): Promise<Response> {
  const issue = await issueInScope(c);
  const key = c.req.param("key") ?? "";
  const rows = await issueTagValues(database(c), issue.id, key);
  return c.json(serializeTagValues(rows).slice(0, MAX_TAG_VALUES));
}

// https://docs.sentry.io/api/organizations/resolve-a-short-id/
issuesRoutes.get("/organizations/:org/shortids/:shortId", async (c) => {
  const org = await organizationInScope(c);
  const ref = parseIssueReference(c.req.param("shortId") ?? "");
  const issue = ref?.projectSlug == null ? null : await findIssue(database(c), ref.id);
  if (issue === null || ref?.projectSlug !== issue.project.slug.toLowerCase() || issue.project.organizationId !== org.id) return notFound();
  const group = await issueDetails(c, issue);
  return c.json({ organizationSlug: org.slug, projectSlug: issue.project.slug, groupId: String(issue.id), group, shortId: group.shortId });
});

// https://docs.sentry.io/api/events/update-an-issue/
issuesRoutes.put("/issues/:issueId", (c) => updateOne(c));
issuesRoutes.put("/organizations/:org/issues/:issueId", (c) => updateOne(c));

async function updateOne(c: Context<ApiEnv>): Promise<Response> {
  const issue = await issueInScope(c);
  const db = database(c);
  const update = await readIssueUpdate(c, db, issue.projectId, issue.project.organizationId);
  if (update.merge) badRequest("merge: merges two issues or more, with PUT /projects/{org}/{project}/issues/?id=...&id=...");
  await applyIssueUpdate(c, db, issue.projectId, [issue.id], update);
  const updated = (await findIssue(db, issue.id)) ?? issue;
  return c.json(await issueDetails(c, updated));
}

// https://docs.sentry.io/api/events/bulk-mutate-a-list-of-issues/ — the listed ids, or else, as
// Sentry does, up to 1,000 of the project's issues of one status (`?status=`, unresolved when
// absent): what sentry-cli's `issues resolve|mute|unresolve --status X` and `--all` send.
issuesRoutes.put("/projects/:org/:project/issues", async (c) => {
  const project = await projectInScope(c);
  const db = database(c);
  const listed = idParams(c, "id", MAX_BULK_IDS);
  const status = listed.length === 0 ? bulkStatus(c.req.query("status")) : null;
  const update = await readIssueUpdate(c, db, project.id, project.organization.id);
  if (update.merge) {
    const merged = await mergeListed(c, db, project.id, listed);
    return merged === null ? c.body(null, 204) : c.json({ merge: merged });
  }
  const ids = status === null ? listed : await issueIdsWithStatus(db, project.id, status, MAX_BULK_BY_STATUS);
  const changed = await applyIssueUpdate(c, db, project.id, ids, update);
  const first = changed[0] === undefined ? null : await findIssue(db, changed[0]);
  // Sentry answers 204 when none of the ids are issues of the project.
  if (first === null) return c.body(null, 204);
  // Sentry's bulk answer is the change, not the issues: the fields it was asked to change.
  const answer: Record<string, unknown> = {};
  if (update.lifecycle !== null) {
    const { status, statusDetails, substatus } = serializeIssue(first, {
      origin: new URL(c.req.url).origin,
      releases: new Map(),
      assignees: new Map(),
      numComments: new Map(),
    });
    Object.assign(answer, { status, statusDetails, substatus });
  }
  if (update.assignee !== undefined) answer.assignedTo = update.assignee === null ? null : serializeAssignee(update.assignee);
  return c.json(answer);
});

function bulkStatus(status: string | undefined): IssueStatus {
  if (status === undefined || status === "unresolved" || status === "resolved" || status === "ignored") return status ?? "unresolved";
  if (status === "muted") return "ignored";
  return badRequest(`status: "${status.slice(0, 50)}" is not one of unresolved, resolved, ignored`);
}

/** What a PUT asks of some issues, read and checked before anything is written. */
interface IssueUpdate extends UpdateAsked {
  lifecycle: IssueLifecycle | null;
  merge: boolean;
  now: number;
}

async function readIssueUpdate(c: Context<ApiEnv>, db: DrizzleD1Database, projectId: number, organizationId: number): Promise<IssueUpdate> {
  const body: IssueChanges = parseIssueChanges(await readJsonBody(c.req.raw));
  const now = Date.now();
  let lifecycle: IssueLifecycle | null = null;
  let change: StatusChange | null = null;
  let release: string | null = null;
  if (body.status !== undefined) {
    try {
      change = statusChangeOf({ ...body, status: body.status }, now);
    } catch (err) {
      if (err instanceof StatusChangeError) badRequest(err.message);
      throw err;
    }
    release = await resolutionRelease(db, projectId, change);
    lifecycle = lifecycleOf(change, release, now);
  }
  const assignee = body.assignedTo === undefined ? undefined : await resolveAssignee(db, organizationId, parseAssignee(body.assignedTo));
  return { lifecycle, change, release, assignee, merge: body.merge === true, now };
}

/**
 * Applies an update to some issues of one project, with the activity it leaves on them, in one
 * transaction; returns the ids of the project's issues among them.
 */
async function applyIssueUpdate(
  c: Context<ApiEnv>,
  db: DrizzleD1Database,
  projectId: number,
  ids: number[],
  update: IssueUpdate,
): Promise<number[]> {
  if (ids.length === 0) return [];
  const found = await issuesOfProjectQuery(db, projectId, ids);
  if (found.length === 0) return [];
  const foundIds = found.map((r) => r.id);
  const by = c.get("principal").userId;
  const activities = issueUpdateActivities(update, found, { projectId, userId: by, now: update.now });
  const toNotify = issuesToNotify(update.assignee, found, by);
  const writes = [
    ...(update.lifecycle === null ? [] : [updateIssueLifecycleQuery(db, projectId, foundIds, update.lifecycle)]),
    ...(update.assignee === undefined ? [] : [assignIssuesQuery(db, projectId, foundIds, update.assignee?.id ?? null)]),
    ...(activities.length === 0 ? [] : [insertActivitiesQuery(db, activities)]),
    ...(toNotify.length === 0 || !update.assignee ? [] : insertAssignmentEmailsQueries(db, toNotify, update.assignee.id, by, update.now)),
  ];
  if (writes.length > 0) await db.batch(writes as [(typeof writes)[number], ...(typeof writes)[number][]]);
  return foundIds;
}

/**
 * Merges the listed issues of a project into the one seen most (merge-issues.ts); Sentry's
 * answer names the parent and the children. Null when none of them is an issue of the project.
 */
async function mergeListed(
  c: Context<ApiEnv>,
  db: DrizzleD1Database,
  projectId: number,
  ids: number[],
): Promise<{ parent: string; children: string[] } | null> {
  if (ids.length === 0) badRequest("merge: list the issues to merge (?id=...&id=...)");
  const found = await issuesOfProjectQuery(db, projectId, ids);
  if (found.length === 0) return null;
  if (found.length < 2) badRequest("merge: needs two issues of the project or more");
  const plan = mergePlan(found);
  if ((await childEventCount(c.env.DB, plan.children, MAX_MERGE_EVENTS)) > MAX_MERGE_EVENTS)
    badRequest(`merge: the issues merged into the first hold more than ${MAX_MERGE_EVENTS} events; merge fewer at a time`);
  const by = { projectId, userId: c.get("principal").userId, now: Date.now(), tag: `merge:${crypto.randomUUID()}` };
  await c.env.DB.batch(mergeStatements(c.env.DB, plan, by));
  return { parent: String(plan.parent), children: plan.children.map(String) };
}

/** The release a resolve is in: the newest one for "next release", a named one that must exist. */
async function resolutionRelease(db: DrizzleD1Database, projectId: number, change: StatusChange): Promise<string | null> {
  if (change.status !== "resolved" || change.release.kind === "none") return null;
  if (change.release.kind === "next") {
    // Sentry's wording when a project has no release to resolve after.
    return (
      (await latestRelease(db, projectId)) ??
      badRequest("statusDetails.inNextRelease: No release data present in the system to form a basis for 'Next Release'")
    );
  }
  const { version } = change.release;
  if (!(await releaseExists(db, projectId, version))) badRequest(`statusDetails.inRelease: no release "${version}" in this project`);
  return version;
}
