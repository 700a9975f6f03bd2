import { and, eq, gte, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { issues, projectHourly, projectKeys, projects } from "../../../db/schema";
import { HOUR } from "../../../protocol/time";
import { newPublicKey } from "../make-slug";

/** Events per hour over the last 24 hours for some projects, oldest first (project_hourly's primary key). */
export async function projectDayStats(
  db: DrizzleD1Database,
  projectIds: readonly number[],
  now: number,
): Promise<Map<number, Array<[number, number]>>> {
  const end = now - (now % HOUR);
  const start = end - 23 * HOUR;
  const out = new Map<number, Array<[number, number]>>();
  for (const id of projectIds)
    out.set(
      id,
      Array.from({ length: 24 }, (_, i): [number, number] => [(start + i * HOUR) / 1000, 0]),
    );
  if (projectIds.length === 0) return out;
  const rows = await db
    .select({ projectId: projectHourly.projectId, hour: projectHourly.hour, count: projectHourly.count })
    .from(projectHourly)
    .where(
      and(sql`${projectHourly.projectId} IN (SELECT value FROM json_each(${JSON.stringify(projectIds)}))`, gte(projectHourly.hour, start)),
    );
  for (const row of rows) {
    const slot = out.get(row.projectId)?.[(row.hour - start) / HOUR];
    if (slot !== undefined) slot[1] += row.count;
  }
  return out;
}

/**
 * Unresolved issues of a project, counted up to `cap` (a range of issues_by_last_seen, which
 * starts with project_id and status): the projects page shows "1000+" rather than count a
 * project's whole backlog on every visit.
 */
export async function openIssueCount(db: DrizzleD1Database, projectId: number, cap: number): Promise<number> {
  const [row] = await db.all<{ n: number }>(
    sql`SELECT count(*) AS n FROM (SELECT 1 FROM ${issues} WHERE ${issues.projectId} = ${projectId} AND ${issues.status} = 'unresolved' LIMIT ${cap})`,
  );
  return Number(row?.n ?? 0);
}

export interface ProjectSettingsRow {
  id: number;
  slug: string;
  name: string;
  platform: string | null;
  scrubEnabled: boolean;
  scrubFields: string[];
  retentionDays: number;
  apdexThresholdMs: number;
}

export async function projectSettings(db: DrizzleD1Database, projectId: number): Promise<ProjectSettingsRow | null> {
  const [row] = await db
    .select({
      id: projects.id,
      slug: projects.slug,
      name: projects.name,
      platform: projects.platform,
      scrubEnabled: projects.scrubEnabled,
      scrubFields: projects.scrubFields,
      retentionDays: projects.retentionDays,
      apdexThresholdMs: projects.apdexThresholdMs,
    })
    .from(projects)
    .where(eq(projects.id, projectId))
    .limit(1);
  return row ?? null;
}

export async function updateProjectSettings(
  db: DrizzleD1Database,
  projectId: number,
  change: Partial<Omit<ProjectSettingsRow, "id">>,
): Promise<void> {
  if (Object.keys(change).length === 0) return;
  await db.update(projects).set(change).where(eq(projects.id, projectId));
}

/** A new project and its first DSN key, in one transaction. */
export async function createProject(
  db: DrizzleD1Database,
  orgId: number,
  project: { slug: string; name: string; platform: string | null },
  now: number,
): Promise<number> {
  const projectId = sql`(SELECT ${projects.id} FROM ${projects} WHERE ${projects.organizationId} = ${orgId} AND ${projects.slug} = ${project.slug})`;
  await db.batch([
    db.insert(projects).values({ organizationId: orgId, ...project, createdAt: now }),
    db.insert(projectKeys).values({ projectId, publicKey: newPublicKey(), label: "Default", createdAt: now }),
  ]);
  const [row] = await db
    .select({ id: projects.id })
    .from(projects)
    .where(and(eq(projects.organizationId, orgId), eq(projects.slug, project.slug)))
    .limit(1);
  return row!.id;
}

export async function projectSlugTaken(db: DrizzleD1Database, orgId: number, slug: string): Promise<boolean> {
  const [row] = await db
    .select({ id: projects.id })
    .from(projects)
    .where(and(eq(projects.organizationId, orgId), eq(projects.slug, slug)))
    .limit(1);
  return row !== undefined;
}
