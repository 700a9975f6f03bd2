import { Hono } from "hono";
import { z } from "zod";
import type { ApiEnv } from "../api-env";
import { notFound } from "../api-error";
import { SLUG, makeSlug } from "../make-slug";
import {
  createProject,
  openIssueCount,
  projectDayStats,
  projectSettings,
  projectSlugTaken,
  updateProjectSettings,
} from "./project-settings-queries";
import { listProjects, projectById } from "./project-queries";
import { database, organizationInScope, projectInScope } from "../route-scope";
import { serializeProject } from "./serialize-project";
import { readJsonBody, validateInput } from "../validate-input";

/**
 * Creating projects, the projects page's numbers, and a project's settings: its name and
 * platform, server-side data scrubbing (Sentry's `dataScrubber` and `sensitiveFields`), how
 * long its events are kept (Faultline's `retentionDays`) and its Apdex threshold T in ms
 * (`apdexThreshold`, Sentry's default 300: transactions from then on count against it).
 */
export const projectSettingsRoutes = new Hono<ApiEnv>({ strict: false });

const OPEN_ISSUES_CAP = 1000;

const createBody = z.object({
  name: z.string().trim().min(1).max(100),
  slug: z.string().regex(SLUG, "lower-case letters, digits and dashes, not all digits").optional(),
  platform: z.string().trim().max(50).nullable().optional(),
});

// Sentry creates projects under a team (POST /teams/{org}/{team}/projects/); Faultline has no teams.
projectSettingsRoutes.post("/organizations/:org/projects", async (c) => {
  const org = await organizationInScope(c);
  const body = validateInput(createBody, await readJsonBody(c.req.raw));
  const db = database(c);
  const slug = body.slug ?? makeSlug(body.name);
  if (await projectSlugTaken(db, org.id, slug)) return c.json({ detail: `A project with the slug "${slug}" already exists.` }, 409);
  const id = await createProject(db, org.id, { slug, name: body.name, platform: body.platform ?? null }, Date.now());
  return c.json(serializeProject((await projectById(db, id))!), 201);
});

/** Per project: events per hour over the last day, and open issues (counted up to 1000). */
projectSettingsRoutes.get("/organizations/:org/project-stats", async (c) => {
  const org = await organizationInScope(c);
  const db = database(c);
  const projects = await listProjects(db, [org.id]);
  const ids = projects.map((p) => p.id);
  const [stats, open] = await Promise.all([
    projectDayStats(db, ids, Date.now()),
    Promise.all(ids.map((id) => openIssueCount(db, id, OPEN_ISSUES_CAP))),
  ]);
  return c.json(
    projects.map((p, i) => ({
      id: String(p.id),
      slug: p.slug,
      stats: { "24h": stats.get(p.id) ?? [] },
      openIssues: open[i]!,
      openIssuesCapped: open[i]! >= OPEN_ISSUES_CAP,
    })),
  );
});

projectSettingsRoutes.get("/projects/:org/:project/settings", async (c) => {
  const project = await projectInScope(c);
  const settings = (await projectSettings(database(c), project.id)) ?? notFound();
  return c.json(serializeSettings(settings));
});

const updateBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    platform: z.string().trim().max(50).nullable(),
    dataScrubber: z.boolean(),
    // Extra keys scrubbed besides the default list: field names, matched case-insensitively.
    sensitiveFields: z.array(z.string().trim().min(1).max(100)).max(100),
    retentionDays: z.number().int().min(1).max(3650),
    apdexThreshold: z.number().int().min(1).max(600_000),
  })
  .partial()
  .strict();

// https://docs.sentry.io/api/projects/update-a-project/ (the fields Faultline has)
projectSettingsRoutes.put("/projects/:org/:project", async (c) => {
  const project = await projectInScope(c);
  const body = validateInput(updateBody, await readJsonBody(c.req.raw));
  const db = database(c);
  await updateProjectSettings(db, project.id, {
    ...(body.name === undefined ? {} : { name: body.name }),
    ...(body.platform === undefined ? {} : { platform: body.platform }),
    ...(body.dataScrubber === undefined ? {} : { scrubEnabled: body.dataScrubber }),
    ...(body.sensitiveFields === undefined ? {} : { scrubFields: [...new Set(body.sensitiveFields)] }),
    ...(body.retentionDays === undefined ? {} : { retentionDays: body.retentionDays }),
    ...(body.apdexThreshold === undefined ? {} : { apdexThresholdMs: body.apdexThreshold }),
  });
  return c.json(serializeSettings((await projectSettings(db, project.id))!));
});

function serializeSettings(s: NonNullable<Awaited<ReturnType<typeof projectSettings>>>) {
  return {
    id: String(s.id),
    slug: s.slug,
    name: s.name,
    platform: s.platform,
    dataScrubber: s.scrubEnabled,
    sensitiveFields: s.scrubFields,
    retentionDays: s.retentionDays,
    apdexThreshold: s.apdexThresholdMs,
  };
}
