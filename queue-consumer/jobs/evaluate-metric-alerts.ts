/**
 * The minute job of metric alerts (Sentry's metric alerts on transactions,
 * https://docs.sentry.io/product/alerts/create-alerts/metric-alert-config/): each rule's
 * `transaction_duration` and `failure_rate` triggers are computed over their window from the
 * hourly rollups (metric-window.ts). A trigger that goes over its threshold writes one event to
 * the rule's own metric issue through the digest's write, so the issue opens (or regresses) and
 * the rule's targets hear of it once, with the throttle and delivery log of every alert; when the
 * value is back at or under the threshold, the issue is resolved, and the next crossing regresses
 * it and notifies again. A window with no transactions changes nothing.
 *
 * Reads 3 statements per trigger in one batch; writes a snapshot row per trigger of an hour or
 * less, and a state row when a trigger crosses or recovers. Exact when a run is repeated: the
 * crossing event's id is made from the rule, trigger and minute.
 */
import {
  ALERT_INTERVALS,
  type AlertFilter,
  type MetricTrigger,
  isMetricTrigger,
  storedRuleConditionsSchema,
} from "../../db/alert-rule-definition";
import type { Env } from "../../protocol/env";
import type { IngestMessage } from "../../protocol/ingest-message";
import { HOUR, MINUTE } from "../../protocol/time";
import { evaluateAfterDigest } from "../alerts/evaluate-after-digest";
import { METRIC_RULE_TAG, metricTriggerReason } from "../alerts/match-alert-rule";
import { fingerprintEvent } from "../digest/items/error/fingerprint-event";
import { prepareErrorEvent } from "../digest/items/error/prepare-error";
import { persistDigest } from "../digest/persist-digest";
import { emptyPreparedMessage } from "../digest/prepare-message";
import {
  EMPTY_TOTALS,
  type Snapshot,
  type Totals,
  firstHourOf,
  formatMetricValue,
  hourTotals,
  isOver,
  isWholeHours,
  metricValue,
  windowTotals,
} from "./metric-window";
import { derivedId } from "../digest/derived-id";

/** Metric triggers one run evaluates at most (each is 3 reads in one batch); rules past it wait for the next minute. */
export const METRIC_TRIGGERS_PER_RUN = 300;

const SCRUB = { enabled: true, extraKeys: [] };
/** Snapshots outlive the longest window they serve (an hour) by a minute. */
const SNAPSHOT_KEPT_MS = 61 * MINUTE;

export const METRIC_RULES = `SELECT r.id, r.project_id, r.name, r.triggers, r.filters, r.match
  FROM alert_rules r WHERE r.triggers LIKE '%"transaction_duration"%' OR r.triggers LIKE '%"failure_rate"%'
    OR r.triggers LIKE '%"crash_free_rate"%' ORDER BY r.id LIMIT ?1`;

const ROLLUPS = `SELECT hour, count, failures, sketch FROM transaction_rollups
  WHERE project_id = ?1 AND hour >= ?2 AND (?3 IS NULL OR name = ?3) AND (?4 IS NULL OR environment = ?4) AND (?5 IS NULL OR release = ?5)`;

// crash_free_rate: sessions and crashed sessions of one release (session_rollups, by the hour
// sessions started in, through its primary key), as count and failures. ?3 is the trigger's
// release: a version, or "latest", the project's release first seen last among those with
// sessions (?5, a release filter, must then agree).
const SESSION_ROLLUPS = `WITH r(version) AS (SELECT CASE WHEN ?3 <> 'latest' THEN ?3
      ELSE (SELECT v.version FROM releases v WHERE v.project_id = ?1
        AND EXISTS (SELECT 1 FROM session_rollups x WHERE x.project_id = v.project_id AND x.release = v.version)
        ORDER BY v.first_seen DESC LIMIT 1) END)
  SELECT s.hour, s.sessions AS count, s.crashed AS failures, '{}' AS sketch FROM r CROSS JOIN session_rollups s
  WHERE s.project_id = ?1 AND s.release = r.version AND s.hour >= ?2 AND (?4 IS NULL OR s.environment = ?4) AND (?5 IS NULL OR s.release = ?5)`;

