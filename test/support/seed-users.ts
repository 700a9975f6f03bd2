// Dashboard users, logins and requests to the /auth and /api/0 apps as the dashboard's page sends them.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { apiApp } from "../../dashboard/api/api-app";
import { hashPassword } from "../../dashboard/api/auth/password-hash";
import { authApp } from "../../dashboard/api/auth/session-routes";

export const ORIGIN = "http://127.0.0.1:8788";

let counter = 0;

export interface SeededUser {
  userId: number;
  email: string;
  password: string;
}

/** A user who is a member of `orgId` with `role`. */
export async function seedUser(orgId: number, role: "owner" | "admin" | "member" = "owner"): Promise<SeededUser> {
  counter += 1;
  const email = `user${counter}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const password = `correct horse ${counter}`;
  const row = await env.DB.prepare("INSERT INTO users (email, name, password_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id")
    .bind(email, `User ${counter}`, await hashPassword(password), Date.now())
    .first<{ id: number }>();
  await env.DB.prepare("INSERT INTO memberships (organization_id, user_id, role) VALUES (?, ?, ?)").bind(orgId, row!.id, role).run();
  return { userId: row!.id, email, password };
}

export interface Sent {
  status: number;
  headers: Headers;
  /** Each Set-Cookie header of the response. */
  cookies: string[];
  json: any;
}

/**
 * A request to the dashboard's functions (/auth/* or /api/0/*) from its own page: same origin,
 * with the session cookie when given. `headers` may override or (with null) remove any header;
 * `env` replaces bindings (SESSION_SECRET, say) for this request.
 */
export async function send(
  method: string,
  path: string,
  options: {
    body?: unknown;
    cookie?: string;
    headers?: Record<string, string | null>;
    origin?: string;
    env?: Record<string, unknown>;
  } = {},
): Promise<Sent> {
  const origin = options.origin ?? ORIGIN;
  const headers = new Headers({ "sec-fetch-site": "same-origin" });
  if (method !== "GET" && method !== "HEAD") headers.set("origin", origin);
  if (options.body !== undefined) headers.set("content-type", "application/json");
  if (options.cookie !== undefined) headers.set("cookie", options.cookie);
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === null) headers.delete(name);
    else headers.set(name, value);
  }
  const request = new Request(`${origin}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const app = path.startsWith("/auth/") ? authApp : apiApp;
  const ctx = createExecutionContext();
  const res = await app.fetch(request, { ...env, ...options.env }, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  // workerd has Headers.getSetCookie; the workers types do not declare it.
  const cookies = (res.headers as unknown as { getSetCookie(): string[] }).getSetCookie();
  return { status: res.status, headers: res.headers, cookies, json: text === "" ? null : JSON.parse(text) };
}

/** The `name=value` part of the session cookie a response set, ready for a Cookie header. */
export function sessionCookieOf(res: Sent): string {
  const cookie = res.cookies.find((c) => /^(__Host-)?faultline_session=/.test(c));
  if (cookie === undefined) throw new Error(`no session cookie in ${JSON.stringify(res.cookies)}`);
  return cookie.split(";")[0]!;
}

export async function logIn(user: SeededUser): Promise<string> {
  const res = await send("POST", "/auth/login", {
    body: { email: user.email, password: user.password },
    headers: { "cf-connecting-ip": `198.51.100.${counter % 250}` },
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.json)}`);
  return sessionCookieOf(res);
}
