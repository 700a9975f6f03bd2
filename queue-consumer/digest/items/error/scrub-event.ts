import type { NormalizedEvent } from "./normalize-event";
import { isRecord, type JsonRecord } from "../../untrusted-json";

/**
 * Server-side data scrubbing, on by default like Sentry's "Data Scrubber"
 * (https://docs.sentry.io/security-legal-pii/scrubbing/server-side-scrubbing/): values under
 * sensitive-looking keys, the Authorization and cookie headers, cookies, and credit card numbers
 * anywhere become "[Filtered]". Run it before fingerprinting, as Sentry does (Relay scrubs before
 * grouping), so the stored grouping components hold no secrets either.
 */
export interface ScrubOptions {
  enabled: boolean;
  /** More key fragments to treat as sensitive (the project's "Additional Sensitive Fields"). */
  extraKeys: string[];
}

export const FILTERED = "[Filtered]";

/**
 * Sentry's default sensitive fields (Relay's PASSWORD_KEY_REGEX in relay-pii, plus the session
 * and CSRF names of Sentry's data scrubber), matched case-insensitively as substrings of a key;
 * "api-key" and "private-key" are the header spellings.
 */
const DEFAULT_KEYS = [
  "password",
  "passwd",
  "secret",
  "api_key",
  "apikey",
  "api-key",
  "auth",
  "credentials",
  "mysql_pwd",
  "privatekey",
  "private_key",
  "private-key",
  "token",
  "session",
  "csrf",
  "xsrf",
];

/** Headers that carry credentials whatever their value looks like. */
const SENSITIVE_HEADERS = new Set(["authorization", "proxy-authorization", "cookie", "set-cookie"]);

export function scrubEvent(data: Record<string, unknown>, options: ScrubOptions): Record<string, unknown> {
  if (!options.enabled) return structuredClone(data);
  // The card pass rebuilds the whole tree, so it goes first and the key passes below change its
  // copy in place: one copy of the event instead of two (scrubbing was 17% of a digest).
  const copy = scrubCardsButNotPersonal(data);
  const scrubber = new Scrubber(options.extraKeys);

  for (const key of ["extra", "contexts", "user"] as const) if (copy[key] !== undefined) copy[key] = scrubber.byKey(copy[key]);
  scrubRequest(copy.request, scrubber);
  for (const crumb of valuesList(copy.breadcrumbs)) if (crumb.data !== undefined) crumb.data = scrubber.byKey(crumb.data);
  for (const frame of allFrames(copy)) if (frame.vars !== undefined) frame.vars = scrubber.byKey(frame.vars);
  return copy;
}

/**
 * Fields Relay's event schema does not count as personal data (no `pii` attribute, so false),
 * which its scrubbing leaves alone: a release or dist such as `app@1.4.2+1705311045127` (a build
 * time that passes the Luhn check) keeps its value, in the field and in its tag alike, as in the
 * release column.
 */
const NOT_PERSONAL = new Set(["release", "dist"]);

/** The card pass over the whole event but those fields and their tags. */
function scrubCardsButNotPersonal(data: Record<string, unknown>): Record<string, unknown> {
  const notPersonalTag = (tag: unknown) => Array.isArray(tag) && NOT_PERSONAL.has(String(tag[0]));
  return mapEntries(data, (key, value) => {
    if (NOT_PERSONAL.has(key)) return value;
    if (key === "tags" && Array.isArray(value)) return value.map((tag) => (notPersonalTag(tag) ? tag : scrubCreditCards(tag)));
    return scrubCreditCards(value);
  });
}

/**
 * The same scrubbing applied to a whole normalized event: its data, and the fields derived from
 * the data (title, message, culprit, tags, user), so no copy of a secret survives outside `data`.
 */
export function scrubNormalizedEvent(event: NormalizedEvent, options: ScrubOptions): NormalizedEvent {
  const data = scrubEvent(event.data, options);
  if (!options.enabled) return { ...event, data };
  const logentry = isRecord(data.logentry) ? data.logentry : undefined;
  return {
    ...event,
    data,
    title: typeof data.title === "string" ? data.title : scrubCreditCardText(event.title),
    culprit: typeof data.culprit === "string" ? data.culprit : scrubCreditCardText(event.culprit),
    message: typeof logentry?.formatted === "string" ? logentry.formatted : event.message,
    tags: Array.isArray(data.tags) ? (data.tags as Array<[string, string]>) : event.tags,
    user: isRecord(data.user) ? data.user : null,
    // The `user` tag's value, scrubbed as the tag is, so that issue_users counts what the tag shows.
    userKey: event.userKey === null ? null : scrubCreditCardText(event.userKey),
  };
}

const DEFAULT_KEYS_PATTERN = keysPattern(DEFAULT_KEYS);

/**
 * One alternation of the (lower-case) fragments, matched anywhere in a lower-cased key: the same
 * as toLowerCase().includes() for each, which a /i flag is not for every Unicode letter.
 */
