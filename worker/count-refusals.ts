import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { ingestRefusals } from "../db/schema";
import { HOUR } from "../protocol/time";
import type { Refusal } from "./refusal";

/** Refusals for what the request carried. 401, 403, 404 and 405 are about who or where, 429 and 503 about load. */
const COUNTED_STATUSES: ReadonlySet<number> = new Set([400, 413]);

export function isCountedRefusal(refusal: Refusal): boolean {
  return COUNTED_STATUSES.has(refusal.status);
}

export interface RefusalCount {
  projectId: number;
  hour: number;
  reason: string;
  count: number;
  status: number;
  detail: string;
  lastSeen: number;
}

/** A detail quotes the client at times (an item type, a content encoding); it is kept short. */
const MAX_DETAIL = 200;

/** A flush that has not run this long after its delay never will (its request's waitUntil ended): another is scheduled. */
const FLUSH_GIVEN_UP_MS = 60_000;

export interface RefusalCounterOptions {
  flushDelayMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Counts the requests ingest refuses for their content, so a team can see on the ingest-problems
 * page that a client's events are being refused (an old SDK's encoding, a body over the limit).
 * Counted in the isolate and written in one upsert batch per `flushDelayMs`, after the answer
 * (`ctx.waitUntil`): a flood of refusals costs one D1 write a second per isolate, not one each,
 * and no refusal waits on D1. Counts an isolate holds when it is evicted are lost; they are a
 * signal, not a ledger. No body is kept, only the refusal's reason, status and detail.
 */
export class RefusalCounter {
  private pending = new Map<string, RefusalCount>();
  private flushScheduledAt: number | null = null;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: RefusalCounterOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Counts a refusal of a request that authenticated to `projectId`. Returns the flush to hand to
   * `ctx.waitUntil` when none is scheduled yet, else null (the scheduled one will write this too).
   */
  add(projectId: number, refusal: Refusal, db: D1Database): Promise<void> | null {
    if (!isCountedRefusal(refusal)) return null;
    const now = this.now();
    this.merge({
      projectId,
      hour: now - (now % HOUR),
      reason: refusal.reason,
      count: 1,
      status: refusal.status,
      detail: refusal.detail.length <= MAX_DETAIL ? refusal.detail : `${refusal.detail.slice(0, MAX_DETAIL - 3)}...`,
      lastSeen: now,
    });
    if (this.flushScheduledAt !== null && now - this.flushScheduledAt < this.options.flushDelayMs + FLUSH_GIVEN_UP_MS) return null;
    this.flushScheduledAt = now;
    return this.flushAfterDelay(db);
  }

  private merge(row: RefusalCount): void {
    const key = `${row.projectId}:${row.hour}:${row.reason}`;
    const known = this.pending.get(key);
    if (known === undefined) {
      this.pending.set(key, { ...row });
    } else if (row.lastSeen >= known.lastSeen) {
      this.pending.set(key, { ...row, count: known.count + row.count });
    } else {
      known.count += row.count;
    }
  }

  private async flushAfterDelay(db: D1Database): Promise<void> {
    await this.sleep(this.options.flushDelayMs);
    this.flushScheduledAt = null;
    const rows = [...this.pending.values()];
    this.pending.clear();
    if (rows.length === 0) return;
    try {
      await writeRefusalCounts(db, rows);
    } catch (err) {
      // Kept for the next refusal's flush to write.
      for (const row of rows) this.merge(row);
      console.error("ingest: could not write refusal counts", err);
    }
  }
}

// Seven bound parameters a row; D1 binds at most 100 per statement.
const ROWS_PER_STATEMENT = 14;

/** Adds counts to their hours' rows (one D1 batch), keeping the latest status, detail and time. */
export async function writeRefusalCounts(db: D1Database, rows: readonly RefusalCount[]): Promise<void> {
  const orm = drizzle(db);
  const chunks: RefusalCount[][] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) chunks.push(rows.slice(i, i + ROWS_PER_STATEMENT));
  const statements = chunks.map((chunk) =>
    orm
      .insert(ingestRefusals)
      .values(chunk)
      .onConflictDoUpdate({
        target: [ingestRefusals.projectId, ingestRefusals.hour, ingestRefusals.reason],
        set: {
          count: sql`${ingestRefusals.count} + excluded.count`,
          status: sql`iif(excluded.last_seen >= ${ingestRefusals.lastSeen}, excluded.status, ${ingestRefusals.status})`,
          detail: sql`iif(excluded.last_seen >= ${ingestRefusals.lastSeen}, excluded.detail, ${ingestRefusals.detail})`,
          lastSeen: sql`max(excluded.last_seen, ${ingestRefusals.lastSeen})`,
        },
      }),
  );
  const [first, ...rest] = statements;
  if (first !== undefined) await orm.batch([first, ...rest]);
}
