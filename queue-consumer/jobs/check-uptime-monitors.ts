/**
 * The minute job of uptime monitors (https://docs.sentry.io/product/uptime-monitoring/): the
 * active monitors whose check is due, oldest due first and at most UPTIME_CHECKS_PER_RUN, are
 * claimed (their next check moved on by their interval), requested from the Worker with
 * check-uptime-url.ts, at most CONCURRENCY at a time, and their checks recorded in one D1 batch
 * with what they change: streaks, the monitor's issue opened (or given an event) after
 * `failure_threshold` failures in a row, and resolved after `recovery_threshold` successes
 * (uptime-check-statements.ts). The failure events go through the error kind's statements and
 * then the alert rules, as a failed cron check-in's do.
 *
 * Exact under a second run at once or a retry: the claim moves a monitor's next check only from
 * the scheduled time this run read, so another run finds it taken and skips it; and a check is
 * unique per (monitor, scheduled time) whatever happens. A run that fails after its claim loses
 * that one check (the monitor is checked again at its next time), rather than check twice.
 *
 * Private and loopback targets are refused here too, unless UPTIME_ALLOW_PRIVATE_TARGETS (local
 * development), so a monitor created before the rule, or a redirect, cannot reach them.
 */
import type { Env } from "../../protocol/env";
import { privateTargetsAllowed, type UptimeMethod } from "../../protocol/uptime-target";
import { evaluateAfterDigest } from "../alerts/evaluate-after-digest";
import { BatchWrite } from "../digest/batch-write";
import { type DigestOutcome, dueEvaluations, staleEvaluationsOf } from "../digest/digest-outcome";
import type { PreparedEvent } from "../digest/items/error/prepare-error";
import { addErrorStatements } from "../digest/items/error/error-statements";
import { type UptimeResult, checkUptimeUrl } from "./check-uptime-url";
import { type UptimeCheckRow, addUptimeCheckStatements } from "./uptime-check-statements";
import { prepareUptimeFailureEvent, uptimeIssueFingerprint } from "./uptime-failure-event";

/** Checks one run makes at most: each is a subrequest or a few (redirects), within the Worker's 1,000. */
export const UPTIME_CHECKS_PER_RUN = 100;
/** A Worker keeps 6 connections open at once (https://developers.cloudflare.com/workers/platform/limits/#simultaneous-open-connections). */
export const CONCURRENCY = 6;

export interface DueUptimeMonitor {
  id: number;
  project_id: number;
  name: string;
  url: string;
  method: UptimeMethod;
  expected_status_min: number;
  expected_status_max: number;
  timeout_ms: number;
  interval_seconds: number;
  body_keyword: string | null;
  environment: string;
  next_due_at: number;
}

export interface UptimeJobDeps {
  fetch: (request: Request) => Promise<Response>;
  /** The clock for latencies (the job's `now` is the cron's scheduled time). */
  clock: () => number;
  limit: number;
}

export const DUE_UPTIME_MONITORS = `SELECT id, project_id, name, url, method, expected_status_min, expected_status_max, timeout_ms,
    interval_seconds, body_keyword, environment, next_due_at
  FROM uptime_monitors WHERE status = 'active' AND next_due_at <= ?1 ORDER BY next_due_at LIMIT ?2`;

// Moves each monitor's next check on, only from the time this run read: a monitor another run
// claimed first is not returned.
const CLAIM = `UPDATE uptime_monitors AS m SET next_due_at = r.value ->> 'n'
  FROM json_each(?1) r WHERE m.id = r.value ->> 'id' AND m.next_due_at = r.value ->> 's' AND m.status = 'active'
  RETURNING id`;

/**
 * The next scheduled time after a check scheduled at `scheduledAt`: one interval on, or after a
 * long pause (the job stopped, the monitor overdue) the first time of the same cadence after
 * `now`, so a backlog is one check, not one per missed interval.
 */
export function nextDueAfter(scheduledAt: number, intervalMs: number, now: number): number {
  const next = scheduledAt + intervalMs;
  if (next > now) return next;
  return scheduledAt + (Math.floor((now - scheduledAt) / intervalMs) + 1) * intervalMs;
}