function keysPattern(fragments: readonly string[]): RegExp {
  return new RegExp(fragments.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"));
}

class Scrubber {
  private readonly keys: RegExp;

  constructor(extraKeys: string[]) {
    const extra = extraKeys.map((k) => k.trim().toLowerCase()).filter((k) => k !== "");
    this.keys = extra.length === 0 ? DEFAULT_KEYS_PATTERN : keysPattern([...DEFAULT_KEYS, ...extra]);
  }

  isSensitiveKey(key: string): boolean {
    return this.keys.test(key.toLowerCase());
  }

  /** Replaces the values of sensitive keys anywhere below `value`. */
  byKey(value: unknown): unknown {
    if (Array.isArray(value)) {
      if (isPairList(value)) return value.map(([k, v]) => [k, this.isSensitiveKey(k) ? filtered(v) : this.byKey(v)]);
      return value.map((item) => this.byKey(item));
    }
    if (!isRecord(value)) return value;
    const out: JsonRecord = {};
    for (const [key, item] of Object.entries(value)) out[key] = this.isSensitiveKey(key) ? filtered(item) : this.byKey(item);
    return out;
  }
}

function filtered(value: unknown): unknown {
  return value === null || value === undefined || value === "" ? value : FILTERED;
}

/** [[name, value], ...]: how headers, cookies and query strings are stored. */
function isPairList(value: unknown[]): value is Array<[string, unknown]> {
  return value.length > 0 && value.every((pair) => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === "string");
}

function scrubRequest(value: unknown, scrubber: Scrubber): void {
  if (!isRecord(value)) return;
  const request = value;
  if (request.data !== undefined) request.data = scrubber.byKey(request.data);
  if (request.env !== undefined) request.env = scrubber.byKey(request.env);
  if (typeof request.query_string === "string") request.query_string = scrubQueryText(request.query_string, scrubber);
  else if (request.query_string !== undefined) request.query_string = scrubber.byKey(request.query_string);
  // Every cookie may be a session: Sentry drops their values, keeping the names.
  if (Array.isArray(request.cookies))
    request.cookies = request.cookies.map((pair) => (Array.isArray(pair) && pair.length === 2 ? [pair[0], filtered(pair[1])] : pair));
  else if (request.cookies !== undefined && request.cookies !== null)
    request.cookies = isRecord(request.cookies) ? mapValues(request.cookies, filtered) : FILTERED;
  if (Array.isArray(request.headers)) {
    request.headers = request.headers.map((pair) => {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string") return pair;
      const name = pair[0];
      return SENSITIVE_HEADERS.has(name.toLowerCase()) || scrubber.isSensitiveKey(name) ? [name, filtered(pair[1])] : pair;
    });
  } else if (isRecord(request.headers)) {
    const headers = request.headers;
    request.headers = mapEntries(headers, (name, v) =>
      SENSITIVE_HEADERS.has(name.toLowerCase()) || scrubber.isSensitiveKey(name) ? filtered(v) : v,
    );
  }
}

function scrubQueryText(query: string, scrubber: Scrubber): string {
  return query
    .split("&")
    .map((part) => {
      const at = part.indexOf("=");
      return at !== -1 && scrubber.isSensitiveKey(part.slice(0, at)) ? `${part.slice(0, at)}=${FILTERED}` : part;
    })
    .join("&");
}

function mapValues(record: JsonRecord, fn: (v: unknown) => unknown): JsonRecord {
  return mapEntries(record, (_k, v) => fn(v));
}

function mapEntries(record: JsonRecord, fn: (k: string, v: unknown) => unknown): JsonRecord {
  const out: JsonRecord = {};
  for (const [k, v] of Object.entries(record)) out[k] = fn(k, v);
  return out;
}

function valuesList(container: unknown): JsonRecord[] {
  const list = isRecord(container) ? container.values : container;
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

/** Frames of every stack trace in the event: exceptions (and their raw traces), threads, the top-level one. */
function allFrames(data: JsonRecord): JsonRecord[] {
  const traces: unknown[] = [data.stacktrace];
  for (const holder of [...valuesList(data.exception), ...valuesList(data.threads)]) traces.push(holder.stacktrace, holder.raw_stacktrace);
  return traces.flatMap((trace) => (isRecord(trace) && Array.isArray(trace.frames) ? trace.frames.filter(isRecord) : []));
}

/** 13 to 19 digits, optionally grouped by single spaces or dashes (the lengths of card numbers). */
const CARD_CANDIDATE = /\b\d(?:[ -]?\d){12,18}\b/g;

export function scrubCreditCardText(text: string): string {
  if (!/\d{4}/.test(text)) return text;
  return text.replace(CARD_CANDIDATE, (match) => (passesLuhn(match.replace(/[ -]/g, "")) ? FILTERED : match));
}

function scrubCreditCards(value: unknown): unknown {
  if (typeof value === "string") return scrubCreditCardText(value);
  if (Array.isArray(value)) return value.map(scrubCreditCards);
  if (!isRecord(value)) return value;
  return mapValues(value, scrubCreditCards);
}

/** The Luhn checksum every payment card number satisfies; it keeps order ids and timestamps out. */
function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
