import { ATTACHMENT_TYPES, FORM_FIELDS_ITEM, MINIDUMP_EVENT_MAX_BYTES } from "../../../../protocol/attachment-types";
import { decodeMsgpack, decodeMsgpackSequence } from "../../../../protocol/decode-msgpack";
import { nameCrash, osContext } from "./name-minidump-crash";
import type { EnvelopeItem } from "../../../../protocol/parse-envelope";
import { type MinidumpCrash, readMinidump } from "./read-minidump";
import { LIMITS } from "../../trim-event-data";
import { normalizeTimestamp } from "../../normalize-timestamp";
import { isRecord, valuesOf, type JsonRecord } from "../../untrusted-json";

/**
 * The event of a minidump envelope, built as Relay builds it before symbolication
 * (https://develop.sentry.dev/sdk/data-model/envelope-items/#attachment, attachment types
 * event.minidump, event.payload, event.breadcrumbs): the SDK's msgpack event, its breadcrumb
 * files, the upload's form fields, and a placeholder exception named from the minidump's crash.
 * Nothing here throws on what the client sent: a part that cannot be read is left out, and a
 * minidump that cannot be read still gives its placeholder. The stack trace would take
 * symbolication, which we do not do: the event shows the crash reason, the minidump is kept.
 */
export function minidumpAttachment(items: EnvelopeItem[]): EnvelopeItem | undefined {
  return items.find((item) => attachmentType(item) === ATTACHMENT_TYPES.minidump);
}

/**
 * The items eventFromMinidumpEnvelope reads into the event: the scope event, the breadcrumb
 * files and the form fields. Once they are in the event, which is scrubbed, they are not kept
 * beside it unscrubbed (Relay takes them out of the envelope too).
 */
export function mergedIntoMinidumpEvent(item: EnvelopeItem): boolean {
  const type = attachmentType(item);
  return type === ATTACHMENT_TYPES.eventPayload || type === ATTACHMENT_TYPES.breadcrumbs || item.type === FORM_FIELDS_ITEM;
}

/** For an envelope with a minidump and no event item. */
export function eventFromMinidumpEnvelope(items: EnvelopeItem[], minidump: Uint8Array): JsonRecord {
  const event = attachedEvent(items.find((item) => attachmentType(item) === ATTACHMENT_TYPES.eventPayload));
  // Relay uses the breadcrumb files instead of the event's own, when they hold any.
  const breadcrumbs = breadcrumbsFromFiles(
    items.filter((item) => attachmentType(item) === ATTACHMENT_TYPES.breadcrumbs).map((item) => item.payload),
  );
  if (breadcrumbs.length > 0) event.breadcrumbs = { values: breadcrumbs };
  for (const item of items) if (item.type === FORM_FIELDS_ITEM) mergeFormFields(event, item.payload);
  return addMinidumpCrash(event, minidump);
}

/**
 * What the minidump tells an event (Relay's native placeholder): platform native, level fatal
 * unless the SDK chose one, the minidump's time, the OS and the SDK when the event names none,
 * and the crash as its exception when it has none.
 */
export function addMinidumpCrash<T>(event: T, minidump: Uint8Array): T | JsonRecord {
  if (!isRecord(event)) return event;
  const crash = readMinidump(minidump);
  const out: JsonRecord = { ...event, platform: "native" };
  if (out.level === undefined || out.level === null) out.level = "fatal";
  // The time of the crash, not of the upload: crashpad may send it days later.
  if (crash?.writtenAt) out.timestamp = crash.writtenAt;
  if (crash !== null && !isRecord(out.sdk)) out.sdk = { name: `minidump.${crash.writer ?? "unknown"}`, version: "0.0.0" };
  const contexts = isRecord(out.contexts) ? out.contexts : {};
  const os = crash?.system ? osContext(crash.system) : null;
  if (os !== null && !isRecord(contexts.os)) out.contexts = { ...contexts, os };
  if (valuesOf(out.exception).length === 0) out.exception = { values: [crashException(crash)] };
  return out;
}

function crashException(crash: MinidumpCrash | null): JsonRecord {
  // https://develop.sentry.dev/sdk/data-model/event-payloads/exception/#exception-mechanism
  const mechanism: JsonRecord = { type: "minidump", handled: false, synthetic: true };
  if (crash === null) return { type: "Minidump", value: "Invalid Minidump", mechanism };
  if (crash.exception === null) return { type: "Minidump", value: "Minidump without an exception stream", mechanism };
  const name = nameCrash(crash.exception, crash.system);
  if (name.meta !== null) mechanism.meta = name.meta;
  mechanism.data = { crash_address: `0x${crash.exception.address.toString(16).padStart(16, "0")}` };
  return {
    type: name.type,
    value: `Fatal Error: ${name.detail === null ? name.type : `${name.type} / ${name.detail}`}`,
    thread_id: crash.exception.threadId,
    mechanism,
  };
}

