import { fingerprintFrame, type FrameComponent } from "./fingerprint-frame";
import { normalizeMessageForGrouping } from "./parameterize-message";
import { asBoolean, asRecord, asString, isRecord, type JsonRecord } from "../../untrusted-json";

/**
 * Decides which issue an event belongs to, like Sentry's newstyle grouping
 * (https://docs.sentry.io/concepts/data-management/event-grouping/): the client's `fingerprint`
 * first; otherwise the exception chain (types and in-app frames); otherwise the message with its
 * variable parts replaced; otherwise a bare stack trace, or one shared fallback. Unlike Sentry,
 * a message wins over a stack trace attached to it (attach_stacktrace), so messages logged
 * through one helper do not merge. Takes NormalizedEvent.data, ideally
 * after scrubbing, so the stored components hold nothing the scrubber removes.
 */
export interface Grouping {
  /** SHA-256 of the components, 64 lowercase hex. */
  hash: string;
  variant: "custom" | "exception" | "message" | "fallback";
  /** What went into the hash, kept so the dashboard can explain the grouping. */
  components: unknown;
}

export async function fingerprintEvent(data: Record<string, unknown>): Promise<Grouping> {
  const fallback = defaultGrouping(data);
  const fingerprint = clientFingerprint(data);
  if (fingerprint === undefined || fingerprint.every(isDefaultMarker)) {
    return { ...fallback, hash: await sha256Hex(JSON.stringify([fallback.variant, fallback.components])) };
  }
  // https://docs.sentry.io/platforms/javascript/usage/sdk-fingerprinting/: "{{ default }}"
  // stands for the grouping Sentry would have used; other variables read the event.
  const values = fingerprint.map((part) => (isDefaultMarker(part) ? "{{ default }}" : resolveVariable(part, data)));
  const components: JsonRecord = { fingerprint: values };
  if (fingerprint.some(isDefaultMarker)) components.default = { variant: fallback.variant, components: fallback.components };
  return { hash: await sha256Hex(JSON.stringify(["custom", components])), variant: "custom", components };
}

type DefaultGrouping = Omit<Grouping, "hash">;

function defaultGrouping(data: JsonRecord): DefaultGrouping {
  const exception = exceptionGrouping(data);
  if (exception !== undefined) return { variant: "exception", components: exception };
  const message = messageForGrouping(data);
  if (message !== undefined) return { variant: "message", components: { message } };
  // A bare stack trace (legacy top-level, or a thread's) still tells events apart, as Sentry's
  // stacktrace strategy would; with nothing at all, Sentry gives events one shared hash.
  const stack = bareStackGrouping(data);
  if (stack !== undefined) return { variant: "fallback", components: stack };
  return { variant: "fallback", components: { fallback: "no exception or message" } };
}

function bareStackGrouping(data: JsonRecord): JsonRecord | undefined {
  const threads = valuesOf(data.threads).filter((t) => isRecord(t.stacktrace));
  const thread =
    threads.find((t) => t.crashed === true) ?? threads.find((t) => t.current === true) ?? (threads.length === 1 ? threads[0] : undefined);
  const holder = isRecord(data.stacktrace) ? { stacktrace: data.stacktrace } : thread;
  if (holder === undefined) return undefined;
  const platform = asString(data.platform) ?? "other";
  const inApp = stackComponents(holder, platform, true);
  if (inApp.length > 0) return { frames: "in-app", stacktrace: inApp };
  const all = stackComponents(holder, platform, false);
  return all.length > 0 ? { frames: "all", stacktrace: all } : undefined;
}

interface ExceptionComponent {
  type?: string;
  value?: string;
  frames?: FrameComponent[];
}

/**
 * Every exception of the chain counts (cause first, as sent). Only in-app frames count when the
 * chain has any ("in-app" variant); otherwise all frames do ("system"). An exception whose frames
 * contribute nothing is grouped by its type and its value with the variable parts replaced.
 * A synthetic exception's type is made up by the SDK, so it is left out.
 */
function exceptionGrouping(data: JsonRecord): JsonRecord | undefined {
  const exceptions = valuesOf(data.exception);
  if (exceptions.length === 0) return undefined;
  const platform = asString(data.platform) ?? "other";
  const inApp = exceptions.map((e) => stackComponents(e, platform, true));
  const useInApp = inApp.some((frames) => frames.length > 0);
  const frameSets = useInApp ? inApp : exceptions.map((e) => stackComponents(e, platform, false));

  const chain: ExceptionComponent[] = [];
  exceptions.forEach((exception, i) => {
    const component: ExceptionComponent = {};
    const synthetic = asBoolean(asRecord(exception.mechanism)?.synthetic) === true;
    const type = asString(exception.type);
    if (type !== undefined && !synthetic) component.type = type;
    const frames = frameSets[i]!;
    if (frames.length > 0) component.frames = frames;
    else {
      const value = asString(exception.value);
      const normalized = value === undefined ? "" : normalizeMessageForGrouping(value);
      if (normalized !== "") component.value = normalized;
    }
    if (Object.keys(component).length > 0) chain.push(component);
  });
  if (chain.length === 0) return undefined;
  return { frames: useInApp ? "in-app" : "all", exceptions: chain };
}

