import { describe, expect, it } from "vitest";
import { THROTTLE, type ThrottleState, afterFailure, blockedForMs, throttleKey } from "../../../dashboard/api/auth/login-throttle";

function fail(times: number, kind: "email" | "ip", start = 1_000_000, step = 0): { state: ThrottleState; now: number } {
  let state: ThrottleState | null = null;
  let now = start;
  for (let i = 0; i < times; i++) {
    now = Math.max(now, state?.blockedUntil ?? 0) + step;
    state = afterFailure(state, kind, now);
  }
  return { state: state!, now };
}

describe("login throttling policy", () => {
  it("lets the first few failures through without delay", () => {
    const { state, now } = fail(THROTTLE.freeFailures.email, "email");
    expect(state.failures).toBe(5);
    expect(blockedForMs(state, now)).toBe(0);
  });

  it("doubles the delay with each failure past the free ones, up to the cap", () => {
    const delays = [6, 7, 8, 9].map((n) => {
      const { state, now } = fail(n, "email");
      return blockedForMs(state, now);
    });
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000]);
    const { state, now } = fail(40, "email");
    expect(blockedForMs(state, now)).toBe(THROTTLE.maxDelayMs);
  });

  it("is more lenient per address (shared by everyone behind it) than per email", () => {
    const { state, now } = fail(20, "ip");
    expect(blockedForMs(state, now)).toBe(0);
    const next = afterFailure(state, "ip", now);
    expect(blockedForMs(next, now)).toBe(1_000);
  });

  it("ends the block when its time has passed", () => {
    const { state, now } = fail(7, "email");
    expect(blockedForMs(state, now + 1_999)).toBe(1);
    expect(blockedForMs(state, now + 2_000)).toBe(0);
  });

  it("forgets failures after a quiet day", () => {
    const { state, now } = fail(9, "email");
    const later = afterFailure(state, "email", now + THROTTLE.forgetAfterMs);
    expect(later.failures).toBe(1);
    expect(blockedForMs(later, now + THROTTLE.forgetAfterMs)).toBe(0);
  });

  it("keys emails case-insensitively", () => {
    expect(throttleKey("email", " Admin@Example.COM ")).toBe("email:admin@example.com");
    expect(throttleKey("ip", "2001:db8::1")).toBe("ip:2001:db8::1");
  });
});
