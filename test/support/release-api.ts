// Requests to the release routes of the read API as sentry-cli sends them: a Bearer token, JSON.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { apiApp } from "../../dashboard/api/api-app";

export interface Answer {
  status: number;
  link: string | null;
  json: any;
}

/** A request with an API token; a string body is sent as it is (for bodies that are not JSON). */
export async function call(method: string, path: string, token: string, body?: unknown): Promise<Answer> {
  const ctx = createExecutionContext();
  const init: RequestInit = { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const res = await apiApp.fetch(new Request(`http://dashboard.test/api/0${path}`, init), env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  let json: unknown = text;
  try {
    json = text === "" ? null : JSON.parse(text);
  } catch {
    // Kept as text: a test that expects JSON fails on it with the text in view.
  }
  return { status: res.status, link: res.headers.get("link"), json };
}

/** `/organizations/{org}/releases/{version}/...` with the version percent-encoded, as sentry-cli's PathArg does. */
export function releasePath(orgSlug: string, version: string, rest = ""): string {
  return `/organizations/${orgSlug}/releases/${encodeURIComponent(version)}/${rest}`;
}

/** The cursor of a Link header's "next" or "previous" link, and whether it has results. */
export function linkCursor(link: string | null, rel: "next" | "previous"): { cursor: string; results: boolean } {
  const match = new RegExp(`rel="${rel}"; results="(true|false)"; cursor="([^"]+)"`).exec(link ?? "");
  if (match === null) throw new Error(`no ${rel} link in ${link}`);
  return { results: match[1] === "true", cursor: match[2]! };
}
