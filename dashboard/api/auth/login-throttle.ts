import { and, eq, inArray } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { loginThrottles } from "../../../db/schema";

/**
 * Slows down password guessing. Failed logins are counted per email (one account under attack)
 * and per client address (one attacker trying many accounts). Past a few free failures each one
 * blocks the key for twice as long as the last, up to a cap; a success clears the email's count,
 * and a key with no failure for a day starts over. While a key is blocked no password is checked
 * at all, so a guess costs the attacker the wait whether it was right or not. Every check of a
 * password against an account goes through here: logging in, and accepting an invite to an
 * account that exists.
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

type Db = DrizzleD1Database;

/** A password check counted in advance against one key: what the row was, and what it became. */
interface Reserved {
  key: string;
  before: ThrottleState | null;
  after: ThrottleState;
}

export type PasswordAttempt = { allowed: true; reserved: Reserved[] } | { allowed: false; waitMs: number };

/** Rounds of compare-and-swap before a key this contended is refused for a moment. */
const RESERVE_ROUNDS = 4;
const CONTENDED_WAIT_MS = THROTTLE.firstDelayMs;

/**
 * Starts a password check: refuses it while any key is blocked, and otherwise counts it as a
 * failure of every key before the password is looked at. Counting first, each row written only
 * if nobody changed it since it was read (compare and swap), means guesses sent all at once are
 * counted one by one and meet the block that the earlier ones set, instead of all reading the
 * same count and each writing that count plus one. A check that succeeds then gives its count
 * back (passwordAttemptSucceeded). A key still contended after a few rounds is refused for a
 * second. If one key is counted and the next turns out blocked, the first keeps the count.
 */
export async function beginPasswordAttempt(db: Db, keys: string[], now: number): Promise<PasswordAttempt> {
  const reserved: Reserved[] = [];
  let pending = keys;
  for (let round = 0; round < RESERVE_ROUNDS && pending.length > 0; round++) {
    const states = await readThrottles(db, pending);
    const waitMs = Math.max(0, ...pending.map((k) => blockedForMs(states.get(k) ?? null, now)));
    if (waitMs > 0) return { allowed: false, waitMs };
    const tries = pending.map((key) => ({
      key,
      before: states.get(key) ?? null,
      after: afterFailure(states.get(key) ?? null, kindOf(key), now),
    }));
    const written = await swapAll(
      db,
      tries.map((t) => ({ key: t.key, expected: t.before, next: t.after })),
    );
    reserved.push(...tries.filter((_t, i) => written[i]));
    pending = tries.filter((_t, i) => !written[i]).map((t) => t.key);
  }
  return pending.length === 0 ? { allowed: true, reserved } : { allowed: false, waitMs: CONTENDED_WAIT_MS };
}

/**
 * The password was right: the email's count starts over, and the address gets back the failure
 * counted in advance (its row as it was, unless other attempts changed it meanwhile).
 */
export async function passwordAttemptSucceeded(db: Db, attempt: { reserved: Reserved[] }): Promise<void> {
  const swaps = attempt.reserved.map((r) =>
    kindOf(r.key) === "email" ? { key: r.key, expected: null, next: null } : { key: r.key, expected: r.after, next: r.before },
  );
  await swapAll(db, swaps);
}

export async function readThrottles(db: Db, keys: string[]): Promise<Map<string, ThrottleState>> {
  if (keys.length === 0) return new Map();
  const rows = await db.select().from(loginThrottles).where(inArray(loginThrottles.key, keys));
  return new Map(rows.map((r) => [r.key, { failures: r.failures, lastFailureAt: r.lastFailureAt, blockedUntil: r.blockedUntil }]));
}

/**
 * Writes each key's next state only where its row still is `expected` (null: no row), in one
 * batch; says for each whether it was written. `expected` and `next` both null deletes the row
 * whatever it holds.
 */
async function swapAll(
  db: Db,
  swaps: Array<{ key: string; expected: ThrottleState | null; next: ThrottleState | null }>,
): Promise<boolean[]> {
  const statements = swaps.map(({ key, expected, next }) => {
    if (next === null) {
      const where = expected === null ? eq(loginThrottles.key, key) : and(eq(loginThrottles.key, key), ...sameState(expected));
      return db.delete(loginThrottles).where(where);
    }
    if (expected === null)
      return db
        .insert(loginThrottles)
        .values({ key, ...next })
        .onConflictDoNothing();
    return db
      .update(loginThrottles)
      .set(next)
      .where(and(eq(loginThrottles.key, key), ...sameState(expected)));
  });
  const [first, ...rest] = statements;
  if (first === undefined) return [];
  const results = await db.batch([first, ...rest]);
  return results.map((r) => (r as D1Result).meta.changes > 0);
}

function sameState(state: ThrottleState) {
  return [
    eq(loginThrottles.failures, state.failures),
    eq(loginThrottles.lastFailureAt, state.lastFailureAt),
    eq(loginThrottles.blockedUntil, state.blockedUntil),
  ];
}
