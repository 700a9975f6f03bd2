import * as z from "zod/mini";
import { normalizeLogentry } from "./normalize-message";
import { normalizeRequest, type Pairs } from "./normalize-request";
import {
  attachThreadStacktraces,
  normalizeExceptions,
  normalizeStacktrace,
  normalizeThreads,
  primaryStacktrace,
  type Exception,
  type Frame,
} from "./normalize-stacktrace";
import { parseUserAgent } from "./parse-user-agent";
import { normalizeTimestamp, type RefusedTimestamp } from "../../normalize-timestamp";
import { BAG, LIMITS, trimDatabag, truncate } from "../../trim-event-data";
import { asBoolean, asRecord, asString, isRecord, pickDefined, valuesOf, type JsonRecord } from "../../untrusted-json";

/**
 * Turns any form of event Sentry's schema accepts (including the legacy forms older SDKs still
 * send to /store/) into one internal shape, following Relay's normalization
 * (https://develop.sentry.dev/sdk/data-model/event-payloads/). Nothing here throws on an odd
 * field: a field that cannot be read is dropped. Only a payload that is not an object is refused.
 */
export type Level = "fatal" | "error" | "warning" | "info" | "debug";

export interface NormalizedEvent {
  eventId: string;
  timestamp: number;
  receivedAt: number;
  platform: string;
  level: Level;
  type: "error" | "default";
  title: string;
  culprit: string;
  message: string | null;
  release: string | null;
  environment: string | null;
  transaction: string | null;
  user: Record<string, unknown> | null;
  userKey: string | null;
  tags: Array<[string, string]>;
  data: Record<string, unknown>;
}

export interface NormalizeContext {
  eventId: string | null;
  receivedAt: number;
  clientIp: string | null;
}

export class EventNormalizeError extends Error {
  override name = "EventNormalizeError";
}

const EventObject = z.record(z.string(), z.unknown());

