import { HOUR } from "../../protocol/time";
import type { WindowCounter } from "./match-alert-rule";

/**
 * Distinct users are counted over at most this many of the window's newest events: the events
 * table keeps no per-user index by time, and a burst from one user should not turn an alert
 * check into a scan. Past it the count is a lower bound (Sentry's own is an estimate too).
 */
export const USERS_SCAN_MAX = 10_000;

export interface IssueTotals {
  issueId: number;
  timesSeen: number;
  userCount: number;
}

/**
 * Answers a rule's frequency triggers for one issue over a sliding window ending now, each
 * question asked of D1 at most once per evaluation. No window holds more than the issue's
 * all-time totals, so an issue below a threshold costs no query at all.
 */
export function recentEventCounter(d1: D1Database, issue: IssueTotals, now: number): WindowCounter {
  const cache = new Map<string, Promise<number>>();
  const once = (key: string, read: () => Promise<number>) => {
    let count = cache.get(key);
    if (count === undefined) {
      count = read();
      cache.set(key, count);
    }
    return count;
  };
  return {
    async hasEvents(intervalMs, n) {
      if (issue.timesSeen < n) return false;
      return (await once(`events:${intervalMs}:${n}`, () => countRecentEvents(d1, issue.issueId, now - intervalMs, intervalMs, n))) >= n;
    },
    async hasUsers(intervalMs, n) {
      if (issue.userCount < n) return false;
      return (await once(`users:${intervalMs}:${n}`, () => countRecentUsers(d1, issue.issueId, now - intervalMs, n))) >= n;
    },
  };
}

/**
 * ?1 issue, ?2 window start (exclusive), ?3 first whole hour counted from issue_hourly, ?4 stop
 * counting rows here. Rows come from a range of events_by_issue (issue_id, timestamp); hours from
 * issue_hourly's primary key.
 */
export const EVENT_COUNT_SQL = `SELECT
  (SELECT count(*) FROM (SELECT 1 FROM events WHERE issue_id = ?1 AND timestamp > ?2 AND timestamp < ?3 LIMIT ?4))
  + (SELECT coalesce(sum(count), 0) FROM issue_hourly WHERE issue_id = ?1 AND hour >= ?3) AS n`;

/** ?1 issue, ?2 window start (exclusive), ?3 most rows read (newest first, events_by_issue), ?4 stop at this many users. */
export const USER_COUNT_SQL = `SELECT count(*) AS n FROM (
  SELECT DISTINCT user_key FROM (
    SELECT user_key FROM events WHERE issue_id = ?1 AND timestamp > ?2 ORDER BY timestamp DESC LIMIT ?3
  ) WHERE user_key IS NOT NULL LIMIT ?4
)`;

/**
 * Events of an issue after `since` (a window of `intervalMs`), counting at most `limit` event rows:
 * windows under an hour count rows of events_by_issue (issue_id, timestamp); longer ones add whole
 * hours from issue_hourly to the rows of the partial first hour. Exact below `limit`.
 */
export async function countRecentEvents(
  d1: D1Database,
  issueId: number,
  since: number,
  intervalMs: number,
  limit: number,
): Promise<number> {
  // Whole hours from issue_hourly only when the window spans one; otherwise every event row.
  const hoursFrom = intervalMs >= HOUR ? Math.ceil(since / HOUR) * HOUR : Number.MAX_SAFE_INTEGER;
  const row = await d1.prepare(EVENT_COUNT_SQL).bind(issueId, since, hoursFrom, limit).first<{ n: number }>();
  return row?.n ?? 0;
}

/** Distinct users of an issue's events after `since`, up to `limit` (over at most USERS_SCAN_MAX of the newest events). */
export async function countRecentUsers(d1: D1Database, issueId: number, since: number, limit: number): Promise<number> {
  const row = await d1.prepare(USER_COUNT_SQL).bind(issueId, since, USERS_SCAN_MAX, limit).first<{ n: number }>();
  return row?.n ?? 0;
}