// The latest snapshot at or before the window's start; failing that (a trigger younger than its
// window), the oldest one, so the window is as long as the trigger has been watched.
const START_SNAPSHOT = `SELECT minute, hour, count, failures, sketch FROM metric_alert_snapshots
  WHERE rule_id = ?1 AND trigger_key = ?2
  ORDER BY minute <= ?3 DESC, CASE WHEN minute <= ?3 THEN -minute ELSE minute END LIMIT 1`;

const STATE = "SELECT firing FROM metric_alert_states WHERE rule_id = ?1 AND trigger_key = ?2";

interface RuleRow {
  id: number;
  project_id: number;
  name: string;
  triggers: string;
  filters: string;
  match: string;
}

interface Watched {
  ruleId: number;
  ruleName: string;
  projectId: number;
  trigger: MetricTrigger;
  key: string;
  environment: string | null;
  release: string | null;
}

export interface MetricAlertRun {
  triggers: number;
  crossed: number;
  recovered: number;
}

export async function evaluateMetricAlerts(env: Env, now: number, limit = METRIC_TRIGGERS_PER_RUN): Promise<MetricAlertRun> {
  const minute = Math.floor(now / MINUTE) * MINUTE;
  const rules = await env.DB.prepare(METRIC_RULES).bind(limit).all<RuleRow>();
  const watched = rules.results.flatMap(watchedTriggers).slice(0, limit);
  const cleanup = [
    env.DB.prepare("DELETE FROM metric_alert_snapshots WHERE minute < ?1").bind(minute - SNAPSHOT_KEPT_MS),
    env.DB.prepare("DELETE FROM metric_alert_states WHERE rule_id NOT IN (SELECT id FROM alert_rules)"),
  ];
  if (watched.length === 0) {
    await env.DB.batch(cleanup);
    return { triggers: 0, crossed: 0, recovered: 0 };
  }

  const reads = await env.DB.batch(
    watched.flatMap((w) => [
      w.trigger.type === "crash_free_rate"
        ? env.DB.prepare(SESSION_ROLLUPS).bind(w.projectId, firstHourOf(w.trigger, now), w.trigger.release, w.environment, w.release)
        : env.DB.prepare(ROLLUPS).bind(w.projectId, firstHourOf(w.trigger, now), w.trigger.transaction ?? null, w.environment, w.release),
      env.DB.prepare(START_SNAPSHOT).bind(w.ruleId, w.key, minute - ALERT_INTERVALS[w.trigger.interval]),
      env.DB.prepare(STATE).bind(w.ruleId, w.key),
    ]),
  );

  const writes: D1PreparedStatement[] = [...cleanup];
  const crossings: Array<{ watched: Watched; value: number }> = [];
  const recoveries: Watched[] = [];
  watched.forEach((w, i) => {
    const rollups = (reads[3 * i]?.results ?? []) as Array<{ hour: number; count: number; failures: number; sketch: string }>;
    const start = (reads[3 * i + 1]?.results?.[0] as SnapshotRow | undefined) ?? null;
    const firing = ((reads[3 * i + 2]?.results?.[0] as { firing: number } | undefined)?.firing ?? 0) === 1;
    const rowsByHour = new Map<number, typeof rollups>();
    for (const r of rollups) {
      const rows = rowsByHour.get(r.hour);
      if (rows === undefined) rowsByHour.set(r.hour, [r]);
      else rows.push(r);
    }
    const byHour = new Map<number, Totals>([...rowsByHour].map(([hour, rows]) => [hour, hourTotals(rows)]));
    if (!isWholeHours(w.trigger)) {
      const current = Math.floor(now / HOUR) * HOUR;
      const totals = byHour.get(current) ?? EMPTY_TOTALS;
      writes.push(
        env.DB.prepare(
          `INSERT OR REPLACE INTO metric_alert_snapshots (rule_id, trigger_key, minute, hour, count, failures, sketch)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`,
        ).bind(w.ruleId, w.key, minute, current, totals.count, totals.failures, JSON.stringify(totals.sketch)),
      );
    }
    const window = windowTotals(w.trigger, now, byHour, start === null ? null : snapshotOf(start));
    const value = window === null ? null : metricValue(w.trigger, window);
    if (value === null) return;
    const over = isOver(w.trigger, value);
    if (over === firing) return;
    if (over) crossings.push({ watched: w, value });
    else recoveries.push(w);
    writes.push(
      env.DB.prepare(
        `INSERT INTO metric_alert_states (rule_id, trigger_key, firing, last_value, changed_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (rule_id, trigger_key) DO UPDATE SET firing = excluded.firing, last_value = excluded.last_value, changed_at = excluded.changed_at`,
      ).bind(w.ruleId, w.key, over ? 1 : 0, value, now),
    );
  });

  // The crossing's event first: if the state write below fails, the next minute crosses again
  // and adds an event to the same issue, which is neither new nor regressed, so nothing repeats.
  if (crossings.length > 0) {
    const events = await Promise.all(crossings.map((c) => crossingEvent(c.watched, c.value, minute)));
    const outcome = await persistDigest(env.DB, { ...emptyPreparedMessage(), events }, now);
    await evaluateAfterDigest([outcome], env);
  }
  for (const w of recoveries) {
    const fingerprint = (await fingerprintEvent({ fingerprint: fingerprintOf(w) })).hash;
    writes.push(
      env.DB.prepare(
        `UPDATE issues SET status = 'resolved', resolved_at = ?3, resolved_in_release = NULL, resolved_in_next_release = 0
         WHERE project_id = ?1 AND fingerprint = ?2 AND status = 'unresolved'`,
      ).bind(w.projectId, fingerprint, now),
    );
  }
  await env.DB.batch(writes);
  return { triggers: watched.length, crossed: crossings.length, recovered: recoveries.length };
}

