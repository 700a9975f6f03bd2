// Bench-only Worker behind `npm run bench:monitors` (bench/monitors.mjs). It seeds cron and uptime
// monitors into the local D1, runs the Worker's scheduled handler (runScheduledJobs, the code the
// `* * * * *` cron trigger runs) for a given minute with the D1 binding counted
// (bench/count-d1.ts), lets the healthy monitors check in between minutes, and reads back what
// the runs recorded so that the bench can check it.
import { benchRoutes, withJsonBody } from "../bench-worker-routes";
import { type D1Counts, countingD1, emptyCounts } from "../count-d1";
import { type MonitorConfig, latestCheckInAt, nextExpectedAt } from "../../protocol/monitor-config";
import type { Env } from "../../protocol/env";
import { EVERY_MINUTE, runScheduledJobs } from "../../queue-consumer/run-scheduled-jobs";

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
const PROJECT_ID = 1;
/** Rows per seeding statement: one JSON parameter each. */
const CHUNK = 200;

interface SeedRequest {
  t0: number;
  cronMonitors: number;
  uptimeMonitors: number;
  /** Finished check-ins kept per cron monitor at most (the failure streak reads up to 720), and past checks per uptime monitor (at most a day's). */
  history: number;
  /** The local server the uptime monitors watch. */
  targetOrigin: string;
  slowMs: number;
}

/** One cron monitor of the seed: its configuration and how it behaves. */
export interface CronPlan {
  id: number;
  slug: string;
  config: MonitorConfig;
  /** Typical time between runs (ms), for the seeded history. */
  period: number;
  /** healthy: checks in on time; missing: stopped checking in; disabled: switched off. */
  behaviour: "healthy" | "missing" | "disabled";
  /** A run in progress since this long before t0 (ms), or null. */
  runningFor: number | null;
}

const ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Adelaide"];

function config(schedule: MonitorConfig["schedule"], i: number, extra: Partial<MonitorConfig> = {}): MonitorConfig {
  return {
    schedule_type: typeof schedule === "string" ? "crontab" : "interval",
    schedule,
    checkin_margin: i % 7 === 0 ? 5 : 1,
    max_runtime: 30,
    timezone: "UTC",
    failure_issue_threshold: i % 5 === 0 ? 3 : 1,
    recovery_threshold: 1,
    ...extra,
  };
}

/**
 * The i-th of `total` cron monitors (0-based). By share: every minute 15%, every 5 minutes 10%,
 * every 15 minutes 10%, hourly 25%, daily 25% (all but the first in five time zones, two with
 * half-hour offsets), intervals 15% (10 and 30 minutes, 2 hours, a day). One in ten of those that
 * run more often than hourly has stopped checking in, one in 25 of the others; one in 100 is
 * disabled; one in ten of the hourly and daily ones has a run in progress, a third of those
 * past its max_runtime already, a third reaching it within the next minutes.
 */
export function cronPlan(i: number, total: number): CronPlan {
  const share = i / total;
  const zone = ZONES[i % ZONES.length]!;
  let c: MonitorConfig;
  let period: number;
  let kind: string;
  if (share < 0.15) [c, period, kind] = [config("* * * * *", i), MINUTE, "every-minute"];
  else if (share < 0.25) [c, period, kind] = [config("*/5 * * * *", i, { timezone: zone }), 5 * MINUTE, "every-5-minutes"];
  else if (share < 0.35) [c, period, kind] = [config("*/15 * * * *", i, { timezone: zone }), 15 * MINUTE, "every-15-minutes"];
  else if (share < 0.6) [c, period, kind] = [config(`${i % 60} * * * *`, i, { timezone: zone }), 60 * MINUTE, "hourly"];
  else if (share < 0.85) [c, period, kind] = [config(`${i % 60} ${i % 24} * * *`, i, { timezone: zone, max_runtime: 60 }), DAY, "daily"];
  else {
    const intervals: Array<[number, "minute" | "hour" | "day", number]> = [
      [10, "minute", 10 * MINUTE],
      [30, "minute", 30 * MINUTE],
      [2, "hour", 120 * MINUTE],
      [1, "day", DAY],
    ];
    const [count, unit, ms] = intervals[i % intervals.length]!;
    [c, period, kind] = [config([count, unit], i), ms, `every-${count}-${unit}`];
  }
  const frequent = share < 0.35;
  const behaviour = i % 100 === 50 ? "disabled" : i % (frequent ? 10 : 25) === 3 ? "missing" : "healthy";
  // Runs in progress: hourly and daily jobs that run for a while.
  let runningFor: number | null = null;
  if ((kind === "hourly" || kind === "daily") && behaviour === "healthy" && i % 10 === 7) {
    const runtime = c.max_runtime * MINUTE;
    runningFor = [runtime + 3 * MINUTE, runtime - 2 * MINUTE, 5 * MINUTE][i % 3]!;
  }
  return { id: i + 1, slug: `${behaviour}-${kind}-${i + 1}`, config: c, period, behaviour, runningFor };
}

