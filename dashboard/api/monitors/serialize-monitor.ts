/**
 * Monitors and check-ins in Sentry's shapes (https://docs.sentry.io/api/crons/): a monitor with
 * its `config`, its environments, and at the top the status, last and next check-in over all of
 * them (as Sentry's monitor list showed them before monitors had environments).
 */
import { parseStoredMonitorConfig } from "../../../protocol/monitor-config";
import type { CheckInRow, MonitorEnvironmentRow, MonitorRow } from "./monitor-queries";

export interface ProjectSummary {
  id: number;
  slug: string;
  name: string;
}

const FAILING = ["error", "timeout", "missed_checkin"];

function iso(ms: number | null): string | null {
  if (ms === null) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** Over all environments: a failing one wins, then ok, else active (no check-in yet); disabled above all. */
function monitorStatus(monitor: MonitorRow, environments: readonly MonitorEnvironmentRow[]): string {
  if (monitor.status === "disabled") return "disabled";
  const failing = environments.filter((e) => FAILING.includes(e.status)).sort((a, b) => (b.last_checkin ?? 0) - (a.last_checkin ?? 0))[0];
  if (failing) return failing.status;
  return environments.some((e) => e.status === "ok") ? "ok" : "active";
}

export function serializeMonitor(monitor: MonitorRow & { environments: MonitorEnvironmentRow[] }, project: ProjectSummary) {
  const envs = monitor.environments;
  const last = envs.reduce<number | null>(
    (max, e) => (e.last_checkin !== null && (max === null || e.last_checkin > max) ? e.last_checkin : max),
    null,
  );
  const next = envs.reduce<number | null>(
    (min, e) => (e.next_checkin !== null && (min === null || e.next_checkin < min) ? e.next_checkin : min),
    null,
  );
  return {
    id: String(monitor.id),
    slug: monitor.slug,
    name: monitor.name,
    type: "cron_job",
    status: monitorStatus(monitor, envs),
    isMuted: false,
    config: parseStoredMonitorConfig(monitor.config),
    dateCreated: iso(monitor.date_created),
    lastCheckIn: iso(last),
    nextCheckIn: monitor.status === "disabled" ? null : iso(next),
    project: { id: String(project.id), slug: project.slug, name: project.name },
    environments: envs.map((e) => ({
      name: e.name,
      status: monitor.status === "disabled" ? "disabled" : e.status,
      isMuted: false,
      lastCheckIn: iso(e.last_checkin),
      nextCheckIn: iso(e.next_checkin),
      nextCheckInLatest: iso(e.next_checkin_latest),
    })),
  };
}

export function serializeCheckIn(checkIn: CheckInRow) {
  return {
    id: checkIn.guid,
    status: checkIn.status,
    duration: checkIn.duration,
    dateCreated: iso(checkIn.date_created),
    expectedTime: iso(checkIn.expected_time),
    environment: checkIn.environment,
  };
}
