import { describe, expect, it } from "vitest";
import { MAX_DELAY_SECONDS, parseRetryAfter, retryDelaySeconds } from "../../alert-channels/alert-retry-delay";

describe("retryDelaySeconds", () => {
  it("backs off exponentially over the consumer's six retries, then waits an hour at most", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => retryDelaySeconds(attempt, null))).toEqual([15, 45, 135, 405, 1215, 3600, 3600]);
  });

  it("waits what the target asked for instead, within what Queues can delay", () => {
    expect(retryDelaySeconds(1, 7)).toBe(7);
    expect(retryDelaySeconds(5, 0.4)).toBe(1);
    expect(retryDelaySeconds(1, 0)).toBe(1);
    expect(retryDelaySeconds(1, 86_400)).toBe(MAX_DELAY_SECONDS);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.UTC(2026, 10, 20, 9, 0, 0);
  it("reads seconds (Discord's fractions too) and HTTP dates", () => {
    expect(parseRetryAfter("7", now)).toBe(7);
    expect(parseRetryAfter(" 2.5 ", now)).toBe(2.5);
    expect(parseRetryAfter("Fri, 20 Nov 2026 09:01:30 GMT", now)).toBe(90);
    expect(parseRetryAfter("Fri, 20 Nov 2026 08:00:00 GMT", now)).toBe(0);
  });

  it("is null when absent or unreadable", () => {
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter("-5", now)).toBeNull();
  });
});