/** The first scheduled time at or after `t` (a minute). */
function firstAtOrAfter(c: MonitorConfig, t: number, id: number): number {
  // Intervals start where their last run left them: spread over the interval.
  if (c.schedule_type === "interval") return t + ((id * 7) % 10) * MINUTE;
  return nextExpectedAt(c, t - MINUTE)!;
}

/**
 * Where a monitor stands at t0: when its next run is due (a missing monitor's is the last
 * scheduled time whose margin has passed by t0, so the job at t0 finds it missed) and when its
 * latest run checked in.
 */
export function stateAt(plan: CronPlan, t0: number): { next: number | null; lastCheckIn: number } {
  const c = plan.config;
  if (plan.behaviour === "healthy") {
    const next = firstAtOrAfter(c, t0, plan.id);
    return { next, lastCheckIn: next - plan.period };
  }
  const deadline = t0 - c.checkin_margin * MINUTE;
  let due: number;
  if (c.schedule_type === "interval") due = deadline - (plan.id % 3) * MINUTE;
  else {
    // Step back a period at a time until the schedule's next time has passed its margin.
    let probe = deadline - plan.period;
    due = nextExpectedAt(c, probe)!;
    while (latestCheckInAt(c, due) > t0) {
      probe -= plan.period;
      due = nextExpectedAt(c, probe)!;
    }
    // The latest such time.
    for (let n = nextExpectedAt(c, due)!; latestCheckInAt(c, n) <= t0; n = nextExpectedAt(c, n)!) due = n;
  }
  return { next: plan.behaviour === "disabled" ? null : due, lastCheckIn: due - plan.period };
}

// Per 20 uptime monitors: [target, interval in seconds]. Half every minute, a quarter every 5
// minutes, the rest every 10 or 60; 13 answer 200 at once, 4 answer 500, 2 answer slowly, and 1
// fails twice and then recovers.
const UPTIME_MIX: Array<[UptimeTarget, number]> = [
  ["ok", 60],
  ["ok", 60],
  ["fail", 60],
  ["ok", 300],
  ["ok", 60],
  ["slow", 60],
  ["ok", 300],
  ["ok", 600],
  ["fail", 300],
  ["recover", 60],
  ["ok", 60],
  ["ok", 60],
  ["ok", 300],
  ["fail", 60],
  ["ok", 600],
  ["slow", 300],
  ["ok", 60],
  ["fail", 600],
  ["ok", 3600],
  ["ok", 3600],
];

export type UptimeTarget = "ok" | "fail" | "slow" | "recover";

/** The i-th uptime monitor (0-based): its interval, target, thresholds and first due time. */
export function uptimePlan(i: number, t0: number) {
  const [kind, interval] = UPTIME_MIX[i % UPTIME_MIX.length]!;
  return {
    id: i + 1,
    interval,
    kind,
    method: i % 15 === 2 ? "HEAD" : "GET",
    // Some read the body for a keyword (the target's 200 says "healthy").
    keyword: kind === "ok" && i % 3 === 0 ? "healthy" : null,
    failureThreshold: i % 2 === 0 ? 3 : 1,
    // All due at t0: most right then, some a minute or three late already.
    due: t0 - (i % 4 === 1 ? MINUTE : 0) - (i % 8 === 5 ? 2 * MINUTE : 0),
  };
}

