/**
 * Between prepare and persist: the batch's check-ins against their monitors, read in one query.
 * A check-in for a monitor that does not exist is refused unless its `monitor_config` creates
 * it, one for a disabled monitor is refused, and a `monitor_config` that cannot be used is
 * ignored (the check-in still counts when the monitor exists), as Sentry's monitors consumer
 * does (https://develop.sentry.dev/sdk/telemetry/check-ins/#monitor-upsert-support). What stays
 * gets the time its monitor's next run is due, in the monitor's schedule and time zone.
 */
import { type MonitorConfig, latestCheckInAt, nextExpectedAt, parseStoredMonitorConfig } from "../../../../protocol/monitor-config";
import type { OutcomeReason } from "../../../../protocol/outcome";
import type { PreparedCheckIn } from "./prepare-check-in";

export interface CheckInRefusal {
  reason: OutcomeReason;
  detail: string;
}

interface MonitorRow {
  project_id: number;
  slug: string;
  status: string;
  config: string;
}

/**
 * Fills in each check-in's next due time and answers, for each one that cannot be kept, why.
 * Check-ins with a refusal must not be written; the others may carry a note (an ignored config).
 */
export async function resolveCheckIns(
  d1: D1Database,
  checkIns: readonly PreparedCheckIn[],
): Promise<{ refused: Map<PreparedCheckIn, CheckInRefusal>; notes: Map<PreparedCheckIn, CheckInRefusal> }> {
  const refused = new Map<PreparedCheckIn, CheckInRefusal>();
  const notes = new Map<PreparedCheckIn, CheckInRefusal>();
  if (checkIns.length === 0) return { refused, notes };
  const keyOf = (projectId: number, slug: string) => `${projectId}\u0000${slug}`;
  const pairs = [...new Map(checkIns.map((c) => [keyOf(c.projectId, c.slug), [c.projectId, c.slug]])).values()];
  // monitors_project_id_slug_unique
  const { results } = await d1
    .prepare(
      "SELECT project_id, slug, status, config FROM monitors WHERE (project_id, slug) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?1))",
    )
    .bind(JSON.stringify(pairs))
    .all<MonitorRow>();
  const stored = new Map(results.map((m) => [keyOf(m.project_id, m.slug), m]));
  // The batch's own configs upsert in order: a check-in without one follows the last one before it.
  const batchConfig = new Map<string, MonitorConfig>();
  for (const checkIn of checkIns) {
    const key = keyOf(checkIn.projectId, checkIn.slug);
    const monitor = stored.get(key);
    if (monitor?.status === "disabled") {
      refused.set(checkIn, { reason: "monitor_disabled", detail: `monitor ${checkIn.slug} is disabled` });
      continue;
    }
    if (checkIn.config) batchConfig.set(key, checkIn.config);
    const config = checkIn.config ?? batchConfig.get(key) ?? parseStoredMonitorConfig(monitor?.config ?? null);
    if (config === null) {
      refused.set(
        checkIn,
        checkIn.configProblem
          ? { reason: "invalid_monitor_config", detail: `monitor ${checkIn.slug}: ${checkIn.configProblem}` }
          : { reason: "unknown_monitor", detail: `no monitor ${checkIn.slug}, and no monitor_config to create it` },
      );
      continue;
    }
    if (checkIn.configProblem)
      notes.set(checkIn, {
        reason: "invalid_monitor_config",
        detail: `monitor_config ignored (${checkIn.slug}): ${checkIn.configProblem}`,
      });
    // Sentry moves the next expected run on from every check-in but a timeout (a run started counts too).
    const next = nextExpectedAt(config, checkIn.date);
    checkIn.next = next;
    checkIn.nextLatest = next === null ? null : latestCheckInAt(config, next);
  }
  return { refused, notes };
}
