import { drizzle } from "drizzle-orm/d1";
import { ApiError } from "../api-error";
import { organizationsOf } from "../members/account-queries";
import { CROSS_ORIGIN_REFUSED, isSafeMethod, isSameOriginRequest } from "./check-same-origin";
import type { Authenticator } from "./require-principal";
import { readSessionToken } from "./session-cookie";
import { findSession } from "./session-store";

const SESSION_ENDED = "Your session has expired. Log in again.";

/**
 * The dashboard's way in: its session cookie. A cookie whose signature does not verify is refused
 * before D1 is asked (see session-signature.ts). A request that would change something must also
 * come from the dashboard's own origin (see check-same-origin.ts); that is answered 403, not
 * 401, since logging in again would not help.
 */
export const authenticateSession: Authenticator = async (c) => {
  const token = await readSessionToken(c);
  if (token === undefined) return null;
  if (token === null) return { refused: SESSION_ENDED };
  const db = drizzle(c.env.DB);
  const session = await findSession(db, token, Date.now());
  if (session === null) return { refused: SESSION_ENDED };
  if (!isSafeMethod(c.req.method) && !isSameOriginRequest(c.req.raw)) throw new ApiError(403, CROSS_ORIGIN_REFUSED);
  const orgs = await organizationsOf(db, session.userId);
  return { principal: { via: "session", userId: session.userId, organizationIds: new Set(orgs.map((o) => o.id)) } };
};
