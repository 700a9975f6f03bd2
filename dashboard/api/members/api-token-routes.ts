import { and, desc, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { apiTokens, users } from "../../../db/schema";
import type { ApiEnv } from "../api-env";
import { ApiError, notFound } from "../api-error";
import { ANY_ROLE, MANAGERS, requireSessionRole } from "../auth/require-role";
import { database, organizationInScope } from "../route-scope";
import { iso } from "../projects/serialize-project";
import { randomSecret, sha256Hex } from "../auth/sha256-hex";
import { readJsonBody, validateInput } from "../validate-input";

/**
 * An organization's API tokens (`Authorization: Bearer ...`, for scripts and Sentry tools).
 * A token is shown once, when created; only its SHA-256 is kept. Revoking keeps the row, so the
 * list can say when a token was last used even after it stopped working.
 */
export const apiTokenRoutes = new Hono<ApiEnv>({ strict: false });

apiTokenRoutes.get("/organizations/:org/api-tokens", async (c) => {
  const org = await organizationInScope(c);
  // api_tokens_by_organization; an organization has a handful.
  const rows = await database(c)
    .select({
      id: apiTokens.id,
      label: apiTokens.label,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
      userId: apiTokens.userId,
      email: users.email,
    })
    .from(apiTokens)
    .leftJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.organizationId, org.id), isNull(apiTokens.revokedAt)))
    .orderBy(desc(apiTokens.createdAt))
    .limit(500);
  return c.json(
    rows.map((r) => ({
      id: String(r.id),
      label: r.label,
      dateCreated: iso(r.createdAt),
      lastUsed: r.lastUsedAt === null ? null : iso(r.lastUsedAt),
      createdBy: r.email,
    })),
  );
});

const createBody = z.object({ label: z.string().trim().min(1).max(100) });

apiTokenRoutes.post("/organizations/:org/api-tokens", async (c) => {
  const org = await organizationInScope(c);
  const { userId } = await requireSessionRole(c, org.id, ANY_ROLE);
  const { label } = validateInput(createBody, await readJsonBody(c.req.raw));
  const token = `flt_${randomSecret(24)}`;
  const now = Date.now();
  const [row] = await database(c)
    .insert(apiTokens)
    .values({ organizationId: org.id, userId, label, tokenHash: await sha256Hex(token), createdAt: now })
    .returning({ id: apiTokens.id });
  return c.json({ id: String(row!.id), label, token, dateCreated: iso(now), lastUsed: null }, 201);
});

apiTokenRoutes.delete("/organizations/:org/api-tokens/:tokenId", async (c) => {
  const org = await organizationInScope(c);
  const me = await requireSessionRole(c, org.id, ANY_ROLE);
  const id = Number(c.req.param("tokenId"));
  if (!Number.isSafeInteger(id)) notFound();
  const db = database(c);
  const [token] = await db
    .select({ userId: apiTokens.userId })
    .from(apiTokens)
    .where(and(eq(apiTokens.id, id), eq(apiTokens.organizationId, org.id), isNull(apiTokens.revokedAt)))
    .limit(1);
  if (token === undefined) notFound();
  // Members revoke their own tokens; owners and admins any of the organization's.
  if (token.userId !== me.userId && !MANAGERS.includes(me.role))
    throw new ApiError(403, "You do not have permission to perform this action.");
  await db.update(apiTokens).set({ revokedAt: Date.now() }).where(eq(apiTokens.id, id));
  return c.body(null, 204);
});
