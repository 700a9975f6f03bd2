/**
 * A release's `healthData` per project, in the shape of Sentry's release serializer with
 * `?health=1` (https://docs.sentry.io/api/releases/list-an-organizations-releases/): sessions,
 * users, crashed and errored sessions and the crash-free rates over `summaryStatsPeriod`, its
 * adoption (its share of the project's sessions in the last 24 hours) and its sessions over
 * `healthStatsPeriod` as `stats`. Percentages are as Sentry gives them (81.25, not 0.8125),
 * null when there were no sessions (or no users).
 */
import { HOUR } from "../../../protocol/time";
import { badRequest } from "../api-error";
import { type SessionWindow, pairKey, sessionCounts, userCounts } from "./session-queries";

const DAY = 24 * HOUR;

/** Sentry's choices for the summary (`summaryStatsPeriod`) and the series (`healthStatsPeriod`). */
const SUMMARY_PERIODS: Record<string, number> = {
  "1h": HOUR,
  "24h": DAY,
  "1d": DAY,
  "48h": 2 * DAY,
  "7d": 7 * DAY,
  "14d": 14 * DAY,
  "30d": 30 * DAY,
  "90d": 90 * DAY,
};
const HEALTH_STATS_PERIODS: Record<string, { span: number; interval: number }> = {
  "24h": { span: DAY, interval: HOUR },
  "14d": { span: 14 * DAY, interval: DAY },
};

export interface HealthOptions {
  summaryStatsPeriod: string;
  healthStatsPeriod: string;
}

/** The options of `?health=1`, or null when health was not asked for. */
export function healthOptions(query: (name: string) => string | undefined): HealthOptions | null {
  if (query("health") !== "1") return null;
  const summaryStatsPeriod = query("summaryStatsPeriod") || "24h";
  const healthStatsPeriod = query("healthStatsPeriod") || "24h";
  if (!(summaryStatsPeriod in SUMMARY_PERIODS)) badRequest(`summaryStatsPeriod: one of ${Object.keys(SUMMARY_PERIODS).join(", ")}`);
  if (!(healthStatsPeriod in HEALTH_STATS_PERIODS)) badRequest(`healthStatsPeriod: one of ${Object.keys(HEALTH_STATS_PERIODS).join(", ")}`);
  return { summaryStatsPeriod, healthStatsPeriod };
}

export interface HealthData {
  totalSessions: number;
  totalSessions24h: number;
  totalProjectSessions24h: number;
  sessionsCrashed: number;
  sessionsErrored: number;
  sessionsAbnormal: number;
  crashFreeSessions: number | null;
  totalUsers: number;
  totalUsers24h: number;
  totalProjectUsers24h: number;
  crashFreeUsers: number | null;
  adoption: number | null;
  sessionsAdoption: number | null;
  durationP50: null;
  durationP90: null;
  hasHealthData: boolean;
  stats: Record<string, Array<[number, number]>>;
}

/** The share of `part` in `whole`, as a percentage; null for an empty whole. */
export function percent(part: number, whole: number): number | null {
  return whole === 0 ? null : (100 * part) / whole;
}

/** Crash-free rate as a percentage: the share of sessions (or users) that did not crash. */
export function crashFree(crashed: number, total: number): number | null {
  return total === 0 ? null : 100 - (100 * crashed) / total;
}

/**
 * healthData for each (project, release): six reads whatever their number (the summary's
 * sessions and users, the last 24 hours' of the releases and of their projects, and the series).
 * `hasHealthData` says whether the release ever had sessions in the project.
 */
export async function releaseHealth(
  d1: D1Database,
  pairs: ReadonlyArray<{ projectId: number; release: string }>,
  options: HealthOptions,
  now: number,
  everHad: ReadonlySet<string>,
): Promise<Map<string, HealthData>> {
  const out = new Map<string, HealthData>();
  if (pairs.length === 0) return out;
  const projectIds = [...new Set(pairs.map((p) => p.projectId))];
  const releases = [...new Set(pairs.map((p) => p.release))];
  const end = now - (now % HOUR) + HOUR;
  const summary: SessionWindow = {
    projectIds,
    start: end - SUMMARY_PERIODS[options.summaryStatsPeriod]!,
    end,
    interval: SUMMARY_PERIODS[options.summaryStatsPeriod]!,
    releases,
    environments: null,
  };
  const day: SessionWindow = { ...summary, start: end - DAY, interval: DAY };
  const series = HEALTH_STATS_PERIODS[options.healthStatsPeriod]!;
  const seriesEnd = end - (end % series.interval) + (end % series.interval === 0 ? 0 : series.interval);
  const seriesWindow: SessionWindow = { ...summary, start: seriesEnd - series.span, end: seriesEnd, interval: series.interval };
  const [summarySessions, summaryUsers, daySessions, dayUsers, projectUsers24h, seriesSessions] = await Promise.all([
    sessionCounts(d1, summary),
    userCounts(d1, summary, ["project", "release"], false),
    sessionCounts(d1, { ...day, releases: null }),
    userCounts(d1, day, ["project", "release"], false),
    userCounts(d1, { ...day, releases: null }, ["project"], false),
    sessionCounts(d1, seriesWindow),
  ]);

  for (const { projectId, release } of pairs) {
    const mine = <T extends { projectId: number | null; release: string | null }>(rows: T[]) =>
      rows.filter((r) => r.projectId === projectId && r.release === release);
    const sum = (rows: Array<{ sessions: number; errored: number; abnormal: number; crashed: number }>) =>
      rows.reduce(
        (t, r) => ({
          sessions: t.sessions + r.sessions,
          errored: t.errored + r.errored,
          abnormal: t.abnormal + r.abnormal,
          crashed: t.crashed + r.crashed,
        }),
        { sessions: 0, errored: 0, abnormal: 0, crashed: 0 },
      );
    const total = sum(mine(summarySessions));
    const users = mine(summaryUsers)[0] ?? { users: 0, crashedUsers: 0 };
    const last24h = sum(mine(daySessions)).sessions;
    const project24h = sum(daySessions.filter((r) => r.projectId === projectId)).sessions;
    const users24h = mine(dayUsers)[0]?.users ?? 0;
    const projectUsers = projectUsers24h.find((r) => r.projectId === projectId)?.users ?? 0;
    const buckets = new Array<number>(Math.round(series.span / series.interval)).fill(0);
    for (const r of mine(seriesSessions)) if (r.bucket >= 0 && r.bucket < buckets.length) buckets[r.bucket]! += r.sessions;
    out.set(pairKey(projectId, release), {
      totalSessions: total.sessions,
      totalSessions24h: last24h,
      totalProjectSessions24h: project24h,
      sessionsCrashed: total.crashed,
      sessionsErrored: total.errored,
      sessionsAbnormal: total.abnormal,
      crashFreeSessions: crashFree(total.crashed, total.sessions),
      totalUsers: users.users,
      totalUsers24h: users24h,
      totalProjectUsers24h: projectUsers,
      crashFreeUsers: crashFree(users.crashedUsers, users.users),
      adoption: percent(last24h, project24h),
      sessionsAdoption: percent(last24h, project24h),
      durationP50: null,
      durationP90: null,
      hasHealthData: everHad.has(pairKey(projectId, release)),
      stats: {
        [options.healthStatsPeriod]: buckets.map((n, i) => [Math.floor((seriesWindow.start + i * series.interval) / 1000), n]),
      },
    });
  }
  return out;
}
