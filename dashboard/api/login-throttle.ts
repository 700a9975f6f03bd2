import { eq, inArray } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { loginThrottles } from "../../db/schema";

/**
 * Slows down password guessing. Failed logins are counted per email (one account under attack)
 * and per client address (one attacker trying many accounts). Past a few free failures each one
 * blocks the key for twice as long as the last, up to a cap; a success clears the email's count,
 * and a key with no failure for a day starts over. While a key is blocked no password is checked
 * at all, so a guess costs the attacker the wait whether it was right or not.
 */
export interface ThrottleState {
  failures: number;
  lastFailureAt: number;
  blockedUntil: number;
}

export const THROTTLE = {
  /** Failures allowed before the first delay. */
  freeFailures: { email: 5, ip: 20 },
  firstDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 24 * 3_600_000,
} as const;

export type ThrottleKind = keyof typeof THROTTLE.freeFailures;

export function throttleKey(kind: ThrottleKind, value: string): string {
  return `${kind}:${kind === "email" ? value.trim().toLowerCase() : value}`;
}

function kindOf(key: string): ThrottleKind {
  return key.startsWith("email:") ? "email" : "ip";
}

/** The state after one more failure at `now`. */
export function afterFailure(state: ThrottleState | null, kind: ThrottleKind, now: number): ThrottleState {
  const forgotten = state === null || now - state.lastFailureAt >= THROTTLE.forgetAfterMs;
  const failures = (forgotten ? 0 : state.failures) + 1;
  const over = failures - THROTTLE.freeFailures[kind];
  const delay = over <= 0 ? 0 : Math.min(THROTTLE.maxDelayMs, THROTTLE.firstDelayMs * 2 ** (over - 1));
  return { failures, lastFailureAt: now, blockedUntil: now + delay };
}

/** Milliseconds until a login may be tried again; 0 when it may now. */
export function blockedForMs(state: ThrottleState | null, now: number): number {
  return state === null ? 0 : Math.max(0, state.blockedUntil - now);
}

export async function readThrottles(db: DrizzleD1Database, keys: string[]): Promise<Map<string, ThrottleState>> {
  const rows = await db.select().from(loginThrottles).where(inArray(loginThrottles.key, keys));
  return new Map(rows.map((r) => [r.key, { failures: r.failures, lastFailureAt: r.lastFailureAt, blockedUntil: r.blockedUntil }]));
}

/** Records a failure for each key, from the states read before the attempt. */
export async function recordFailures(db: DrizzleD1Database, states: Map<string, ThrottleState>, keys: string[], now: number): Promise<void> {
  const writes = keys.map((key) => {
    const next = afterFailure(states.get(key) ?? null, kindOf(key), now);
    return db
      .insert(loginThrottles)
      .values({ key, ...next })
      .onConflictDoUpdate({ target: loginThrottles.key, set: next });
  });
  const [first, ...rest] = writes;
  if (first !== undefined) await db.batch([first, ...rest]);
}

export async function clearThrottle(db: DrizzleD1Database, key: string): Promise<void> {
  await db.delete(loginThrottles).where(eq(loginThrottles.key, key));
}
