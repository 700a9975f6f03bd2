/**
 * Organizations, teams and environments (https://docs.sentry.io/api/organizations/,
 * https://docs.sentry.io/api/teams/): what sentry-cli, Grafana's Sentry data source, sentry-mcp
 * and Backstage read to find their way to projects. Every organization has one team holding all
 * of its projects (organization-queries.ts).
 */
import { type Context, Hono } from "hono";
import type { ApiEnv } from "../api-env";
import { notFound } from "../api-error";
import { listProjects } from "../projects/project-queries";
import { serializeOrganization, serializeProject } from "../projects/serialize-project";
import { database, organizationInScope, projectInScope } from "../route-scope";
import { listEnvironments, listOrganizations, memberCount, organizationProjectIds } from "./organization-queries";
import { serializeTeam } from "./serialize-team";

export const organizationsRoutes = new Hono<ApiEnv>({ strict: false });

// https://docs.sentry.io/api/organizations/list-your-organizations/
organizationsRoutes.get("/organizations", async (c) => {
  const rows = await listOrganizations(database(c), [...c.get("principal").organizationIds]);
  return c.json(rows.map(serializeOrganization));
});

// https://docs.sentry.io/api/organizations/retrieve-an-organization/
organizationsRoutes.get("/organizations/:org", async (c) => {
  const org = await organizationInScope(c);
  const db = database(c);
  const [projects, members] = await Promise.all([listProjects(db, [org.id]), memberCount(db, org.id)]);
  return c.json({
    ...serializeOrganization(org),
    features: [],
    access: ["org:read", "project:read", "project:releases", "team:read", "member:read", "event:read"],
    projects: projects.map(serializeProject),
    teams: [serializeTeam(org, members)],
  });
});

// https://docs.sentry.io/api/teams/list-an-organizations-teams/
organizationsRoutes.get("/organizations/:org/teams", async (c) => {
  const org = await organizationInScope(c);
  const db = database(c);
  const [projects, members] = await Promise.all([listProjects(db, [org.id]), memberCount(db, org.id)]);
  return c.json([{ ...serializeTeam(org, members), projects: projects.map(serializeProject) }]);
});

// https://docs.sentry.io/api/teams/retrieve-a-team/
organizationsRoutes.get("/teams/:org/:team", async (c) => {
  const org = await teamInScope(c);
  return c.json(serializeTeam(org, await memberCount(database(c), org.id)));
});

// https://docs.sentry.io/api/teams/list-a-teams-projects/
organizationsRoutes.get("/teams/:org/:team/projects", async (c) => {
  const org = await teamInScope(c);
  return c.json((await listProjects(database(c), [org.id])).map(serializeProject));
});

// The environments events named, across the organization's projects.
organizationsRoutes.get("/organizations/:org/environments", async (c) => {
  const org = await organizationInScope(c);
  const db = database(c);
  const names = [...new Set((await listEnvironments(db, await organizationProjectIds(db, org.id))).map((e) => e.name))];
  return c.json(visible(c) ? names.map((name) => ({ id: environmentId(name), name })) : []);
});

// https://docs.sentry.io/api/environments/list-a-projects-environments/
organizationsRoutes.get("/projects/:org/:project/environments", async (c) => {
  const project = await projectInScope(c);
  const rows = await listEnvironments(database(c), [project.id]);
  return c.json(visible(c) ? rows.map((e) => ({ id: environmentId(e.name), name: e.name, isHidden: false })) : []);
});

/** The one team: its slug is the organization's (or the organization's id). */
async function teamInScope(c: Context<ApiEnv>) {
  const org = await organizationInScope(c);
  const team = c.req.param("team");
  if (team !== org.slug && team !== String(org.id)) notFound();
  return org;
}

/** `visibility=hidden` lists hidden environments: Faultline hides none. */
function visible(c: Context<ApiEnv>): boolean {
  return c.req.query("visibility") !== "hidden";
}

/** Environments have no id of their own here; a stable one from the name (FNV-1a, 32 bits). */
function environmentId(name: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return String(hash);
}
