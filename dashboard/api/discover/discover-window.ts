/**
 * The time window, buckets and projects of the organization-wide query routes (events,
 * events-stats, stats_v2), read from Sentry's query parameters
 * (https://docs.sentry.io/api/discover/query-discover-events-in-table-format/): `statsPeriod`
 * (e.g. 24h, 14d) or `start` and `end`, `interval`, and `project` (repeatable; -1 or none for
 * all of the organization's projects).
 */
import type { Context } from "hono";
import { HOUR } from "../../../protocol/time";
import type { ApiEnv } from "../api-env";
import { badRequest } from "../api-error";

export interface QueryWindow {
  /** Inclusive, ms, on a bucket boundary. */
  start: number;
  /** Exclusive, ms, on a bucket boundary. */
  end: number;
  /** Bucket width, ms: a whole number of hours (the finest the stored counts hold). */
  interval: number;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: HOUR, d: 24 * HOUR, w: 7 * 24 * HOUR };
const MAX_BUCKETS = 10_000;
const MAX_SPAN = 400 * 24 * HOUR;

export function parseDuration(name: string, value: string): number {
  const match = /^(\d{1,6})([smhdw])$/.exec(value);
  if (match === null) return badRequest(`${name}: "${value.slice(0, 50)}" is not a duration like 1h, 24h or 14d`);
  const ms = Number(match[1]) * UNITS[match[2]!]!;
  return ms > 0 ? ms : badRequest(`${name}: must be more than zero`);
}

/** The window, with `interval` rounded up to whole hours: counts are stored per hour. */
export function queryWindow(c: Context<ApiEnv>, defaults: { period: string; interval: string }, now = Date.now()): QueryWindow {
  const interval = Math.ceil(parseDuration("interval", c.req.query("interval") ?? defaults.interval) / HOUR) * HOUR;
  const startParam = c.req.query("start");
  const endParam = c.req.query("end");
  let start: number;
  let end: number;
  if (startParam !== undefined || endParam !== undefined) {
    if (startParam === undefined || endParam === undefined) badRequest("start and end: give both, or statsPeriod");
    start = Date.parse(startParam);
    end = Date.parse(endParam);
    if (!Number.isFinite(start) || !Number.isFinite(end)) badRequest("start and end: ISO 8601 times");
    if (end <= start) badRequest("end: must be after start");
  } else {
    end = now;
    start = now - parseDuration("statsPeriod", c.req.query("statsPeriod") ?? defaults.period);
  }
  if (end - start > MAX_SPAN) badRequest("statsPeriod: at most 400 days");
  // Buckets are aligned to the interval (UTC), the first holding `start`, the last holding `end`.
  start -= start % interval;
  end = end % interval === 0 ? end : end - (end % interval) + interval;
  if ((end - start) / interval > MAX_BUCKETS) badRequest(`interval: at most ${MAX_BUCKETS} buckets`);
  return { start, end, interval };
}

/** The projects asked for, checked against the organization's; all of them when none (or -1) is. */
export function queryProjects(c: Context<ApiEnv>, organizationProjects: readonly number[]): number[] {
  const asked = (c.req.queries("project") ?? []).filter((p) => p !== "-1");
  if (asked.length === 0) return [...organizationProjects];
  return asked.map((p) => {
    const id = /^\d{1,15}$/.test(p) ? Number(p) : badRequest(`project: "${p.slice(0, 50)}" is not a project id`);
    // Sentry answers 403 for a project the caller cannot see; here, any outside the organization.
    return organizationProjects.includes(id) ? id : badRequest(`project: ${id} is not a project of this organization`);
  });
}

/** Bucket start times, in seconds, as Sentry's series give them. */
export function bucketTimes(window: QueryWindow): number[] {
  const out: number[] = [];
  for (let t = window.start; t < window.end; t += window.interval) out.push(t / 1000);
  return out;
}
