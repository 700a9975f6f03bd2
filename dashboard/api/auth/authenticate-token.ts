import { and, eq, isNull, or, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { Context } from "hono";
import { apiTokens, memberships } from "../../../db/schema";
import type { ApiEnv } from "../api-env";
import type { Authenticator } from "./require-principal";
import { sha256Hex } from "./sha256-hex";

// Writing last_used_at on every request would turn each read into a write; once a minute is enough to tell live tokens from dead ones.
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * `Authorization: Bearer <token>` with an organization's API token
 * (https://docs.sentry.io/api/auth/#auth-tokens). Tokens are stored as the SHA-256 hex of their
 * value, so a lookup is one read of the unique index on token_hash. A token someone made works
 * only while they are a member of its organization (removing them also revokes it); one made
 * by setup belongs to nobody.
 */
export const authenticateToken: Authenticator = async (c) => {
  const header = c.req.header("authorization");
  if (header === undefined) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) {
    // Another scheme (Basic, say) is not ours to judge when a later way in might be; a malformed Bearer is.
    return /^Bearer\b/i.test(header) ? { refused: "Invalid token header. No credentials provided." } : null;
  }
  const tokenHash = await sha256Hex(match[1]!);
  const db = drizzle(c.env.DB);
  const [token] = await db
    .select({ id: apiTokens.id, organizationId: apiTokens.organizationId, userId: apiTokens.userId, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .where(
      and(
        eq(apiTokens.tokenHash, tokenHash),
        isNull(apiTokens.revokedAt),
        or(
          isNull(apiTokens.userId),
          sql`EXISTS (SELECT 1 FROM ${memberships} WHERE ${memberships.organizationId} = ${apiTokens.organizationId} AND ${memberships.userId} = ${apiTokens.userId})`,
        ),
      ),
    )
    .limit(1);
  if (token === undefined) return { refused: "Invalid token" };
  recordUse(c, token.id, token.lastUsedAt);
  return { principal: { via: "token", userId: token.userId, organizationIds: new Set([token.organizationId]) } };
};

function recordUse(c: Context<ApiEnv>, tokenId: number, lastUsedAt: number | null): void {
  const now = Date.now();
  if (lastUsedAt !== null && now - lastUsedAt < LAST_USED_RESOLUTION_MS) return;
  const write = drizzle(c.env.DB).update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, tokenId)).run();
  let ctx: { waitUntil(promise: Promise<unknown>): void } | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    // Called without an execution context (a plain app.fetch): the write just runs unawaited.
  }
  const logged = write.then(
    () => undefined,
    (err: unknown) => console.error("api: could not record token use", err),
  );
  ctx?.waitUntil(logged);
}
