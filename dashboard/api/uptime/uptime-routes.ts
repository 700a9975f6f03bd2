/**
 * Uptime monitors in Sentry's API shapes (Sentry's ProjectUptimeAlertIndexEndpoint, its details
 * and checks endpoints, OrganizationUptimeStatsEndpoint; https://docs.sentry.io/product/uptime-monitoring/).
 * The minute job checks them (queue-consumer/jobs/check-uptime-monitors.ts).
 *
 * Routes (under /api/0):
 * - `GET  /organizations/{org}/uptime/?project=ID` (repeatable; none or -1 for all): `[monitor]`, by name.
 * - `POST /projects/{org}/{project}/uptime/` `{name, url, method?, intervalSeconds, timeoutMs?,
 *   environment?, status?, expectedStatusMin?, expectedStatusMax?, bodyKeyword?,
 *   downtimeThreshold?, recoveryThreshold?}`: 201 `monitor`. Defaults: GET, 10000 ms,
 *   "production", active, 200–299, no keyword, 3 failures, 1 success.
 * - `GET|PUT|DELETE /projects/{org}/{project}/uptime/{id}/`: `monitor`; PUT takes any of the
 *   fields above; DELETE answers 204 and removes its checks (its issues stay).
 * - `GET /projects/{org}/{project}/uptime/{id}/checks/?per_page=50&cursor=…`: `[check]`, newest
 *   scheduled first (per_page, or `limit`, ≤ 100, default 50), with Sentry's `Link` header of
 *   previous and next cursors; `before=<ms>` keeps only checks scheduled before that time.
 * - `GET /organizations/{org}/uptime-stats/?uptimeDetectorId=ID&since=<unix s>&until=<unix s>&resolution=1h`
 *   (ids repeatable, at most 100, `uptimeAlertId` too, each counted once; `statsPeriod=24h` instead of
 *   since/until; resolution `1m`…`1d` or seconds; at most 1500 buckets; default the last 24 h by hour):
 *   `{"<id>": [[<bucket start, unix s>, {success, failure, failure_incident, missed_window, avgDurationMs}], ...]}`,
 *   every bucket present, the first starting at `since` rounded down to the resolution (or at what
 *   the projects' retention still keeps, if later). Uptime % of a bucket = success / (success + failure + failure_incident).
 *   At most 200,000 checks read (each id's range ÷ its interval): beyond, a 400 asks for a shorter
 *   period or fewer ids. An id that is not a monitor of the caller's projects: 400, as Sentry.
 *
 * monitor: `{id, projectSlug, environment, name, status: "active"|"disabled", uptimeStatus: 1 (ok)|2 (failed),
 *   mode: 1, url, method, body: null, headers: [], intervalSeconds, timeoutMs, owner: null, traceSampling: false,
 *   projectId, expectedStatusMin, expectedStatusMax, bodyKeyword, downtimeThreshold, recoveryThreshold,
 *   dateCreated, lastCheckedAt, nextCheckAt}` (ISO times; nextCheckAt null when disabled).
 * check: `{uptimeCheckId, uptimeSubscriptionId, projectUptimeSubscriptionId, timestamp, scheduledCheckTime,
 *   checkStatus: "success"|"failure"|"failure_incident", checkStatusReason: null|"timeout"|"redirect_error"|
 *   "connection_error"|"failure", httpStatusCode, durationMs, traceId: null, traceSpansCount: 0,
 *   incidentStatus: 0|1, environment, region, regionName, reason}` (reason: why it failed, in words).
 *
 * Errors: 400 `{"detail": "<field>: <why>"}` for a bad URL, a scheme other than http(s), a URL with
 * credentials, a loopback or private host (allowed only in local development), an interval not
 * in 60, 300, 600, 3600, a timeout outside 1000–30000 ms, a status range outside 100–599 or upside
 * down; 404 for a monitor or project outside the caller's organizations.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import {
  DEFAULT_FAILURE_THRESHOLD,
  DEFAULT_RECOVERY_THRESHOLD,
  DEFAULT_TIMEOUT_MS,
  MAX_THRESHOLD,
  MAX_TIMEOUT_MS,
  MAX_URL_LENGTH,
  MIN_TIMEOUT_MS,
  UPTIME_INTERVAL_SECONDS,
  UPTIME_METHODS,
  privateTargetsAllowed,
  uptimeUrlProblem,
} from "../../../protocol/uptime-target";
import type { ApiEnv } from "../api-env";
import { badRequest, notFound } from "../api-error";
import { keysetPage, linkHeader, parseCursor } from "../cursor-pagination";
import { organizationInScope, projectInScope } from "../route-scope";
import { readJsonBody, validateInput } from "../validate-input";
import {
  type UptimeMonitorRow,
  type UptimeMonitorSettings,
  createUptimeMonitor,
  deleteUptimeMonitor,
  findStatsMonitors,
  findUptimeMonitor,
  listUptimeChecks,
  listUptimeMonitors,
  updateUptimeMonitor,
  uptimeStats,
} from "./uptime-queries";
import { serializeUptimeCheck, serializeUptimeMonitor, serializeUptimeStats } from "./serialize-uptime";

export const uptimeRoutes = new Hono<ApiEnv>({ strict: false });

const PROJECT_BASE = "/projects/:org/:project/uptime";
const MAX_STATS_BUCKETS = 1500;
const MAX_STATS_IDS = 100;
/**
 * The most checks one stats request may read (ids × range ÷ each monitor's interval): D1 answers
 * one statement within its time limit (https://developers.cloudflare.com/d1/platform/limits/),
 * and a day of 100 one-minute monitors (the Crons page's call) is 144,000.
 */