export function normalizeEvent(raw: unknown, ctx: NormalizeContext): NormalizedEvent {
  const parsed = EventObject.safeParse(raw);
  if (!parsed.success || Array.isArray(raw)) throw new EventNormalizeError("event payload is not a JSON object");
  const event = withLegacyAliases(parsed.data);

  const platform = normalizePlatform(event.platform);
  const level = normalizeLevel(event.level) ?? "error";
  const receivedSeconds = ctx.receivedAt / 1000;
  // What normalizing changed or refused, as Sentry lists it in the stored event's `errors`.
  const errors: JsonRecord[] = [];
  const timestamp = eventTimestamp(event.timestamp, receivedSeconds, errors);

  const threads = normalizeThreads(event.threads);
  const exceptions = normalizeExceptions(event.exception);
  let stacktrace = normalizeStacktrace(event.stacktrace);
  // Relay moves a legacy top-level stack trace into the only exception when that has none.
  if (stacktrace && exceptions.length === 1 && exceptions[0]!.stacktrace === undefined) {
    exceptions[0]!.stacktrace = stacktrace;
    stacktrace = undefined;
  }
  attachThreadStacktraces(exceptions, threads);

  const logentry = normalizeLogentry(event.logentry ?? event.message);
  const request = normalizeRequest(event.request, ctx.clientIp);
  const sdk = normalizeSdk(event.sdk);
  const user = normalizeUser(event.user, ctx.clientIp, shouldInferIp(platform, sdk), request);
  const contexts = normalizeContexts(event.contexts, request);
  const transaction = shortString(event.transaction, LIMITS.culprit) ?? null;
  const release = validRelease(event.release);
  const environment = validEnvironment(event.environment);
  const dist = shortString(event.dist, LIMITS.environment);
  const logger = shortString(event.logger, LIMITS.logger);
  const serverName = asString(event.server_name);
  const userKey = userKeyOf(user);

  const type = exceptions.length > 0 ? "error" : "default";
  const message = logentry?.formatted ?? null;
  const primary = primaryStacktrace(exceptions, stacktrace, threads);
  const title = eventTitle(exceptions, message, primary);
  // Sentry puts the transaction before the frames; we keep an in-app frame before it, as before.
  const culprit = truncate(frameCulprit(primary, true) ?? transaction ?? frameCulprit(primary, false) ?? "", LIMITS.culprit);

  const tags = eventTags(event.tags, {
    level,
    logger,
    release,
    dist,
    environment,
    transaction,
    serverName,
    url: asString(request?.url),
    contexts,
    userKey,
    exceptions,
  });
  const breadcrumbs = normalizeBreadcrumbs(event.breadcrumbs, errors);
  const extra = isRecord(event.extra) ? (trimDatabag(event.extra, BAG.massive) as JsonRecord) : undefined;
  const fingerprint = normalizeFingerprint(event.fingerprint);

  const eventId = eventIdOf(event.event_id) ?? eventIdOf(ctx.eventId) ?? crypto.randomUUID().replaceAll("-", "");
  const data = pickDefined([
    ["event_id", eventId],
    ["timestamp", timestamp],
    ["received", receivedSeconds],
    ["platform", platform],
    ["level", level],
    ["type", type],
    ["title", title],
    ["culprit", culprit],
    ["metadata", eventMetadata(exceptions, title)],
    ["logger", logger],
    ["transaction", transaction],
    ["server_name", serverName],
    ["release", release],
    ["dist", dist],
    ["environment", environment],
    ["logentry", logentry ?? undefined],
    ["exception", exceptions.length > 0 ? { values: exceptions } : undefined],
    ["threads", threads.length > 0 ? { values: threads } : undefined],
    ["stacktrace", stacktrace],
    ["breadcrumbs", breadcrumbs.length > 0 ? { values: breadcrumbs } : undefined],
    ["contexts", Object.keys(contexts).length > 0 ? contexts : undefined],
    ["request", request],
    ["user", user ?? undefined],
    ["tags", tags],
    ["extra", extra],
    ["sdk", sdk],
    ["modules", asRecord(event.modules)],
    ["fingerprint", fingerprint],
    ["template", asRecord(event.template)],
    ["debug_meta", isRecord(event.debug_meta) ? trimDatabag(event.debug_meta, BAG.massive) : undefined],
    ["errors", errors.length > 0 ? errors : undefined],
  ]);

  return {
    eventId,
    timestamp: Math.round(timestamp * 1000),
    receivedAt: ctx.receivedAt,
    platform,
    level,
    type,
    title,
    culprit,
    message,
    release,
    environment,
    transaction,
    user,
    userKey,
    tags,
    data,
  };
}

/**
 * The title, culprit and metadata again, after a later step changed the frames they come from
 * (symbolicate-javascript.ts gives minified frames their original names and places).
 */
export function retitleEvent(event: NormalizedEvent): void {
  const data = event.data;
  const exceptions = valuesOf(data.exception) as Exception[];
  const stacktrace = isRecord(data.stacktrace) ? (data.stacktrace as { frames: Frame[] }) : undefined;
  const primary = primaryStacktrace(exceptions, stacktrace as never, valuesOf(data.threads));
  event.title = eventTitle(exceptions, event.message, primary);
  event.culprit = truncate(frameCulprit(primary, true) ?? event.transaction ?? frameCulprit(primary, false) ?? "", LIMITS.culprit);
  data.title = event.title;
  data.culprit = event.culprit;
  data.metadata = eventMetadata(exceptions, event.title);
}

/**
 * Interface names of the legacy protocol (`sentry.interfaces.Exception`, and the older dotted
 * module paths) map to today's keys; today's key wins when both are sent.
 */
