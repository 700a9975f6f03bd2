import { drizzle } from "drizzle-orm/d1";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { anyUserExists, findUser, findUserByEmail, organizationsOf } from "../members/account-queries";
import type { ApiEnv } from "../api-env";
import { ApiError, NOT_FOUND, apiErrorResponse, badRequest } from "../api-error";
import { CROSS_ORIGIN_REFUSED, isSafeMethod, isSameOriginRequest } from "./check-same-origin";
import { acceptInvite, findInvite } from "../members/invite-queries";
import { beginPasswordAttempt, passwordAttemptSucceeded, throttleKey } from "./login-throttle";
import { UNKNOWN_USER_HASH, hashPassword, verifyPassword } from "./password-hash";
import { clearSessionCookie, readSessionToken, writeSessionCookie } from "./session-cookie";
import { sessionSigningKey } from "./session-signature";
import { createSession, deleteSession, findSession, rotateSession, rotationDue } from "./session-store";
import { setupBody, setupInstance } from "./setup-instance";
import { readJsonBody, validateInput } from "../validate-input";

/**
 * Logging in and out of the dashboard, the first-run setup and accepting invites, at /auth/*
 * (a Pages Function of its own: these are the only dashboard routes open without a session).
 * Every POST must come from the dashboard's own origin, logins included, so another site cannot
 * log a browser into an account of its choosing.
 */
export const authApp = new Hono<ApiEnv>({ strict: false }).basePath("/auth");

const LOGIN_REFUSED = "Incorrect email or password.";

authApp.use("*", async (c, next) => {
  if (!isSafeMethod(c.req.method) && !isSameOriginRequest(c.req.raw)) throw new ApiError(403, CROSS_ORIGIN_REFUSED);
  await next();
  c.header("Cache-Control", "no-store");
});

/**
 * Who is logged in, with their organizations. The dashboard asks on load and every few minutes,
 * which is when a session past its rotation age is exchanged for a new one. Without a session
 * it answers 401 and says whether the instance still needs its first-run setup.
 */
authApp.get("/session", async (c) => {
  const db = drizzle(c.env.DB);
  const now = Date.now();
  const token = await readSessionToken(c);
  const session = typeof token === "string" ? await findSession(db, token, now) : null;
  const user = session === null ? null : await findUser(db, session.userId);
  if (session === null || user === null) {
    if (token !== undefined) clearSessionCookie(c);
    return c.json({ detail: "Authentication credentials were not provided.", setupRequired: !(await anyUserExists(db)) }, 401);
  }
  if (rotationDue(session, now)) {
    const rotated = await rotateSession(db, session, now);
    await writeSessionCookie(c, rotated.token, rotated.session.expiresAt);
  }
  return c.json(await currentUser(c, user.id));
});

const loginBody = z.object({ email: z.string().trim().min(1).max(254), password: z.string().min(1).max(1024) });

authApp.post("/login", async (c) => {
  await requireSessionSecret(c);
  const { email, password } = validateInput(loginBody, await readJsonBody(c.req.raw));
  const db = drizzle(c.env.DB);
  const now = Date.now();
  const attempt = await beginPasswordAttempt(db, throttleKeys(c, email), now);
  if (!attempt.allowed) return tooManyFailures(c, attempt.waitMs);
  const user = await findUserByEmail(db, email);
  // An unknown email costs the same hashing as a wrong password, so timing does not tell which.
  const valid = await verifyPassword(password, user?.passwordHash ?? UNKNOWN_USER_HASH);
  if (user === null || !valid) return c.json({ detail: LOGIN_REFUSED }, 401);
  await passwordAttemptSucceeded(db, attempt);
  await startSession(c, user.id, now);
  return c.json(await currentUser(c, user.id));
});

/** The throttle's keys for a password check of `email` from this client. */
function throttleKeys(c: Context<ApiEnv>, email: string): string[] {
  return [throttleKey("email", email), throttleKey("ip", c.req.header("cf-connecting-ip") ?? "unknown")];
}

function tooManyFailures(c: Context<ApiEnv>, waitMs: number) {
  const seconds = Math.ceil(waitMs / 1000);
  c.header("Retry-After", String(seconds));
  return c.json({ detail: `Too many failed logins. Try again in ${seconds} s.`, retryAfter: seconds }, 429);
}

authApp.post("/logout", async (c) => {
  const token = await readSessionToken(c);
  if (typeof token === "string") await deleteSession(drizzle(c.env.DB), token);
  clearSessionCookie(c);
  return c.body(null, 204);
});

