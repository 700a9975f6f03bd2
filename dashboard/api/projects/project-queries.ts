import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { issues, organizations, projectKeys, projects } from "../../../db/schema";
import type { Principal } from "../api-env";

export interface OrganizationRow {
  id: number;
  slug: string;
  name: string;
  createdAt: number;
}

export interface ProjectRow {
  id: number;
  slug: string;
  name: string;
  platform: string | null;
  createdAt: number;
  organization: OrganizationRow;
}

const organizationColumns = {
  id: organizations.id,
  slug: organizations.slug,
  name: organizations.name,
  createdAt: organizations.createdAt,
};
const projectColumns = {
  id: projects.id,
  slug: projects.slug,
  name: projects.name,
  platform: projects.platform,
  createdAt: projects.createdAt,
  organization: organizationColumns,
};

/** Sentry's routes take an id or a slug (`{organization_id_or_slug}`); slugs are never all digits. */
export function idOrSlug(ref: string): { id: number } | { slug: string } {
  return /^\d{1,15}$/.test(ref) ? { id: Number(ref) } : { slug: ref };
}

/** An organization the principal belongs to, by id or slug; null for any other (the caller answers 404). */
export async function findOrganization(db: DrizzleD1Database, principal: Principal, ref: string): Promise<OrganizationRow | null> {
  const key = idOrSlug(ref);
  const [org] = await db
    .select(organizationColumns)
    .from(organizations)
    .where("id" in key ? eq(organizations.id, key.id) : eq(organizations.slug, key.slug))
    .limit(1);
  return org !== undefined && principal.organizationIds.has(org.id) ? org : null;
}

/** A project of one of the principal's organizations, by the route's org and project id or slug (unique index on organization + slug). */
export async function findProject(
  db: DrizzleD1Database,
  principal: Principal,
  orgRef: string,
  projectRef: string,
): Promise<ProjectRow | null> {
  const org = await findOrganization(db, principal, orgRef);
  if (org === null) return null;
  const key = idOrSlug(projectRef);
  const [project] = await db
    .select(projectColumns)
    .from(projects)
    .innerJoin(organizations, eq(organizations.id, projects.organizationId))
    .where(and(eq(projects.organizationId, org.id), "id" in key ? eq(projects.id, key.id) : eq(projects.slug, key.slug)))
    .limit(1);
  return project ?? null;
}

/** A project by id, whatever the organization: callers check it against the principal. */
export async function projectById(db: DrizzleD1Database, projectId: number): Promise<ProjectRow | null> {
  const [project] = await db
    .select(projectColumns)
    .from(projects)
    .innerJoin(organizations, eq(organizations.id, projects.organizationId))
    .where(eq(projects.id, projectId))
    .limit(1);
  return project ?? null;
}

export interface ProjectListRow extends ProjectRow {
  firstEvent: number | null;
}

/**
 * The projects of some organizations, in slug order (the unique index on organization + slug),
 * each with when its first event was seen: the smallest first_seen over its issues, one index
 * seek per status (issues_by_first_seen) rather than a scan of the project's issues.
 */
export async function listProjects(db: DrizzleD1Database, organizationIds: readonly number[]): Promise<ProjectListRow[]> {
  return organizationIds.length === 0 ? [] : listProjectsQuery(db, organizationIds);
}

export function listProjectsQuery(db: DrizzleD1Database, organizationIds: readonly number[]) {
  const firstSeenIn = (status: string) =>
    sql`(SELECT min(${issues.firstSeen}) FROM ${issues} WHERE ${issues.projectId} = ${projects.id} AND ${issues.status} = ${status})`;
  return db
    .select({
      ...projectColumns,
      firstEvent: sql<
        number | null
      >`min(coalesce(${firstSeenIn("unresolved")}, 1e18), coalesce(${firstSeenIn("resolved")}, 1e18), coalesce(${firstSeenIn("ignored")}, 1e18))`.mapWith(
        (v: number | null) => (v === null || v >= 1e18 ? null : Number(v)),
      ),
    })
    .from(projects)
    .innerJoin(organizations, eq(organizations.id, projects.organizationId))
    .where(inArray(projects.organizationId, [...organizationIds]))
    .orderBy(asc(projects.organizationId), asc(projects.slug));
}

export interface ProjectKeyRow {
  id: number;
  projectId: number;
  publicKey: string;
  label: string;
  enabled: boolean;
  rateLimitPerMinute: number | null;
  createdAt: number;
}

/** A project's DSN keys, oldest first (project_keys_by_project). */
export async function listProjectKeys(db: DrizzleD1Database, projectId: number): Promise<ProjectKeyRow[]> {
  return db
    .select({
      id: projectKeys.id,
      projectId: projectKeys.projectId,
      publicKey: projectKeys.publicKey,
      label: projectKeys.label,
      enabled: projectKeys.enabled,
      rateLimitPerMinute: projectKeys.rateLimitPerMinute,
      createdAt: projectKeys.createdAt,
    })
    .from(projectKeys)
    .where(eq(projectKeys.projectId, projectId))
    .orderBy(asc(projectKeys.id));
}
