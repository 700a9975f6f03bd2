import type { DrizzleD1Database } from "drizzle-orm/d1";
import { type Context, Hono } from "hono";
import { z } from "zod";
import type { ApiEnv } from "../api-env";
import { ApiError, badRequest, notFound } from "../api-error";
import { keysetPage, linkHeader, parseCursor } from "../cursor-pagination";
import { database, organizationInScope } from "../route-scope";
import { readJsonBody, validateInput } from "../validate-input";
import { newReleaseBody, pageSize, releaseUpdateBody } from "./release-input";
import {
  type ProjectRef,
  type ReleaseRow,
  deleteRelease,
  findRelease,
  hasNewIssues,
  linkedProjectIds,
  listReleaseCommits,
  listReleases,
  organizationProjects,
  previousReleaseWithCommits,
  releaseDetails,
} from "./release-queries";
import { projectsNamed, saveNewRelease, saveReleaseUpdate } from "./save-release";
import { serializeCommit, serializeRelease } from "./serialize-release";
import { type HealthOptions, healthOptions, releaseHealth } from "./release-health";
import { pairsWithSessions } from "./session-queries";
import { sessionsRoutes } from "./sessions-routes";

/**
 * An organization's releases (https://docs.sentry.io/api/releases/), the routes sentry-cli 3.x
 * drives: `releases new|finalize|set-commits|list|info|delete|archive` (src/api/mod.rs). A
 * version in a path is percent-encoded; `@`, `+` and spaces are common in versions.
 */
export const releasesRoutes = new Hono<ApiEnv>({ strict: false });

// Release health's session statistics (sessions-routes.ts).
releasesRoutes.route("/", sessionsRoutes);

const BASE = "/organizations/:org/releases";

/** The path's version (Hono decodes it), trimmed as versions are kept. */
export function versionParam(c: Context<ApiEnv>): string {
  const version = (c.req.param("version") ?? "").trim();
  return version === "" ? notFound() : version;
}

/** A release of the organization the path names, or 404. */
export async function releaseInScope(c: Context<ApiEnv>): Promise<{ release: ReleaseRow; orgProjects: ProjectRef[] }> {
  const org = await organizationInScope(c);
  const db = database(c);
  const [release, orgProjects] = await Promise.all([findRelease(db, org.id, versionParam(c)), organizationProjects(db, org.id)]);
  return release === null ? notFound() : { release, orgProjects };
}

/** Releases with what they are serialized with, in their order; their health when asked for (`?health=1`). */
export async function serializeReleases(
  db: DrizzleD1Database,
  rows: readonly ReleaseRow[],
  orgProjects: readonly ProjectRef[],
  health: HealthOptions | null = null,
) {
  const details = await releaseDetails(db, rows, orgProjects);
  const pairs = rows.flatMap((row) => details.get(row.id)!.projects.map((p) => ({ projectId: p.id, release: row.version })));
  // drizzle's D1 driver keeps the binding as `$client`; the health queries run on it directly.
  const d1 = (db as DrizzleD1Database & { $client: D1Database }).$client;
  const hasHealthData = await pairsWithSessions(d1, pairs);
  const healthData = health === null ? null : await releaseHealth(d1, pairs, health, Date.now(), hasHealthData);
  return rows.map((row) => serializeRelease(row, details.get(row.id)!, { hasHealthData, healthData }));
}

const listParams = z.object({
  query: z.string().max(200).optional(),
  status: z.enum(["open", "archived", ""]).default("open"),
  per_page: pageSize,
  cursor: z.string().optional(),
});

/**
 * A page of releases, newest first, with Sentry's cursor Link header. `query` matches part of
 * the version; `status` is open (the default), archived or empty for both.
 */
export async function releasePage(
  c: Context<ApiEnv>,
  organizationId: number,
  projectIds: readonly number[] | null,
  orgProjects: ProjectRef[],
) {
  const params = validateInput(listParams, {
    query: c.req.query("query"),
    status: c.req.query("status"),
    per_page: c.req.query("per_page"),
    cursor: c.req.query("cursor"),
  });
  const db = database(c);
  const cursor = parseCursor(params.cursor);
  const rows = await listReleases(db, {
    organizationId,
    projectIds,
    query: params.query?.trim() || null,
    status: params.status === "" ? null : params.status,
    cursor,
    limit: params.per_page,
  });
  const page = keysetPage(rows, params.per_page, cursor, (r) => ({ value: r.dateCreated, id: r.id }));
  c.header("Link", linkHeader(c.req.url, page));
  return c.json(
    await serializeReleases(
      db,
      page.items,
      orgProjects,
      healthOptions((name) => c.req.query(name)),
    ),
  );
}

