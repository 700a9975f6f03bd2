import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { apiTokens, issueActivity, issues, memberships, projects, sessions, users } from "../../../db/schema";

/** An organization's members (the memberships primary key starts with organization_id). */
export async function listMembers(db: DrizzleD1Database, orgId: number) {
  return db
    .select({ userId: users.id, email: users.email, name: users.name, role: memberships.role, createdAt: users.createdAt })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.organizationId, orgId))
    .orderBy(asc(users.email));
}

export async function countOwners(db: DrizzleD1Database, orgId: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(memberships)
    .where(and(eq(memberships.organizationId, orgId), eq(memberships.role, "owner")));
  return Number(row?.n ?? 0);
}

/**
 * Removes a membership and revokes the API tokens the user made for the organization; a user
 * left in no organization is also logged out everywhere. The organization's issues assigned to
 * them go back to nobody, each with an `unassigned` activity by whoever removed them, as Sentry
 * does when a member leaves.
 */
export async function removeMember(
  db: DrizzleD1Database,
  orgId: number,
  userId: number,
  now: number,
  by: number | null = null,
): Promise<boolean> {
  const removed = await db
    .delete(memberships)
    .where(and(eq(memberships.organizationId, orgId), eq(memberships.userId, userId)))
    .returning({ userId: memberships.userId });
  if (removed.length === 0) return false;
  // issues_by_assignee: (project_id, assigned_user_id) for each of the organization's projects.
  const theirIssues = sql`${issues.projectId} IN (SELECT ${projects.id} FROM ${projects} WHERE ${projects.organizationId} = ${orgId}) AND ${issues.assignedUserId} = ${userId}`;
  await db.batch([
    db
      .insert(issueActivity)
      .select(sql`SELECT NULL, ${issues.id}, ${issues.projectId}, 'unassigned', ${by}, '{}', ${now} FROM ${issues} WHERE ${theirIssues}`),
    db.update(issues).set({ assignedUserId: null }).where(theirIssues),
    db
      .update(apiTokens)
      .set({ revokedAt: now })
      .where(and(eq(apiTokens.organizationId, orgId), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt))),
    db
      .delete(sessions)
      .where(and(eq(sessions.userId, userId), sql`NOT EXISTS (SELECT 1 FROM ${memberships} WHERE ${memberships.userId} = ${userId})`)),
  ]);
  return true;
}