async function seedMonitors(env: Env, req: SeedRequest) {
  const { t0 } = req;
  const plans = Array.from({ length: req.cronMonitors }, (_, i) => cronPlan(i, req.cronMonitors));
  const statements: D1PreparedStatement[] = [];
  const chunks = <T>(rows: T[]) => Array.from({ length: Math.ceil(rows.length / CHUNK) }, (_, k) => rows.slice(k * CHUNK, (k + 1) * CHUNK));
  const cronRows = plans.map((p) => {
    const { next, lastCheckIn } = stateAt(p, t0);
    const historyRuns = Math.max(1, Math.min(req.history, Math.floor((30 * DAY) / p.period)));
    return {
      id: p.id,
      slug: p.slug,
      status: p.behaviour === "disabled" ? "disabled" : "active",
      config: JSON.stringify(p.config),
      next,
      latest: next === null ? null : latestCheckInAt(p.config, next),
      last: lastCheckIn,
      period: p.period,
      runs: historyRuns,
      // A run in progress started at the time the monitor last checked in as ok.
      started: p.runningFor === null ? null : t0 - p.runningFor,
      timeout: p.runningFor === null ? null : t0 - p.runningFor + p.config.max_runtime * MINUTE,
    };
  });
  for (const rows of chunks(cronRows)) {
    const json = JSON.stringify(rows);
    statements.push(
      env.DB.prepare(
        `INSERT INTO monitors (id, project_id, slug, name, status, config, date_created)
         SELECT r.value ->> 'id', ?2, r.value ->> 'slug', r.value ->> 'slug', r.value ->> 'status', r.value ->> 'config', ?3 FROM json_each(?1) r`,
      ).bind(json, PROJECT_ID, t0 - 40 * DAY),
      env.DB.prepare(
        `INSERT INTO monitor_environments (id, monitor_id, name, status, incident_open, last_checkin, next_checkin, next_checkin_latest)
         SELECT r.value ->> 'id', r.value ->> 'id', 'production', 'ok', 0, r.value ->> 'last', r.value ->> 'next', r.value ->> 'latest'
         FROM json_each(?1) r`,
      ).bind(json),
      // Finished runs, newest at the last check-in, one period apart, all ok.
      env.DB.prepare(
        `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?3 - 1)
         INSERT INTO monitor_checkins (project_id, monitor_id, monitor_environment_id, guid, status, duration, date_created, date_updated, changed_by_run)
         SELECT ?2, r.value ->> 'id', r.value ->> 'id', printf('seed-%d-%d', r.value ->> 'id', n.i), 'ok', 20000,
           (r.value ->> 'last') - n.i * (r.value ->> 'period'), (r.value ->> 'last') - n.i * (r.value ->> 'period') + 20000, 'seed'
         FROM json_each(?1) r JOIN n ON n.i < r.value ->> 'runs'`,
      ).bind(json, PROJECT_ID, req.history),
      env.DB.prepare(
        `INSERT INTO monitor_checkins (project_id, monitor_id, monitor_environment_id, guid, status, date_created, date_updated, timeout_at, changed_by_run)
         SELECT ?2, r.value ->> 'id', r.value ->> 'id', printf('running-%d', r.value ->> 'id'), 'in_progress', r.value ->> 'started',
           r.value ->> 'started', r.value ->> 'timeout', 'seed'
         FROM json_each(?1) r WHERE r.value ->> 'started' IS NOT NULL`,
      ).bind(json, PROJECT_ID),
    );
  }
  const uptimeRows = Array.from({ length: req.uptimeMonitors }, (_, i) => {
    const u = uptimePlan(i, t0);
    return {
      id: u.id,
      name: `${u.kind}-${u.interval / 60}m-${u.id}`,
      url: `${req.targetOrigin}/m/${u.id}/${u.kind}`,
      method: u.method,
      interval: u.interval,
      keyword: u.keyword,
      failures: u.failureThreshold,
      due: u.due,
      timeout: u.kind === "slow" ? Math.max(5000, 3 * req.slowMs) : 5000,
    };
  });
  for (const rows of chunks(uptimeRows))
    statements.push(
      env.DB.prepare(
        `INSERT INTO uptime_monitors (id, project_id, name, url, method, timeout_ms, interval_seconds, body_keyword, environment, status,
           failure_threshold, recovery_threshold, next_due_at, date_created)
         SELECT r.value ->> 'id', ?2, r.value ->> 'name', r.value ->> 'url', r.value ->> 'method', r.value ->> 'timeout', r.value ->> 'interval',
           r.value ->> 'keyword', 'production', 'active', r.value ->> 'failures', 1, r.value ->> 'due', ?3
         FROM json_each(?1) r`,
      ).bind(JSON.stringify(rows), PROJECT_ID, t0 - 40 * DAY),
      // Past checks, one interval apart before the first due time, all ok: up to a day's.
      env.DB.prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
         INSERT INTO uptime_checks (monitor_id, scheduled_at, date_created, status, http_status, duration_ms, changed_by_run)
         SELECT r.value ->> 'id', (r.value ->> 'due') - n.i * 1000 * (r.value ->> 'interval'), (r.value ->> 'due') - n.i * 1000 * (r.value ->> 'interval') + 1000,
           'ok', 200, 40, 'seed'
         FROM json_each(?1) r JOIN n ON n.i <= min(?2, 86400 / (r.value ->> 'interval'))`,
      ).bind(JSON.stringify(rows), req.history),
    );
  await env.DB.batch(statements);
  return stats(env);
}

/** A project's alert rule for new and regressed issues, as most projects have: what the failures go through. */
async function seedRule(env: Env, now: number) {
  const rule = await env.DB.prepare(
    `INSERT INTO alert_rules (project_id, name, match, triggers, filters, frequency_minutes, created_at, updated_at)
     VALUES (?1, 'New and regressed issues', 'any', '[{"type":"new_issue"},{"type":"regression"}]', '[]', 30, ?2, ?2) RETURNING id`,
  )
    .bind(PROJECT_ID, now)
    .first<{ id: number }>();
  await env.DB.prepare(
    "INSERT INTO alert_targets (rule_id, type, url, created_at) VALUES (?1, 'slack', 'https://hooks.slack.com/services/T0/B0/bench', ?2)",
  )
    .bind(rule!.id, now)
    .run();
  return {};
}

/**
 * The healthy monitors' check-ins since the last minute, as their jobs would send them: each
 * whose run came due before `now` checks in at that time, which moves its next run on (what the
 * check-in kind's statements do for an ok check-in). Not counted: it stands for the digest.
 */
async function checkInHealthy(env: Env, now: number, total: number) {
  const { results } = await env.DB.prepare(
    `SELECT e.id, e.next_checkin FROM monitor_environments e JOIN monitors m ON m.id = e.monitor_id
     WHERE m.slug LIKE 'healthy-%' AND e.next_checkin < ?1`,
  )
    .bind(now)
    .all<{ id: number; next_checkin: number }>();
  const rows = results.map((r) => {
    const plan = cronPlan(r.id - 1, total);
    const next = nextExpectedAt(plan.config, r.next_checkin)!;
    return { id: r.id, at: r.next_checkin, next, latest: latestCheckInAt(plan.config, next) };
  });
  if (rows.length === 0) return { checkedIn: 0 };
  const json = JSON.stringify(rows);
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO monitor_checkins (project_id, monitor_id, monitor_environment_id, guid, status, duration, date_created, date_updated, changed_by_run)
       SELECT ?2, r.value ->> 'id', r.value ->> 'id', printf('ok-%d-%d', r.value ->> 'id', r.value ->> 'at'), 'ok', 20000,
         r.value ->> 'at', (r.value ->> 'at') + 20000, 'bench' FROM json_each(?1) r`,
    ).bind(json, PROJECT_ID),
    env.DB.prepare(
      `UPDATE monitor_environments AS e SET last_checkin = (r.value ->> 'at') + 20000, next_checkin = r.value ->> 'next',
         next_checkin_latest = r.value ->> 'latest'
       FROM json_each(?1) r WHERE e.id = r.value ->> 'id'`,
    ).bind(json),
  ]);
  return { checkedIn: rows.length };
}