// https://docs.sentry.io/api/releases/list-an-organizations-releases/
releasesRoutes.get(BASE, async (c) => {
  const org = await organizationInScope(c);
  const orgProjects = await organizationProjects(database(c), org.id);
  const asked = (c.req.queries("project") ?? []).filter((p) => p !== "-1" && p !== "");
  if (asked.length > 100) badRequest("project: at most 100 values");
  const projectIds = asked.map((p) => (/^\d{1,15}$/.test(p) ? Number(p) : badRequest(`project: "${p}" is not a project id`)));
  // As the issue stream: a project outside the organization is one the caller may not see.
  const foreign = projectIds.find((id) => !orgProjects.some((p) => p.id === id));
  if (foreign !== undefined) throw new ApiError(403, `You do not have permission to perform this action (project ${foreign}).`);
  return releasePage(c, org.id, projectIds.length === 0 ? null : projectIds, orgProjects);
});

// https://docs.sentry.io/api/releases/create-a-new-release-for-an-organization/
releasesRoutes.post(BASE, async (c) => {
  const org = await organizationInScope(c);
  const db = database(c);
  const input = validateInput(newReleaseBody, await readJsonBody(c.req.raw));
  const orgProjects = await organizationProjects(db, org.id);
  const projectIds = projectsNamed(input.projects, orgProjects);
  const { release, status } = await saveNewRelease(db, org.id, input, projectIds, orgProjects, Date.now());
  const [body] = await serializeReleases(db, [release], orgProjects);
  return c.json(body, status);
});

// https://docs.sentry.io/api/releases/retrieve-an-organizations-release/
releasesRoutes.get(`${BASE}/:version`, async (c) => {
  const { release, orgProjects } = await releaseInScope(c);
  const [body] = await serializeReleases(
    database(c),
    [release],
    orgProjects,
    healthOptions((name) => c.req.query(name)),
  );
  return c.json(body);
});

// https://docs.sentry.io/api/releases/update-an-organizations-release/
releasesRoutes.put(`${BASE}/:version`, async (c) => {
  const { release, orgProjects } = await releaseInScope(c);
  const input = validateInput(releaseUpdateBody, await readJsonBody(c.req.raw));
  const db = database(c);
  const [body] = await serializeReleases(db, [await saveReleaseUpdate(db, release, input)], orgProjects);
  return c.json(body);
});

// https://docs.sentry.io/api/releases/delete-an-organizations-release/: not while issues were
// first seen in it (Sentry's Release.safe_delete), so their first release keeps pointing at it.
releasesRoutes.delete(`${BASE}/:version`, async (c) => {
  const { release, orgProjects } = await releaseInScope(c);
  const db = database(c);
  if (
    await hasNewIssues(
      db,
      orgProjects.map((p) => p.id),
      release.version,
    )
  )
    badRequest("This release is referenced by active issues and cannot be removed.");
  await deleteRelease(db, release.id);
  return c.body(null, 204);
});

// https://docs.sentry.io/api/releases/list-an-organization-releases-commits/
releasesRoutes.get(`${BASE}/:version/commits`, async (c) => {
  const { release } = await releaseInScope(c);
  const commits = await listReleaseCommits(database(c), release.id);
  return c.json(commits.map(serializeCommit));
});

// What `sentry-cli releases set-commits` reads before reading commits from a local checkout: the
// previous release with commits, whose last commit is where the new commits start; `{}` for none.
releasesRoutes.get(`${BASE}/:version/previous-with-commits`, async (c) => {
  const { release, orgProjects } = await releaseInScope(c);
  const db = database(c);
  const projectIds = await linkedProjectIds(
    db,
    release,
    orgProjects.map((p) => p.id),
  );
  const previous = await previousReleaseWithCommits(db, release, projectIds);
  if (previous === null) return c.json({});
  const [body] = await serializeReleases(db, [previous], orgProjects);
  return c.json(body);
});

// https://docs.sentry.io/api/organizations/list-an-organizations-repositories/: Faultline has no
// repository integrations. An empty list is also what makes `set-commits --auto`, `--commit` and
// `--local` read the commits from the local checkout and send them whole (sentry-cli's
// releases/set_commits.rs), which is how a release gets its commits here.
releasesRoutes.get("/organizations/:org/repos", async (c) => {
  await organizationInScope(c);
  return c.json([]);
});
