import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { invites, memberships, organizations, users } from "../../../db/schema";
import type { Role } from "./account-queries";
import { randomSecret, sha256Hex } from "../auth/sha256-hex";

/**
 * Invitations to an organization. The link's token is shown once, to whoever invites; only its
 * SHA-256 is kept. Accepting creates the account (or adds an existing one) and uses the invite up.
 */
export const INVITE_LIFETIME_MS = 7 * 24 * 3_600_000;

export interface PendingInvite {
  id: number;
  organizationId: number;
  organizationSlug: string;
  organizationName: string;
  email: string;
  role: Role;
  createdAt: number;
  expiresAt: number;
}

const pendingColumns = {
  id: invites.id,
  organizationId: invites.organizationId,
  organizationSlug: organizations.slug,
  organizationName: organizations.name,
  email: invites.email,
  role: invites.role,
  createdAt: invites.createdAt,
  expiresAt: invites.expiresAt,
};

export async function createInvite(db: DrizzleD1Database, orgId: number, email: string, role: Role, invitedBy: number, now: number) {
  const token = randomSecret();
  const [row] = await db
    .insert(invites)
    .values({
      organizationId: orgId,
      email: email.trim(),
      role,
      tokenHash: await sha256Hex(token),
      invitedBy,
      createdAt: now,
      expiresAt: now + INVITE_LIFETIME_MS,
    })
    .returning({ id: invites.id, expiresAt: invites.expiresAt });
  return { id: row!.id, token, expiresAt: row!.expiresAt };
}

/** The unused, unexpired invite a link's token names (unique index on token_hash). */
export async function findInvite(db: DrizzleD1Database, token: string, now: number): Promise<PendingInvite | null> {
  if (token === "" || token.length > 200) return null;
  const [row] = await db
    .select(pendingColumns)
    .from(invites)
    .innerJoin(organizations, eq(organizations.id, invites.organizationId))
    .where(and(eq(invites.tokenHash, await sha256Hex(token)), isNull(invites.acceptedAt), gt(invites.expiresAt, now)))
    .limit(1);
  return row === undefined ? null : { ...row, role: row.role as Role };
}

/** An organization's invites not yet accepted nor expired, newest first (invites_by_organization). */
export async function listPendingInvites(db: DrizzleD1Database, orgId: number, now: number): Promise<PendingInvite[]> {
  const rows = await db
    .select(pendingColumns)
    .from(invites)
    .innerJoin(organizations, eq(organizations.id, invites.organizationId))
    .where(and(eq(invites.organizationId, orgId), isNull(invites.acceptedAt), gt(invites.expiresAt, now)))
    .orderBy(desc(invites.createdAt))
    .limit(200);
  return rows.map((r) => ({ ...r, role: r.role as Role }));
}

export async function deleteInvite(db: DrizzleD1Database, orgId: number, inviteId: number): Promise<boolean> {
  const rows = await db
    .delete(invites)
    .where(and(eq(invites.organizationId, orgId), eq(invites.id, inviteId), isNull(invites.acceptedAt)))
    .returning({ id: invites.id });
  return rows.length > 0;
}

/**
 * Uses an invite up: a new user (with `newUser`) or an existing one (`userId`) becomes a member.
 * The invite is claimed first by a conditional update, so one link cannot be used twice, even by
 * two requests at once; null when it was already used.
 */
export async function acceptInvite(
  db: DrizzleD1Database,
  invite: PendingInvite,
  account: { userId: number } | { newUser: { email: string; name: string | null; passwordHash: string } },
  now: number,
): Promise<number | null> {
  const claimed = await db
    .update(invites)
    .set({ acceptedAt: now })
    .where(and(eq(invites.id, invite.id), isNull(invites.acceptedAt)))
    .returning({ id: invites.id });
  if (claimed.length === 0) return null;
  try {
    if ("userId" in account) {
      await db
        .insert(memberships)
        .values({ organizationId: invite.organizationId, userId: account.userId, role: invite.role })
        .onConflictDoNothing();
      return account.userId;
    }
    const userId = sql`(SELECT ${users.id} FROM ${users} WHERE ${users.email} = ${account.newUser.email})`;
    await db.batch([
      db.insert(users).values({ ...account.newUser, createdAt: now }),
      db.insert(memberships).values({ organizationId: invite.organizationId, userId, role: invite.role }).onConflictDoNothing(),
    ]);
    const [row] = await db.select({ id: users.id }).from(users).where(eq(users.email, account.newUser.email)).limit(1);
    return row!.id;
  } catch (err) {
    // Give the invite back, so the person can try again.
    await db.update(invites).set({ acceptedAt: null }).where(eq(invites.id, invite.id));
    throw err;
  }
}
