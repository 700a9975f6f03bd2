import { describe, expect, it } from "vitest";
import { CHECK_INS_PER_MONITOR_PER_MINUTE, takeCheckIns } from "../../worker/check-in-rate-limit";
import { RefusedError } from "../../worker/refusal";

const MINUTE = 60_000;
const T = Date.UTC(2026, 11, 7, 3, 0, 0);

function refusal(run: () => void) {
  try {
    run();
  } catch (err) {
    if (err instanceof RefusedError) return err.refusal;
    throw err;
  }
  return null;
}

describe("takeCheckIns", () => {
  it(`takes ${CHECK_INS_PER_MONITOR_PER_MINUTE} check-ins a minute per monitor, refuses more with 429 naming the monitor category, and takes them again the next minute`, () => {
    const project = 910_001;
    for (let i = 0; i < CHECK_INS_PER_MONITOR_PER_MINUTE; i++) takeCheckIns(project, ["runaway"], T + i);
    expect(refusal(() => takeCheckIns(project, ["runaway"], T + 30_000))).toEqual({
      status: 429,
      reason: "rate_limited",
      detail: `monitor runaway sent more than ${CHECK_INS_PER_MONITOR_PER_MINUTE} check-ins this minute`,
      retryAfter: 30,
      rateLimits: "30:monitor:project:monitor_rate_limit",
    });
    // Another monitor, and the same slug in another project, are counted apart.
    expect(refusal(() => takeCheckIns(project, ["nightly"], T + 30_000))).toBeNull();
    expect(refusal(() => takeCheckIns(project + 1, ["runaway"], T + 30_000))).toBeNull();
    expect(refusal(() => takeCheckIns(project, ["runaway"], T + MINUTE))).toBeNull();
  });
});
