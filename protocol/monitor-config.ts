/**
 * A cron monitor's configuration: what a check-in's `monitor_config` upserts
 * (https://develop.sentry.dev/sdk/telemetry/check-ins/#monitor-upsert-support), what the API's
 * `config` reads and writes (https://docs.sentry.io/api/crons/), and when a run is due next.
 * Read by the digest, the minute job and the dashboard's API, so it lives below them all.
 * Crontab schedules go through croner, in the monitor's time zone.
 */
import { Cron } from "croner";
import { MINUTE } from "./time";

export const INTERVAL_UNITS = ["year", "month", "week", "day", "hour", "minute"] as const;
export type IntervalUnit = (typeof INTERVAL_UNITS)[number];

/** The stored configuration, in the API's shape (Sentry's `config`), with every default filled in. */
export interface MonitorConfig {
  schedule_type: "crontab" | "interval";
  /** A crontab (five fields, or a nickname such as `@daily`), or `[value, unit]`. */
  schedule: string | [number, IntervalUnit];
  /** Minutes after the expected time before a run counts as missed. */
  checkin_margin: number;
  /** Minutes a run may stay in progress before it counts as timed out. */
  max_runtime: number;
  timezone: string;
  /** Consecutive failures before an issue opens, and successes before it resolves. */
  failure_issue_threshold: number;
  recovery_threshold: number;
}

// Sentry's defaults and bounds (its MonitorValidator): margins and runtimes up to 28 days,
// thresholds up to 720 check-ins.
const DEFAULT_CHECKIN_MARGIN = 1;
const DEFAULT_MAX_RUNTIME = 30;
const MAX_MINUTES = 40_320;
export const MAX_THRESHOLD = 720;
/** A monitor_config (as JSON) larger than this is refused: no real schedule comes near it. */
export const MONITOR_CONFIG_MAX_BYTES = 4096;
const MAX_TIMEZONE_LENGTH = 64;
const MAX_CRONTAB_LENGTH = 256;
const CRONTAB_NICKNAMES = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly"]);

export type ConfigResult = { ok: true; config: MonitorConfig } | { ok: false; problem: string };

/** A check-in's `monitor_config` (`schedule: {type, value, unit}`), validated and defaulted. */
export function readCheckInMonitorConfig(raw: unknown): ConfigResult {
  if (!isRecord(raw)) return fail("monitor_config must be an object");
  if (JSON.stringify(raw).length > MONITOR_CONFIG_MAX_BYTES) return fail(`monitor_config exceeds ${MONITOR_CONFIG_MAX_BYTES} bytes`);
  const schedule = raw.schedule;
  if (!isRecord(schedule)) return fail("monitor_config.schedule must be an object");
  if (schedule.type === "crontab") return withOptions(raw, "crontab", schedule.value);
  if (schedule.type === "interval") return withOptions(raw, "interval", [schedule.value, schedule.unit]);
  return fail('monitor_config.schedule.type must be "crontab" or "interval"');
}

/** The API's `config` (`schedule_type`, `schedule`), validated and defaulted; `base` fills what it leaves out. */
export function readApiMonitorConfig(raw: unknown, base?: MonitorConfig): ConfigResult {
  if (!isRecord(raw)) return fail("config must be an object");
  if (JSON.stringify(raw).length > MONITOR_CONFIG_MAX_BYTES) return fail(`config exceeds ${MONITOR_CONFIG_MAX_BYTES} bytes`);
  const merged: Record<string, unknown> = { ...base, ...raw };
  const type = merged.schedule_type ?? (Array.isArray(merged.schedule) ? "interval" : "crontab");
  if (type !== "crontab" && type !== "interval") return fail('config.schedule_type must be "crontab" or "interval"');
  return withOptions(merged, type, merged.schedule);
}

