/**
 * Cron monitors in Sentry's API shapes (https://docs.sentry.io/api/crons/): the organization's
 * monitors (`?project=` to narrow), one monitor to read, reconfigure, disable or delete, its
 * check-ins newest first, and creating one without an SDK. Check-ins themselves arrive at
 * ingest (an SDK's `check_in` item or the HTTP check-in URL).
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { readApiMonitorConfig } from "../../../protocol/monitor-config";
import type { ApiEnv } from "../api-env";
import { badRequest, notFound } from "../api-error";
import { organizationInScope } from "../route-scope";
import { readJsonBody, validateInput } from "../validate-input";
import { createMonitor, deleteMonitor, findMonitor, listCheckIns, listMonitors, updateMonitor } from "./monitor-queries";
import { type ProjectSummary, serializeCheckIn, serializeMonitor } from "./serialize-monitor";

export const monitorsRoutes = new Hono<ApiEnv>({ strict: false });

const BASE = "/organizations/:org/monitors";
const SLUG = /^[a-z0-9_-]{1,50}$/;

/** The organization's projects, narrowed to `?project=` ids when given (-1 for all, as Sentry). */
async function projectsInScope(c: Context<ApiEnv>): Promise<Map<number, ProjectSummary>> {
  const org = await organizationInScope(c);
  const { results } = await c.env.DB.prepare("SELECT id, slug, name FROM projects WHERE organization_id = ? ORDER BY slug")
    .bind(org.id)
    .all<ProjectSummary>();
  const wanted = (c.req.queries("project") ?? []).filter((p) => p !== "-1");
  for (const p of wanted) if (!/^\d{1,15}$/.test(p)) badRequest(`project: "${p.slice(0, 40)}" is not an id`);
  const all = new Map(results.map((p) => [p.id, p]));
  if (wanted.length === 0) return all;
  return new Map(wanted.map(Number).flatMap((id) => (all.has(id) ? [[id, all.get(id)!] as const] : [])));
}

async function monitorInScope(c: Context<ApiEnv>) {
  const projects = await projectsInScope(c);
  const monitor = await findMonitor(c.env.DB, [...projects.keys()], (c.req.param("slug") ?? "").toLowerCase());
  return monitor === null ? notFound() : { monitor, project: projects.get(monitor.project_id)! };
}

monitorsRoutes.get(BASE, async (c) => {
  const projects = await projectsInScope(c);
  const monitors = await listMonitors(c.env.DB, [...projects.keys()]);
  return c.json(monitors.map((m) => serializeMonitor(m, projects.get(m.project_id)!)));
});

const createSchema = z.object({
  project: z.union([z.string(), z.number()]),
  name: z.string().trim().min(1).max(128),
  slug: z.string().optional(),
  status: z.enum(["active", "disabled"]).default("active"),
  type: z.literal("cron_job").optional(),
  config: z.unknown(),
});

monitorsRoutes.post(BASE, async (c) => {
  const input = validateInput(createSchema, await readJsonBody(c.req.raw));
  const projects = await projectsInScope(c);
  const project =
    [...projects.values()].find((p) => String(p.id) === String(input.project) || p.slug === input.project) ??
    badRequest("project: no such project");
  const slug = slugOf(input.slug ?? input.name);
  const config = readApiMonitorConfig(input.config);
  if (!config.ok) badRequest(`config: ${config.problem}`);
  const created = await createMonitor(
    c.env.DB,
    { projectId: project.id, slug, name: input.name, status: input.status, config: config.config },
    Date.now(),
  );
  if (!created) badRequest(`slug: a monitor "${slug}" already exists in this project`);
  const monitor = await findMonitor(c.env.DB, [project.id], slug);
  return c.json(serializeMonitor(monitor!, project), 201);
});

monitorsRoutes.get(`${BASE}/:slug`, async (c) => {
  const { monitor, project } = await monitorInScope(c);
  return c.json(serializeMonitor(monitor, project));
});

const updateSchema = z.object({
  name: z.string().trim().min(1).max(128).optional(),
  status: z.enum(["active", "disabled"]).optional(),
  config: z.unknown().optional(),
});

monitorsRoutes.put(`${BASE}/:slug`, async (c) => {
  const { monitor, project } = await monitorInScope(c);
  const input = validateInput(updateSchema, await readJsonBody(c.req.raw));
  const current = readApiMonitorConfig(JSON.parse(monitor.config));
  if (!current.ok) throw new Error(`monitor ${monitor.id} has an unreadable config`);
  const config = input.config === undefined ? current : readApiMonitorConfig(input.config, current.config);
  if (!config.ok) badRequest(`config: ${config.problem}`);
  await updateMonitor(c.env.DB, monitor, {
    name: input.name ?? monitor.name,
    status: input.status ?? monitor.status,
    config: config.config,
  });
  return c.json(serializeMonitor((await findMonitor(c.env.DB, [project.id], monitor.slug))!, project));
});

monitorsRoutes.delete(`${BASE}/:slug`, async (c) => {
  const { monitor } = await monitorInScope(c);
  await deleteMonitor(c.env.DB, monitor.id);
  return c.body(null, 202);
});

monitorsRoutes.get(`${BASE}/:slug/checkins`, async (c) => {
  const { monitor } = await monitorInScope(c);
  const query = validateInput(
    z.object({ limit: z.coerce.number().int().min(1).max(100).default(50), environment: z.string().optional() }),
    { limit: c.req.query("limit"), environment: c.req.query("environment") },
  );
  const environments =
    query.environment === undefined ? monitor.environments : monitor.environments.filter((e) => e.name === query.environment);
  return c.json((await listCheckIns(c.env.DB, environments, query.limit)).map(serializeCheckIn));
});

/** Sentry's slugs: lower case letters, digits, `-` and `_`, up to 50 (as check-ins' slugs are read). */
function slugOf(text: string): string {
  const slug = [
    ...text
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, "-")
      .replace(/^-+|-+$/g, ""),
  ]
    .slice(0, 50)
    .join("");
  return SLUG.test(slug) ? slug : badRequest("slug: must have a letter or digit");
}
