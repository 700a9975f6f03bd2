/**
 * Organizations, their one team and their environments, as the Web API lists them. Faultline
 * has no teams of its own: every organization has one, named after it, that holds all of its
 * projects, so tools that walk teams to projects (Grafana's Sentry data source, sentry-mcp,
 * Backstage) find them.
 */
import { asc, eq, inArray } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { environments, memberships, organizations, projects } from "../../../db/schema";
import type { Principal } from "../api-env";
import { type OrganizationRow, idOrSlug } from "../projects/project-queries";

/** The principal's organizations, by slug (organizations' unique slug). */
export async function listOrganizations(db: DrizzleD1Database, organizationIds: readonly number[]): Promise<OrganizationRow[]> {
  if (organizationIds.length === 0) return [];
  return db
    .select({ id: organizations.id, slug: organizations.slug, name: organizations.name, createdAt: organizations.createdAt })
    .from(organizations)
    .where(inArray(organizations.id, organizationIds.slice(0, 100)))
    .orderBy(asc(organizations.slug));
}

/** How many members an organization has (memberships' primary key starts with the organization). */
export async function memberCount(db: DrizzleD1Database, organizationId: number): Promise<number> {
  const rows = await db.select({ userId: memberships.userId }).from(memberships).where(eq(memberships.organizationId, organizationId));
  return rows.length;
}

export interface EnvironmentRow {
  projectId: number;
  name: string;
}

/** The environments events named, per project (environments' primary key is project, name). */
export async function listEnvironments(db: DrizzleD1Database, projectIds: readonly number[]): Promise<EnvironmentRow[]> {
  if (projectIds.length === 0) return [];
  return db
    .select({ projectId: environments.projectId, name: environments.name })
    .from(environments)
    .where(inArray(environments.projectId, projectIds.slice(0, 100)))
    .orderBy(asc(environments.name));
}

/** The organization's project ids (the unique index on organization and slug). */
export async function organizationProjectIds(db: DrizzleD1Database, organizationId: number): Promise<number[]> {
  const rows = await db.select({ id: projects.id }).from(projects).where(eq(projects.organizationId, organizationId));
  return rows.map((r) => r.id);
}

/**
 * An organization the principal belongs to, by id or slug, with the id and slug of each of its
 * projects, in one statement (organizations' unique slug, then projects' unique index on
 * organization and slug); null for any other organization (the caller answers 404).
 */
export async function organizationWithProjects(
  db: DrizzleD1Database,
  principal: Principal,
  ref: string,
): Promise<{ organization: OrganizationRow; projects: Map<number, string> } | null> {
  const key = idOrSlug(ref);
  const rows = await db
    .select({
      id: organizations.id,
      slug: organizations.slug,
      name: organizations.name,
      createdAt: organizations.createdAt,
      projectId: projects.id,
      projectSlug: projects.slug,
    })
    .from(organizations)
    .leftJoin(projects, eq(projects.organizationId, organizations.id))
    .where("id" in key ? eq(organizations.id, key.id) : eq(organizations.slug, key.slug));
  const first = rows[0];
  if (first === undefined || !principal.organizationIds.has(first.id)) return null;
  const { id, slug, name, createdAt } = first;
  const owned = new Map<number, string>();
  for (const r of rows) if (r.projectId !== null && r.projectSlug !== null) owned.set(r.projectId, r.projectSlug);
  return { organization: { id, slug, name, createdAt }, projects: owned };
}