function withOptions(raw: Record<string, unknown>, type: "crontab" | "interval", value: unknown): ConfigResult {
  let schedule: MonitorConfig["schedule"];
  if (type === "crontab") {
    if (typeof value !== "string" || value.trim() === "") return fail("the crontab schedule must be a string");
    if (value.length > MAX_CRONTAB_LENGTH) return fail("the crontab schedule is too long");
    schedule = value.trim().replace(/\s+/g, " ");
  } else {
    const [count, unit] = Array.isArray(value) ? value : [];
    if (typeof count !== "number" || !Number.isInteger(count) || count < 1 || count > 1_000_000)
      return fail("the interval must be a positive whole number");
    if (!INTERVAL_UNITS.includes(unit as IntervalUnit)) return fail(`the interval unit must be one of ${INTERVAL_UNITS.join(", ")}`);
    schedule = [count, unit as IntervalUnit];
  }
  const margin = wholeOption(raw.checkin_margin, DEFAULT_CHECKIN_MARGIN, "checkin_margin", MAX_MINUTES);
  const runtime = wholeOption(raw.max_runtime, DEFAULT_MAX_RUNTIME, "max_runtime", MAX_MINUTES);
  const failures = wholeOption(raw.failure_issue_threshold, 1, "failure_issue_threshold", MAX_THRESHOLD);
  const recoveries = wholeOption(raw.recovery_threshold, 1, "recovery_threshold", MAX_THRESHOLD);
  for (const option of [margin, runtime, failures, recoveries]) if (typeof option === "string") return fail(option);
  const timezone = raw.timezone === undefined || raw.timezone === null ? "UTC" : raw.timezone;
  if (typeof timezone !== "string" || timezone.length > MAX_TIMEZONE_LENGTH || !isTimeZone(timezone))
    return fail(`unknown timezone ${JSON.stringify(String(timezone).slice(0, MAX_TIMEZONE_LENGTH))}`);
  const config: MonitorConfig = {
    schedule_type: type,
    schedule,
    checkin_margin: margin as number,
    max_runtime: runtime as number,
    timezone,
    failure_issue_threshold: failures as number,
    recovery_threshold: recoveries as number,
  };
  if (type === "crontab") {
    const problem = crontabProblem(schedule as string, timezone);
    if (problem !== null) return fail(problem);
  }
  return { ok: true, config };
}

function wholeOption(value: unknown, fallback: number, name: string, max: number): number | string {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max)
    return `${name} must be a whole number from 1 to ${max}`;
  return value;
}

/** Why a crontab is refused, or null: five fields or a nickname (minute granularity, as Sentry), and it must fire. */
function crontabProblem(pattern: string, timezone: string): string | null {
  const fields = pattern.split(" ");
  if (!(fields.length === 5 || (fields.length === 1 && CRONTAB_NICKNAMES.has(pattern.toLowerCase()))))
    return "the crontab schedule must have five fields (minute hour day month weekday) or be a nickname such as @daily";
  let next: Date | null;
  try {
    next = new Cron(pattern, { timezone }).nextRun(new Date(0));
  } catch (err) {
    return `invalid crontab schedule: ${err instanceof Error ? err.message.slice(0, 200) : "unreadable"}`;
  }
  return next ? null : "the crontab schedule never fires";
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * When the run after one that checked in at `after` (ms) is due, or null when the schedule
 * fires no more. As Sentry: from the check-in's minute, the crontab's next time in the monitor's
 * time zone, or the interval added to that minute.
 */
export function nextExpectedAt(config: MonitorConfig, after: number): number | null {
  const minute = after - (((after % MINUTE) + MINUTE) % MINUTE);
  if (config.schedule_type === "interval") {
    const [count, unit] = config.schedule as [number, IntervalUnit];
    const date = new Date(minute);
    if (unit === "year") date.setUTCFullYear(date.getUTCFullYear() + count);
    else if (unit === "month") date.setUTCMonth(date.getUTCMonth() + count);
    else date.setTime(minute + count * { week: 7 * 1440, day: 1440, hour: 60, minute: 1 }[unit] * MINUTE);
    const at = date.getTime();
    return Number.isFinite(at) ? at : null;
  }
  try {
    return new Cron(config.schedule as string, { timezone: config.timezone }).nextRun(new Date(minute))?.getTime() ?? null;
  } catch {
    return null;
  }
}

/** The latest a run due at `expected` may check in before it counts as missed. */
export function latestCheckInAt(config: MonitorConfig, expected: number): number {
  return expected + config.checkin_margin * MINUTE;
}

/** A stored config read back; null when the stored text is not one (never written so). */
export function parseStoredMonitorConfig(text: string | null): MonitorConfig | null {
  if (text === null) return null;
  try {
    const result = readApiMonitorConfig(JSON.parse(text));
    return result.ok ? result.config : null;
  } catch {
    return null;
  }
}

function fail(problem: string): ConfigResult {
  return { ok: false, problem };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
