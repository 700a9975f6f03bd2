import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { ApiEnv } from "../api-env";
import { sessionSigningKey, signSessionToken, verifySessionCookie } from "./session-signature";

/**
 * The session cookie: HttpOnly (scripts cannot read it), SameSite=Lax (not sent on cross-site
 * subrequests or form posts), and Secure with the `__Host-` prefix everywhere except a local
 * http://localhost or http://127.0.0.1 dashboard, where browsers would drop a Secure cookie.
 * Its value is the session token signed with SESSION_SECRET (see session-signature.ts).
 */
const COOKIE_NAME = "faultline_session";

function isLocalHttp(requestUrl: string): boolean {
  const url = new URL(requestUrl);
  return url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
}

/**
 * The session token of the request's cookie: undefined when there is no cookie, null when its
 * signature does not verify (forged, garbage, or signed with a previous SESSION_SECRET).
 */
export async function readSessionToken(c: Context<ApiEnv>): Promise<string | null | undefined> {
  const value = isLocalHttp(c.req.url) ? getCookie(c, COOKIE_NAME) : getCookie(c, COOKIE_NAME, "host");
  if (value === undefined) return undefined;
  return verifySessionCookie(await sessionSigningKey(c.env.SESSION_SECRET), value);
}

export async function writeSessionCookie(c: Context<ApiEnv>, token: string, expiresAt: number): Promise<void> {
  const value = await signSessionToken(await sessionSigningKey(c.env.SESSION_SECRET), token);
  const secure = !isLocalHttp(c.req.url);
  setCookie(c, COOKIE_NAME, value, {
    path: "/",
    httpOnly: true,
    secure,
    sameSite: "Lax",
    expires: new Date(expiresAt),
    ...(secure ? { prefix: "host" as const } : {}),
  });
}

export function clearSessionCookie(c: Context): void {
  const secure = !isLocalHttp(c.req.url);
  deleteCookie(c, COOKIE_NAME, { path: "/", httpOnly: true, secure, sameSite: "Lax", ...(secure ? { prefix: "host" as const } : {}) });
}
