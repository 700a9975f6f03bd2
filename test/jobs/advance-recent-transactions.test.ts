import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { type Sketch, mergeSketchInto, parseSketch } from "../../protocol/duration-sketch";
import { HOUR } from "../../protocol/time";
import { advanceRecentTransactions, recentStartAt } from "../../queue-consumer/jobs/advance-recent-transactions";
import { seedProject } from "../support/seed";
import { digest, ingestMessage, segmentEnvelope, transactionEnvelope } from "../support/transaction-envelopes";

const NOW = Date.UTC(2026, 10, 21, 12, 30);

interface Totals {
  count: number;
  failures: number;
  satisfied: number;
  tolerated: number;
  durationSum: number;
  sketch: Sketch;
}

type Row = { name: string; op: string; environment: string; release: string; count: number; failures: number; satisfied: number };
type Full = Row & { tolerated: number; duration_sum: number; sketch: string };

function addUp(rows: Full[]): Map<string, Totals> {
  const out = new Map<string, Totals>();
  for (const r of rows) {
    const key = [r.name, r.op, r.environment, r.release].join(" | ");
    const t = out.get(key) ?? { count: 0, failures: 0, satisfied: 0, tolerated: 0, durationSum: 0, sketch: {} };
    out.set(key, t);
    t.count += r.count;
    t.failures += r.failures;
    t.satisfied += r.satisfied;
    t.tolerated += r.tolerated;
    t.durationSum += r.duration_sum;
    mergeSketchInto(t.sketch, parseSketch(r.sketch));
  }
  return out;
}

/** The project's hourly rows from `since` on added up per key, against its recent totals. */
async function expectRecentToMatchHourly(projectId: number, since: number): Promise<Map<string, Totals>> {
  const columns = "name, op, environment, release, count, failures, satisfied, tolerated, duration_sum, sketch";
  const hourly = await env.DB.prepare(`SELECT ${columns} FROM transaction_rollups WHERE project_id = ? AND hour >= ?`)
    .bind(projectId, since)
    .all<Full>();
  const recent = await env.DB.prepare(`SELECT ${columns} FROM transaction_recent_rollups WHERE project_id = ?`).bind(projectId).all<Full>();
  const want = addUp(hourly.results);
  const got = addUp(recent.results);
  expect(recent.results.length).toBe(want.size);
  for (const [key, t] of want) {
    const g = got.get(key);
    expect(g, key).toBeDefined();
    expect({ ...g!, durationSum: 0 }).toEqual({ ...t, durationSum: 0 });
    expect(g!.durationSum).toBeCloseTo(t.durationSum, 6);
  }
  return got;
}

async function since(): Promise<number | null> {
  const row = await env.DB.prepare("SELECT hour FROM transaction_recent_since WHERE id = 1").first<{ hour: number }>();
  return row?.hour ?? null;
}

/** Transactions of two names and environments, one in each of `hours` (hours before NOW), 1..n ms. */
function messages(projectId: number, hoursAgo: number[], durations: number[]) {
  return hoursAgo.flatMap((h, i) =>
    durations.map((ms, j) => {
      const end = NOW - h * HOUR + j * 1000;
      const envelope =
        (i + j) % 2 === 0
          ? segmentEnvelope({ name: "GET /orders", durationMs: ms, end, status: j % 4 === 0 ? "error" : "ok", environment: "production" })
          : transactionEnvelope({ name: "POST /checkout", durationMs: ms * 3, end });
      return ingestMessage(projectId, envelope, { receivedAt: end + 1000 });
    }),
  );
}

describe("advanceRecentTransactions", () => {
  beforeEach(async () => {
    await env.DB.batch([env.DB.prepare("DELETE FROM transaction_recent_since"), env.DB.prepare("DELETE FROM transaction_recent_rollups")]);
  });

  it("starts at the first hour of the 24-hour window", () => {
    expect(recentStartAt(NOW)).toBe(Date.UTC(2026, 10, 20, 12));
    expect(recentStartAt(Date.UTC(2026, 10, 21, 13))).toBe(Date.UTC(2026, 10, 20, 13));
  });

  it("builds the totals of every hour from its start, then takes out the hours that leave, exactly", async () => {
    const { projectId } = await seedProject();
    await digest(messages(projectId, [30, 25, 24, 23, 12, 1, 0], [40, 120, 350, 900, 1500]));
    const first = await advanceRecentTransactions(env.DB, NOW);
    expect(first).toEqual({ from: null, to: recentStartAt(NOW) });
    const built = await expectRecentToMatchHourly(projectId, recentStartAt(NOW));
    // Hours 23, 12, 1 and 0 ago (and 24 ago: the window's first hour, which NOW's 30 minutes leave in it).
    expect([...built.values()].reduce((n, t) => n + t.count, 0)).toBe(25);

    // The digest adds what it counts in those hours, once however often a batch is delivered; not hours before them.
    const later = messages(projectId, [26, 5, 0], [60, 700]);
    await digest(later);
    await digest(later);
    await expectRecentToMatchHourly(projectId, recentStartAt(NOW));

    // Nothing to do within the hour; three hours on, three hours leave.
    expect(await advanceRecentTransactions(env.DB, NOW + 20 * 60_000)).toEqual({ from: recentStartAt(NOW), to: recentStartAt(NOW) });
    expect(await advanceRecentTransactions(env.DB, NOW + 3 * HOUR)).toEqual({
      from: recentStartAt(NOW),
      to: recentStartAt(NOW) + 3 * HOUR,
    });
    expect(await since()).toBe(recentStartAt(NOW) + 3 * HOUR);
    await expectRecentToMatchHourly(projectId, recentStartAt(NOW) + 3 * HOUR);

    // Days later, a day leaves per run until none is left: keys whose hours all left go.
    let now = NOW + 5 * 24 * HOUR;
    for (let run = 0; run < 10 && (await since())! < recentStartAt(now); run += 1) await advanceRecentTransactions(env.DB, now);
    expect(await since()).toBe(recentStartAt(now));
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM transaction_recent_rollups WHERE project_id = ?")
      .bind(projectId)
      .first<{ n: number }>();
    expect(rows!.n).toBe(0);
  });

  it("builds nothing twice when two runs start together", async () => {
    const { projectId } = await seedProject();
    await digest(messages(projectId, [2, 1], [100, 200]));
    await Promise.all([advanceRecentTransactions(env.DB, NOW), advanceRecentTransactions(env.DB, NOW)]);
    await expectRecentToMatchHourly(projectId, recentStartAt(NOW));
    await Promise.all([advanceRecentTransactions(env.DB, NOW + 2 * HOUR), advanceRecentTransactions(env.DB, NOW + 2 * HOUR)]);
    await expectRecentToMatchHourly(projectId, recentStartAt(NOW) + 2 * HOUR);
  });
});
