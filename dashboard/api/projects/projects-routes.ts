import { Hono } from "hono";
import type { ApiEnv } from "../api-env";
import { ingestOrigin } from "./ingest-origin";
import { listProjectKeys, listProjects } from "./project-queries";
import { database, organizationInScope, projectInScope } from "../route-scope";
import { serializeProject, serializeProjectKey } from "./serialize-project";

/**
 * Projects and their DSN keys (https://docs.sentry.io/api/projects/). Lists are short (projects
 * of an organization, keys of a project), so they come in one page.
 */
export const projectsRoutes = new Hono<ApiEnv>({ strict: false });

// https://docs.sentry.io/api/projects/list-your-projects/
projectsRoutes.get("/projects", async (c) => {
  const rows = await listProjects(database(c), [...c.get("principal").organizationIds]);
  return c.json(rows.map(serializeProject));
});

// https://docs.sentry.io/api/organizations/list-an-organizations-projects/
projectsRoutes.get("/organizations/:org/projects", async (c) => {
  const org = await organizationInScope(c);
  const rows = await listProjects(database(c), [org.id]);
  return c.json(rows.map(serializeProject));
});

// https://docs.sentry.io/api/projects/retrieve-a-project/
projectsRoutes.get("/projects/:org/:project", async (c) => {
  const project = await projectInScope(c);
  return c.json(serializeProject(project));
});

// https://docs.sentry.io/api/projects/list-a-projects-client-keys/
projectsRoutes.get("/projects/:org/:project/keys", async (c) => {
  const project = await projectInScope(c);
  const keys = await listProjectKeys(database(c), project.id);
  const ingest = ingestOrigin(c.env.INGEST_URL, c.req.url);
  return c.json(keys.map((key) => serializeProjectKey(key, ingest)));
});