/** One run of the minute job at `now`, its D1 use counted, its wall time measured. */
async function runMinute(env: Env, now: number): Promise<D1Counts & { ms: number; error: string | null }> {
  const counts = emptyCounts();
  const controller = { cron: EVERY_MINUTE, scheduledTime: now, noRetry: () => undefined } as ScheduledController;
  const started = Date.now();
  let error: string | null = null;
  try {
    await runScheduledJobs(controller, { ...env, DB: countingD1(env.DB, counts) });
  } catch (err) {
    error = err instanceof Error ? `${err.message}\n${err.stack}` : String(err);
  }
  return { ...counts, ms: Date.now() - started, error };
}

/** What the runs recorded, for the bench's checks. */
async function recorded(env: Env) {
  const all = async <T>(sql: string) => (await env.DB.prepare(sql).all<T>()).results;
  return {
    missed: await all<{ env_id: number; expected: number; n: number }>(
      "SELECT monitor_environment_id AS env_id, expected_time AS expected, count(*) AS n FROM monitor_checkins WHERE status = 'missed' GROUP BY 1, 2",
    ),
    running: await all<{ env_id: number; status: string; n: number }>(
      "SELECT monitor_environment_id AS env_id, status, count(*) AS n FROM monitor_checkins WHERE guid LIKE 'running-%' GROUP BY 1, 2",
    ),
    uptime: await all<{ monitor_id: number; scheduled_at: number; n: number }>(
      "SELECT monitor_id, scheduled_at, count(*) AS n FROM uptime_checks WHERE changed_by_run <> 'seed' GROUP BY 1, 2",
    ),
    failures: (await env.DB.prepare(
      `SELECT (SELECT count(*) FROM monitor_checkins WHERE incident = 'failure') AS cron,
         (SELECT count(*) FROM uptime_checks WHERE incident = 'failure') AS uptime,
         (SELECT count(*) FROM events) AS events,
         (SELECT count(*) FROM events WHERE event_id IN (SELECT issue_event_id FROM monitor_checkins WHERE incident = 'failure'
            UNION ALL SELECT issue_event_id FROM uptime_checks WHERE incident = 'failure')) AS eventsOfFailures,
         (SELECT coalesce(sum(times_seen), 0) FROM issues) AS timesSeen,
         (SELECT count(*) FROM issues) AS issues,
         (SELECT count(*) FROM issues WHERE status = 'resolved') AS resolved`,
    ).first())!,
  };
}

