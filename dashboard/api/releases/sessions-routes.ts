/**
 * Sentry's sessions endpoint (https://docs.sentry.io/api/releases/retrieve-release-health-session-statistics/),
 * what release health charts read: `GET /organizations/{org}/sessions/` with `field`s
 * (`sum(session)`, `count_unique(user)`, `crash_free_rate(session)`, `crash_free_rate(user)`),
 * `groupBy` (`project`, `release`, `environment`, `session.status`), `interval` (whole hours,
 * as the digest counts by the hour), `statsPeriod` or `start` and `end`, `project`,
 * `environment` and a `query` of `release:` and `environment:` terms. It answers
 * `{start, end, intervals, groups: [{by, totals, series}], query}`.
 *
 * By `session.status` (healthy, errored, abnormal, crashed, each session in one of them), users
 * are told apart only by whether one of their sessions crashed: the others count as healthy.
 */
import { type Context, Hono } from "hono";
import { HOUR } from "../../../protocol/time";
import type { ApiEnv } from "../api-env";
import { ApiError, badRequest } from "../api-error";
import { database, organizationInScope } from "../route-scope";
import { crashFree } from "./release-health";
import { organizationProjects } from "./release-queries";
import { type SessionCountRow, type SessionDimension, type SessionWindow, sessionCounts, userCounts } from "./session-queries";

export const sessionsRoutes = new Hono<ApiEnv>({ strict: false });

const FIELDS = ["sum(session)", "count_unique(user)", "crash_free_rate(session)", "crash_free_rate(user)"] as const;
type Field = (typeof FIELDS)[number];
const GROUP_BYS = ["project", "release", "environment", "session.status"] as const;
type GroupBy = (typeof GROUP_BYS)[number];
const STATUSES = ["healthy", "errored", "abnormal", "crashed"] as const;
type Status = (typeof STATUSES)[number];
// Sentry's limit on data points per series.
const MAX_INTERVALS = 1000;
const UNITS: Record<string, number> = { m: 60_000, h: HOUR, d: 24 * HOUR, w: 7 * 24 * HOUR };

function duration(name: string, value: string): number {
  const match = /^(\d{1,5})([mhdw])$/.exec(value);
  if (match === null) badRequest(`${name}: a duration like 1h, 24h or 14d`);
  return Number(match[1]) * UNITS[match[2]!]!;
}

function instant(name: string, value: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) badRequest(`${name}: an ISO 8601 time`);
  return ms;
}

/** `release:x`, `release:"x y"` and `environment:x` terms (the rest of Sentry's search is not taken). */
export function parseSessionQuery(query: string): { releases: string[]; environments: string[] } {
  const releases: string[] = [];
  const environments: string[] = [];
  for (const match of query.matchAll(/(\S+?):(?:"((?:[^"\\]|\\.)*)"|(\S+))|(\S+)/g)) {
    if (match[4] !== undefined) badRequest(`query: "${match[4]}" is not a release: or environment: term`);
    const value = (match[2] ?? match[3] ?? "").replace(/\\(.)/g, "$1");
    if (match[1] === "release") releases.push(value);
    else if (match[1] === "environment") environments.push(value);
    else badRequest(`query: ${match[1]} is not a field sessions can be filtered by (release, environment)`);
  }
  return { releases, environments };
}

interface Totals {
  sessions: number;
  errored: number;
  abnormal: number;
  crashed: number;
}

function statusCount(t: Totals, status: Status): number {
  if (status === "healthy") return t.sessions - t.errored - t.abnormal - t.crashed;
  return t[status];
}

sessionsRoutes.get("/organizations/:org/sessions", async (c) => c.json(await sessionStats(c)));

