import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { HOUR } from "../../protocol/time";
import { RefusalCounter, isCountedRefusal } from "../../worker/count-refusals";
import type { Refusal } from "../../worker/refusal";

const malformed: Refusal = { status: 400, reason: "malformed_envelope", detail: "envelope header is not JSON" };
const tooLarge: Refusal = { status: 413, reason: "body_too_large", detail: "body exceeds 20971520 bytes" };
const HOUR_START = Date.UTC(2026, 11, 7, 14);

let nextProject = 900_000 + Math.floor(Math.random() * 1_000_000);

/** A counter whose flush delay ends when the test says, on a clock the test moves, writing to a D1 that counts its batches. */
function harness(options: { failWrites?: number } = {}) {
  let now = HOUR_START + 60_000;
  const delays: Array<() => void> = [];
  let batches = 0;
  let failures = options.failWrites ?? 0;
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "batch")
        return (statements: D1PreparedStatement[]) => {
          batches += 1;
          if (failures-- > 0) return Promise.reject(new Error("D1 is unavailable"));
          return target.batch(statements);
        };
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const counter = new RefusalCounter({
    flushDelayMs: 1000,
    now: () => now,
    sleep: () => new Promise<void>((resolve) => delays.push(resolve)),
  });
  return {
    counter,
    db,
    projectId: nextProject++,
    advance: (ms: number) => (now += ms),
    /** Ends every pending flush delay, then waits for the flushes handed out. */
    async flush(flushes: Array<Promise<void> | null>) {
      for (const end of delays.splice(0)) end();
      await Promise.all(flushes);
    },
    batches: () => batches,
  };
}

async function rowsOf(projectId: number) {
  const { results } = await env.DB.prepare(
    "SELECT hour, reason, count, status, detail, last_seen FROM ingest_refusals WHERE project_id = ? ORDER BY hour, reason",
  )
    .bind(projectId)
    .all();
  return results;
}

describe("RefusalCounter", () => {
  it("counts a flood of refusals in the isolate and writes them in one batch after the delay", async () => {
    const h = harness();
    const flushes = Array.from({ length: 500 }, () => h.counter.add(h.projectId, malformed, h.db));
    // One flush for all of them, and nothing written before its delay ends.
    expect(flushes.filter((f) => f !== null)).toHaveLength(1);
    expect(await rowsOf(h.projectId)).toEqual([]);
    await h.flush(flushes);
    expect(h.batches()).toBe(1);
    expect(await rowsOf(h.projectId)).toEqual([
      {
        hour: HOUR_START,
        reason: "malformed_envelope",
        count: 500,
        status: 400,
        detail: "envelope header is not JSON",
        last_seen: HOUR_START + 60_000,
      },
    ]);
  });

  it("keeps projects, hours and reasons apart, and adds to the rows of earlier flushes", async () => {
    const h = harness();
    const other = h.projectId + 1_000_000;
    const first = [
      h.counter.add(h.projectId, malformed, h.db),
      h.counter.add(h.projectId, tooLarge, h.db),
      h.counter.add(other, malformed, h.db),
    ];
    await h.flush(first);
    h.advance(HOUR);
    const second = [h.counter.add(h.projectId, malformed, h.db), h.counter.add(h.projectId, malformed, h.db)];
    await h.flush(second);
    h.advance(10_000);
    await h.flush([h.counter.add(h.projectId, { ...malformed, detail: "an item header is not JSON" }, h.db)]);
    expect((await rowsOf(h.projectId)).map((r) => [r.hour, r.reason, r.count, r.status, r.detail])).toEqual([
      [HOUR_START, "body_too_large", 1, 413, "body exceeds 20971520 bytes"],
      [HOUR_START, "malformed_envelope", 1, 400, "envelope header is not JSON"],
      [HOUR_START + HOUR, "malformed_envelope", 3, 400, "an item header is not JSON"],
    ]);
    expect((await rowsOf(other)).map((r) => r.count)).toEqual([1]);
  });

  it("schedules another flush for refusals that come while one is writing", async () => {
    const h = harness();
    const first = h.counter.add(h.projectId, malformed, h.db);
    h.advance(1000);
    const endDelays = h.flush([]);
    await endDelays;
    // The first flush took its rows; a refusal now needs a flush of its own.
    const second = h.counter.add(h.projectId, malformed, h.db);
    expect(second).not.toBeNull();
    await h.flush([first, second]);
    expect((await rowsOf(h.projectId)).map((r) => r.count)).toEqual([2]);
  });

  it("keeps the counts when D1 fails, for the next flush to write", async () => {
    const h = harness({ failWrites: 1 });
    const failing = [h.counter.add(h.projectId, tooLarge, h.db), h.counter.add(h.projectId, tooLarge, h.db)];
    await h.flush(failing);
    expect(await rowsOf(h.projectId)).toEqual([]);
    await h.flush([h.counter.add(h.projectId, tooLarge, h.db)]);
    expect((await rowsOf(h.projectId)).map((r) => r.count)).toEqual([3]);
  });

  it("schedules anew when a scheduled flush never ran (its request's waitUntil ended)", async () => {
    const h = harness();
    expect(h.counter.add(h.projectId, malformed, h.db)).not.toBeNull();
    h.advance(30_000);
    expect(h.counter.add(h.projectId, malformed, h.db)).toBeNull();
    h.advance(60_000);
    const again = h.counter.add(h.projectId, malformed, h.db);
    expect(again).not.toBeNull();
    await h.flush([again]);
    expect((await rowsOf(h.projectId)).map((r) => r.count)).toEqual([3]);
  });

  it("counts only refusals for content (400, 413), and cuts long details", async () => {
    expect(isCountedRefusal(malformed)).toBe(true);
    expect(isCountedRefusal(tooLarge)).toBe(true);
    for (const status of [401, 403, 404, 405, 429, 503] as const) expect(isCountedRefusal({ ...malformed, status })).toBe(false);
    const h = harness();
    expect(h.counter.add(h.projectId, { status: 429, reason: "rate_limited", detail: "slow down" }, h.db)).toBeNull();
    const long = { ...malformed, reason: "unsupported_encoding" as const, detail: `unsupported content encoding: ${"x".repeat(500)}` };
    await h.flush([h.counter.add(h.projectId, long, h.db)]);
    const [row] = await rowsOf(h.projectId);
    expect(row?.reason).toBe("unsupported_encoding");
    expect(String(row?.detail)).toHaveLength(200);
  });
});