function stackComponents(exception: JsonRecord, platform: string, inAppOnly: boolean): FrameComponent[] {
  const frames = asRecord(exception.stacktrace)?.frames;
  if (!Array.isArray(frames)) return [];
  const list = frames.filter(isRecord);
  const out: FrameComponent[] = [];
  let previous: JsonRecord | undefined;
  for (const frame of list) {
    const recursive = previous !== undefined && sameCall(frame, previous);
    previous = frame;
    // A recursion adds nothing but depth, which varies; Sentry counts the frame once.
    if (recursive || (inAppOnly && frame.in_app !== true)) continue;
    const component = fingerprintFrame(frame, platform);
    if (component !== null) out.push(component);
  }
  // Sentry ignores a lone JavaScript frame with no function from a URL: too little to go by.
  if (list.length === 1 && out.length === 1 && isLoneUrlFrame(list[0]!, platform)) return [];
  return out;
}

const RECURSION_FIELDS = ["abs_path", "package", "module", "filename", "function", "lineno", "colno"] as const;

function sameCall(a: JsonRecord, b: JsonRecord): boolean {
  return RECURSION_FIELDS.every((field) => a[field] === b[field]);
}

function isLoneUrlFrame(frame: JsonRecord, platform: string): boolean {
  const framePlatform = asString(frame.platform) ?? platform;
  const path = asString(frame.abs_path) ?? "";
  return (
    (framePlatform === "javascript" || framePlatform === "node") && asString(frame.function) === undefined && /^https?:\/\//.test(path)
  );
}

/** The message template when the SDK sent one (its params vary), else the formatted text. */
function messageForGrouping(data: JsonRecord): string | undefined {
  const logentry = asRecord(data.logentry);
  const text = asString(logentry?.message) ?? asString(logentry?.formatted);
  if (text === undefined) return undefined;
  const normalized = normalizeMessageForGrouping(text);
  return normalized === "" ? undefined : normalized;
}

function clientFingerprint(data: JsonRecord): string[] | undefined {
  if (!Array.isArray(data.fingerprint)) return undefined;
  const parts = data.fingerprint.filter((p): p is string => typeof p === "string");
  return parts.length > 0 ? parts : undefined;
}

const VARIABLE = /^\{\{\s*([\w.-]+)\s*\}\}$/;

function isDefaultMarker(part: string): boolean {
  return VARIABLE.exec(part)?.[1] === "default";
}

/**
 * Sentry's fingerprint variables (https://docs.sentry.io/concepts/data-management/event-grouping/fingerprint-rules/#variables):
 * a missing value becomes a "<no-...>" marker, so it still groups consistently.
 */
function resolveVariable(part: string, data: JsonRecord): string {
  const name = VARIABLE.exec(part)?.[1];
  if (name === undefined) return part;
  const outermost = valuesOf(data.exception).at(-1);
  const frame = crashFrame(outermost);
  switch (name) {
    case "transaction":
      return asString(data.transaction) ?? "<no-transaction>";
    case "type":
    case "error.type":
      return asString(outermost?.type) ?? "<no-type>";
    case "value":
    case "error.value":
      return asString(outermost?.value) ?? "<no-value>";
    case "message":
      return asString(asRecord(data.logentry)?.formatted) ?? "<no-message>";
    case "function":
    case "stack.function":
      return asString(frame?.function) ?? "<no-function>";
    case "module":
    case "stack.module":
      return asString(frame?.module) ?? "<no-module>";
    case "stack.abs_path":
      return asString(frame?.abs_path) ?? "<no-abs-path>";
    case "level":
      return asString(data.level) ?? "<no-level>";
    case "logger":
      return asString(data.logger) ?? "<no-logger>";
    default: {
      if (name.startsWith("tags.")) {
        const key = name.slice("tags.".length);
        const tag = Array.isArray(data.tags) ? (data.tags as unknown[]).find((pair) => Array.isArray(pair) && pair[0] === key) : undefined;
        return Array.isArray(tag) && typeof tag[1] === "string" ? tag[1] : `<no-value-for-tag-${key}>`;
      }
      return part;
    }
  }
}

/** The newest in-app frame of an exception, else its newest frame. */
function crashFrame(exception: JsonRecord | undefined): JsonRecord | undefined {
  const frames = asRecord(exception?.stacktrace)?.frames;
  if (!Array.isArray(frames)) return undefined;
  const list = frames.filter(isRecord);
  return list.findLast((f) => f.in_app === true) ?? list.at(-1);
}

function valuesOf(container: unknown): JsonRecord[] {
  const list = isRecord(container) ? container.values : container;
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
