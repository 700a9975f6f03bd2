import { type Context, Hono } from "hono";
import type { ApiEnv } from "../api-env";
import { notFound } from "../api-error";
import type { ProjectRow } from "../projects/project-queries";
import { database, projectInScope } from "../route-scope";
import { readJsonBody, validateInput } from "../validate-input";
import { newProjectReleaseBody, releaseUpdateBody } from "./release-input";
import { type ProjectRef, type ReleaseRow, findRelease, linkedProjectIds, organizationProjects } from "./release-queries";
import { healthOptions } from "./release-health";
import { releasePage, serializeReleases, versionParam } from "./releases-routes";
import { saveNewRelease, saveReleaseUpdate } from "./save-release";

/**
 * A project's releases (https://docs.sentry.io/api/releases/list-a-projects-releases/): the
 * routes sentry-cli 2.x and the bundler plugins use, and `sentry-cli releases list` with a
 * project. The release is the organization's; through a project, only one linked to it exists.
 */
export const projectReleasesRoutes = new Hono<ApiEnv>({ strict: false });

const BASE = "/projects/:org/:project/releases";

async function projectAndReleases(c: Context<ApiEnv>): Promise<{ project: ProjectRow; orgProjects: ProjectRef[] }> {
  const project = await projectInScope(c);
  return { project, orgProjects: await organizationProjects(database(c), project.organization.id) };
}

async function projectReleaseInScope(c: Context<ApiEnv>): Promise<{ release: ReleaseRow; orgProjects: ProjectRef[] }> {
  const { project, orgProjects } = await projectAndReleases(c);
  const db = database(c);
  const release = await findRelease(db, project.organization.id, versionParam(c));
  if (release === null) notFound();
  const linked = await linkedProjectIds(
    db,
    release,
    orgProjects.map((p) => p.id),
  );
  return linked.includes(project.id) ? { release, orgProjects } : notFound();
}

projectReleasesRoutes.get(BASE, async (c) => {
  const { project, orgProjects } = await projectAndReleases(c);
  return releasePage(c, project.organization.id, [project.id], orgProjects);
});

// Sentry answers 208 when the release was already linked to the project, 201 otherwise.
projectReleasesRoutes.post(BASE, async (c) => {
  const { project, orgProjects } = await projectAndReleases(c);
  const input = validateInput(newProjectReleaseBody, await readJsonBody(c.req.raw));
  const db = database(c);
  const { release, status } = await saveNewRelease(db, project.organization.id, input, [project.id], orgProjects, Date.now());
  const [body] = await serializeReleases(db, [release], orgProjects);
  return c.json(body, status);
});

projectReleasesRoutes.get(`${BASE}/:version`, async (c) => {
  const { release, orgProjects } = await projectReleaseInScope(c);
  const [body] = await serializeReleases(
    database(c),
    [release],
    orgProjects,
    healthOptions((name) => c.req.query(name)),
  );
  return c.json(body);
});

projectReleasesRoutes.put(`${BASE}/:version`, async (c) => {
  const { release, orgProjects } = await projectReleaseInScope(c);
  const input = validateInput(releaseUpdateBody, await readJsonBody(c.req.raw));
  const db = database(c);
  const [body] = await serializeReleases(db, [await saveReleaseUpdate(db, release, input)], orgProjects);
  return c.json(body);
});
