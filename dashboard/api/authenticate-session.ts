import { drizzle } from "drizzle-orm/d1";
import { ApiError } from "./api-error";
import { organizationsOf } from "./account-queries";
import { CROSS_ORIGIN_REFUSED, isSafeMethod, isSameOriginRequest } from "./check-same-origin";
import type { Authenticator } from "./require-principal";
import { readSessionCookie } from "./session-cookie";
import { findSession } from "./session-store";

/**
 * The dashboard's way in: its session cookie. A request that would change something must also
 * come from the dashboard's own origin (see check-same-origin.ts); that is answered 403, not
 * 401, since logging in again would not help.
 */
export const authenticateSession: Authenticator = async (c) => {
  const secret = readSessionCookie(c);
  if (secret === undefined) return null;
  const db = drizzle(c.env.DB);
  const session = await findSession(db, secret, Date.now());
  if (session === null) return { refused: "Your session has expired. Log in again." };
  if (!isSafeMethod(c.req.method) && !isSameOriginRequest(c.req.raw)) throw new ApiError(403, CROSS_ORIGIN_REFUSED);
  const orgs = await organizationsOf(db, session.userId);
  return { principal: { via: "session", userId: session.userId, organizationIds: new Set(orgs.map((o) => o.id)) } };
};
