import { type SQL, and, asc, desc, eq, gt, gte, lt, lte, ne, or, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { issues, organizationReleases, projects, releaseCommits, releaseDeploys, releaseProjects, releases } from "../../../db/schema";
import type { Cursor } from "../cursor-pagination";
import type { CommitInput } from "./release-input";
import { containsText } from "../contains-text";

/**
 * Releases of an organization (db/schema.ts, "Releases"): the release rows, the projects they
 * are linked to (by the API in release_projects, by events in the per-project `releases` rows),
 * and what is read with them. Lists of ids and versions travel as one JSON parameter (D1 binds
 * at most 100 per statement).
 */
export type ReleaseRow = typeof organizationReleases.$inferSelect;
export type CommitRow = typeof releaseCommits.$inferSelect;
export type DeployRow = typeof releaseDeploys.$inferSelect;

export interface ProjectRef {
  id: number;
  slug: string;
  name: string;
  platform: string | null;
}

function jsonValues(values: ReadonlyArray<number | string>): SQL {
  return sql`(SELECT value FROM json_each(${JSON.stringify(values)}))`;
}

/** A release by its version (the unique index on organization and version). */
export async function findRelease(db: DrizzleD1Database, organizationId: number, version: string): Promise<ReleaseRow | null> {
  const [row] = await db
    .select()
    .from(organizationReleases)
    .where(and(eq(organizationReleases.organizationId, organizationId), eq(organizationReleases.version, version)))
    .limit(1);
  return row ?? null;
}

/** An organization's projects (the unique index on organization and slug). */
export async function organizationProjects(db: DrizzleD1Database, organizationId: number): Promise<ProjectRef[]> {
  return db
    .select({ id: projects.id, slug: projects.slug, name: projects.name, platform: projects.platform })
    .from(projects)
    .where(eq(projects.organizationId, organizationId))
    .orderBy(asc(projects.slug));
}

/** The release is linked to one of the projects: by the API, or by one of their events (both primary keys). */
function linkedToAny(projectIds: readonly number[]): SQL {
  return sql`(EXISTS (SELECT 1 FROM ${releaseProjects} WHERE ${releaseProjects.releaseId} = ${organizationReleases.id} AND ${releaseProjects.projectId} IN ${jsonValues(projectIds)})
    OR EXISTS (SELECT 1 FROM ${releases} WHERE ${releases.projectId} IN ${jsonValues(projectIds)} AND ${releases.version} = ${organizationReleases.version}))`;
}

export interface ReleaseListQuery {
  organizationId: number;
  /** Only releases linked to one of these projects; null for all of the organization's. */
  projectIds: readonly number[] | null;
  /** Versions containing this text, case-insensitively (Sentry's free-text release search). */
  query: string | null;
  status: "open" | "archived" | null;
  cursor: Cursor | null;
  limit: number;
}

/**
 * A page of releases, newest first (dateCreated, then id), up to limit + 1 rows in the cursor's
 * direction for keysetPage. Walks organization_releases_by_date; the text and project filters
 * are checked on the rows it walks (a project's links by two primary key lookups each).
 */
export async function listReleases(db: DrizzleD1Database, q: ReleaseListQuery): Promise<ReleaseRow[]> {
  const r = organizationReleases;
  const conditions: SQL[] = [eq(r.organizationId, q.organizationId)];
  if (q.status !== null) conditions.push(eq(r.status, q.status));
  if (q.query !== null && q.query !== "") {
    conditions.push(containsText(r.version, q.query));
  }
  if (q.projectIds !== null) conditions.push(linkedToAny(q.projectIds));
  const back = q.cursor?.previous === true;
  if (q.cursor !== null) {
    const { value, id } = q.cursor;
    conditions.push(
      back
        ? and(gte(r.dateCreated, value), or(gt(r.dateCreated, value), gt(r.id, id)))!
        : and(lte(r.dateCreated, value), or(lt(r.dateCreated, value), lt(r.id, id)))!,
    );
  }
  return db
    .select()
    .from(r)
    .where(and(...conditions))
    .orderBy(...(back ? [asc(r.dateCreated), asc(r.id)] : [desc(r.dateCreated), desc(r.id)]))
    .limit(q.limit + 1);
}

export interface ReleaseProjectStats extends ProjectRef {
  newGroups: number;
}

/** What a release is serialized with besides its row. */
export interface ReleaseDetails {
  projects: ReleaseProjectStats[];
  firstEvent: number | null;
  lastEvent: number | null;
  lastCommit: CommitRow | null;
  lastDeploy: DeployRow | null;
}

/**
 * The projects, event times, new issues, last commit and last deploy of a page of releases:
 * five reads whatever the page's size, each through a primary key or index (release_projects'
 * and releases' primary keys, issues_by_first_release, release_commits' primary key, and
 * release_deploys' ids).
 */
export async function releaseDetails(
  db: DrizzleD1Database,
  rows: readonly ReleaseRow[],
  orgProjects: readonly ProjectRef[],
): Promise<Map<number, ReleaseDetails>> {
  const out = new Map<number, ReleaseDetails>();
  if (rows.length === 0) return out;
  const ids = rows.map((r) => r.id);
  const versions = [...new Set(rows.map((r) => r.version))];
  const orgProjectIds = orgProjects.map((p) => p.id);
  const deployIds = rows.flatMap((r) => (r.lastDeployId === null ? [] : [r.lastDeployId]));
  const [links, seen, lastCommits, lastDeploys] = await Promise.all([
    db
      .select({ releaseId: releaseProjects.releaseId, projectId: releaseProjects.projectId })
      .from(releaseProjects)
      .where(sql`${releaseProjects.releaseId} IN ${jsonValues(ids)}`),
    orgProjectIds.length === 0
      ? []
      : db
          .select()
          .from(releases)
          .where(sql`${releases.projectId} IN ${jsonValues(orgProjectIds)} AND ${releases.version} IN ${jsonValues(versions)}`),
    db
      .select()
      .from(releaseCommits)
      .where(sql`${releaseCommits.releaseId} IN ${jsonValues(ids)} AND ${releaseCommits.position} = 0`),
    deployIds.length === 0
      ? []
      : db
          .select()
          .from(releaseDeploys)
          .where(sql`${releaseDeploys.id} IN ${jsonValues(deployIds)}`),
  ]);

  const projectsOf = new Map<number, Set<number>>(rows.map((r) => [r.id, new Set<number>()]));
  for (const link of links) projectsOf.get(link.releaseId)?.add(link.projectId);
  const byVersion = new Map<string, typeof seen>();
  for (const row of seen) byVersion.set(row.version, [...(byVersion.get(row.version) ?? []), row]);
  for (const r of rows) for (const row of byVersion.get(r.version) ?? []) projectsOf.get(r.id)!.add(row.projectId);

  const linkedProjectIds = [...new Set([...projectsOf.values()].flatMap((set) => [...set]))];
  const newGroups = new Map<string, number>();
  if (linkedProjectIds.length > 0) {
    const counts = await db
      .select({ projectId: issues.projectId, version: issues.firstRelease, count: sql<number>`count(*)`.mapWith(Number) })
      .from(issues)
      .where(sql`${issues.projectId} IN ${jsonValues(linkedProjectIds)} AND ${issues.firstRelease} IN ${jsonValues(versions)}`)
      .groupBy(issues.projectId, issues.firstRelease);
    for (const c of counts) newGroups.set(`${c.projectId}\u0000${c.version}`, c.count);
  }

  const projectById = new Map(orgProjects.map((p) => [p.id, p]));
  const commitOf = new Map(lastCommits.map((c) => [c.releaseId, c]));
  const deployOf = new Map(lastDeploys.map((d) => [d.id, d]));
  for (const r of rows) {
    const times = byVersion.get(r.version) ?? [];
    out.set(r.id, {
      projects: [...projectsOf.get(r.id)!]
        .flatMap((id) => {
          const project = projectById.get(id);
          return project === undefined ? [] : [{ ...project, newGroups: newGroups.get(`${id}\u0000${r.version}`) ?? 0 }];
        })
        .sort((a, b) => a.slug.localeCompare(b.slug)),
      firstEvent: times.length === 0 ? null : Math.min(...times.map((t) => t.firstSeen)),
      lastEvent: times.length === 0 ? null : Math.max(...times.map((t) => t.lastSeen)),
      lastCommit: commitOf.get(r.id) ?? null,
      lastDeploy: r.lastDeployId === null ? null : (deployOf.get(r.lastDeployId) ?? null),
    });
  }
  return out;
}

/** The projects a release is linked to, by the API or by their events (both primary keys). */
export async function linkedProjectIds(db: DrizzleD1Database, release: ReleaseRow, orgProjectIds: readonly number[]): Promise<number[]> {
  const [byApi, byEvents] = await Promise.all([
    db.select({ projectId: releaseProjects.projectId }).from(releaseProjects).where(eq(releaseProjects.releaseId, release.id)),
    orgProjectIds.length === 0
      ? []
      : db
          .select({ projectId: releases.projectId })
          .from(releases)
          .where(sql`${releases.projectId} IN ${jsonValues(orgProjectIds)} AND ${releases.version} = ${release.version}`),
  ]);
  return [...new Set([...byApi, ...byEvents].map((r) => r.projectId))];
}

export interface NewReleaseFields {
  ref?: string | null;
  url?: string | null;
  dateStarted?: number | null;
  dateReleased?: number | null;
  status?: "open" | "archived";
}

/**
 * Creates the release, or finds the one that exists: creating is idempotent in Sentry, and an
 * existing release keeps its fields (only a status sent changes it). A concurrent create of the
 * same version (two CI jobs, two projects) meets the unique index and reads the winner's row.
 */
export async function createOrFindRelease(
  db: DrizzleD1Database,
  organizationId: number,
  version: string,
  fields: NewReleaseFields,
  now: number,
): Promise<{ release: ReleaseRow; created: boolean }> {
  const [created] = await db
    .insert(organizationReleases)
    .values({
      organizationId,
      version,
      ref: fields.ref ?? null,
      url: fields.url ?? null,
      status: fields.status ?? "open",
      dateCreated: now,
      dateStarted: fields.dateStarted ?? null,
      dateReleased: fields.dateReleased ?? null,
    })
    .onConflictDoNothing()
    .returning();
  if (created !== undefined) return { release: created, created: true };
  let release = (await findRelease(db, organizationId, version))!;
  if (fields.status !== undefined && fields.status !== release.status)
    release = await updateRelease(db, release, { status: fields.status });
  return { release, created: false };
}

/** Links projects the release is not linked to yet; true when it linked one. */
export async function linkProjects(
  db: DrizzleD1Database,
  release: ReleaseRow,
  projectIds: readonly number[],
  orgProjectIds: readonly number[],
): Promise<boolean> {
  if (projectIds.length === 0) return false;
  const linked = new Set(await linkedProjectIds(db, release, orgProjectIds));
  const missing = [...new Set(projectIds)].filter((id) => !linked.has(id));
  if (missing.length === 0) return false;
  const added = await db
    .insert(releaseProjects)
    .values(missing.map((projectId) => ({ releaseId: release.id, projectId })))
    .onConflictDoNothing()
    .returning({ projectId: releaseProjects.projectId });
  return added.length > 0;
}

/** Changes what the update names (undefined leaves a field, null clears it) and answers the row. */
export async function updateRelease(db: DrizzleD1Database, release: ReleaseRow, fields: NewReleaseFields): Promise<ReleaseRow> {
  const changes = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as NewReleaseFields;
  if (Object.keys(changes).length === 0) return release;
  const [row] = await db.update(organizationReleases).set(changes).where(eq(organizationReleases.id, release.id)).returning();
  return row ?? release;
}

// One statement's share of a release's commits: its JSON parameter stays far below D1's 2 MB
// per bound value whatever the messages (10,000 characters at most each).
const COMMITS_PER_STATEMENT = 50;

/**
 * Replaces a release's commits (Sentry's set_commits clears them first too), newest first, and
 * writes its commit count and distinct authors, in one transaction.
 */
export async function setReleaseCommits(db: DrizzleD1Database, releaseId: number, commits: readonly CommitInput[]): Promise<void> {
  const authors = new Map<string, { name: string | null; email: string | null }>();
  for (const c of commits) {
    const key = (c.authorEmail ?? c.authorName ?? "").toLowerCase();
    if (key !== "" && !authors.has(key)) authors.set(key, { name: c.authorName, email: c.authorEmail });
  }
  const inserts = [];
  for (let start = 0; start < commits.length; start += COMMITS_PER_STATEMENT) {
    const rows = commits
      .slice(start, start + COMMITS_PER_STATEMENT)
      .map((c, i) => [start + i, c.id, c.repository, c.message, c.authorName, c.authorEmail, c.timestamp, c.previousCommitId]);
    inserts.push(
      db
        .insert(releaseCommits)
        .select(
          sql`SELECT ${releaseId}, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7 FROM json_each(${JSON.stringify(rows)})`,
        ),
    );
  }
  await db.batch([
    db.delete(releaseCommits).where(eq(releaseCommits.releaseId, releaseId)),
    ...inserts,
    db
      .update(organizationReleases)
      .set({ commitCount: commits.length, authors: [...authors.values()] })
      .where(eq(organizationReleases.id, releaseId)),
  ]);
}

/** A release's commits, newest first (its primary key); at most MAX_COMMITS, so one page. */
export async function listReleaseCommits(db: DrizzleD1Database, releaseId: number): Promise<CommitRow[]> {
  return db.select().from(releaseCommits).where(eq(releaseCommits.releaseId, releaseId)).orderBy(asc(releaseCommits.position));
}

/**
 * The release sentry-cli's `set-commits` starts after (Sentry's previous-with-commits): the
 * newest other release sharing a project with this one that has commits, released (or else
 * created) no later than this one. Walks the organization's releases through
 * organization_releases_by_date; releases with commits are the ones it stops at.
 */
export async function previousReleaseWithCommits(
  db: DrizzleD1Database,
  release: ReleaseRow,
  projectIds: readonly number[],
): Promise<ReleaseRow | null> {
  if (projectIds.length === 0) return null;
  const r = organizationReleases;
  const when = sql`coalesce(${r.dateReleased}, ${r.dateCreated})`;
  const [row] = await db
    .select()
    .from(r)
    .where(
      and(
        eq(r.organizationId, release.organizationId),
        ne(r.id, release.id),
        gt(r.commitCount, 0),
        sql`${when} <= ${release.dateReleased ?? release.dateCreated}`,
        linkedToAny(projectIds),
      ),
    )
    .orderBy(desc(when), desc(r.id))
    .limit(1);
  return row ?? null;
}

/** Whether issues were first seen in the version, in any of the projects (issues_by_first_release). */
export async function hasNewIssues(db: DrizzleD1Database, projectIds: readonly number[], version: string): Promise<boolean> {
  if (projectIds.length === 0) return false;
  const [row] = await db
    .select({ id: issues.id })
    .from(issues)
    .where(sql`${issues.projectId} IN ${jsonValues(projectIds)} AND ${issues.firstRelease} = ${version}`)
    .limit(1);
  return row !== undefined;
}

/**
 * Deletes the release with its links, deploys and commits. When its events were seen stays in
 * the per-project rows (the digest's resolved-in-release ordering reads them); an event naming
 * the version again creates the release anew, as in Sentry.
 */
export async function deleteRelease(db: DrizzleD1Database, releaseId: number): Promise<void> {
  await db.batch([
    db.delete(releaseCommits).where(eq(releaseCommits.releaseId, releaseId)),
    db.delete(releaseDeploys).where(eq(releaseDeploys.releaseId, releaseId)),
    db.delete(releaseProjects).where(eq(releaseProjects.releaseId, releaseId)),
    db.delete(organizationReleases).where(eq(organizationReleases.id, releaseId)),
  ]);
}