const LEGACY_ALIASES: Record<string, string> = {
  "sentry.interfaces.Exception": "exception",
  "sentry.interfaces.exception.Exception": "exception",
  "sentry.interfaces.Message": "logentry",
  "sentry.interfaces.message.Message": "logentry",
  "sentry.interfaces.Stacktrace": "stacktrace",
  "sentry.interfaces.stacktrace.Stacktrace": "stacktrace",
  "sentry.interfaces.Http": "request",
  "sentry.interfaces.http.Http": "request",
  "sentry.interfaces.User": "user",
  "sentry.interfaces.user.User": "user",
  "sentry.interfaces.Breadcrumbs": "breadcrumbs",
  "sentry.interfaces.Threads": "threads",
  "sentry.interfaces.Template": "template",
  "sentry.interfaces.template.Template": "template",
  "sentry.interfaces.DebugMeta": "debug_meta",
};

function withLegacyAliases(event: JsonRecord): JsonRecord {
  const out: JsonRecord = { ...event };
  for (const [legacy, key] of Object.entries(LEGACY_ALIASES)) {
    if (out[key] === undefined || out[key] === null) {
      if (event[legacy] !== undefined) out[key] = event[legacy];
    }
  }
  // `message` given as an object is the legacy spelling of `logentry`.
  if ((out.logentry === undefined || out.logentry === null) && isRecord(out.message)) out.logentry = out.message;
  return out;
}

/** Relay's list of platforms; anything else is stored as "other". */
const PLATFORMS = new Set([
  "as3",
  "c",
  "cfml",
  "cocoa",
  "csharp",
  "elixir",
  "haskell",
  "go",
  "groovy",
  "java",
  "javascript",
  "native",
  "node",
  "objc",
  "other",
  "perl",
  "php",
  "python",
  "ruby",
]);

function normalizePlatform(value: unknown): string {
  const platform = asString(value)?.toLowerCase();
  return platform !== undefined && PLATFORMS.has(platform) ? platform : "other";
}

/** Level names and aliases Relay accepts, plus Python's numeric logging levels. */
const LEVEL_ALIASES: Record<string, Level> = {
  fatal: "fatal",
  critical: "fatal",
  error: "error",
  err: "error",
  warning: "warning",
  warn: "warning",
  info: "info",
  log: "info",
  information: "info",
  debug: "debug",
  trace: "debug",
};
const PYTHON_LEVELS: Record<number, Level> = { 10: "debug", 20: "info", 30: "warning", 40: "error", 50: "fatal" };

export function normalizeLevel(value: unknown): Level | undefined {
  if (typeof value === "number") return PYTHON_LEVELS[value];
  const name = asString(value)?.trim().toLowerCase();
  return name === undefined ? undefined : LEVEL_ALIASES[name];
}

/**
 * Relay replaces a timestamp more than a minute ahead of the time received, or more than 30 days
 * behind it, with the time received (its defaults for max_secs_in_future and max_secs_in_past),
 * and notes the replacement as a `future_timestamp` or `past_timestamp` error with the SDK's time
 * and the server's (relay-event-normalization event.rs, normalize_timestamps). One it cannot read
 * is replaced too, noted as `invalid_data`.
 */
const MAX_SECONDS_IN_FUTURE = 60;
const MAX_SECONDS_IN_PAST = 30 * 24 * 3600;

function eventTimestamp(value: unknown, receivedSeconds: number, errors: JsonRecord[]): number {
  const seconds = normalizeTimestamp(value);
  if (seconds === undefined) return receivedSeconds;
  if (typeof seconds !== "number") {
    errors.push(invalidTimestamp("timestamp", value, seconds));
    return receivedSeconds;
  }
  const future = seconds > receivedSeconds + MAX_SECONDS_IN_FUTURE;
  if (future || seconds < receivedSeconds - MAX_SECONDS_IN_PAST) {
    errors.push({
      type: future ? "future_timestamp" : "past_timestamp",
      name: "timestamp",
      sdk_time: new Date(seconds * 1000).toISOString(),
      server_time: new Date(receivedSeconds * 1000).toISOString(),
    });
    return receivedSeconds;
  }
  return seconds;
}

