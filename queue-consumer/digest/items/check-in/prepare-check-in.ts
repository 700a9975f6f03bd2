/**
 * The check-in kind's prepare step: a `check_in` item
 * (https://develop.sentry.dev/sdk/telemetry/check-ins/) read, validated and normalized into the
 * row the batch writes. Relay's rules (relay-monitors): a slug cut to 50 characters, `missed`
 * never accepted from a client, the all-zero `check_in_id` standing for "the monitor's latest
 * run in progress". Which monitor it belongs to, and when the next run is due, are settled by
 * resolve-check-ins.ts, which reads the monitors once for the whole batch.
 */
import type { IngestMessage } from "../../../../protocol/ingest-message";
import { type MonitorConfig, readCheckInMonitorConfig } from "../../../../protocol/monitor-config";
import type { OutcomeReason } from "../../../../protocol/outcome";
import type { EnvelopeItem } from "../../../../protocol/parse-envelope";
import { parseItemJson } from "../../../../protocol/parse-envelope";
import type { PreparedEvent } from "../error/prepare-error";
import type { ScrubOptions } from "../error/scrub-event";
import { monitorIssueFingerprints, prepareMonitorFailureEvent } from "./monitor-failure-event";
import { derivedId } from "../../derived-id";

export type CheckInStatus = "in_progress" | "ok" | "error" | "missed" | "timeout";

/** One check-in, ready for the batch (check-in-statements.ts). */
export interface PreparedCheckIn {
  /** The queue message it came in (what a refusal is recorded under). */
  messageId: string;
  projectId: number;
  slug: string;
  environment: string;
  /** The check-in's id as stored: the client's, or for the all-zero id one made from the message and item. */
  guid: string;
  /** Completes the environment's latest run in progress instead of the run named by `guid` (the all-zero id). */
  latest: boolean;
  status: CheckInStatus;
  durationMs: number | null;
  /** When it arrived (ms); for a missed run, when the run was due. */
  date: number;
  release: string | null;
  traceId: string | null;
  /** A valid `monitor_config`: creates the monitor or updates its configuration. */
  config: MonitorConfig | null;
  /** Why a `monitor_config` sent with it could not be used. */
  configProblem: string | null;
  /** When a missed run was due (ms). */
  expectedTime: number | null;
  /** Set by resolve-check-ins.ts: when the next run is due, and the latest it may check in; null leaves them. */
  next: number | null;
  nextLatest: number | null;
  /** The event this check-in becomes if it is a failure that counts toward an issue. */
  failureEvent: PreparedEvent | null;
  /** For an `ok`: the environment's issues, resolved once it counts as a recovery. */
  fingerprints: string[];
}

export class CheckInError extends Error {
  constructor(
    readonly reason: OutcomeReason,
    message: string,
  ) {
    super(message);
  }
}

const NIL_ID = "0".repeat(32);
const SLUG_MAX = 50;
const ENVIRONMENT_MAX = 64;
const RELEASE_MAX = 200;
/** Sentry keeps a check-in's duration in milliseconds in a 32-bit column: about 24.8 days. */
export const DURATION_MAX_MS = 2_147_483_647;
const CLIENT_STATUSES = new Set(["in_progress", "ok", "error"]);

export interface CheckInContext {
  messageId: string;
  itemIndex: number;
  scrub: ScrubOptions;
}

export async function prepareCheckIn(item: EnvelopeItem, message: IngestMessage, ctx: CheckInContext): Promise<PreparedCheckIn> {
  let raw: unknown;
  try {
    raw = parseItemJson(item);
  } catch (err) {
    throw new CheckInError("invalid_check_in", err instanceof Error ? err.message : "check-in is not JSON");
  }
  return prepareCheckInPayload(raw, message, ctx);
}

export async function prepareCheckInPayload(raw: unknown, message: IngestMessage, ctx: CheckInContext): Promise<PreparedCheckIn> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new CheckInError("invalid_check_in", "check-in is not a JSON object");
  const body = raw as Record<string, unknown>;
  const slug = monitorSlug(body.monitor_slug);
  if (slug === "") throw new CheckInError("invalid_check_in", "monitor_slug is missing or empty");
  const status = body.status;
  if (typeof status !== "string" || !CLIENT_STATUSES.has(status))
    throw new CheckInError("invalid_check_in", `status must be in_progress, ok or error, not ${JSON.stringify(status)?.slice(0, 40)}`);
  const id = checkInId(body.check_in_id);
  const durationMs = duration(body.duration);
  const environment = shortString(body.environment, ENVIRONMENT_MAX) ?? "production";
  const release = shortString(body.release, RELEASE_MAX);
  const trace = (body.contexts as { trace?: { trace_id?: unknown } } | undefined)?.trace?.trace_id;
  const traceId =
    typeof trace === "string" && /^[0-9a-f]{32}$/i.test(trace.replace(/-/g, "")) ? trace.replace(/-/g, "").toLowerCase() : null;
  let config: MonitorConfig | null = null;
  let configProblem: string | null = null;
  if (body.monitor_config !== undefined && body.monitor_config !== null) {
    const read = readCheckInMonitorConfig(body.monitor_config);
    if (read.ok) config = read.config;
    else configProblem = read.problem;
  }
  const latest = id === NIL_ID;
  // The all-zero id names no run: a key made from where it was delivered makes a redelivery the same check-in.
  const guid = latest ? await latestCheckInId(`${ctx.messageId}:${ctx.itemIndex}`) : id;
  const projectId = message.projectId;
  const at = message.receivedAt;
  const checkIn: PreparedCheckIn = {
    messageId: ctx.messageId,
    projectId,
    slug,
    environment,
    guid,
    latest: latest && status !== "in_progress",
    status: status as CheckInStatus,
    durationMs,
    date: at,
    release,
    traceId,
    config,
    configProblem,
    expectedTime: null,
    next: null,
    nextLatest: null,
    failureEvent: null,
    fingerprints: [],
  };
  if (status === "error")
    checkIn.failureEvent = await prepareMonitorFailureEvent(
      { projectId, slug, environment, kind: "error", guid, at, release, traceId },
      ctx.scrub,
    );
  if (status === "ok") checkIn.fingerprints = await monitorIssueFingerprints(slug, environment);
  return checkIn;
}

/** Relay cuts slugs to 50 characters; Sentry's slugs are lower case letters, digits, `-` and `_`. */
export function monitorSlug(value: unknown): string {
  if (typeof value !== "string") return "";
  return [
    ...value
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, "-")
      .replace(/^-+|-+$/g, ""),
  ]
    .slice(0, SLUG_MAX)
    .join("");
}

function checkInId(value: unknown): string {
  if (value === undefined || value === null) return NIL_ID;
  const hex = typeof value === "string" ? value.replace(/-/g, "").toLowerCase() : "";
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new CheckInError("invalid_check_in", "check_in_id must be a UUID");
  return hex;
}

function duration(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value * 1000 > DURATION_MAX_MS)
    throw new CheckInError("invalid_check_in", `duration must be a number of seconds from 0 to ${DURATION_MAX_MS / 1000}`);
  return Math.round(value * 1000);
}

function shortString(value: unknown, max: number): string | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : [...trimmed].slice(0, max).join("");
}

function latestCheckInId(seed: string): Promise<string> {
  return derivedId(`check-in:${seed}`);
}
