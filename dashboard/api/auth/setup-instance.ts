import { eq, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { z } from "zod";
import { instanceSetup, memberships, organizations, projectKeys, projects, users } from "../../../db/schema";
import { anyUserExists } from "../members/account-queries";
import { makeSlug, newPublicKey } from "../make-slug";
import { hashPassword } from "./password-hash";

/**
 * The first run of a deployed instance: with no user yet, whoever opens the dashboard creates
 * the first owner, the organization, a project and its DSN key, all in one transaction. Once any
 * user exists it is refused, and the instance_setup row makes a concurrent second setup fail.
 */
export const setupBody = z.object({
  organizationName: z.string().trim().min(1).max(100),
  projectName: z.string().trim().min(1).max(100),
  platform: z.string().trim().max(50).optional(),
  name: z.string().trim().max(100).optional(),
  email: z.email().max(254),
  password: z.string().min(8, "at least 8 characters").max(1024),
});

export type SetupBody = z.output<typeof setupBody>;

export type SetupOutcome =
  { ok: true; userId: number; organizationSlug: string; projectSlug: string } | { ok: false; reason: "already_set_up" };

export async function setupInstance(db: DrizzleD1Database, body: SetupBody, now: number): Promise<SetupOutcome> {
  if (await anyUserExists(db)) return { ok: false, reason: "already_set_up" };
  const orgSlug = await freeOrganizationSlug(db, makeSlug(body.organizationName));
  const projectSlug = makeSlug(body.projectName);
  const email = body.email.trim();
  const passwordHash = await hashPassword(body.password);
  const orgId = sql`(SELECT ${organizations.id} FROM ${organizations} WHERE ${organizations.slug} = ${orgSlug})`;
  const userId = sql`(SELECT ${users.id} FROM ${users} WHERE ${users.email} = ${email})`;
  try {
    await db.batch([
      db.insert(organizations).values({ slug: orgSlug, name: body.organizationName, createdAt: now }),
      db.insert(users).values({ email, name: body.name ?? null, passwordHash, createdAt: now }),
      db.insert(memberships).values({ organizationId: orgId, userId, role: "owner" }),
      db
        .insert(projects)
        .values({ organizationId: orgId, slug: projectSlug, name: body.projectName, platform: body.platform ?? null, createdAt: now }),
      db.insert(projectKeys).values({
        projectId: sql`(SELECT ${projects.id} FROM ${projects} WHERE ${projects.organizationId} = ${orgId} AND ${projects.slug} = ${projectSlug})`,
        publicKey: newPublicKey(),
        label: "Default",
        createdAt: now,
      }),
      db.insert(instanceSetup).values({ id: 1, userId, completedAt: now }),
    ]);
  } catch (err) {
    // Another setup won the race (or one already ran): the batch rolled back as a whole.
    if (await anyUserExists(db)) return { ok: false, reason: "already_set_up" };
    throw err;
  }
  const [user] = await db.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1);
  return { ok: true, userId: user!.id, organizationSlug: orgSlug, projectSlug };
}

/** An organization slug not yet taken: an instance whose users were all removed may keep its organizations. */
async function freeOrganizationSlug(db: DrizzleD1Database, wanted: string): Promise<string> {
  // Every candidate starts with the first 45 characters. Compared with substr, not LIKE: D1 refuses
  // a LIKE pattern over 50 bytes (https://developers.cloudflare.com/d1/platform/limits/).
  const prefix = wanted.slice(0, 45);
  const taken = new Set(
    (
      await db
        .select({ slug: organizations.slug })
        .from(organizations)
        .where(sql`substr(${organizations.slug}, 1, ${prefix.length}) = ${prefix}`)
    ).map((r) => r.slug),
  );
  let slug = wanted;
  for (let n = 2; taken.has(slug); n++) slug = `${prefix}-${n}`;
  return slug;
}