function attachmentType(item: EnvelopeItem): unknown {
  return item.type === "attachment" ? item.header.attachment_type : undefined;
}

/** Sentry's largest event; an attached one past it is not read, as Relay refuses it. */
const MAX_ATTACHED_BYTES = MINIDUMP_EVENT_MAX_BYTES;
const BREADCRUMBS_PER_FILE_MAX = 500;

function attachedEvent(item: EnvelopeItem | undefined): JsonRecord {
  if (item === undefined || item.payload.byteLength > MAX_ATTACHED_BYTES) return {};
  try {
    const event = decodeMsgpack(item.payload);
    return isRecord(event) ? event : {};
  } catch {
    return {};
  }
}

/**
 * sentry-native writes breadcrumbs to one file until it holds max_breadcrumbs, then starts the
 * other afresh, so the two files together hold the newest ones. Both are read (a write the crash
 * cut short ends its file), ordered by time, and the newest kept: as many as the fuller file holds
 * (the SDK's max_breadcrumbs, as Relay keeps) and at most Sentry's 100.
 */
function breadcrumbsFromFiles(files: Uint8Array[]): JsonRecord[] {
  // No more than a file can hold when the SDK writes it (max_breadcrumbs, at most a few hundred).
  const lists = files
    .filter((f) => f.byteLength <= MAX_ATTACHED_BYTES)
    .map((f) => decodeMsgpackSequence(f, BREADCRUMBS_PER_FILE_MAX).values.filter(isRecord));
  const keep = Math.min(LIMITS.breadcrumbs, Math.max(0, ...lists.map((l) => l.length)));
  // The file with the older last breadcrumb came first.
  lists.sort((a, b) => compare(lastTime(a), lastTime(b)));
  // A breadcrumb without a time keeps its place after the one before it.
  let previous = Number.NEGATIVE_INFINITY;
  const timed = lists.flat().map((crumb) => {
    const time = normalizeTimestamp(crumb.timestamp);
    if (typeof time === "number") previous = time;
    return { crumb, time: previous };
  });
  timed.sort((a, b) => compare(a.time, b.time));
  return timed.slice(timed.length - keep).map((t) => t.crumb);
}

function lastTime(crumbs: JsonRecord[]): number {
  for (let i = crumbs.length - 1; i >= 0; i--) {
    const time = normalizeTimestamp(crumbs[i]!.timestamp);
    if (typeof time === "number") return time;
  }
  return Number.NEGATIVE_INFINITY;
}

function compare(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The upload's plain form fields, as Relay merges them: `sentry` holds event JSON,
 * `sentry[key][key]` one nested value (what Breakpad and crashpad clients can send as
 * annotations), and any other field goes to `extra`. The SDK's event wins where both say something.
 */
function mergeFormFields(event: JsonRecord, payload: Uint8Array): void {
  let fields: unknown;
  try {
    fields = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return;
  }
  if (!Array.isArray(fields)) return;
  for (const field of fields) {
    if (!Array.isArray(field) || typeof field[0] !== "string" || typeof field[1] !== "string") continue;
    const [name, value] = field as [string, string];
    if (name === "sentry") {
      for (const [key, v] of Object.entries(parseObject(value))) if (event[key] === undefined && !UNSAFE_KEYS.has(key)) event[key] = v;
    } else if (name.startsWith("sentry[")) {
      const path = sentryFieldPath(name);
      if (path !== null) setIfAbsent(event, path, value);
    } else {
      setIfAbsent(event, ["extra", name], value);
    }
  }
}

// Keys that would reach an object's prototype rather than set a value on it.
const UNSAFE_KEYS = new Set(["__proto__", "constructor", "prototype"]);
const MAX_FIELD_DEPTH = 8;

/** `sentry[tags][build]` to ["tags", "build"]; null for anything else. */
function sentryFieldPath(name: string): string[] | null {
  if (!/^sentry(\[[^[\]]+\])+$/.test(name)) return null;
  const path = [...name.matchAll(/\[([^[\]]+)\]/g)].map((m) => m[1]!);
  return path.length > MAX_FIELD_DEPTH || path.some((key) => UNSAFE_KEYS.has(key)) ? null : path;
}

function setIfAbsent(target: JsonRecord, path: string[], value: string): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (node[key] === undefined || node[key] === null) node[key] = {};
    const next = node[key];
    if (!isRecord(next)) return;
    node = next;
  }
  const last = path[path.length - 1]!;
  if (!UNSAFE_KEYS.has(last) && (node[last] === undefined || node[last] === null)) node[last] = value;
}

function parseObject(text: string): JsonRecord {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : {};
  } catch {
    return {};
  }
}
