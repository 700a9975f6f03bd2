/**
 * Per-key event quota, counted in fixed one-minute windows inside this isolate. Cloudflare
 * runs many isolates, so the limit holds per isolate (roughly per location), which is what a
 * cheap edge check can promise; it never costs a D1 or Durable Object round trip.
 */
export interface RateLimitDecision {
  allowed: boolean;
  /** Seconds until the window resets, when not allowed. */
  retryAfter: number;
  /** The window the event was counted in, when allowed: what giveBack takes it back from. */
  windowStart?: number;
}

const WINDOW_MS = 60_000;
const MAX_TRACKED = 10_000;

export class RateLimiter<K = number> {
  private readonly windows = new Map<K, { start: number; count: number }>();

  /** Counts one event for `keyId` against `limit` per minute. */
  take(keyId: K, limit: number | null, now = Date.now()): RateLimitDecision {
    if (limit === null) return { allowed: true, retryAfter: 0 };
    const start = now - (now % WINDOW_MS);
    let window = this.windows.get(keyId);
    if (!window || window.start !== start) {
      if (!window && this.windows.size >= MAX_TRACKED) this.windows.clear();
      window = { start, count: 0 };
      this.windows.set(keyId, window);
    }
    if (window.count >= limit) {
      return { allowed: false, retryAfter: Math.max(1, Math.ceil((start + WINDOW_MS - now) / 1000)) };
    }
    window.count += 1;
    return { allowed: true, retryAfter: 0, windowStart: start };
  }

  /** Takes back an event counted in the window starting at `windowStart` (one ingest could not keep, a 503, which the SDK sends again); nothing once that window is over. */
  giveBack(keyId: K, windowStart: number): void {
    const window = this.windows.get(keyId);
    if (window && window.start === windowStart && window.count > 0) window.count -= 1;
  }
}
