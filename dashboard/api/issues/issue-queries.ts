import { type SQL, and, asc, desc, eq, gt, gte, inArray, lt, lte, notInArray, or, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { issueHourly, issueTags, issues, memberships, projects, releases, users } from "../../../db/schema";
import type { Cursor } from "../cursor-pagination";
import type { IssueSearch, IssueStatus } from "./parse-issue-search";
import { containsText } from "../contains-text";

/**
 * The issue stream and issue pages, in drizzle. Which index serves each query is said next to it;
 * test/dashboard-api/issues/issue-queries.test.ts checks the plans.
 */
export type IssueSort = "date" | "new" | "freq" | "user";

const SORT_COLUMNS = {
  date: issues.lastSeen,
  new: issues.firstSeen,
  freq: issues.timesSeen,
  user: issues.userCount,
} as const;

export interface IssueRow {
  id: number;
  projectId: number;
  type: string;
  title: string;
  culprit: string;
  level: string;
  platform: string;
  metadata: Record<string, unknown>;
  status: IssueStatus;
  substatus: string;
  resolvedAt: number | null;
  resolvedInRelease: string | null;
  resolvedInNextRelease: boolean;
  ignoredUntil: number | null;
  ignoredUntilCount: number | null;
  ignoredCountBase: number | null;
  firstSeen: number;
  lastSeen: number;
  firstRelease: string | null;
  lastRelease: string | null;
  timesSeen: number;
  userCount: number;
  assignedUserId: number | null;
  project: { id: number; slug: string; name: string; platform: string | null; organizationId: number };
}

const issueOnlyColumns = {
  id: issues.id,
  projectId: issues.projectId,
  type: issues.type,
  title: issues.title,
  culprit: issues.culprit,
  level: issues.level,
  platform: issues.platform,
  metadata: issues.metadata,
  status: issues.status,
  substatus: issues.substatus,
  resolvedAt: issues.resolvedAt,
  resolvedInRelease: issues.resolvedInRelease,
  resolvedInNextRelease: issues.resolvedInNextRelease,
  ignoredUntil: issues.ignoredUntil,
  ignoredUntilCount: issues.ignoredUntilCount,
  ignoredCountBase: issues.ignoredCountBase,
  firstSeen: issues.firstSeen,
  lastSeen: issues.lastSeen,
  firstRelease: issues.firstRelease,
  lastRelease: issues.lastRelease,
  timesSeen: issues.timesSeen,
  userCount: issues.userCount,
  assignedUserId: issues.assignedUserId,
};

const projectColumns = {
  id: projects.id,
  slug: projects.slug,
  name: projects.name,
  platform: projects.platform,
  organizationId: projects.organizationId,
};

const issueColumns = { ...issueOnlyColumns, project: projectColumns };

export interface IssueListQuery {
  projectIds: number[];
  search: IssueSearch;
  sort: IssueSort;
  cursor: Cursor | null;
  limit: number;
  /** Only issues seen at or after this time (ms); null for any time. */
  since?: number | null;
  /** The search's assignee filters, their members looked up (see AssigneeCondition). */
  assignees?: AssigneeCondition[];
}

/**
 * An `assigned:` or `is:(un)assigned` filter with its members looked up: issues assigned to one
 * of `userIds` or, with `nobody`, to no one; with `negated`, every other issue.
 */
export interface AssigneeCondition {
  userIds: number[];
  nobody: boolean;
  negated: boolean;
}

/**
 * One page of the issue stream (limit + 1 rows, to tell whether there is more), in the query's
 * order: sort value descending, then id ascending — the order of the (project_id, status,
 * <sort> DESC) indexes, whose rows end in the rowid. With one project and one status the index
 * hands rows out already sorted; otherwise SQLite seeks the index per project and sorts, which is
 * why listIssues runs one such statement per (project, status) and merges them.
 * `environment:`, `release:` and tag filters find issue ids through issue_tags_by_value, within
 * the listed projects.
 */
export function issueListQuery(db: DrizzleD1Database, q: IssueListQuery) {
  return db
    .select(issueColumns)
    .from(issues)
    .innerJoin(projects, eq(projects.id, issues.projectId))
    .where(and(...issueConditions(q)))
    .orderBy(...streamOrder(q))
    .limit(q.limit + 1);
}

/** Sort value descending then id ascending; reversed when a cursor pages back. */
function streamOrder(q: Pick<IssueListQuery, "sort" | "cursor">): [SQL, SQL] {
  const column = SORT_COLUMNS[q.sort];
  return q.cursor?.previous === true ? [asc(column), desc(issues.id)] : [desc(column), asc(issues.id)];
}

/**
 * Above this many (project, status) pairs the stream is one statement that sorts; at or below,
 * one index-ordered statement per pair in a single D1 batch, merged here.
 */
const MAX_STREAM_PARTITIONS = 30;

export async function listIssues(db: DrizzleD1Database, q: IssueListQuery): Promise<IssueRow[]> {
  if (q.projectIds.length === 0 || q.search.statuses.size === 0) return [];
  const partitions = streamPartitions(q);
  if (partitions.length <= 1 || partitions.length > MAX_STREAM_PARTITIONS) return (await issueListQuery(db, q)) as IssueRow[];
  // Each (project, status) pair reads its own index range already in order, so no statement
  // sorts more than a page; the first limit + 1 rows of the merge are the first limit + 1 rows
  // of the single statement, which would sort every matching issue of every project first.
  // In a D1 batch rows come back as objects keyed by column name, so these statements select
  // the issue's columns alone (a join's two `id`s would collide) and the projects come apart.
  const projectRows = db.select(projectColumns).from(projects).where(inArray(projects.id, q.projectIds));
  const pages = partitions.map((p) =>
    issuePartitionQuery(db, { ...q, projectIds: [p.projectId], search: { ...q.search, statuses: new Set([p.status]) } }),
  );
  const [projectList, ...issuePages] = await db.batch([projectRows, ...pages]);
  const byId = new Map(projectList.map((project) => [project.id, project]));
  const rows = issuePages.flat().flatMap((issue) => {
    const project = byId.get(issue.projectId);
    return project === undefined ? [] : [{ ...issue, project } as IssueRow];
  });
  return inStreamOrder(rows, q).slice(0, q.limit + 1);
}

/** issueListQuery for one (project, status) pair, without the project's columns. */
export function issuePartitionQuery(db: DrizzleD1Database, q: IssueListQuery) {
  return db
    .select(issueOnlyColumns)
    .from(issues)
    .where(and(...issueConditions(q)))
    .orderBy(...streamOrder(q))
    .limit(q.limit + 1);
}

/** The (project, status) pairs a stream query covers, each one range of a sort index. */
export function streamPartitions(q: Pick<IssueListQuery, "projectIds" | "search">): Array<{ projectId: number; status: IssueStatus }> {
  // A project named twice (?project=5&project=5) is one partition, as `IN (5, 5)` is one project.
  return [...new Set(q.projectIds)].flatMap((projectId) => [...q.search.statuses].map((status) => ({ projectId, status })));
}

/** Rows of a query's partitions sorted into that query's order (see streamOrder). */
function inStreamOrder(rows: IssueRow[], q: Pick<IssueListQuery, "sort" | "cursor">): IssueRow[] {
  const back = q.cursor?.previous === true;
  return rows.sort((a, b) => {
    const byValue = issueSortValue(b, q.sort) - issueSortValue(a, q.sort) || a.id - b.id;
    return back ? -byValue : byValue;
  });
}

export function issueSortValue(issue: IssueRow, sort: IssueSort): number {
  return { date: issue.lastSeen, new: issue.firstSeen, freq: issue.timesSeen, user: issue.userCount }[sort];
}

function issueConditions(q: IssueListQuery): SQL[] {
  const conditions: SQL[] = [];
  conditions.push(q.projectIds.length === 1 ? eq(issues.projectId, q.projectIds[0]!) : inArray(issues.projectId, q.projectIds));
  const statuses = [...q.search.statuses];
  // Searching for assigned issues, the status is tested on the few found through
  // issues_by_assignee (see assigneeCondition); the unary plus keeps SQLite from preferring the
  // stream's (project_id, status) indexes, which would walk every issue of that status.
  const status = (q.assignees ?? []).some(findsAssigned) ? sql`+${issues.status}` : issues.status;
  if (statuses.length === 1) conditions.push(sql`${status} = ${statuses[0]!}`);
  else if (statuses.length === 2) conditions.push(sql`${status} IN (${statuses[0]!}, ${statuses[1]!})`);
  if (q.since !== undefined && q.since !== null) conditions.push(gte(issues.lastSeen, q.since));
  for (const assignee of q.assignees ?? []) conditions.push(assigneeCondition(assignee));
  for (const level of q.search.levels)
    conditions.push(level.negated ? notInArray(issues.level, level.values) : inArray(issues.level, level.values));
  // An issue with no first release is in none of them, so `!firstRelease:` keeps it.
  for (const first of q.search.firstReleases)
    conditions.push(
      first.negated
        ? sql`(${issues.firstRelease} IS NULL OR ${notInArray(issues.firstRelease, first.values)})`
        : inArray(issues.firstRelease, first.values),
    );
  for (const tag of q.search.tags) {
    const inProjects = q.projectIds.length === 1 ? eq(issueTags.projectId, q.projectIds[0]!) : inArray(issueTags.projectId, q.projectIds);
    const holders = sql`SELECT ${issueTags.issueId} FROM ${issueTags} WHERE ${inProjects} AND ${issueTags.key} = ${tag.key} AND ${inArray(issueTags.value, tag.values)}`;
    conditions.push(tag.negated ? sql`${issues.id} NOT IN (${holders})` : sql`${issues.id} IN (${holders})`);
  }
  if (q.search.text !== null) {
    // Matched on rows the index already narrowed.
    conditions.push(sql`(${containsText(issues.title, q.search.text)} OR ${containsText(issues.culprit, q.search.text)})`);
  }
  if (q.cursor !== null) {
    const column = SORT_COLUMNS[q.sort];
    const { value, id } = q.cursor;
    // The first conjunct is an index range; the second breaks ties between equal sort values by id.
    conditions.push(
      q.cursor.previous
        ? and(gte(column, value), or(gt(column, value), lt(issues.id, id)))!
        : and(lte(column, value), or(lt(column, value), gt(issues.id, id)))!,
    );
  }
  return conditions;
}

/** Whether a filter keeps only assigned issues: to some members, or to anyone. */
function findsAssigned(a: AssigneeCondition): boolean {
  return a.negated ? a.nobody : !a.nobody;
}

/**
 * Few issues are assigned, most are not. A search for assigned ones (to members, or to anyone)
 * reads issues_by_assignee and sorts what it finds; one that takes in the unassigned reads the
 * stream's index in order and tests each issue, the unary plus keeping SQLite off
 * issues_by_assignee, where "nobody" is most of the project.
 */
function assigneeCondition(a: AssigneeCondition): SQL {
  const column = issues.assignedUserId;
  const members = a.userIds.length === 0 ? null : sql`${column} IN ${idList(a.userIds)}`;
  if (!a.negated) {
    if (!a.nobody) return members ?? sql`0`;
    return members === null ? sql`+${column} IS NULL` : sql`(+${column} IS NULL OR +${column} IN ${idList(a.userIds)})`;
  }
  if (a.nobody) return members === null ? sql`${column} IS NOT NULL` : sql`(${column} IS NOT NULL AND NOT ${members})`;
  return members === null ? sql`1` : sql`(+${column} IS NULL OR +${column} NOT IN ${idList(a.userIds)})`;
}

/** One issue by id with its project (primary keys). Callers check the organization. */
export async function findIssue(db: DrizzleD1Database, issueId: number): Promise<IssueRow | null> {
  const [row] = await db
    .select(issueColumns)
    .from(issues)
    .innerJoin(projects, eq(projects.id, issues.projectId))
    .where(eq(issues.id, issueId))
    .limit(1);
  return (row as IssueRow | undefined) ?? null;
}

/** Issue ids as one bound parameter: D1 binds at most 100 per statement, a page may hold 100 issues. */
function idList(ids: readonly number[]): SQL {
  return sql`(SELECT value FROM json_each(${JSON.stringify(ids)}))`;
}

export interface StatsPeriod {
  /** Bucket width in milliseconds (an hour or a day). */
  bucket: number;
  buckets: number;
}

export const STATS_PERIODS = {
  "24h": { bucket: 3_600_000, buckets: 24 },
  "14d": { bucket: 86_400_000, buckets: 14 },
  "30d": { bucket: 86_400_000, buckets: 30 },
} as const satisfies Record<string, StatsPeriod>;

/**
 * Event counts per bucket, oldest first, ending with the bucket that holds `now`, as Sentry's
 * `stats` ([[unix seconds, count], ...]). Summed from issue_hourly by its primary key
 * (issue_id, hour); day buckets are UTC days.
 */
export async function issueStats(
  db: DrizzleD1Database,
  issueIds: readonly number[],
  period: StatsPeriod,
  now: number,
): Promise<Map<number, Array<[number, number]>>> {
  const { start } = statsWindow(period, now);
  const out = new Map<number, Array<[number, number]>>();
  for (const id of issueIds) {
    out.set(
      id,
      Array.from({ length: period.buckets }, (_, i): [number, number] => [(start + i * period.bucket) / 1000, 0]),
    );
  }
  if (issueIds.length === 0) return out;
  for (const row of await issueStatsQuery(db, issueIds, period, now)) {
    const slot = out.get(row.issueId)?.[(row.bucket - start) / period.bucket];
    if (slot !== undefined) slot[1] += row.count;
  }
  return out;
}

function statsWindow(period: StatsPeriod, now: number): { start: number; end: number } {
  const last = now - (now % period.bucket);
  return { start: last - (period.buckets - 1) * period.bucket, end: last + period.bucket };
}

export function issueStatsQuery(db: DrizzleD1Database, issueIds: readonly number[], period: StatsPeriod, now: number) {
  const { start, end } = statsWindow(period, now);
  const bucketStart = sql<number>`${issueHourly.hour} - ${issueHourly.hour} % ${period.bucket}`;
  return db
    .select({
      issueId: issueHourly.issueId,
      bucket: bucketStart.mapWith(Number),
      count: sql<number>`sum(${issueHourly.count})`.mapWith(Number),
    })
    .from(issueHourly)
    .where(and(sql`${issueHourly.issueId} IN ${idList(issueIds)}`, gte(issueHourly.hour, start), lt(issueHourly.hour, end)))
    .groupBy(issueHourly.issueId, bucketStart);
}

export interface ReleaseRow {
  projectId: number;
  version: string;
  firstSeen: number;
  lastSeen: number;
}

/** Releases by (project, version), the primary key; one bound parameter for the whole list. */
export async function findReleases(
  db: DrizzleD1Database,
  keys: ReadonlyArray<{ projectId: number; version: string }>,
): Promise<Map<string, ReleaseRow>> {
  const out = new Map<string, ReleaseRow>();
  if (keys.length === 0) return out;
  for (const row of await releasesQuery(db, keys)) out.set(releaseKey(row.projectId, row.version), row);
  return out;
}

export function releasesQuery(db: DrizzleD1Database, keys: ReadonlyArray<{ projectId: number; version: string }>) {
  const pairs = JSON.stringify(keys.map((k) => [k.projectId, k.version]));
  return db
    .select({ projectId: releases.projectId, version: releases.version, firstSeen: releases.firstSeen, lastSeen: releases.lastSeen })
    .from(releases)
    .where(sql`(${releases.projectId}, ${releases.version}) IN (SELECT value ->> 0, value ->> 1 FROM json_each(${pairs}))`);
}

export function releaseKey(projectId: number, version: string): string {
  return `${projectId}\u0000${version}`;
}

/**
 * The project's newest release, by when it was first seen: what "resolved in the next release"
 * is resolved after. Reads the project's releases through the primary key (project_id, version).
 */
export async function latestRelease(db: DrizzleD1Database, projectId: number): Promise<string | null> {
  const [row] = await latestReleaseQuery(db, projectId);
  return row?.version ?? null;
}

export function latestReleaseQuery(db: DrizzleD1Database, projectId: number) {
  return db
    .select({ version: releases.version })
    .from(releases)
    .where(eq(releases.projectId, projectId))
    .orderBy(desc(releases.firstSeen), desc(releases.version))
    .limit(1);
}

export interface TagValueRow {
  key: string;
  value: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

/** Every tag value of one issue, or of one of its keys, with counts (issue_tags' primary key starts with issue_id, key). */
export function issueTagValues(db: DrizzleD1Database, issueId: number, key?: string) {
  return db
    .select({
      key: issueTags.key,
      value: issueTags.value,
      count: issueTags.count,
      firstSeen: issueTags.firstSeen,
      lastSeen: issueTags.lastSeen,
    })
    .from(issueTags)
    .where(key === undefined ? eq(issueTags.issueId, issueId) : and(eq(issueTags.issueId, issueId), eq(issueTags.key, key)));
}

/** The lifecycle columns a status change writes (see issue-status-update.ts). */
export type IssueLifecycle = {
  status: IssueStatus;
  substatus?: string;
  resolvedAt: number | null;
  resolvedInRelease: string | null;
  resolvedInNextRelease: boolean;
  ignoredUntil: number | null;
  ignoredUntilCount: number | null;
  /** Snapshot the issue's times_seen, so "ignore until N more events" counts from now. */
  snapshotCountBase: boolean;
};

/** Up to `limit` ids of a project's issues in one status, most recently seen first (issues_by_last_seen). */
export async function issueIdsWithStatus(db: DrizzleD1Database, projectId: number, status: IssueStatus, limit: number): Promise<number[]> {
  const rows = await db
    .select({ id: issues.id })
    .from(issues)
    .where(and(eq(issues.projectId, projectId), eq(issues.status, status)))
    .orderBy(desc(issues.lastSeen))
    .limit(limit);
  return rows.map((r) => r.id);
}

export function updateIssueLifecycleQuery(db: DrizzleD1Database, projectId: number, issueIds: readonly number[], change: IssueLifecycle) {
  return (
    db
      .update(issues)
      .set({
        status: change.status,
        ...(change.substatus === undefined ? {} : { substatus: change.substatus }),
        resolvedAt: change.resolvedAt,
        resolvedInRelease: change.resolvedInRelease,
        resolvedInNextRelease: change.resolvedInNextRelease,
        ignoredUntil: change.ignoredUntil,
        ignoredUntilCount: change.ignoredUntilCount,
        ignoredCountBase: change.snapshotCountBase ? sql`${issues.timesSeen}` : null,
      })
      // The unary plus keeps SQLite from walking the whole project's index to test each issue
      // against the list: it looks the listed ids up by rowid, then checks their project.
      .where(and(sql`${issues.id} IN ${idList(issueIds)}`, sql`+${issues.projectId} = ${projectId}`))
      .returning({ id: issues.id })
  );
}

/** Whether a release exists in a project (primary key). */
export async function releaseExists(db: DrizzleD1Database, projectId: number, version: string): Promise<boolean> {
  const [row] = await db
    .select({ version: releases.version })
    .from(releases)
    .where(and(eq(releases.projectId, projectId), eq(releases.version, version)))
    .limit(1);
  return row !== undefined;
}

export interface AssigneeRow {
  id: number;
  email: string;
  name: string | null;
}

/** Members of an organization by user id or by email (users' unique email is case-insensitive). */
export async function findMembers(
  db: DrizzleD1Database,
  organizationId: number,
  refs: { userIds: readonly number[]; emails: readonly string[] },
): Promise<AssigneeRow[]> {
  if (refs.userIds.length === 0 && refs.emails.length === 0) return [];
  return findMembersQuery(db, organizationId, refs);
}

/** Users by primary key or their unique email, then their membership by its primary key. */
export function findMembersQuery(
  db: DrizzleD1Database,
  organizationId: number,
  refs: { userIds: readonly number[]; emails: readonly string[] },
) {
  return db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .innerJoin(memberships, and(eq(memberships.organizationId, organizationId), eq(memberships.userId, users.id)))
    .where(
      or(sql`${users.id} IN ${idList(refs.userIds)}`, sql`${users.email} IN (SELECT value FROM json_each(${JSON.stringify(refs.emails)}))`),
    );
}

/** The assignees of a page of issues, by user id. */
export async function findAssignees(
  db: DrizzleD1Database,
  issueRows: readonly Pick<IssueRow, "assignedUserId">[],
): Promise<Map<number, AssigneeRow>> {
  if (issueRows.every((i) => i.assignedUserId === null)) return new Map();
  const rows = await findAssigneesQuery(db, issueRows);
  return new Map(rows.map((r) => [r.id, r]));
}

/** Users by primary key. */
export function findAssigneesQuery(db: DrizzleD1Database, issueRows: readonly Pick<IssueRow, "assignedUserId">[]) {
  const ids = [...new Set(issueRows.flatMap((i) => (i.assignedUserId === null ? [] : [i.assignedUserId])))];
  return db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(sql`${users.id} IN ${idList(ids)}`);
}

/**
 * Assigns some issues of one project to a member, or to nobody (null); returns the ids whose
 * assignee changed. Issues by id, as updateIssueLifecycleQuery finds them.
 */
export function assignIssuesQuery(db: DrizzleD1Database, projectId: number, issueIds: readonly number[], userId: number | null) {
  return db
    .update(issues)
    .set({ assignedUserId: userId })
    .where(
      and(
        sql`${issues.id} IN ${idList(issueIds)}`,
        sql`+${issues.projectId} = ${projectId}`,
        sql`${issues.assignedUserId} IS NOT ${userId}`,
      ),
    )
    .returning({ id: issues.id });
}

/** Which of some ids are issues of a project, with their status, assignee and count (by id, as updateIssueLifecycleQuery finds them). */
export function issuesOfProjectQuery(db: DrizzleD1Database, projectId: number, issueIds: readonly number[]) {
  return db
    .select({ id: issues.id, status: issues.status, assignedUserId: issues.assignedUserId, timesSeen: issues.timesSeen })
    .from(issues)
    .where(and(sql`${issues.id} IN ${idList(issueIds)}`, sql`+${issues.projectId} = ${projectId}`));
}
