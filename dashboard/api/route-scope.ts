import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import type { Context } from "hono";
import type { ApiEnv } from "./api-env";
import { badRequest, notFound } from "./api-error";
import { type IssueRow, findIssue } from "./issues/issue-queries";
import { parseIssueReference } from "./issues/issue-reference";
import { type OrganizationRow, type ProjectRow, findOrganization, findProject } from "./projects/project-queries";

/**
 * What a route's path names — an organization, a project, an issue — loaded and checked against
 * the principal. Anything outside the principal's organizations is a 404, exactly like something
 * that does not exist, so ids of other organizations cannot be probed.
 */
export function database(c: Context<ApiEnv>): DrizzleD1Database {
  return drizzle(c.env.DB);
}

export async function organizationInScope(c: Context<ApiEnv>): Promise<OrganizationRow> {
  return (await findOrganization(database(c), c.get("principal"), c.req.param("org") ?? "")) ?? notFound();
}

export async function projectInScope(c: Context<ApiEnv>): Promise<ProjectRow> {
  return (await findProject(database(c), c.get("principal"), c.req.param("org") ?? "", c.req.param("project") ?? "")) ?? notFound();
}

/**
 * `/issues/{id}/` and `/organizations/{org}/issues/{id}/`, by id or short id: the issue, when its
 * organization is the principal's (and the route's).
 */
export async function issueInScope(c: Context<ApiEnv>): Promise<IssueRow> {
  const ref = parseIssueReference(c.req.param("issueId") ?? "");
  const issue = ref === null ? null : await findIssue(database(c), ref.id);
  if (issue === null || !c.get("principal").organizationIds.has(issue.project.organizationId)) notFound();
  if (ref?.projectSlug != null && ref.projectSlug !== issue.project.slug.toLowerCase()) notFound();
  const orgRef = c.req.param("org");
  if (orgRef !== undefined) {
    const org = await organizationInScope(c);
    if (org.id !== issue.project.organizationId) notFound();
  }
  return issue;
}

function numericId(ref: string): number | null {
  return /^\d{1,15}$/.test(ref) ? Number(ref) : null;
}

/** Repeated query parameters (`?id=1&id=2`) as positive integers. */
export function idParams(c: Context<ApiEnv>, name: string, max: number): number[] {
  const raw = c.req.queries(name) ?? [];
  if (raw.length > max) badRequest(`${name}: at most ${max} values`);
  return raw.map((value) => numericId(value) ?? badRequest(`${name}: "${value}" is not an id`));
}
