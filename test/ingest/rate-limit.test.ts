import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../worker/rate-limit";

describe("RateLimiter", () => {
  it("allows `limit` events per minute per key, then says when the window resets", () => {
    const limiter = new RateLimiter();
    const t = 1_700_000_040_000 + 40_000; // 40 s into a minute
    expect(limiter.take(1, 2, t).allowed).toBe(true);
    expect(limiter.take(1, 2, t + 1).allowed).toBe(true);
    expect(limiter.take(1, 2, t + 2)).toEqual({ allowed: false, retryAfter: 20 });
    // Another key has its own window.
    expect(limiter.take(2, 2, t + 3).allowed).toBe(true);
    // The next minute starts fresh.
    expect(limiter.take(1, 2, t + 20_000).allowed).toBe(true);
  });
  it("never limits a key without a limit, and refuses everything at limit 0", () => {
    const limiter = new RateLimiter();
    for (let i = 0; i < 1000; i++) expect(limiter.take(1, null).allowed).toBe(true);
    expect(limiter.take(3, 0, 1_700_000_040_000)).toEqual({ allowed: false, retryAfter: 60 });
  });

  it("takes back an event it counted, from the window it was counted in only", () => {
    const limiter = new RateLimiter();
    const t = 1_700_000_040_000;
    const taken = limiter.take(1, 1, t);
    expect(taken).toEqual({ allowed: true, retryAfter: 0, windowStart: t });
    limiter.giveBack(1, taken.windowStart!);
    expect(limiter.take(1, 1, t + 2).allowed).toBe(true);
    expect(limiter.take(1, 1, t + 3).allowed).toBe(false);
    // Taken at the end of one minute and given back in the next: the next minute's count is untouched.
    const late = limiter.take(2, 1, t + 59_999);
    expect(limiter.take(2, 1, t + 60_000).allowed).toBe(true);
    limiter.giveBack(2, late.windowStart!);
    expect(limiter.take(2, 1, t + 60_001).allowed).toBe(false);
  });
});