/**
 * What runs at `runs` (minutes, ascending) must have recorded: a missed check-in for each time a
 * stopped monitor was due whose margin passed by the last run; the runs in progress whose
 * max_runtime passed by then timed out, the others still running; and each uptime monitor
 * checked at each of its due times, the next one an interval on, or after a pause the first
 * time of its cadence after the run (check-uptime-monitors.ts's nextDueAfter).
 */
function expected(req: { t0: number; runs: number[]; cronMonitors: number; uptimeMonitors: number }) {
  const last = req.runs.at(-1)!;
  const missed: Array<[number, number]> = [];
  const timedOut: number[] = [];
  const running: number[] = [];
  for (let i = 0; i < req.cronMonitors; i++) {
    const plan = cronPlan(i, req.cronMonitors);
    if (plan.behaviour === "missing")
      for (let due = stateAt(plan, req.t0).next!; latestCheckInAt(plan.config, due) <= last; due = nextExpectedAt(plan.config, due)!)
        missed.push([plan.id, due]);
    if (plan.runningFor !== null) (req.t0 - plan.runningFor + plan.config.max_runtime * MINUTE <= last ? timedOut : running).push(plan.id);
  }
  const uptime: Array<[number, number]> = [];
  for (let i = 0; i < req.uptimeMonitors; i++) {
    const u = uptimePlan(i, req.t0);
    let due = u.due;
    for (const at of req.runs) {
      if (due > at) continue;
      uptime.push([u.id, due]);
      const next = due + u.interval * 1000;
      due = next > at ? next : due + (Math.floor((at - due) / (u.interval * 1000)) + 1) * u.interval * 1000;
    }
  }
  return { missed, timedOut, running, uptime };
}

/** Rows the minute job adds, counted before and after a run (outside it). */
async function tally(env: Env) {
  return env.DB.prepare(
    `SELECT (SELECT count(*) FROM uptime_checks) AS uptimeChecks,
       (SELECT count(*) FROM monitor_checkins WHERE status = 'missed') AS missed,
       (SELECT count(*) FROM monitor_checkins WHERE status = 'timeout') AS timeouts,
       (SELECT count(*) FROM events) AS events`,
  ).first();
}

async function stats(env: Env) {
  return env.DB.prepare(
    `SELECT (SELECT count(*) FROM monitors) AS monitors, (SELECT count(*) FROM monitor_checkins) AS checkIns,
       (SELECT count(*) FROM uptime_monitors) AS uptimeMonitors, (SELECT count(*) FROM uptime_checks) AS uptimeChecks`,
  ).first();
}

export default benchRoutes({
  "POST /seed": withJsonBody(seedMonitors),
  "POST /rule": withJsonBody((env, body: { now: number }) => seedRule(env, body.now)),
  "POST /check-in": withJsonBody((env, body: { now: number; total: number }) => checkInHealthy(env, body.now, body.total)),
  "POST /minute": withJsonBody((env, body: { now: number }) => runMinute(env, body.now)),
  "POST /expected": withJsonBody((_, body: Parameters<typeof expected>[0]) => expected(body)),
  "GET /tally": tally,
  "GET /recorded": recorded,
});
