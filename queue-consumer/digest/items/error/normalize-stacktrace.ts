import {
  asBoolean,
  asLenientString,
  asNumber,
  asRecord,
  asString,
  isRecord,
  pickDefined,
  valuesOf,
  type JsonRecord,
} from "../../untrusted-json";
import { BAG, LIMITS, trimDatabag, truncate } from "../../trim-event-data";

/**
 * Stack traces, exceptions and threads
 * (https://develop.sentry.dev/sdk/data-model/event-payloads/stacktrace/,
 * .../exception/, .../threads/). Frames stay oldest first, the order SDKs send them: the last
 * frame is where the error happened.
 */
export type Frame = JsonRecord;
export interface Stacktrace {
  frames: Frame[];
  frames_omitted?: [number, number];
  registers?: JsonRecord;
}

export function normalizeStacktrace(value: unknown): Stacktrace | undefined {
  const raw = Array.isArray(value) ? { frames: value } : asRecord(value);
  if (raw === undefined || !Array.isArray(raw.frames)) return undefined;
  let frames = raw.frames.filter(isRecord).map(normalizeFrame);
  if (frames.length === 0) return undefined;
  let omitted: [number, number] | undefined;
  if (frames.length > LIMITS.frames) {
    // Relay keeps only the newest 250; we keep both ends, so the entry point (how the code was
    // reached) survives along with where it failed. The gap is recorded like `frames_omitted`.
    const head = Math.floor(LIMITS.frames / 2);
    const tail = LIMITS.frames - head;
    omitted = [head, frames.length - tail];
    frames = [...frames.slice(0, head), ...frames.slice(frames.length - tail)];
  }
  slimFrameData(frames);
  const out: Stacktrace = { frames };
  if (omitted) out.frames_omitted = omitted;
  const registers = asRecord(raw.registers);
  if (registers) out.registers = registers;
  return out;
}

const URL_PATH = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/[^?#]*)/i;

function normalizeFrame(raw: JsonRecord): Frame {
  let absPath = asString(raw.abs_path);
  let filename = asString(raw.filename);
  // Relay fills abs_path from filename and, for URLs, makes the filename the URL's path.
  if (absPath === undefined && filename !== undefined) absPath = filename;
  if (absPath !== undefined && (filename === undefined || filename === absPath)) {
    filename = URL_PATH.exec(absPath)?.[1] ?? absPath;
  }
  const vars = isRecord(raw.vars) || Array.isArray(raw.vars) ? trimDatabag(raw.vars, BAG.medium) : undefined;
  return pickDefined([
    ["filename", filename === undefined ? undefined : truncate(filename, LIMITS.path)],
    ["abs_path", absPath === undefined ? undefined : truncate(absPath, LIMITS.path)],
    ["module", shortString(raw.module, LIMITS.symbol)],
    ["package", shortString(raw.package, LIMITS.path)],
    ["function", shortString(raw.function, LIMITS.symbol)],
    ["raw_function", shortString(raw.raw_function, LIMITS.symbol)],
    ["symbol", shortString(raw.symbol, LIMITS.symbol)],
    ["platform", asString(raw.platform)],
    ["lineno", wholeNumber(raw.lineno)],
    ["colno", wholeNumber(raw.colno)],
    ["in_app", asBoolean(raw.in_app) ?? false],
    ["pre_context", contextLines(raw.pre_context)],
    ["context_line", typeof raw.context_line === "string" ? truncate(raw.context_line, LIMITS.message) : undefined],
    ["post_context", contextLines(raw.post_context)],
    ["vars", vars],
    ["data", isRecord(raw.data) ? trimDatabag(raw.data, BAG.medium) : undefined],
    ["instruction_addr", asString(raw.instruction_addr)],
    ["symbol_addr", asString(raw.symbol_addr)],
    ["image_addr", asString(raw.image_addr)],
    ["addr_mode", asString(raw.addr_mode)],
  ]);
}

function shortString(value: unknown, max: number): string | undefined {
  const s = asString(value);
  return s === undefined ? undefined : truncate(s, max);
}

function wholeNumber(value: unknown): number | undefined {
  const n = asNumber(value);
  return n === undefined || n < 0 ? undefined : Math.trunc(n);
}

function contextLines(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((line) => (typeof line === "string" ? truncate(line, LIMITS.message) : ""));
}

/**
 * Relay's slim_frame_data: in a long trace only the outer frames keep their vars and source
 * context, so a deep recursion does not multiply the event's size.
 */
function slimFrameData(frames: Frame[]): void {
  if (frames.length <= LIMITS.framesWithData) return;
  const keep = LIMITS.framesWithData / 2;
  for (let i = keep; i < frames.length - keep; i++) {
    const frame = frames[i]!;
    delete frame.vars;
    delete frame.pre_context;
    delete frame.post_context;
  }
}

export type Exception = JsonRecord & { stacktrace?: Stacktrace };
export type Thread = JsonRecord & { stacktrace?: Stacktrace };

/** Relay splits a legacy `value` of "Type: message" when no type was sent. */
const TYPE_AND_VALUE = /^(\w+):(.*)$/s;

export function normalizeExceptions(value: unknown): Exception[] {
  const out: Exception[] = [];
  for (const raw of valuesOf(value)) {
    let type = asString(raw.type);
    let text = asLenientString(raw.value);
    if (type === undefined && text !== undefined) {
      const split = TYPE_AND_VALUE.exec(text);
      if (split) {
        type = split[1];
        text = split[2]!.trim();
      }
    }
    // An exception needs a type or a value (Relay drops it otherwise).
    if (type === undefined && (text === undefined || text === "")) continue;
    out.push(
      pickDefined([
        ["type", type === undefined ? undefined : truncate(type, LIMITS.symbol)],
        ["value", text === undefined ? undefined : truncate(text, LIMITS.message)],
        ["module", asString(raw.module)],
        ["thread_id", threadId(raw.thread_id)],
        ["mechanism", normalizeMechanism(raw.mechanism)],
        ["stacktrace", normalizeStacktrace(raw.stacktrace)],
        ["raw_stacktrace", normalizeStacktrace(raw.raw_stacktrace)],
      ]) as Exception,
    );
  }
  return out;
}

function normalizeMechanism(value: unknown): JsonRecord | undefined {
  // Legacy SDKs sent the mechanism as a bare type string.
  if (typeof value === "string") return { type: value };
  const raw = asRecord(value);
  if (raw === undefined) return undefined;
  return pickDefined([
    // "generic" is the documented default type.
    ["type", asString(raw.type) ?? "generic"],
    ["handled", asBoolean(raw.handled)],
    ["synthetic", asBoolean(raw.synthetic)],
    ["description", asString(raw.description)],
    ["help_link", asString(raw.help_link)],
    ["source", asString(raw.source)],
    ["exception_id", asNumber(raw.exception_id)],
    ["parent_id", asNumber(raw.parent_id)],
    ["is_exception_group", asBoolean(raw.is_exception_group)],
    ["data", isRecord(raw.data) ? trimDatabag(raw.data, BAG.medium) : undefined],
    ["meta", asRecord(raw.meta)],
  ]);
}

function threadId(value: unknown): string | number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  return asString(value);
}

