import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { users } from "../../../db/schema";
import type { ApiEnv } from "../api-env";
import { iso } from "../projects/serialize-project";
import { database } from "../route-scope";

/**
 * `GET /api/0/`: who the credentials are (Sentry's IndexEndpoint). `sentry-cli info` checks a
 * token with it (src/api/mod.rs: AuthInfo) and prints the user's email and the token's scopes.
 */
export const apiIndexRoutes = new Hono<ApiEnv>({ strict: false });

/**
 * What an API token may do, in Sentry's scope names (https://docs.sentry.io/api/permissions/):
 * read its organization, change issues, projects' settings and alert rules, and drive releases.
 * Members and tokens are changed only by a person logged in (require-role.ts).
 */
export const TOKEN_SCOPES = [
  "alerts:read",
  "alerts:write",
  "event:read",
  "event:write",
  "org:read",
  "project:read",
  "project:releases",
  "project:write",
] as const;

apiIndexRoutes.get("/", async (c) => {
  const principal = c.get("principal");
  const [user] =
    principal.userId === null
      ? []
      : await database(c)
          .select({ id: users.id, email: users.email, name: users.name, createdAt: users.createdAt })
          .from(users)
          .where(eq(users.id, principal.userId))
          .limit(1);
  return c.json({
    version: "0",
    // A token setup made belongs to nobody: Sentry's organization tokens answer no user either.
    user:
      user === undefined
        ? null
        : {
            id: String(user.id),
            name: user.name ?? user.email,
            username: user.email,
            email: user.email,
            isActive: true,
            hasPasswordAuth: true,
            isManaged: false,
            has2fa: false,
            isSuperuser: false,
            isStaff: false,
            dateJoined: iso(user.createdAt),
            avatarUrl: null,
            avatar: { avatarType: "letter_avatar", avatarUuid: null },
            emails: [{ id: String(user.id), email: user.email, is_verified: true }],
          },
    // Sentry reports scopes for a token and none for a browser session.
    auth: principal.via === "token" ? { scopes: [...TOKEN_SCOPES] } : null,
  });
});