/** The longest refused value an error keeps, so that a huge one does not bloat the event. */
const ERROR_VALUE_MAX_CHARS = 200;

/** Relay's `invalid_data` error for a time it refused, with the value sent when it is short. */
function invalidTimestamp(name: string, value: unknown, refused: RefusedTimestamp): JsonRecord {
  const keep = typeof value === "number" || (typeof value === "string" && value.length <= ERROR_VALUE_MAX_CHARS);
  return pickDefined([
    ["type", "invalid_data"],
    ["name", name],
    ["value", keep ? value : undefined],
    ["reason", refused.reason],
  ]);
}

function eventIdOf(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const id = value.replaceAll("-", "").toLowerCase();
  return /^[0-9a-f]{32}$/.test(id) && !/^0+$/.test(id) ? id : undefined;
}

function shortString(value: unknown, max: number): string | undefined {
  const s = asString(value)?.trim();
  return s === undefined || s === "" ? undefined : truncate(s, max);
}

/**
 * Sentry's rules for release names: no newlines, tabs, slashes or backslashes, not ".", ".." or
 * " ", at most 200 characters (https://docs.sentry.io/product/releases/setup/). Invalid ones are
 * dropped, as Relay does.
 */
function validRelease(value: unknown): string | null {
  const release = asString(value)?.trim();
  if (release === undefined || release === "" || release.length > LIMITS.release) return null;
  if (/[\n\r\t/\\]/.test(release) || release === "." || release === ".." || release === "latest") return null;
  return release;
}

/**
 * Environment names: no newlines, spaces or slashes, not "None", at most 64 characters
 * (https://docs.sentry.io/concepts/key-terms/environments/). Sentry does not invent one: an event
 * sent without an environment has none (the SDKs send "production" by default on their side).
 */
function validEnvironment(value: unknown): string | null {
  const environment = asString(value)?.trim();
  if (environment === undefined || environment === "" || environment.length > LIMITS.environment) return null;
  if (/[\s/]/.test(environment) || environment === "None") return null;
  return environment;
}

function normalizeSdk(value: unknown): JsonRecord | undefined {
  const raw = asRecord(value);
  if (raw === undefined) return undefined;
  return pickDefined([
    ["name", asString(raw.name)],
    ["version", asString(raw.version)],
    ["integrations", Array.isArray(raw.integrations) ? raw.integrations.filter((i) => typeof i === "string") : undefined],
    ["packages", Array.isArray(raw.packages) ? raw.packages.filter(isRecord) : undefined],
    ["settings", asRecord(raw.settings)],
  ]);
}

/**
 * Relay infers the user's IP from the connection when the SDK asks for it (`sdk.settings.infer_ip`
 * "auto"), and by default for browser and Apple platforms, which never know their own address.
 */
function shouldInferIp(platform: string, sdk: JsonRecord | undefined): boolean {
  const setting = asString(asRecord(sdk?.settings)?.infer_ip);
  if (setting !== undefined) return setting === "auto";
  return platform === "javascript" || platform === "cocoa" || platform === "objc";
}

const USER_FIELDS = new Set(["id", "email", "ip_address", "username", "name", "geo", "segment", "data", "sentry_user"]);