export function normalizeThreads(value: unknown): Thread[] {
  return valuesOf(value).map(
    (raw) =>
      pickDefined([
        ["id", threadId(raw.id)],
        ["name", asString(raw.name)],
        ["crashed", asBoolean(raw.crashed)],
        ["current", asBoolean(raw.current)],
        ["main", asBoolean(raw.main)],
        ["state", asString(raw.state)],
        ["stacktrace", normalizeStacktrace(raw.stacktrace)],
        ["raw_stacktrace", normalizeStacktrace(raw.raw_stacktrace)],
      ]) as Thread,
  );
}

/**
 * An exception sent without a stack trace takes its thread's: the one its `thread_id` names, or,
 * for the outermost exception, the crashed thread, else the current one, else the only one
 * (https://develop.sentry.dev/sdk/data-model/event-payloads/threads/).
 */
export function attachThreadStacktraces(exceptions: Exception[], threads: Thread[]): void {
  const withStack = threads.filter((t) => t.stacktrace !== undefined);
  if (withStack.length === 0) return;
  exceptions.forEach((exception, index) => {
    if (exception.stacktrace !== undefined) return;
    let thread =
      exception.thread_id === undefined
        ? undefined
        : withStack.find((t) => t.id !== undefined && String(t.id) === String(exception.thread_id));
    if (thread === undefined && index === exceptions.length - 1) {
      thread =
        withStack.find((t) => t.crashed === true) ??
        withStack.find((t) => t.current === true) ??
        (withStack.length === 1 ? withStack[0] : undefined);
    }
    if (thread?.stacktrace) exception.stacktrace = structuredClone(thread.stacktrace);
  });
}

/** The stack trace the event's culprit and title come from: the outermost exception's, else the legacy top-level one, else the crashed/current thread's. */
export function primaryStacktrace(exceptions: Exception[], stacktrace: Stacktrace | undefined, threads: Thread[]): Stacktrace | undefined {
  for (let i = exceptions.length - 1; i >= 0; i--) {
    const frames = exceptions[i]!.stacktrace;
    if (frames) return frames;
  }
  if (stacktrace) return stacktrace;
  const withStack = threads.filter((t) => t.stacktrace !== undefined);
  const thread =
    withStack.find((t) => t.crashed === true) ??
    withStack.find((t) => t.current === true) ??
    (withStack.length === 1 ? withStack[0] : undefined);
  return thread?.stacktrace;
}
