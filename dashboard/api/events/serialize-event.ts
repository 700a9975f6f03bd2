import type { EventRow } from "./event-queries";
import type { ReleaseRow } from "../issues/issue-queries";
import { serializeRelease } from "../issues/serialize-issue";
import { iso } from "../projects/serialize-project";

/**
 * Events in the shape of Sentry's Web API
 * (https://docs.sentry.io/api/events/retrieve-an-event-for-a-project/): the stored event (Sentry's
 * ingest schema, snake_case) is turned into the API's form, where the interfaces become
 * `entries` ({type, data}) with camelCase fields, as Sentry's interfaces' `get_api_context` give
 * them. Clients find entries by type; the order is Sentry's display order.
 */
type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const record = (v: unknown): Json | undefined => (isRecord(v) ? v : undefined);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const valuesOf = (v: unknown): Json[] =>
  Array.isArray(record(v)?.values) ? ((record(v)!.values as unknown[]).filter(isRecord) as Json[]) : [];
const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/** The list form (Sentry's SimpleEventSerializer): what `GET /issues/{id}/events/` answers. */
export function serializeEventSummary(row: EventRow, data: Json) {
  return {
    id: row.eventId,
    "event.type": str(data.type) ?? "error",
    groupID: String(row.issueId),
    eventID: row.eventId,
    projectID: String(row.projectId),
    message: eventMessage(data),
    title: str(data.title) ?? "",
    location: eventLocation(data),
    culprit: str(data.culprit) ?? "",
    user: serializeUser(data.user),
    tags: serializeTags(row.tags),
    platform: str(data.platform),
    dateCreated: iso(row.timestamp),
    crashFile: null,
  };
}

export interface EventContext {
  size: number;
  release: ReleaseRow | null;
  project: { id: number; slug: string; name: string; platform?: string | null };
  neighbors?: { previous: string | null; next: string | null };
}

/** The full form (Sentry's EventSerializer). */
export function serializeEvent(row: EventRow, data: Json, ctx: EventContext) {
  return {
    ...serializeEventSummary(row, data),
    type: str(data.type) ?? "error",
    metadata: record(data.metadata) ?? {},
    dateReceived: iso(row.receivedAt),
    size: ctx.size,
    entries: eventEntries(data),
    contexts: record(data.contexts) ?? {},
    context: record(data.extra) ?? {},
    packages: record(data.modules) ?? {},
    sdk: sdkOf(data.sdk),
    release: ctx.release === null ? null : serializeRelease(ctx.release, ctx.project),
    environment: row.environment,
    dist: str(data.dist),
    errors: serializeEventErrors(data.errors),
    userReport: null,
    sdkUpdates: [],
    previousEventID: ctx.neighbors?.previous ?? null,
    nextEventID: ctx.neighbors?.next ?? null,
  };
}

/**
 * What processing could not do, as Sentry words it (src/sentry/models/eventerror.py): each of the
 * stored event's `errors` as `{type, message, data}`, data being the rest of the entry.
 */
const EVENT_ERROR_MESSAGES: Record<string, string> = {
  js_no_source: "Source code was not found",
  js_invalid_source: "Invalid source map",
  js_invalid_sourcemap_location: "Invalid location in sourcemap",
  js_missing_sources_content: "Missing source contents in source map",
  js_generic_fetch_error: "Unable to fetch resource",
  future_timestamp: "Invalid timestamp (in future)",
  past_timestamp: "Invalid timestamp (too old)",
  invalid_data: "Discarded invalid value",
};

export function serializeEventErrors(errors: unknown) {
  if (!Array.isArray(errors)) return [];
  return errors.filter(isRecord).map(({ type, ...data }) => {
    const name = str(type) ?? "unknown_error";
    return { type: name, message: EVENT_ERROR_MESSAGES[name] ?? "Unknown error", data };
  });
}

/** Sentry's `message`: the logged message's text, empty for an exception without one. */
function eventMessage(data: Json): string {
  return str(record(data.logentry)?.formatted) ?? "";
}

