import { and, eq, lt } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { sessions } from "../../../db/schema";
import { randomSecret, sha256Hex } from "./sha256-hex";

/**
 * Dashboard sessions. A session is a random token, signed into the cookie (session-cookie.ts);
 * the sessions table holds only its SHA-256, so a leaked table (or backup) logs nobody in.
 */
export const SESSION_LIFETIME_MS = 14 * 24 * 3_600_000;
/** A session older than this is exchanged for a new one the next time the dashboard checks it. */
export const SESSION_ROTATE_AFTER_MS = 3_600_000;
/**
 * How long a rotated-out session keeps working: requests the page sent with the old cookie
 * before the new one arrived (other tabs, parallel fetches) must not log the user out.
 */
export const ROTATED_SESSION_GRACE_MS = 60_000;

export interface Session {
  id: string;
  userId: number;
  createdAt: number;
  expiresAt: number;
}

export interface IssuedSession {
  /** What the cookie carries, signed; never stored. */
  token: string;
  session: Session;
}

export async function createSession(db: DrizzleD1Database, userId: number, now: number): Promise<IssuedSession> {
  const token = randomSecret();
  const session: Session = { id: await sha256Hex(token), userId, createdAt: now, expiresAt: now + SESSION_LIFETIME_MS };
  // Expired sessions of the user go at each login (sessions_by_user), so the table does not grow with time.
  await db.batch([
    db.delete(sessions).where(and(eq(sessions.userId, userId), lt(sessions.expiresAt, now))),
    db.insert(sessions).values(session),
  ]);
  return { token, session };
}

/** The live session a token names, or null (unknown or expired). */
export async function findSession(db: DrizzleD1Database, token: string, now: number): Promise<Session | null> {
  if (token === "" || token.length > 200) return null;
  const [row] = await db
    .select()
    .from(sessions)
    .where(eq(sessions.id, await sha256Hex(token)))
    .limit(1);
  return row !== undefined && row.expiresAt > now ? row : null;
}

export function rotationDue(session: Session, now: number): boolean {
  return now - session.createdAt >= SESSION_ROTATE_AFTER_MS;
}

/** A new session for the same user; the old one ends after a short grace period. */
export async function rotateSession(db: DrizzleD1Database, old: Session, now: number): Promise<IssuedSession> {
  const token = randomSecret();
  const session: Session = { id: await sha256Hex(token), userId: old.userId, createdAt: now, expiresAt: now + SESSION_LIFETIME_MS };
  await db.batch([
    db.insert(sessions).values(session),
    db
      .update(sessions)
      .set({ expiresAt: Math.min(old.expiresAt, now + ROTATED_SESSION_GRACE_MS) })
      .where(eq(sessions.id, old.id)),
  ]);
  return { token, session };
}

export async function deleteSession(db: DrizzleD1Database, token: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, await sha256Hex(token)));
}