interface SnapshotRow {
  minute: number;
  hour: number;
  count: number;
  failures: number;
  sketch: string;
}

function snapshotOf(row: SnapshotRow): Snapshot {
  return { ...hourTotals([row]), minute: row.minute, hour: row.hour };
}

/** A rule's metric triggers, with the environment and release its filters narrow them to. */
function watchedTriggers(row: RuleRow): Watched[] {
  const conditions = storedRuleConditionsSchema.safeParse({ match: row.match, triggers: parse(row.triggers), filters: parse(row.filters) });
  if (!conditions.success) return [];
  const only = (type: AlertFilter["type"]) => {
    const filter = conditions.data.filters.find((f) => f.type === type);
    return filter !== undefined && "value" in filter ? filter.value : null;
  };
  return conditions.data.triggers.filter(isMetricTrigger).map((trigger) => ({
    ruleId: row.id,
    ruleName: row.name,
    projectId: row.project_id,
    trigger,
    key: JSON.stringify(trigger),
    environment: only("environment"),
    release: only("release"),
  }));
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function fingerprintOf(w: Watched): string[] {
  return ["metric-alert", String(w.ruleId), w.key];
}

/** The event a crossing writes to the rule's metric issue. */
async function crossingEvent(w: Watched, value: number, minute: number) {
  const eventId = await crossingEventId(w, minute);
  const reason = metricTriggerReason(w.trigger);
  const raw = {
    event_id: eventId,
    timestamp: minute / 1000,
    level: "error",
    platform: "other",
    logger: "metric-alerts",
    message: `${w.ruleName}: ${reason}`,
    transaction: "transaction" in w.trigger ? w.trigger.transaction : undefined,
    environment: w.environment ?? undefined,
    release: w.release ?? (w.trigger.type === "crash_free_rate" && w.trigger.release !== "latest" ? w.trigger.release : undefined),
    fingerprint: fingerprintOf(w),
    tags: { [METRIC_RULE_TAG]: String(w.ruleId), "alert.metric": w.trigger.type },
    extra: { value: formatMetricValue(w.trigger, value) },
    contexts: {
      metric_alert: {
        rule_id: w.ruleId,
        rule: w.ruleName,
        metric: w.trigger.type,
        ...(w.trigger.type === "transaction_duration" ? { percentile: w.trigger.percentile } : {}),
        ...(w.trigger.type === "crash_free_rate" ? { release: w.trigger.release } : { transaction: w.trigger.transaction ?? null }),
        interval: w.trigger.interval,
        threshold: w.trigger.value,
        value,
      },
    },
  };
  const message: IngestMessage = {
    v: 1,
    kind: "envelope",
    projectId: w.projectId,
    keyId: 0,
    receivedAt: minute,
    clientIp: null,
    userAgent: null,
    eventId,
    size: 0,
  };
  return prepareErrorEvent(raw, message, eventId, SCRUB);
}

function crossingEventId(w: Watched, minute: number): Promise<string> {
  return derivedId(`metric-alert:${w.ruleId}:${w.key}:${minute}`);
}
