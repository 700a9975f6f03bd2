import { and, asc, eq } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { memberships, organizations, users } from "../../../db/schema";

/** Users and their organizations, for logins and sessions. */
export interface UserRow {
  id: number;
  email: string;
  name: string | null;
  passwordHash: string;
}

export type Role = "owner" | "admin" | "member";

export interface MembershipRow {
  id: number;
  slug: string;
  name: string;
  role: Role;
}

const userColumns = { id: users.id, email: users.email, name: users.name, passwordHash: users.passwordHash };

/** By email, case-insensitively (the column is COLLATE NOCASE, so the unique index serves it). */
export async function findUserByEmail(db: DrizzleD1Database, email: string): Promise<UserRow | null> {
  const [row] = await db.select(userColumns).from(users).where(eq(users.email, email.trim())).limit(1);
  return row ?? null;
}

export async function findUser(db: DrizzleD1Database, id: number): Promise<UserRow | null> {
  const [row] = await db.select(userColumns).from(users).where(eq(users.id, id)).limit(1);
  return row ?? null;
}

export async function anyUserExists(db: DrizzleD1Database): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).limit(1);
  return row !== undefined;
}

/** A user's organizations with their role in each (memberships_by_user). */
export async function organizationsOf(db: DrizzleD1Database, userId: number): Promise<MembershipRow[]> {
  const rows = await db
    .select({ id: organizations.id, slug: organizations.slug, name: organizations.name, role: memberships.role })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(organizations.slug));
  return rows.map((r) => ({ ...r, role: asRole(r.role) }));
}

export async function roleIn(db: DrizzleD1Database, organizationId: number, userId: number): Promise<Role | null> {
  const [row] = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)))
    .limit(1);
  return row === undefined ? null : asRole(row.role);
}

function asRole(role: string): Role {
  return role === "owner" || role === "admin" ? role : "member";
}
