/**
 * The session kind's prepare step: a `session` item (one update of one app session) or a
 * `sessions` item (request-mode aggregates), read and validated into the rows
 * session-statements.ts counts (https://develop.sentry.dev/sdk/telemetry/sessions/).
 *
 * A session counts in the hour it `started`, under the release and environment of the first
 * update the digest sees of it (the protocol makes them immutable). Its status is reduced to how
 * bad it got: 0 healthy (`ok`, `exited`), 1 errored (`errored`, `unhandled`, or any status with
 * `errors` > 0), 2 `abnormal`, 3 `crashed`. What the digest refuses here becomes a rejection with
 * the reason `invalid_session`, never a silent drop:
 * - an unknown status, a missing or unreadable `sid` or `started`, a missing release or one Sentry
 *   would not take (control characters, slashes, over 200 characters, ".", "..", "latest");
 * - `started` more than a minute ahead of its arrival, or more than five days before it: Relay's
 *   `max_secs_in_future` and `max_session_secs_in_past`, as a session may only be updated for
 *   five days;
 * - in an aggregate, a count that is negative, not an integer, or past 2^31.
 * A `did` longer than 128 characters is kept as its SHA-256, so distinct users stay exact and a
 * row stays small whatever a client sends.
 */
import type { OutcomeReason } from "../../../../protocol/outcome";
import { HOUR } from "../../../../protocol/time";
import { normalizeTimestamp } from "../../normalize-timestamp";
import { asNumber, asRecord, asString, isRecord } from "../../untrusted-json";

/** How bad a session got, in the order a status can only move (session_states.status). */
export const HEALTHY = 0;
export const ERRORED = 1;
export const ABNORMAL = 2;
export const CRASHED = 3;
export type SessionHealth = typeof HEALTHY | typeof ERRORED | typeof ABNORMAL | typeof CRASHED;

/** Where a session or an aggregate counts. */
export interface SessionBucket {
  projectId: number;
  release: string;
  /** '' when unset. */
  environment: string;
  /** The start of the hour it started in (ms). */
  hour: number;
}

/** One `session` item. */
export interface PreparedSessionUpdate extends SessionBucket {
  sid: string;
  /** When it started (ms). */
  started: number;
  /** The distinct id (`did`), or its SHA-256 when long; '' for none. */
  user: string;
  /** The update's logical clock: `seq`, or its timestamp in ms when the SDK sends none. */
  seq: number;
  health: SessionHealth;
}

/** One group of a `sessions` item: sessions that started in one minute, for one user or none. */
export interface SessionAggregateGroup {
  hour: number;
  started: number;
  user: string;
  sessions: number;
  errored: number;
  abnormal: number;
  crashed: number;
}

/** One `sessions` item, identified by the queue message and its place in the envelope. */
export interface PreparedSessionAggregate {
  projectId: number;
  messageId: string;
  itemIndex: number;
  receivedAt: number;
  release: string;
  environment: string;
  groups: SessionAggregateGroup[];
}

export class SessionRefused extends Error {
  readonly reason: OutcomeReason = "invalid_session";
}

export interface SessionItemContext {
  projectId: number;
  /** When ingest accepted it (ms). */
  receivedAt: number;
  messageId: string;
  itemIndex: number;
}

// Relay's defaults: max_secs_in_future (60 s) and max_session_secs_in_past (5 days).
const MAX_AHEAD_MS = 60_000;
const MAX_AGE_MS = 5 * 24 * HOUR;
const MAX_USER_LENGTH = 128;
const MAX_RELEASE_LENGTH = 200;
const MAX_ENVIRONMENT_LENGTH = 64;
const MAX_COUNT = 2 ** 31;

const STATUS_HEALTH: Record<string, SessionHealth> = {
  ok: HEALTHY,
  exited: HEALTHY,
  errored: ERRORED,
  unhandled: ERRORED,
  abnormal: ABNORMAL,
  crashed: CRASHED,
};

