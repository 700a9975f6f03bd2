/**
 * Cross-site request forgery defence for cookie-authenticated requests. A request that changes
 * something must show that the dashboard's own page sent it: browsers label every request with
 * `Sec-Fetch-Site` and send `Origin` on every POST, PUT, PATCH and DELETE, and a page on another
 * site can forge neither. A request with neither header did not come from a browser page, and
 * such clients use API tokens (which no browser attaches on its own), not the cookie.
 */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

export function isSameOriginRequest(request: Request): boolean {
  const site = request.headers.get("sec-fetch-site");
  const origin = request.headers.get("origin");
  if (site === null && origin === null) return false;
  if (site !== null && site !== "same-origin") return false;
  if (origin !== null && origin !== new URL(request.url).origin) return false;
  return true;
}

export const CROSS_ORIGIN_REFUSED = "Cross-origin request refused (it must come from the dashboard's own pages).";