/** The user interface (https://develop.sentry.dev/sdk/data-model/event-payloads/user/); unknown keys move into `data`. */
function normalizeUser(value: unknown, clientIp: string | null, inferIp: boolean, request: JsonRecord | undefined): JsonRecord | null {
  const raw = asRecord(value) ?? {};
  const other: JsonRecord = {};
  for (const [key, item] of Object.entries(raw)) if (!USER_FIELDS.has(key) && item !== null && item !== undefined) other[key] = item;
  const data = { ...(asRecord(raw.data) ?? {}), ...other };
  let ip = asString(raw.ip_address);
  if (ip === "{{auto}}") ip = clientIp ?? undefined;
  else if (ip === undefined) {
    const remoteAddr = asString(asRecord(request?.env)?.REMOTE_ADDR);
    ip = remoteAddr ?? (inferIp ? (clientIp ?? undefined) : undefined);
  }
  const user = pickDefined([
    ["id", asString(raw.id)],
    ["email", asString(raw.email)],
    ["username", asString(raw.username)],
    ["ip_address", ip],
    ["name", asString(raw.name)],
    ["segment", asString(raw.segment)],
    ["geo", asRecord(raw.geo)],
    ["data", Object.keys(data).length > 0 ? trimDatabag(data, BAG.medium) : undefined],
  ]);
  return Object.keys(user).length > 0 ? user : null;
}

/** A tag value's longest (Relay's `max_chars = "tag_value"`), which the user key is as the `user` tag. */
const USER_KEY_MAX = 200;

/**
 * Sentry's "user" tag: the first of id, email, username, IP address, cut to a tag value's length
 * so that a huge id still counts its user (issue_users) and keeps its tag.
 */
function userKeyOf(user: JsonRecord | null): string | null {
  if (user === null) return null;
  for (const field of ["id", "email", "username", "ip_address"] as const) {
    const value = asString(user[field])?.trim();
    if (value !== undefined && value !== "") return truncate(`${field === "ip_address" ? "ip" : field}:${value}`, USER_KEY_MAX);
  }
  return null;
}

/**
 * Contexts (https://develop.sentry.dev/sdk/data-model/event-payloads/contexts/): each one an
 * object with a `type` (its key when not sent), trimmed as a "large" bag. Browser and OS come from
 * the request's User-Agent when the SDK did not send them, as Relay derives them.
 */
function normalizeContexts(value: unknown, request: JsonRecord | undefined): JsonRecord {
  const out: JsonRecord = {};
  for (const [key, item] of Object.entries(asRecord(value) ?? {})) {
    if (!isRecord(item)) continue;
    const context = trimDatabag(item, BAG.large) as JsonRecord;
    if (asString(context.type) === undefined) context.type = key;
    out[key] = context;
  }
  const userAgent = headerValue(request, "User-Agent");
  if (userAgent !== undefined) {
    const derived = parseUserAgent(userAgent);
    if (derived.browser && out.browser === undefined) out.browser = { ...derived.browser, type: "browser" };
    if (derived.os && out.os === undefined) out.os = { ...derived.os, type: "os" };
  }
  return out;
}

function headerValue(request: JsonRecord | undefined, name: string): string | undefined {
  const headers = request?.headers;
  if (!Array.isArray(headers)) return undefined;
  return (headers as Pairs).find(([header]) => header === name)?.[1];
}

/**
 * The newest breadcrumbs, as many as Sentry keeps. A time Relay refuses is left out of its
 * breadcrumb (its timestamp is only recommended), but a breadcrumb from before 1970 is dropped,
 * as Relay's TimestampProcessor drops it; each is noted in the event's errors.
 */
function normalizeBreadcrumbs(value: unknown, errors: JsonRecord[]): JsonRecord[] {
  const all = valuesOf(value);
  const first = Math.max(0, all.length - LIMITS.breadcrumbs);
  return all.slice(first).flatMap((raw, i) => {
    const path = `breadcrumbs.values.${first + i}`;
    const timestamp = normalizeTimestamp(raw.timestamp);
    if (timestamp !== undefined && typeof timestamp !== "number") {
      const stale = timestamp.reason === "timestamp is too stale";
      errors.push(invalidTimestamp(stale ? path : `${path}.timestamp`, raw.timestamp, timestamp));
      if (stale) return [];
    }
    return [
      pickDefined([
        ["timestamp", typeof timestamp === "number" ? timestamp : undefined],
        ["type", asString(raw.type) ?? "default"],
        ["category", asString(raw.category)],
        ["level", normalizeLevel(raw.level) ?? "info"],
        ["message", asString(raw.message) === undefined ? undefined : truncate(asString(raw.message)!, LIMITS.message)],
        ["data", isRecord(raw.data) ? trimDatabag(raw.data, BAG.medium) : undefined],
        ["event_id", eventIdOf(raw.event_id)],
      ]),
    ];
  });
}