const MAX_STATS_CHECKS = 200_000;
const DAY_MS = 86_400_000;

const statusCode = z.number().int().min(100).max(599);
const threshold = z.number().int().min(1).max(MAX_THRESHOLD);

/** Every field a request may set; create fills the rest with defaults, PUT with the monitor's. */
const fieldsSchema = z.object({
  name: z.string().trim().min(1).max(128).optional(),
  url: z.string().trim().min(1).max(MAX_URL_LENGTH).optional(),
  method: z.enum(UPTIME_METHODS).optional(),
  intervalSeconds: z
    .number()
    .int()
    .refine((v) => (UPTIME_INTERVAL_SECONDS as readonly number[]).includes(v), {
      message: `must be one of ${UPTIME_INTERVAL_SECONDS.join(", ")} seconds`,
    })
    .optional(),
  timeoutMs: z.number().int().min(MIN_TIMEOUT_MS).max(MAX_TIMEOUT_MS).optional(),
  environment: z.string().trim().min(1).max(64).optional(),
  status: z.enum(["active", "disabled"]).optional(),
  expectedStatusMin: statusCode.optional(),
  expectedStatusMax: statusCode.optional(),
  bodyKeyword: z.string().max(200).nullable().optional(),
  downtimeThreshold: threshold.optional(),
  recoveryThreshold: threshold.optional(),
  // Sentry's request body and headers: Faultline sends neither, and says so rather than ignore them.
  body: z.null({ message: "a request body is not supported" }).optional(),
  headers: z.array(z.never(), { message: "request headers are not supported" }).max(0).optional(),
  // Sentry's fields that change nothing here.
  mode: z.unknown().optional(),
  owner: z.unknown().optional(),
  traceSampling: z.unknown().optional(),
});
type Fields = z.output<typeof fieldsSchema>;

function settingsOf(fields: Fields, base: UptimeMonitorSettings | null, allowPrivate: boolean): UptimeMonitorSettings {
  const url = fields.url ?? base?.url ?? badRequest("url: Required");
  const problem = uptimeUrlProblem(url, allowPrivate);
  if (problem !== null) badRequest(`url: ${problem}`);
  const intervalSeconds = fields.intervalSeconds ?? base?.intervalSeconds ?? badRequest("intervalSeconds: Required");
  const settings: UptimeMonitorSettings = {
    name: fields.name ?? base?.name ?? new URL(url).host,
    url,
    method: fields.method ?? base?.method ?? "GET",
    expectedStatusMin: fields.expectedStatusMin ?? base?.expectedStatusMin ?? 200,
    expectedStatusMax: fields.expectedStatusMax ?? base?.expectedStatusMax ?? 299,
    timeoutMs: fields.timeoutMs ?? base?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    intervalSeconds,
    bodyKeyword: fields.bodyKeyword === undefined ? (base?.bodyKeyword ?? null) : fields.bodyKeyword === "" ? null : fields.bodyKeyword,
    environment: fields.environment ?? base?.environment ?? "production",
    status: fields.status ?? base?.status ?? "active",
    failureThreshold: fields.downtimeThreshold ?? base?.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD,
    recoveryThreshold: fields.recoveryThreshold ?? base?.recoveryThreshold ?? DEFAULT_RECOVERY_THRESHOLD,
  };
  if (settings.expectedStatusMin > settings.expectedStatusMax)
    badRequest(`expectedStatusMin: ${settings.expectedStatusMin} is above expectedStatusMax ${settings.expectedStatusMax}`);
  return settings;
}