authApp.get("/setup", async (c) => c.json({ setupRequired: !(await anyUserExists(drizzle(c.env.DB))) }));

authApp.post("/setup", async (c) => {
  await requireSessionSecret(c);
  const body = validateInput(setupBody, await readJsonBody(c.req.raw));
  const db = drizzle(c.env.DB);
  const now = Date.now();
  const outcome = await setupInstance(db, body, now);
  if (!outcome.ok) throw new ApiError(403, "This instance is already set up: log in, or ask an owner for an invite.");
  await startSession(c, outcome.userId, now);
  return c.json(
    { ...(await currentUser(c, outcome.userId)), project: { slug: outcome.projectSlug, organization: outcome.organizationSlug } },
    201,
  );
});

authApp.get("/invites/:token", async (c) => {
  const db = drizzle(c.env.DB);
  const invite = (await findInvite(db, c.req.param("token"), Date.now())) ?? inviteGone();
  const existing = await findUserByEmail(db, invite.email);
  return c.json({
    email: invite.email,
    role: invite.role,
    organization: { slug: invite.organizationSlug, name: invite.organizationName },
    hasAccount: existing !== null,
    expiresAt: new Date(invite.expiresAt).toISOString(),
  });
});

const acceptBody = z.object({
  name: z.string().trim().max(100).optional(),
  password: z.string().min(8, "at least 8 characters").max(1024),
});

/**
 * Accepting an invite. Someone new sets their password; someone who already has an account
 * proves it is theirs with their password (an invite link alone must not open an account).
 */
authApp.post("/invites/:token", async (c) => {
  await requireSessionSecret(c);
  const db = drizzle(c.env.DB);
  const now = Date.now();
  const invite = (await findInvite(db, c.req.param("token"), now)) ?? inviteGone();
  const body = validateInput(acceptBody, await readJsonBody(c.req.raw));
  const existing = await findUserByEmail(db, invite.email);
  if (existing !== null) {
    // The password of an existing account, throttled as a login is: an invite link must not let
    // whoever made it guess the invitee's password.
    const attempt = await beginPasswordAttempt(db, throttleKeys(c, invite.email), now);
    if (!attempt.allowed) return tooManyFailures(c, attempt.waitMs);
    if (!(await verifyPassword(body.password, existing.passwordHash))) {
      return c.json({ detail: `${invite.email} already has an account: enter its password to join.` }, 401);
    }
    await passwordAttemptSucceeded(db, attempt);
  }
  const account =
    existing !== null
      ? { userId: existing.id }
      : { newUser: { email: invite.email, name: body.name ?? null, passwordHash: await hashPassword(body.password) } };
  const userId = (await acceptInvite(db, invite, account, now)) ?? inviteGone();
  await startSession(c, userId, now);
  return c.json(await currentUser(c, userId));
});

function inviteGone(): never {
  throw new ApiError(404, "This invite does not exist, was already used, or has expired.");
}

async function startSession(c: Context<ApiEnv>, userId: number, now: number): Promise<void> {
  const db = drizzle(c.env.DB);
  // A session is always new at login: a cookie planted before login (session fixation) is never reused.
  const previous = await readSessionToken(c);
  if (typeof previous === "string") await deleteSession(db, previous);
  const issued = await createSession(db, userId, now);
  await writeSessionCookie(c, issued.token, issued.session.expiresAt);
}

/**
 * Routes that end in a new session check for the signing secret first, so a misconfigured
 * instance says what is missing before it creates an account or counts a failed login.
 */
async function requireSessionSecret(c: Context<ApiEnv>): Promise<void> {
  await sessionSigningKey(c.env.SESSION_SECRET);
}

async function currentUser(c: Context<ApiEnv>, userId: number) {
  const db = drizzle(c.env.DB);
  const [user, orgs] = await Promise.all([findUser(db, userId), organizationsOf(db, userId)]);
  if (user === null) badRequest("no such user");
  return {
    user: { id: String(user.id), email: user.email, name: user.name },
    organizations: orgs.map((o) => ({ id: String(o.id), slug: o.slug, name: o.name, role: o.role })),
  };
}

authApp.notFound((c) => c.json({ detail: NOT_FOUND }, 404));
authApp.onError((err) => {
  if (err instanceof ApiError) return apiErrorResponse(err);
  console.error("auth: request failed", err);
  return Response.json({ detail: "Internal error" }, { status: 500 });
});
