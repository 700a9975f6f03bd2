import type { ProjectKey } from "./lookup-project-key";
import { refuse } from "./refusal";

/** Checks a looked-up key against the route's project and the browser origin, as Relay does. */
export function authorizeKey(key: ProjectKey | null, projectId: number, origin: string | null): ProjectKey {
  if (!key) return refuse(401, "unknown_key", "unknown public key");
  if (!key.enabled) refuse(403, "key_disabled", "this key is disabled");
  if (key.projectId !== projectId) refuse(403, "project_mismatch", "this key does not belong to the project in the URL");
  if (origin !== null && key.allowedOrigins.length > 0 && !originAllowed(origin, key.allowedOrigins)) {
    refuse(403, "origin_not_allowed", `origin ${origin} is not allowed for this key`);
  }
  return key;
}

/**
 * Allowed-origin patterns like Sentry's "Allowed Domains": `*`, a full origin
 * (`https://app.example.com`), a host (`example.com`, any scheme) or a wildcard host (`*.example.com`).
 */
export function originAllowed(origin: string, patterns: string[]): boolean {
  let host: string;
  let normalized: string;
  try {
    const url = new URL(origin);
    host = url.hostname.toLowerCase();
    normalized = url.origin.toLowerCase();
  } catch {
    return false;
  }
  return patterns.some((raw) => {
    const p = raw.trim().toLowerCase().replace(/\/+$/, "");
    if (p === "*") return true;
    if (p.includes("://")) return p === normalized;
    if (p.startsWith("*.")) return host.endsWith(p.slice(1)) || host === p.slice(2);
    return host === p || `${host}:${new URL(origin).port}` === p;
  });
}

/** The browser origin of a request: its Origin header, or the origin of its Referer. */
export function requestOrigin(originHeader: string | null, referer: string | null): string | null {
  if (originHeader && originHeader !== "null") return originHeader;
  if (referer) {
    try {
      return new URL(referer).origin;
    } catch {
      return null;
    }
  }
  return null;
}
