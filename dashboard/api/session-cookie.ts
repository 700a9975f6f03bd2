import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

/**
 * The session cookie: HttpOnly (scripts cannot read it), SameSite=Lax (not sent on cross-site
 * subrequests or form posts), and Secure with the `__Host-` prefix everywhere except a local
 * http://localhost or http://127.0.0.1 dashboard, where browsers would drop a Secure cookie.
 */
const COOKIE_NAME = "faultline_session";

function isLocalHttp(requestUrl: string): boolean {
  const url = new URL(requestUrl);
  return url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
}

export function readSessionCookie(c: Context): string | undefined {
  return isLocalHttp(c.req.url) ? getCookie(c, COOKIE_NAME) : getCookie(c, COOKIE_NAME, "host");
}

export function writeSessionCookie(c: Context, secret: string, expiresAt: number): void {
  const secure = !isLocalHttp(c.req.url);
  setCookie(c, COOKIE_NAME, secret, {
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
