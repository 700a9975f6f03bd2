/**
 * A cron monitor as the create and edit form holds it, and the body the monitors API takes
 * (`POST /api/0/organizations/{org}/monitors/`, `PUT .../monitors/{slug}/`, in Sentry's shape:
 * https://docs.sentry.io/api/crons/). Text stays as typed; numbers go as numbers when they read as
 * one, else as typed, for the API to name what is wrong.
 */
export const INTERVAL_UNITS = ["minute", "hour", "day", "week", "month", "year"] as const;
export type IntervalUnit = (typeof INTERVAL_UNITS)[number];

export interface MonitorConfig {
  schedule_type: "crontab" | "interval";
  schedule: string | [number, string];
  checkin_margin: number;
  max_runtime: number;
  timezone: string;
  failure_issue_threshold: number;
  recovery_threshold: number;
}

export interface MonitorDraft {
  project: string;
  name: string;
  active: boolean;
  scheduleType: "crontab" | "interval";
  crontab: string;
  every: string;
  unit: IntervalUnit;
  margin: string;
  maxRuntime: string;
  timezone: string;
  failureThreshold: string;
  recoveryThreshold: string;
}

export function emptyMonitorDraft(project = ""): MonitorDraft {
  return {
    project,
    name: "",
    active: true,
    scheduleType: "crontab",
    crontab: "0 * * * *",
    every: "1",
    unit: "hour",
    margin: "1",
    maxRuntime: "30",
    timezone: "UTC",
    failureThreshold: "1",
    recoveryThreshold: "1",
  };
}

/** What the form reads of a monitor as the API answers it. */
export interface MonitorOf {
  name: string;
  status: string;
  project: { id: string };
  config: MonitorConfig | null;
}

export function monitorDraftOf(m: MonitorOf): MonitorDraft {
  const draft = emptyMonitorDraft(m.project.id);
  const c = m.config;
  if (c === null) return { ...draft, name: m.name, active: m.status !== "disabled" };
  const interval = Array.isArray(c.schedule) ? c.schedule : null;
  return {
    project: m.project.id,
    name: m.name,
    active: m.status !== "disabled",
    scheduleType: c.schedule_type,
    crontab: typeof c.schedule === "string" ? c.schedule : draft.crontab,
    every: interval ? String(interval[0]) : draft.every,
    unit: interval && (INTERVAL_UNITS as readonly string[]).includes(interval[1]) ? (interval[1] as IntervalUnit) : draft.unit,
    margin: String(c.checkin_margin),
    maxRuntime: String(c.max_runtime),
    timezone: c.timezone,
    failureThreshold: String(c.failure_issue_threshold),
    recoveryThreshold: String(c.recovery_threshold),
  };
}

/** The API body for a draft; `withProject` for a new monitor (an edit cannot move it). */
export function monitorBody(draft: MonitorDraft, withProject: boolean) {
  const number = (text: string) => (text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text);
  return {
    ...(withProject ? { project: draft.project } : {}),
    name: draft.name.trim(),
    status: draft.active ? "active" : "disabled",
    config: {
      schedule_type: draft.scheduleType,
      schedule: draft.scheduleType === "crontab" ? draft.crontab.trim() : [number(draft.every), draft.unit],
      checkin_margin: number(draft.margin),
      max_runtime: number(draft.maxRuntime),
      timezone: draft.timezone.trim(),
      failure_issue_threshold: number(draft.failureThreshold),
      recovery_threshold: number(draft.recoveryThreshold),
    },
  };
}