function settingsOfRow(m: UptimeMonitorRow): UptimeMonitorSettings {
  return {
    name: m.name,
    url: m.url,
    method: m.method,
    expectedStatusMin: m.expected_status_min,
    expectedStatusMax: m.expected_status_max,
    timeoutMs: m.timeout_ms,
    intervalSeconds: m.interval_seconds,
    bodyKeyword: m.body_keyword,
    environment: m.environment,
    status: m.status,
    failureThreshold: m.failure_threshold,
    recoveryThreshold: m.recovery_threshold,
  };
}

function allowPrivate(c: Context<ApiEnv>): boolean {
  return privateTargetsAllowed(c.env.UPTIME_ALLOW_PRIVATE_TARGETS);
}

async function monitorInScope(c: Context<ApiEnv>) {
  const project = await projectInScope(c);
  const raw = c.req.param("id") ?? "";
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : notFound();
  const monitor = (await findUptimeMonitor(c.env.DB, project.id, id)) ?? notFound();
  return { project, monitor };
}

/** The organization's project ids, narrowed to `?project=` ids when given (-1 for all, as Sentry). */
async function projectsInScope(c: Context<ApiEnv>): Promise<Map<number, { slug: string }>> {
  const org = await organizationInScope(c);
  const { results } = await c.env.DB.prepare("SELECT id, slug FROM projects WHERE organization_id = ?").bind(org.id).all<{
    id: number;
    slug: string;
  }>();
  const wanted = (c.req.queries("project") ?? []).filter((p) => p !== "-1");
  for (const p of wanted) if (!/^\d{1,15}$/.test(p)) badRequest(`project: "${p.slice(0, 40)}" is not an id`);
  const all = new Map(results.map((p) => [p.id, { slug: p.slug }]));
  if (wanted.length === 0) return all;
  return new Map(wanted.map(Number).flatMap((id) => (all.has(id) ? [[id, all.get(id)!] as const] : [])));
}

uptimeRoutes.get("/organizations/:org/uptime", async (c) => {
  const projects = await projectsInScope(c);
  const monitors = await listUptimeMonitors(c.env.DB, [...projects.keys()]);
  return c.json(monitors.map((m) => serializeUptimeMonitor(m, projects.get(m.project_id)!)));
});

uptimeRoutes.post(PROJECT_BASE, async (c) => {
  const project = await projectInScope(c);
  const fields = validateInput(fieldsSchema, await readJsonBody(c.req.raw));
  const settings = settingsOf(fields, null, allowPrivate(c));
  const id = await createUptimeMonitor(c.env.DB, project.id, settings, Date.now());
  return c.json(serializeUptimeMonitor((await findUptimeMonitor(c.env.DB, project.id, id))!, project), 201);
});

uptimeRoutes.get(`${PROJECT_BASE}/:id`, async (c) => {
  const { project, monitor } = await monitorInScope(c);
  return c.json(serializeUptimeMonitor(monitor, project));
});

uptimeRoutes.put(`${PROJECT_BASE}/:id`, async (c) => {
  const { project, monitor } = await monitorInScope(c);
  const fields = validateInput(fieldsSchema, await readJsonBody(c.req.raw));
  const settings = settingsOf(fields, settingsOfRow(monitor), allowPrivate(c));
  await updateUptimeMonitor(c.env.DB, monitor, settings, Date.now());
  return c.json(serializeUptimeMonitor((await findUptimeMonitor(c.env.DB, project.id, monitor.id))!, project));
});

uptimeRoutes.delete(`${PROJECT_BASE}/:id`, async (c) => {
  const { monitor } = await monitorInScope(c);
  await deleteUptimeMonitor(c.env.DB, monitor.id);
  return c.body(null, 204);
});

/** Sentry pages with `per_page` (at most 100) and `cursor` (https://docs.sentry.io/api/pagination/). */
const checksQuery = z.object({
  per_page: z.coerce.number().int().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  before: z.coerce.number().int().min(0).optional(),
  cursor: z.string().optional(),
});

