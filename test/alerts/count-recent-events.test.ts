import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  EVENT_COUNT_SQL,
  USER_COUNT_SQL,
  USERS_SCAN_MAX,
  countRecentEvents,
  countRecentUsers,
  recentEventCounter,
} from "../../queue-consumer/alerts/count-recent-events";
import { seedIssue } from "../support/seed-issues";
import { seedProject } from "../support/seed";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Event rows and hourly buckets of one issue, as the digest writes them. */
async function storeEvents(issueId: number, projectId: number, events: Array<{ at: number; user?: string | null }>) {
  const statements = events.flatMap(({ at, user }) => [
    env.DB.prepare(
      `INSERT INTO events (project_id, event_id, issue_id, timestamp, received_at, level, title, user_key, data, ingest_batch)
       VALUES (?, ?, ?, ?, ?, 'error', 'Error: x', ?, x'00', 'test')`,
    ).bind(projectId, crypto.randomUUID().replaceAll("-", ""), issueId, at, at, user ?? null),
    env.DB.prepare(
      "INSERT INTO issue_hourly (issue_id, hour, count) VALUES (?, ?, 1) ON CONFLICT (issue_id, hour) DO UPDATE SET count = count + 1",
    ).bind(issueId, at - (at % HOUR)),
  ]);
  for (let i = 0; i < statements.length; i += 50) await env.DB.batch(statements.slice(i, i + 50));
}

async function issueWith(events: Array<{ at: number; user?: string | null }>) {
  const { projectId } = await seedProject();
  const issueId = await seedIssue(projectId);
  await storeEvents(issueId, projectId, events);
  const users = new Set(events.map((e) => e.user).filter((u) => u != null)).size;
  return { issueId, timesSeen: events.length, userCount: users };
}

// A fixed clock 23 minutes into an hour, so windows of an hour and a day start mid-hour.
const now = Date.UTC(2026, 10, 20, 14, 23, 0);
const exact = (events: Array<{ at: number }>, intervalMs: number) => events.filter((e) => e.at > now - intervalMs).length;

describe("countRecentEvents", () => {
  // Spread over two days, denser near now: every window boundary has events on both sides.
  const spread = Array.from({ length: 120 }, (_, i) => ({ at: now - Math.round((i * i * 12_000) % (2 * DAY)) - 1 }));

  it.each([
    ["1m", MINUTE],
    ["5m", 5 * MINUTE],
    ["15m", 15 * MINUTE],
    ["1h", HOUR],
    ["1d", DAY],
  ])("counts exactly the events of the last %s", async (_label, intervalMs) => {
    const { issueId } = await issueWith(spread);
    const count = exact(spread, intervalMs);
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThan(spread.length);
    expect(await countRecentEvents(env.DB, issueId, now - intervalMs, intervalMs, 1_000)).toBe(count);
  });

  it("stops counting rows at its limit", async () => {
    const burst = Array.from({ length: 40 }, (_, i) => ({ at: now - i * 1000 }));
    const { issueId } = await issueWith(burst);
    expect(await countRecentEvents(env.DB, issueId, now - 5 * MINUTE, 5 * MINUTE, 11)).toBe(11);
    expect(await countRecentEvents(env.DB, issueId, now - 5 * MINUTE, 5 * MINUTE, 1_000)).toBe(40);
  });

  it("a day counts whole hours from issue_hourly, and only the partial first hour row by row", async () => {
    // 30 events in the window's first, partial hour, and 500 counted in an hour bucket after it.
    const partial = Array.from({ length: 30 }, (_, i) => ({ at: now - DAY + 60_000 + i }));
    const { issueId } = await issueWith(partial);
    const later = now - DAY + 2 * HOUR;
    await env.DB.prepare("INSERT INTO issue_hourly (issue_id, hour, count) VALUES (?, ?, 500)")
      .bind(issueId, later - (later % HOUR))
      .run();
    expect(await countRecentEvents(env.DB, issueId, now - DAY, DAY, 11)).toBe(511);
    expect(await countRecentEvents(env.DB, issueId, now - DAY, DAY, 10_000)).toBe(530);
  });
});

describe("countRecentUsers", () => {
  it("counts distinct users of the window, not events without a user, up to its limit", async () => {
    const events = [
      { at: now - 10 * MINUTE, user: "id:1" },
      { at: now - 9 * MINUTE, user: "id:1" },
      { at: now - 8 * MINUTE, user: "id:2" },
      { at: now - 7 * MINUTE, user: null },
      { at: now - 50 * MINUTE, user: "ip:192.0.2.1" },
      { at: now - 2 * HOUR, user: "id:3" },
    ];
    const { issueId } = await issueWith(events);
    expect(await countRecentUsers(env.DB, issueId, now - 15 * MINUTE, 100)).toBe(2);
    expect(await countRecentUsers(env.DB, issueId, now - HOUR, 100)).toBe(3);
    expect(await countRecentUsers(env.DB, issueId, now - DAY, 100)).toBe(4);
    expect(await countRecentUsers(env.DB, issueId, now - DAY, 2)).toBe(2);
  });
});

describe("recentEventCounter", () => {
  it("says whether a window reaches a threshold", async () => {
    const events = [
      ...Array.from({ length: 12 }, (_, i) => ({ at: now - i * MINUTE, user: `id:${i % 3}` })),
      { at: now - 3 * HOUR, user: "id:9" },
    ];
    const issue = await issueWith(events);
    const counter = recentEventCounter(env.DB, issue, now);
    expect(await counter.hasEvents(5 * MINUTE, 5)).toBe(true);
    expect(await counter.hasEvents(5 * MINUTE, 6)).toBe(false);
    expect(await counter.hasEvents(HOUR, 12)).toBe(true);
    expect(await counter.hasEvents(HOUR, 13)).toBe(false);
    expect(await counter.hasEvents(DAY, 13)).toBe(true);
    expect(await counter.hasUsers(HOUR, 3)).toBe(true);
    expect(await counter.hasUsers(HOUR, 4)).toBe(false);
    expect(await counter.hasUsers(DAY, 4)).toBe(true);
  });

  it("asks D1 nothing when the issue has fewer events or users in all than the threshold", async () => {
    const failing = {
      prepare: () => {
        throw new Error("no query expected");
      },
    } as unknown as D1Database;
    const counter = recentEventCounter(failing, { issueId: 1, timesSeen: 3, userCount: 1 }, now);
    expect(await counter.hasEvents(HOUR, 4)).toBe(false);
    expect(await counter.hasUsers(HOUR, 2)).toBe(false);
  });
});

describe("the count queries", () => {
  it("read a range of events_by_issue and issue_hourly's key, never a scan of a table", async () => {
    for (const [sql, params] of [
      [EVENT_COUNT_SQL, [1, now - DAY, now - DAY + HOUR, 101]],
      [USER_COUNT_SQL, [1, now - HOUR, USERS_SCAN_MAX, 11]],
    ] as const) {
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>();
      const plan = results.map((r) => r.detail).join("\n");
      expect(plan).toMatch(/events USING (COVERING )?INDEX events_by_issue \(issue_id=\? AND timestamp>\?/);
      expect(plan).not.toMatch(/SCAN (events|issue_hourly)\b(?! USING)/);
      if (sql === EVENT_COUNT_SQL) expect(plan).toMatch(/issue_hourly USING PRIMARY KEY \(issue_id=\? AND hour>\?\)/);
    }
  });
});