/** Runs `task` over `items`, at most `limit` at a time, results in order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The row a check writes, with its failure event when it failed. */
export async function checkRowOf(
  monitor: DueUptimeMonitor,
  result: UptimeResult,
  at: number,
): Promise<{ row: UptimeCheckRow; event: PreparedEvent | null }> {
  const failed = result.status !== "ok";
  const event = failed
    ? await prepareUptimeFailureEvent({
        projectId: monitor.project_id,
        monitorId: monitor.id,
        name: monitor.name,
        url: monitor.url,
        method: monitor.method,
        environment: monitor.environment,
        scheduledAt: monitor.next_due_at,
        at,
        httpStatus: result.httpStatus,
        reason: result.reason ?? "failed",
      })
    : null;
  return {
    row: {
      projectId: monitor.project_id,
      monitorId: monitor.id,
      scheduledAt: monitor.next_due_at,
      at,
      status: failed ? "error" : "ok",
      httpStatus: result.httpStatus,
      durationMs: Math.round(result.latencyMs),
      reason: failed ? (result.reason ?? "failed").slice(0, 500) : null,
      eventId: event?.event.eventId ?? null,
      fingerprint: failed ? null : await uptimeIssueFingerprint(monitor.id),
    },
    event,
  };
}

export async function checkUptimeMonitors(
  env: Env,
  now: number,
  deps: Partial<UptimeJobDeps> = {},
): Promise<{ checked: number; failed: number }> {
  const { fetch: fetchTarget = (request: Request) => fetch(request), clock = Date.now, limit = UPTIME_CHECKS_PER_RUN } = deps;
  const due = (await env.DB.prepare(DUE_UPTIME_MONITORS).bind(now, limit).all<DueUptimeMonitor>()).results;
  if (due.length === 0) return { checked: 0, failed: 0 };
  const claims = due.map((m) => ({ id: m.id, s: m.next_due_at, n: nextDueAfter(m.next_due_at, m.interval_seconds * 1000, now) }));
  const claimed = new Set((await env.DB.prepare(CLAIM).bind(JSON.stringify(claims)).all<{ id: number }>()).results.map((r) => r.id));
  const mine = due.filter((m) => claimed.has(m.id));
  if (mine.length === 0) return { checked: 0, failed: 0 };

  const allowPrivate = privateTargetsAllowed(env.UPTIME_ALLOW_PRIVATE_TARGETS);
  const checks = await mapBounded(mine, CONCURRENCY, async (monitor) => {
    const result = await checkUptimeUrl(
      {
        url: monitor.url,
        method: monitor.method,
        expectedStatus: [monitor.expected_status_min, monitor.expected_status_max],
        timeoutMs: monitor.timeout_ms,
        bodyKeyword: monitor.body_keyword,
      },
      { fetch: fetchTarget, now: clock, allowPrivate },
    );
    return checkRowOf(monitor, result, now);
  });
  const written = await persistEach(env.DB, checks, now);
  await evaluateAfterDigest(written.outcomes, env);
  return { checked: written.rows.length, failed: written.rows.filter((r) => r.status === "error").length };
}

/**
 * All in one write; if that fails, each alone, as the digest does, so one check that cannot be
 * written does not lose every monitor's check of the minute.
 */
async function persistEach(d1: D1Database, checks: ReadonlyArray<{ row: UptimeCheckRow; event: PreparedEvent | null }>, now: number) {
  const rows = checks.map((c) => c.row);
  try {
    return { outcomes: [await persistUptimeChecks(d1, rows, eventsOf(checks), now)], rows };
  } catch (err) {
    console.error("uptime: writing the minute's checks failed, writing them one by one", err);
  }
  const outcomes: DigestOutcome[] = [];
  const written: UptimeCheckRow[] = [];
  for (const check of checks) {
    try {
      outcomes.push(await persistUptimeChecks(d1, [check.row], eventsOf([check]), now));
      written.push(check.row);
    } catch (err) {
      console.error("uptime: could not record a check", check.row.monitorId, check.row.scheduledAt, err);
    }
  }
  return { outcomes, rows: written };
}

function eventsOf(checks: ReadonlyArray<{ event: PreparedEvent | null }>): PreparedEvent[] {
  return checks.flatMap((c) => (c.event ? [c.event] : []));
}

/** The checks, their monitors' state and issues, and the failure events, in one D1 batch. */
export async function persistUptimeChecks(
  d1: D1Database,
  rows: readonly UptimeCheckRow[],
  failureEvents: readonly PreparedEvent[],
  now: number,
  evaluationId: string = crypto.randomUUID(),
): Promise<DigestOutcome> {
  const batch = new BatchWrite(d1, now);
  // Before the error kind's: the failure events are written only if these let them through.
  addUptimeCheckStatements(batch, rows);
  const issueChanges = addErrorStatements(batch, failureEvents, evaluationId);
  batch.add(dueEvaluations(d1, now, 10), "dueEvaluations");
  const results = await batch.commit();
  return { ...issueChanges(results), evaluationId, now, staleEvaluations: staleEvaluationsOf(results.of("dueEvaluations")[0]) };
}