uptimeRoutes.get(`${PROJECT_BASE}/:id/checks`, async (c) => {
  const { monitor } = await monitorInScope(c);
  const query = validateInput(checksQuery, {
    per_page: c.req.query("per_page"),
    limit: c.req.query("limit"),
    before: c.req.query("before"),
    cursor: c.req.query("cursor"),
  });
  const limit = query.per_page ?? query.limit ?? 50;
  const cursor = parseCursor(query.cursor);
  const rows = await listUptimeChecks(c.env.DB, monitor.id, limit, query.before ?? null, cursor);
  const page = keysetPage(rows, limit, cursor, (row) => ({ value: row.scheduled_at, id: row.id }));
  c.header("Link", linkHeader(c.req.url, page));
  return c.json(page.items.map((check) => serializeUptimeCheck(check, monitor)));
});

const DURATION = /^(\d{1,6})([smhd]?)$/;
const UNIT_MS: Record<string, number> = { "": 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90`, `10m`, `1h`, `7d` as milliseconds; seconds when no unit. */
function durationMs(raw: string, field: string): number {
  const match = DURATION.exec(raw.trim());
  if (match === null) badRequest(`${field}: "${raw.slice(0, 40)}" is not a duration such as 1h`);
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  return ms > 0 ? ms : badRequest(`${field}: must be above zero`);
}

uptimeRoutes.get("/organizations/:org/uptime-stats", async (c) => {
  const projects = await projectsInScope(c);
  const rawIds = [...(c.req.queries("uptimeDetectorId") ?? []), ...(c.req.queries("uptimeAlertId") ?? [])];
  if (rawIds.length === 0) badRequest("uptimeDetectorId: at least one monitor id is required");
  if (rawIds.length > MAX_STATS_IDS) badRequest(`uptimeDetectorId: at most ${MAX_STATS_IDS} ids`);
  // An id asked for twice (or as both parameters) is one monitor, answered and counted once.
  const ids = [
    ...new Set(
      rawIds.map((raw) => (/^\d{1,15}$/.test(raw) ? Number(raw) : badRequest(`uptimeDetectorId: "${raw.slice(0, 40)}" is not an id`))),
    ),
  ];
  const now = Date.now();
  const seconds = (name: string) => {
    const raw = c.req.query(name);
    if (raw === undefined) return null;
    return /^\d{1,12}(\.\d+)?$/.test(raw) ? Math.floor(Number(raw) * 1000) : badRequest(`${name}: not a Unix time in seconds`);
  };
  const period = c.req.query("statsPeriod");
  const until = seconds("until") ?? now;
  const since = seconds("since") ?? until - (period === undefined ? 86_400_000 : durationMs(period, "statsPeriod"));
  const resolution = durationMs(c.req.query("resolution") ?? "1h", "resolution");
  if (since >= until) badRequest("since: must be before until");
  // Bucket edges on multiples of the resolution, as Sentry's, so a refresh a minute later keeps them.
  const floorTo = (ms: number) => Math.floor(ms / resolution) * resolution;
  if ((until - floorTo(since)) / resolution > MAX_STATS_BUCKETS)
    badRequest(`resolution: more than ${MAX_STATS_BUCKETS} buckets; pick a longer one`);
  // Only monitors of the organization's (and `?project=`'s) projects, as Sentry: any other id is refused.
  const monitors = await findStatsMonitors(c.env.DB, [...projects.keys()], ids);
  const found = new Set(monitors.map((m) => m.id));
  const invalid = ids.filter((id) => !found.has(id));
  if (invalid.length > 0) badRequest(`uptimeDetectorId: invalid uptime detector ids: ${invalid.slice(0, 10).join(", ")}`);
  // Checks past the longest retention among them are deleted: neither read nor answered.
  const keptMs = monitors.some((m) => m.retention_days <= 0) ? null : Math.max(...monitors.map((m) => m.retention_days)) * DAY_MS;
  const start = floorTo(keptMs === null ? since : Math.max(since, now - keptMs));
  const checks = monitors.reduce((n, m) => n + Math.max(0, until - start) / (m.interval_seconds * 1000), 0);
  if (checks > MAX_STATS_CHECKS)
    badRequest(
      `statsPeriod: up to ${Math.ceil(checks)} checks to read, at most ${MAX_STATS_CHECKS}; ask for a shorter period or fewer uptimeDetectorId`,
    );
  const rows = start < until ? await uptimeStats(c.env.DB, ids, start, until, resolution) : [];
  return c.json(serializeUptimeStats(rows, ids, start, until, resolution));
});
