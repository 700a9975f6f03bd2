/**
 * The minute job of cron monitors (https://docs.sentry.io/product/crons/): runs that never
 * checked in (none by their due time plus the margin) become `missed` check-ins, and runs in
 * progress past their `max_runtime` become `timeout`s. Both go through the digest's own write
 * (persistDigest, with the check-in kind's statements), so they count toward the monitor's
 * failure threshold, open or add to its issue, and reach the alert rules exactly as a failed
 * check-in does.
 *
 * Bounded per run: at most MONITORS_PER_RUN of each, oldest due first, read through indexes
 * (monitor_environments_by_due, monitor_checkins_in_progress); what is left waits for the next
 * minute. Exact when a run is repeated: a missed run's id is made from its environment and due
 * time, and a timeout ends a run only while it is still in progress.
 */
import { type MonitorConfig, latestCheckInAt, nextExpectedAt, parseStoredMonitorConfig } from "../../protocol/monitor-config";
import type { Env } from "../../protocol/env";
import { evaluateAfterDigest } from "../alerts/evaluate-after-digest";
import type { DigestOutcome } from "../digest/digest-outcome";
import type { PreparedCheckIn } from "../digest/items/check-in/prepare-check-in";
import { prepareMonitorFailureEvent } from "../digest/items/check-in/monitor-failure-event";
import { persistDigest } from "../digest/persist-digest";
import { emptyPreparedMessage } from "../digest/prepare-message";
import { derivedId } from "../digest/derived-id";

/** Missed runs, and timed-out runs, one run of the job handles at most (each is a few rows written). */
export const MONITORS_PER_RUN = 200;

const SCRUB = { enabled: true, extraKeys: [] };
const JOB_MESSAGE = "monitor-minute-job";

interface DueRow {
  id: number;
  name: string;
  next_checkin: number;
  project_id: number;
  slug: string;
  status: string;
  config: string;
}

interface RunningRow {
  guid: string;
  project_id: number;
  date_created: number;
  release: string | null;
  trace_id: string | null;
  slug: string;
  environment: string;
}

export const DUE_ENVIRONMENTS = `SELECT e.id, e.name, e.next_checkin, m.project_id, m.slug, m.status, m.config
  FROM monitor_environments e JOIN monitors m ON m.id = e.monitor_id
  WHERE e.next_checkin_latest <= ?1 ORDER BY e.next_checkin_latest LIMIT ?2`;

export const TIMED_OUT_RUNS = `SELECT c.guid, c.project_id, c.date_created, c.release, c.trace_id, m.slug, e.name AS environment
  FROM monitor_checkins c JOIN monitors m ON m.id = c.monitor_id JOIN monitor_environments e ON e.id = c.monitor_environment_id
  WHERE c.status = 'in_progress' AND c.timeout_at <= ?1 ORDER BY c.timeout_at LIMIT ?2`;

export async function detectMonitorFailures(
  env: Env,
  now: number,
  limit = MONITORS_PER_RUN,
): Promise<{ missed: number; timedOut: number }> {
  const [due, running] = await env.DB.batch([
    env.DB.prepare(DUE_ENVIRONMENTS).bind(now, limit),
    env.DB.prepare(TIMED_OUT_RUNS).bind(now, limit),
  ]);
  const checkIns: PreparedCheckIn[] = [];
  const stale: number[] = [];
  for (const row of (due?.results ?? []) as unknown as DueRow[]) {
    const config = parseStoredMonitorConfig(row.config);
    // A disabled monitor expects nothing; its due time goes rather than come back every minute.
    if (row.status !== "active" || config === null) stale.push(row.id);
    else checkIns.push(await missedRun(row, config, now));
  }
  for (const row of (running?.results ?? []) as unknown as RunningRow[]) checkIns.push(await timedOutRun(row, now));
  if (stale.length > 0)
    await env.DB.prepare(
      "UPDATE monitor_environments SET next_checkin = NULL, next_checkin_latest = NULL WHERE id IN (SELECT value FROM json_each(?1))",
    )
      .bind(JSON.stringify(stale))
      .run();
  if (checkIns.length === 0) return { missed: 0, timedOut: 0 };
  const written = await persistEach(env.DB, checkIns, now);
  await evaluateAfterDigest(written.outcomes, env);
  const missed = written.checkIns.filter((c) => c.status === "missed").length;
  return { missed, timedOut: written.checkIns.length - missed };
}

/**
 * All in one write; if that fails, each alone, as the digest does, so one check-in that cannot
 * be written does not hold back every monitor's (it is tried again next minute).
 */
async function persistEach(d1: D1Database, checkIns: PreparedCheckIn[], now: number) {
  try {
    return { outcomes: [await persistDigest(d1, { ...emptyPreparedMessage(), checkIns }, now)], checkIns };
  } catch (err) {
    console.error("monitors: writing the minute's check-ins failed, writing them one by one", err);
  }
  const outcomes: DigestOutcome[] = [];
  const written: PreparedCheckIn[] = [];
  for (const checkIn of checkIns) {
    try {
      outcomes.push(await persistDigest(d1, { ...emptyPreparedMessage(), checkIns: [checkIn] }, now));
      written.push(checkIn);
    } catch (err) {
      console.error("monitors: could not write a check-in", checkIn.slug, checkIn.environment, checkIn.status, err);
    }
  }
  return { outcomes, checkIns: written };
}

async function missedRun(row: DueRow, config: MonitorConfig, now: number): Promise<PreparedCheckIn> {
  const expected = row.next_checkin;
  // The next run after the missed one; past a long outage, the first one still to come, so one
  // job run records one missed run per monitor instead of a backlog.
  let next = nextExpectedAt(config, expected);
  if (next !== null && latestCheckInAt(config, next) <= now) next = nextExpectedAt(config, now - config.checkin_margin * 60_000);
  const guid = await missedRunId(row.id, expected);
  const base = failureBase(row.project_id, row.slug, row.name, guid, expected);
  return {
    ...base,
    status: "missed",
    expectedTime: expected,
    next,
    nextLatest: next === null ? null : latestCheckInAt(config, next),
    failureEvent: await prepareMonitorFailureEvent(
      {
        projectId: row.project_id,
        slug: row.slug,
        environment: row.name,
        kind: "missed",
        guid,
        at: now,
        release: null,
        traceId: null,
        expectedAt: expected,
      },
      SCRUB,
    ),
  };
}

async function timedOutRun(row: RunningRow, now: number): Promise<PreparedCheckIn> {
  const base = failureBase(row.project_id, row.slug, row.environment, row.guid, now);
  return {
    ...base,
    status: "timeout",
    release: row.release,
    traceId: row.trace_id,
    failureEvent: await prepareMonitorFailureEvent(
      {
        projectId: row.project_id,
        slug: row.slug,
        environment: row.environment,
        kind: "timeout",
        guid: row.guid,
        at: now,
        release: row.release,
        traceId: row.trace_id,
        expectedAt: row.date_created,
      },
      SCRUB,
    ),
  };
}

function failureBase(projectId: number, slug: string, environment: string, guid: string, date: number): PreparedCheckIn {
  return {
    messageId: JOB_MESSAGE,
    projectId,
    slug,
    environment,
    guid,
    latest: false,
    status: "missed",
    durationMs: null,
    date,
    release: null,
    traceId: null,
    config: null,
    configProblem: null,
    expectedTime: null,
    next: null,
    nextLatest: null,
    failureEvent: null,
    fingerprints: [],
  };
}

function missedRunId(environmentId: number, expected: number): Promise<string> {
  return derivedId(`missed:${environmentId}:${expected}`);
}