export async function prepareSessionUpdate(payload: unknown, ctx: SessionItemContext): Promise<PreparedSessionUpdate> {
  if (!isRecord(payload)) throw new SessionRefused("session item is not an object");
  const sid = asString(payload.sid)?.trim().toLowerCase().replaceAll("-", "");
  if (sid === undefined || !/^[0-9a-z]{1,64}$/.test(sid)) throw new SessionRefused("session has no readable sid");
  const status = payload.status === undefined || payload.status === null ? "ok" : asString(payload.status);
  const statusHealth = status === undefined ? undefined : STATUS_HEALTH[status];
  if (statusHealth === undefined) throw new SessionRefused(`unknown session status ${JSON.stringify(String(payload.status).slice(0, 40))}`);
  const errors = asNumber(payload.errors) ?? 0;
  const health: SessionHealth = statusHealth === HEALTHY && errors > 0 ? ERRORED : statusHealth;
  const started = startedAt(payload.started, ctx.receivedAt);
  const attrs = asRecord(payload.attrs) ?? {};
  const timestamp = msOf(payload.timestamp) ?? started;
  const seq = asNumber(payload.seq);
  return {
    projectId: ctx.projectId,
    release: validRelease(attrs.release),
    environment: validEnvironment(attrs.environment),
    hour: started - (started % HOUR),
    sid,
    started,
    user: await userKey(payload.did),
    seq: Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.floor(seq ?? timestamp))),
    health,
  };
}

export async function prepareSessionAggregate(payload: unknown, ctx: SessionItemContext): Promise<PreparedSessionAggregate> {
  if (!isRecord(payload) || !Array.isArray(payload.aggregates)) throw new SessionRefused("sessions item has no aggregates array");
  const attrs = asRecord(payload.attrs) ?? {};
  const release = validRelease(attrs.release);
  const environment = validEnvironment(attrs.environment);
  const groups: SessionAggregateGroup[] = [];
  for (const [i, group] of payload.aggregates.entries()) {
    if (!isRecord(group)) throw new SessionRefused(`aggregate ${i} is not an object`);
    const count = (field: string): number => {
      const value = group[field] ?? 0;
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= MAX_COUNT)
        throw new SessionRefused(`aggregate ${i}: ${field} is not a count (${JSON.stringify(value).slice(0, 40)})`);
      return value;
    };
    const [exited, errored, unhandled, abnormal, crashed] = ["exited", "errored", "unhandled", "abnormal", "crashed"].map(count) as [
      number,
      number,
      number,
      number,
      number,
    ];
    const sessions = exited + errored + unhandled + abnormal + crashed;
    if (sessions === 0) continue;
    const started = startedAt(group.started, ctx.receivedAt);
    groups.push({
      hour: started - (started % HOUR),
      started,
      user: await userKey(group.did),
      sessions,
      errored: errored + unhandled,
      abnormal,
      crashed,
    });
  }
  return {
    projectId: ctx.projectId,
    messageId: ctx.messageId,
    itemIndex: ctx.itemIndex,
    receivedAt: ctx.receivedAt,
    release,
    environment,
    groups,
  };
}

function msOf(value: unknown): number | undefined {
  const seconds = normalizeTimestamp(value);
  return typeof seconds === "number" ? Math.round(seconds * 1000) : undefined;
}

function startedAt(value: unknown, receivedAt: number): number {
  const started = msOf(value);
  if (started === undefined) throw new SessionRefused("session has no readable started time");
  if (started > receivedAt + MAX_AHEAD_MS) throw new SessionRefused("session started in the future");
  if (started < receivedAt - MAX_AGE_MS) throw new SessionRefused("session started more than five days ago");
  return started;
}

/** Sentry's rules for release names (https://docs.sentry.io/product/releases/setup/); a session must name one. */
export function validRelease(value: unknown): string {
  const release = asString(value)?.trim();
  if (release === undefined || release === "") throw new SessionRefused("session names no release");
  if (release.length > MAX_RELEASE_LENGTH || /[\u0000-\u001f\u007f/\\]/.test(release) || [".", "..", "latest"].includes(release))
    throw new SessionRefused(`invalid release name ${JSON.stringify(release.slice(0, 60))}`);
  return release;
}

/** An environment Sentry would take (https://docs.sentry.io/concepts/key-terms/environments/), else ''. */
function validEnvironment(value: unknown): string {
  const environment = asString(value)?.trim() ?? "";
  if (environment.length > MAX_ENVIRONMENT_LENGTH || /[\u0000-\u001f\u007f /]/.test(environment) || environment === "None") return "";
  return environment;
}

async function userKey(did: unknown): Promise<string> {
  const user = asString(did);
  if (user === undefined) return "";
  if (user.length <= MAX_USER_LENGTH) return user;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(user)));
  return `sha256:${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
