import { refuse } from "./refusal";

/**
 * Where an SDK may put its DSN's public key (https://develop.sentry.dev/sdk/overview/#authentication):
 * the `X-Sentry-Auth` header (or `Authorization: Sentry ...`), the `sentry_key` query parameter, or
 * the envelope header's `dsn`. Several may be given; they must agree.
 */
export interface CredentialSources {
  authHeader: string | null;
  authorization: string | null;
  queryKey: string | null;
  envelopeDsn: unknown;
}

export interface Credentials {
  publicKey: string;
  /** The project id the envelope's `dsn` names, when it carried one. */
  dsnProjectId: number | null;
}

/** `Sentry sentry_key=abc, sentry_version=7, sentry_client=x/1.0` to a map of its pairs. */
export function parseSentryAuthHeader(header: string): Map<string, string> {
  const pairs = new Map<string, string>();
  const body = header.replace(/^\s*(sentry|dsn)\s+/i, "");
  for (const part of body.split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    const value = part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1");
    if (name) pairs.set(name, value);
  }
  return pairs;
}

/** `https://<public_key>[:<secret>]@host[/path]/<project_id>` to its key and project id. */
export function parseDsn(dsn: string): { publicKey: string; projectId: number } | null {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    return null;
  }
  const projectId = url.pathname.replace(/\/+$/, "").split("/").pop() ?? "";
  if (!url.username || !/^\d+$/.test(projectId)) return null;
  let publicKey: string;
  try {
    publicKey = decodeURIComponent(url.username);
  } catch {
    // The URL parser keeps the user part's escapes as sent; one that is not UTF-8 (`%ZZ`, `%E0%A4%A`) names no key.
    return null;
  }
  return { publicKey, projectId: Number(projectId) };
}

export function extractCredentials(sources: CredentialSources): Credentials {
  const keys: string[] = [];
  if (sources.authHeader) {
    const key = parseSentryAuthHeader(sources.authHeader).get("sentry_key");
    if (!key) refuse(401, "missing_auth", "X-Sentry-Auth has no sentry_key");
    keys.push(key);
  }
  if (sources.authorization && /^\s*sentry\s/i.test(sources.authorization)) {
    const key = parseSentryAuthHeader(sources.authorization).get("sentry_key");
    if (key) keys.push(key);
  }
  if (sources.queryKey) keys.push(sources.queryKey);
  let dsnProjectId: number | null = null;
  if (sources.envelopeDsn !== undefined && sources.envelopeDsn !== null) {
    const parsed = typeof sources.envelopeDsn === "string" ? parseDsn(sources.envelopeDsn) : null;
    if (!parsed) refuse(400, "malformed_envelope", "envelope header dsn is not a valid DSN");
    keys.push(parsed.publicKey);
    dsnProjectId = parsed.projectId;
  }
  const first = keys[0];
  if (first === undefined) refuse(401, "missing_auth", "missing authorization information");
  if (keys.some((k) => k !== first)) refuse(401, "conflicting_auth", "the request names more than one key");
  return { publicKey: first, dsnProjectId };
}