async function sessionStats(c: Context<ApiEnv>) {
  const org = await organizationInScope(c);
  const fields = c.req.queries("field") ?? [];
  if (fields.length === 0)
    badRequest("field: at least one of sum(session), count_unique(user), crash_free_rate(session), crash_free_rate(user)");
  for (const f of fields) if (!FIELDS.includes(f as Field)) badRequest(`field: ${f} is not one of ${FIELDS.join(", ")}`);
  const groupBy = [...new Set(c.req.queries("groupBy") ?? [])];
  for (const g of groupBy) if (!GROUP_BYS.includes(g as GroupBy)) badRequest(`groupBy: ${g} is not one of ${GROUP_BYS.join(", ")}`);
  const byStatus = groupBy.includes("session.status");
  if (byStatus && fields.some((f) => f.startsWith("crash_free_rate")))
    badRequest("crash_free_rate cannot be grouped by session.status: each status group is all or none crash-free");

  const interval = duration("interval", c.req.query("interval") || "1h");
  if (interval % HOUR !== 0) badRequest("interval: whole hours (sessions are counted by the hour)");
  const now = Date.now();
  let start: number;
  let end: number;
  if (c.req.query("start") !== undefined || c.req.query("end") !== undefined) {
    start = instant("start", c.req.query("start") ?? "");
    end = instant("end", c.req.query("end") ?? "");
  } else {
    end = now;
    start = now - duration("statsPeriod", c.req.query("statsPeriod") || "24h");
  }
  start -= start % interval;
  end += (interval - (end % interval)) % interval;
  if (end <= start) badRequest("end: after start");
  const count = (end - start) / interval;
  if (count > MAX_INTERVALS) badRequest(`interval: too small for the period (at most ${MAX_INTERVALS} intervals)`);

  const orgProjects = await organizationProjects(database(c), org.id);
  const asked = (c.req.queries("project") ?? []).filter((p) => p !== "-1" && p !== "");
  const projectIds = asked.map((p) => (/^\d{1,15}$/.test(p) ? Number(p) : badRequest(`project: "${p}" is not a project id`)));
  const foreign = projectIds.find((id) => !orgProjects.some((p) => p.id === id));
  if (foreign !== undefined) throw new ApiError(403, `You do not have permission to perform this action (project ${foreign}).`);
  const query = parseSessionQuery(c.req.query("query") ?? "");
  const environments = [...(c.req.queries("environment") ?? []), ...query.environments];
  const window: SessionWindow = {
    projectIds: projectIds.length > 0 ? projectIds : orgProjects.map((p) => p.id),
    start,
    end,
    interval,
    releases: query.releases.length > 0 ? query.releases : null,
    environments: environments.length > 0 ? environments : null,
  };

  const dims = groupBy.filter((g): g is SessionDimension => g !== "session.status");
  const wantUsers = fields.some((f) => f.endsWith("(user)"));
  const [sessions, usersPerBucket, usersInAll] = await Promise.all([
    sessionCounts(c.env.DB, window),
    wantUsers ? userCounts(c.env.DB, window, dims, true) : [],
    wantUsers ? userCounts(c.env.DB, window, dims, false) : [],
  ]);

  // One group per combination of the dimensions that has data (one for all without groupBy).
  const keyOf = (r: { projectId: number | null; release: string | null; environment: string | null }) =>
    JSON.stringify(dims.map((d) => (d === "project" ? r.projectId : r[d])));
  const groups = new Map<
    string,
    {
      by: Record<string, unknown>;
      buckets: Totals[];
      users: number[];
      crashedUsers: number[];
      total: Totals;
      allUsers: number;
      allCrashedUsers: number;
    }
  >();
  const groupOf = (r: { projectId: number | null; release: string | null; environment: string | null }) => {
    const key = keyOf(r);
    let group = groups.get(key);
    if (group === undefined) {
      const by: Record<string, unknown> = {};
      for (const d of dims) by[d] = d === "project" ? r.projectId : r[d];
      group = {
        by,
        buckets: Array.from({ length: count }, () => ({ sessions: 0, errored: 0, abnormal: 0, crashed: 0 })),
        users: new Array<number>(count).fill(0),
        crashedUsers: new Array<number>(count).fill(0),
        total: { sessions: 0, errored: 0, abnormal: 0, crashed: 0 },
        allUsers: 0,
        allCrashedUsers: 0,
      };
      groups.set(key, group);
    }
    return group;
  };
  const add = (t: Totals, r: SessionCountRow) => {
    t.sessions += r.sessions;
    t.errored += r.errored;
    t.abnormal += r.abnormal;
    t.crashed += r.crashed;
  };
  for (const r of sessions) {
    const group = groupOf(r);
    add(group.total, r);
    if (r.bucket >= 0 && r.bucket < count) add(group.buckets[r.bucket]!, r);
  }
  for (const r of usersPerBucket) {
    const group = groupOf(r);
    if (r.bucket !== null && r.bucket >= 0 && r.bucket < count) {
      group.users[r.bucket] = r.users;
      group.crashedUsers[r.bucket] = r.crashedUsers;
    }
  }
  for (const r of usersInAll) {
    const group = groupOf(r);
    group.allUsers = r.users;
    group.allCrashedUsers = r.crashedUsers;
  }
  if (groups.size === 0 && dims.length === 0) groupOf({ projectId: null, release: null, environment: null });

  const value = (field: Field, t: Totals, users: number, crashedUsers: number, status: Status | null): number | null => {
    switch (field) {
      case "sum(session)":
        return status === null ? t.sessions : statusCount(t, status);
      case "count_unique(user)":
        return status === null ? users : status === "crashed" ? crashedUsers : status === "healthy" ? users - crashedUsers : 0;
      case "crash_free_rate(session)":
        return crashFree(t.crashed, t.sessions) === null ? null : crashFree(t.crashed, t.sessions)! / 100;
      case "crash_free_rate(user)":
        return crashFree(crashedUsers, users) === null ? null : crashFree(crashedUsers, users)! / 100;
    }
  };
  const out = [];
  const sorted = [...groups.values()].sort((a, b) => JSON.stringify(a.by).localeCompare(JSON.stringify(b.by)));
  for (const group of sorted) {
    for (const status of byStatus ? STATUSES : [null]) {
      const totals: Record<string, number | null> = {};
      const series: Record<string, Array<number | null>> = {};
      for (const field of fields as Field[]) {
        totals[field] = value(field, group.total, group.allUsers, group.allCrashedUsers, status);
        series[field] = group.buckets.map((t, i) => value(field, t, group.users[i]!, group.crashedUsers[i]!, status));
      }
      out.push({ by: status === null ? group.by : { ...group.by, "session.status": status }, totals, series });
    }
  }
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    start: iso(start),
    end: iso(end),
    intervals: Array.from({ length: count }, (_, i) => iso(start + i * interval)),
    groups: out,
    query: c.req.query("query") ?? "",
  };
}