function normalizeFingerprint(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const parts = value.flatMap((part) => {
    const s = asString(part);
    return s === undefined ? [] : [s];
  });
  return parts.length > 0 ? parts : undefined;
}

/** Sentry truncates the value shown in a title to 100 characters. */
const TITLE_VALUE_CHARS = 100;

function firstLine(text: string): string {
  return text.trim().split(/\r?\n/, 1)[0]!.trim();
}

/**
 * Sentry's title: for errors, "Type: value" of the outermost exception (exceptions are listed
 * cause first, so the last one), for other events the message's first line, else
 * "<unlabeled event>". A synthetic exception's type is made up by the SDK, so it is not shown;
 * the message is (Sentry would show the crash function, which says less).
 */
function eventTitle(exceptions: Exception[], message: string | null, stacktrace: { frames: Frame[] } | undefined): string {
  const outermost = exceptions[exceptions.length - 1];
  if (outermost !== undefined) {
    if (asBoolean(asRecord(outermost.mechanism)?.synthetic) === true) {
      const text = message ?? asString(outermost.value);
      if (text !== undefined && firstLine(text) !== "") return truncate(firstLine(text), TITLE_VALUE_CHARS);
      return asString(crashFrame(stacktrace)?.function) ?? "<unknown>";
    }
    const type = asString(outermost.type) ?? "Error";
    const value = asString(outermost.value);
    const shown = value === undefined ? "" : truncate(firstLine(value), TITLE_VALUE_CHARS);
    return shown === "" ? type : `${type}: ${shown}`;
  }
  const text = message === null ? "" : firstLine(message);
  return text === "" ? "<unlabeled event>" : truncate(text, TITLE_VALUE_CHARS);
}

/** What Sentry stores as an issue's metadata: the outermost exception's type and value, or the title. */
function eventMetadata(exceptions: Exception[], title: string): JsonRecord {
  const outermost = exceptions[exceptions.length - 1];
  if (outermost === undefined) return { title };
  return pickDefined([
    ["type", asString(outermost.type)],
    ["value", asString(outermost.value) === undefined ? undefined : truncate(asString(outermost.value)!, 1024)],
  ]);
}

/** The newest in-app frame, else the newest frame: where the event happened. */
function crashFrame(stacktrace: { frames: Frame[] } | undefined): Frame | undefined {
  if (stacktrace === undefined) return undefined;
  const frames = stacktrace.frames;
  for (let i = frames.length - 1; i >= 0; i--) if (frames[i]!.in_app === true) return frames[i];
  return frames[frames.length - 1];
}

/**
 * Sentry's culprit from a stack trace (src/sentry/culprit.py, `get_stacktrace_culprit`): "module in
 * function" (filename when there is no module) of the newest in-app frame that names a place (`inApp`),
 * else of the newest frame not in app: what names a place when no frame is in-app, as in raven-ruby's
 * events outside an app's folders.
 */
function frameCulprit(stacktrace: { frames: Frame[] } | undefined, inApp: boolean): string | undefined {
  if (stacktrace === undefined) return undefined;
  const frames = stacktrace.frames;
  for (let i = frames.length - 1; i >= 0; i--) {
    const frame = frames[i]!;
    if ((frame.in_app === true) !== inApp) continue;
    const location = asString(frame.module) ?? asString(frame.filename);
    if (location !== undefined) return `${location} in ${asString(frame.function) ?? "?"}`;
    // Sentry takes the newest frame not in app as it is, naming a place or not.
    if (!inApp) return undefined;
  }
  return undefined;
}

