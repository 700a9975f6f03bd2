/**
 * An uptime monitor as the API answers it, and as the create and edit form holds it, and the
 * body the API takes (`POST /api/0/projects/{org}/{project}/uptime/`, `PUT .../uptime/{id}/`,
 * dashboard/api/uptime/uptime-routes.ts, in the shape of Sentry's uptime alerts:
 * https://docs.sentry.io/product/uptime-monitoring/). The choices offered are the API's: a check
 * every 1, 5, 10 or 60 minutes, a timeout of 1 to 30 s. Text stays as typed; numbers go as numbers
 * when they read as one, else as typed, for the API to name what is wrong.
 */

export const UPTIME_INTERVALS = [
  { seconds: 60, label: "1 minute" },
  { seconds: 300, label: "5 minutes" },
  { seconds: 600, label: "10 minutes" },
  { seconds: 3600, label: "1 hour" },
] as const;
export const UPTIME_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export const UPTIME_TIMEOUT_MS = { min: 1000, max: 30_000 } as const;

/** A monitor as `GET .../uptime/{id}/` answers (Sentry's fields, then Faultline's). */
export interface UptimeMonitor {
  id: string;
  projectSlug: string;
  projectId: string;
  environment: string;
  name: string;
  status: "active" | "disabled";
  /** Sentry's UptimeStatus: 1 ok, 2 failed (an issue is open). */
  uptimeStatus: number;
  url: string;
  method: string;
  intervalSeconds: number;
  timeoutMs: number;
  expectedStatusMin: number;
  expectedStatusMax: number;
  bodyKeyword: string | null;
  downtimeThreshold: number;
  recoveryThreshold: number;
  dateCreated: string;
  lastCheckedAt: string | null;
  nextCheckAt: string | null;
}

/** A check as `GET .../uptime/{id}/checks/` answers, newest first. */
export interface UptimeCheck {
  uptimeCheckId: string;
  timestamp: string;
  scheduledCheckTime: string;
  checkStatus: "success" | "failure" | "failure_incident" | "missed_window";
  checkStatusReason: string | null;
  httpStatusCode: number | null;
  durationMs: number;
  /** Why it failed, in words; null when it succeeded. */
  reason: string | null;
}

export interface UptimeBucketCounts {
  success: number;
  failure: number;
  failure_incident: number;
  missed_window: number;
  avgDurationMs: number | null;
}

/** `GET /api/0/organizations/{org}/uptime-stats/`: per monitor id, `[bucket start (s), counts]`. */
export type UptimeStats = Record<string, Array<[number, UptimeBucketCounts]>>;

export interface UptimeDraft {
  /** The project's slug: the API's path names it. */
  project: string;
  name: string;
  url: string;
  method: string;
  intervalSeconds: string;
  timeoutMs: string;
  environment: string;
  expectedStatusMin: string;
  expectedStatusMax: string;
  bodyKeyword: string;
  downtimeThreshold: string;
  recoveryThreshold: string;
  active: boolean;
}

/** The API's defaults: GET every minute, 10 s, 2xx, three failures before an issue, one success to resolve it. */
export function emptyUptimeDraft(project = ""): UptimeDraft {
  return {
    project,
    name: "",
    url: "",
    method: "GET",
    intervalSeconds: "60",
    timeoutMs: "10000",
    environment: "production",
    expectedStatusMin: "200",
    expectedStatusMax: "299",
    bodyKeyword: "",
    downtimeThreshold: "3",
    recoveryThreshold: "1",
    active: true,
  };
}

export function uptimeDraftOf(m: UptimeMonitor): UptimeDraft {
  return {
    project: m.projectSlug,
    name: m.name,
    url: m.url,
    method: m.method,
    intervalSeconds: String(m.intervalSeconds),
    timeoutMs: String(m.timeoutMs),
    environment: m.environment,
    expectedStatusMin: String(m.expectedStatusMin),
    expectedStatusMax: String(m.expectedStatusMax),
    bodyKeyword: m.bodyKeyword ?? "",
    downtimeThreshold: String(m.downtimeThreshold),
    recoveryThreshold: String(m.recoveryThreshold),
    active: m.status !== "disabled",
  };
}

/**
 * The API body for a draft. A new monitor without a name takes its URL's host (the API's
 * default); an edit sends the name as typed, so clearing it is refused rather than ignored.
 * An empty keyword is none.
 */
export function uptimeBody(draft: UptimeDraft, isNew: boolean) {
  const number = (text: string) => (text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text);
  const name = draft.name.trim();
  const keyword = draft.bodyKeyword;
  return {
    ...(isNew && name === "" ? {} : { name }),
    url: draft.url.trim(),
    method: draft.method,
    intervalSeconds: number(draft.intervalSeconds),
    timeoutMs: number(draft.timeoutMs),
    environment: draft.environment.trim(),
    expectedStatusMin: number(draft.expectedStatusMin),
    expectedStatusMax: number(draft.expectedStatusMax),
    bodyKeyword: keyword === "" ? null : keyword,
    downtimeThreshold: number(draft.downtimeThreshold),
    recoveryThreshold: number(draft.recoveryThreshold),
    status: draft.active ? "active" : "disabled",
  };
}

/** The path of one monitor in the API, under `/api/0`. */
export function uptimeMonitorPath(org: string, m: { projectSlug: string; id: string }): string {
  return `/api/0/projects/${encodeURIComponent(org)}/${encodeURIComponent(m.projectSlug)}/uptime/${encodeURIComponent(m.id)}/`;
}