/** Sentry's `location`: the file of the frame the culprit names (the newest in-app frame). */
function eventLocation(data: Json): string | null {
  const exceptions = valuesOf(data.exception);
  const stack = record(exceptions[exceptions.length - 1]?.stacktrace) ?? record(data.stacktrace);
  const frames = Array.isArray(stack?.frames) ? (stack.frames as unknown[]).filter(isRecord) : [];
  for (let i = frames.length - 1; i >= 0; i--) if (frames[i]!.in_app === true) return str(frames[i]!.filename);
  return null;
}

/** Tags as [{key, value}] sorted by key, as Sentry lists them. */
function serializeTags(tags: Array<[string, string]>) {
  return tags
    .filter((t) => Array.isArray(t) && typeof t[0] === "string" && typeof t[1] === "string")
    .map(([key, value]) => ({ key, value }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function serializeUser(value: unknown) {
  const user = record(value);
  if (user === undefined) return null;
  return {
    id: str(user.id),
    email: str(user.email),
    username: str(user.username),
    ip_address: str(user.ip_address),
    name: str(user.name),
    geo: record(user.geo) ?? null,
    data: record(user.data) ?? null,
  };
}

function sdkOf(value: unknown) {
  const sdk = record(value);
  return sdk === undefined ? null : { name: str(sdk.name), version: str(sdk.version) };
}

export function eventEntries(data: Json): Array<{ type: string; data: unknown }> {
  const entries: Array<{ type: string; data: unknown }> = [];
  const logentry = record(data.logentry);
  if (logentry !== undefined) {
    entries.push({
      type: "message",
      data: { formatted: str(logentry.formatted), message: str(logentry.message), params: orNull(logentry.params) },
    });
  }
  const exceptions = valuesOf(data.exception);
  if (exceptions.length > 0) {
    const stacks = exceptions.map((e) => record(e.stacktrace)).filter((s): s is Json => s !== undefined);
    entries.push({
      type: "exception",
      data: { values: exceptions.map(serializeException), excOmitted: null, hasSystemFrames: stacks.some(hasSystemFrames) },
    });
  }
  const stacktrace = record(data.stacktrace);
  if (stacktrace !== undefined) entries.push({ type: "stacktrace", data: serializeStacktrace(stacktrace) });
  const threads = valuesOf(data.threads);
  if (threads.length > 0) entries.push({ type: "threads", data: { values: threads.map(serializeThread) } });
  const breadcrumbs = valuesOf(data.breadcrumbs);
  if (breadcrumbs.length > 0) entries.push({ type: "breadcrumbs", data: { values: breadcrumbs.map(serializeBreadcrumb) } });
  const request = record(data.request);
  if (request !== undefined) entries.push({ type: "request", data: serializeRequest(request) });
  const template = record(data.template);
  if (template !== undefined) entries.push({ type: "template", data: template });
  const debugMeta = record(data.debug_meta);
  if (debugMeta !== undefined)
    entries.push({
      type: "debugmeta",
      data: { images: Array.isArray(debugMeta.images) ? debugMeta.images : [], sdk_info: orNull(debugMeta.sdk_info) },
    });
  return entries;
}

function serializeException(exception: Json) {
  const stacktrace = record(exception.stacktrace);
  const raw = record(exception.raw_stacktrace);
  return {
    type: str(exception.type),
    value: str(exception.value),
    module: str(exception.module),
    threadId: orNull(exception.thread_id),
    // Sentry leaves the mechanism in the ingest schema's snake_case.
    mechanism: record(exception.mechanism) ?? null,
    stacktrace: stacktrace === undefined ? null : serializeStacktrace(stacktrace),
    rawStacktrace: raw === undefined ? null : serializeStacktrace(raw),
  };
}

function serializeThread(thread: Json) {
  const stacktrace = record(thread.stacktrace);
  const raw = record(thread.raw_stacktrace);
  return {
    id: orNull(thread.id),
    name: str(thread.name),
    main: orNull(thread.main),
    crashed: thread.crashed === true,
    current: thread.current === true,
    state: str(thread.state),
    stacktrace: stacktrace === undefined ? null : serializeStacktrace(stacktrace),
    rawStacktrace: raw === undefined ? null : serializeStacktrace(raw),
  };
}

function framesOf(stacktrace: Json): Json[] {
  return Array.isArray(stacktrace.frames) ? (stacktrace.frames as unknown[]).filter(isRecord) : [];
}

/** Whether a stack trace has both the application's frames and others, so "in-app only" hides something. */
function hasSystemFrames(stacktrace: Json): boolean {
  const frames = framesOf(stacktrace);
  return frames.some((f) => f.in_app === true) && frames.some((f) => f.in_app !== true);
}

function serializeStacktrace(stacktrace: Json) {
  return {
    frames: framesOf(stacktrace).map(serializeFrame),
    framesOmitted: orNull(stacktrace.frames_omitted),
    registers: record(stacktrace.registers) ?? null,
    hasSystemFrames: hasSystemFrames(stacktrace),
  };
}

function serializeFrame(frame: Json) {
  const lineNo = typeof frame.lineno === "number" ? frame.lineno : null;
  return {
    filename: str(frame.filename),
    absPath: str(frame.abs_path),
    module: str(frame.module),
    package: str(frame.package),
    platform: str(frame.platform),
    instructionAddr: str(frame.instruction_addr),
    symbolAddr: str(frame.symbol_addr),
    addrMode: str(frame.addr_mode),
    function: str(frame.function),
    rawFunction: str(frame.raw_function),
    symbol: str(frame.symbol),
    context: frameContext(lineNo, frame),
    lineNo,
    colNo: typeof frame.colno === "number" ? frame.colno : null,
    inApp: frame.in_app === true,
    trust: null,
    errors: null,
    lock: null,
    sourceLink: null,
    vars: orNull(frame.vars),
    data: record(frame.data) ?? null,
  };
}

/** Source lines around the frame as [line number, text] pairs, as Sentry's `context`. */
function frameContext(lineNo: number | null, frame: Json): Array<[number, string]> {
  const line = str(frame.context_line);
  if (line === null) return [];
  const at = lineNo ?? 0;
  const lines = (v: unknown) => (Array.isArray(v) ? v.map((l) => (typeof l === "string" ? l : "")) : []);
  const pre = lines(frame.pre_context);
  const post = lines(frame.post_context);
  return [
    ...pre.map((text, i): [number, string] => [at - pre.length + i, text]),
    [at, line],
    ...post.map((text, i): [number, string] => [at + 1 + i, text]),
  ];
}

/** Breadcrumb times are seconds in the event; Sentry's API gives ISO 8601 with microseconds. */
function serializeBreadcrumb(crumb: Json) {
  return {
    type: str(crumb.type) ?? "default",
    category: str(crumb.category),
    level: str(crumb.level) ?? "info",
    message: str(crumb.message),
    data: orNull(crumb.data),
    event_id: str(crumb.event_id),
    timestamp: isoMicros(crumb.timestamp),
  };
}

/** Seconds as ISO 8601 with microseconds; null for what is not a time iso() can write. */
export function isoMicros(seconds: unknown): string | null {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return null;
  const whole = Math.floor(seconds);
  const micros = Math.round((seconds - whole) * 1e6);
  const carry = micros === 1_000_000 ? 1 : 0;
  const base = iso((whole + carry) * 1000);
  return base === null ? null : `${base.slice(0, 19)}.${String(carry ? 0 : micros).padStart(6, "0")}Z`;
}

function serializeRequest(request: Json) {
  return {
    url: str(request.url),
    method: str(request.method),
    query: orNull(request.query_string) ?? [],
    fragment: str(request.fragment),
    data: orNull(request.data),
    headers: orNull(request.headers) ?? [],
    cookies: orNull(request.cookies) ?? [],
    env: record(request.env) ?? null,
    inferredContentType: str(request.inferred_content_type),
    apiTarget: str(request.api_target),
  };
}