interface DerivedTagSources {
  level: Level;
  logger: string | undefined;
  release: string | null;
  dist: string | undefined;
  environment: string | null;
  transaction: string | null;
  serverName: string | undefined;
  url: string | undefined;
  contexts: JsonRecord;
  userKey: string | null;
  exceptions: Exception[];
}

/**
 * The event's own tags (object or [key, value] list) followed by the ones Sentry derives from
 * the event (https://docs.sentry.io/concepts/key-terms/enrich-data/#tags): a derived tag
 * replaces an event tag of the same key. Tags Sentry would reject are dropped: keys of other than
 * letters, digits and `_.:-`, and keys or values over 200 characters or holding a newline.
 */
function eventTags(value: unknown, from: DerivedTagSources): Array<[string, string]> {
  const tags = new Map<string, string>();
  for (const [key, tagValue] of rawTagPairs(value)) if (validTag(key, tagValue)) tags.set(key, tagValue);
  const derived: Array<[string, string | null | undefined]> = [
    ["level", from.level],
    ["logger", from.logger],
    ["release", from.release],
    ["dist", from.dist],
    ["environment", from.environment],
    ["transaction", from.transaction],
    ["server_name", from.serverName],
    ["url", from.url],
    ...contextTags(from.contexts),
    ...mechanismTags(from.exceptions),
    ["user", from.userKey],
  ];
  for (const [key, tagValue] of derived) {
    if (tagValue === undefined || tagValue === null) continue;
    const trimmed = tagValue.trim();
    if (!validTag(key, trimmed)) continue;
    tags.delete(key);
    tags.set(key, trimmed);
  }
  return [...tags];
}

function rawTagPairs(value: unknown): Array<[string, string]> {
  const pairs: Array<[unknown, unknown]> = Array.isArray(value)
    ? value.flatMap((pair): Array<[unknown, unknown]> => (Array.isArray(pair) && pair.length === 2 ? [[pair[0], pair[1]]] : []))
    : Object.entries(asRecord(value) ?? {});
  return pairs.flatMap(([key, tagValue]): Array<[string, string]> => {
    const k = asString(key)?.trim();
    const v = asString(tagValue)?.trim();
    return k === undefined || v === undefined || v === "" ? [] : [[k, v]];
  });
}

const TAG_KEY = /^[a-zA-Z0-9_.:-]+$/;

function validTag(key: string, value: string): boolean {
  return TAG_KEY.test(key) && key.length <= LIMITS.tagKey && value !== "" && value.length <= LIMITS.tagValue && !value.includes("\n");
}

/** browser, os, runtime ("name version" and `.name`) and device tags from their contexts. */
function contextTags(contexts: JsonRecord): Array<[string, string | undefined]> {
  const out: Array<[string, string | undefined]> = [];
  for (const key of ["browser", "os", "runtime"] as const) {
    const context = asRecord(contexts[key]);
    const name = asString(context?.name)?.trim();
    if (name === undefined) continue;
    const version = asString(context?.version)?.trim();
    out.push([key, version ? `${name} ${version}` : name], [`${key}.name`, name]);
  }
  const device = asRecord(contexts.device);
  out.push(["device", asString(device?.model)], ["device.family", asString(device?.family)]);
  return out;
}

/** Sentry tags errors with how they were caught: `handled` (yes/no) and `mechanism`. */
function mechanismTags(exceptions: Exception[]): Array<[string, string | undefined]> {
  const mechanism = asRecord(exceptions[exceptions.length - 1]?.mechanism);
  if (mechanism === undefined) return [];
  const handled = asBoolean(mechanism.handled);
  return [
    ["handled", handled === undefined ? undefined : handled ? "yes" : "no"],
    ["mechanism", asString(mechanism.type)],
  ];
}
