import { asNumber } from "./untrusted-json";

/**
 * A time a client sent, as the digest stores it: seconds since the epoch, with fractions.
 *
 * Sentry takes a number of seconds or an RFC 3339 string, UTC when it names no zone
 * (https://develop.sentry.dev/sdk/data-model/event-payloads/#required-attributes). Relay refuses
 * a time past the year 9999 ("timestamp out of range", relay-event-schema protocol/types.rs) and
 * one before 1970 ("timestamp is too stale", relay-event-normalization timestamp.rs), so every
 * time kept here is one JavaScript's Date can format. Milliseconds sent where seconds belong fall
 * past 9999 and are refused, as Relay refuses them, not guessed at. Numeric strings are read as
 * seconds, as the digest always has.
 *
 * Answers the seconds, undefined when nothing was sent, or why the value is not kept.
 */
export function normalizeTimestamp(value: unknown): number | RefusedTimestamp | undefined {
  if (value === undefined || value === null) return undefined;
  const seconds = asNumber(value) ?? (typeof value === "string" ? rfc3339Seconds(value.trim()) : undefined);
  if (seconds === undefined) return NOT_A_TIMESTAMP;
  if (!(seconds < END_OF_9999)) return OUT_OF_RANGE;
  if (seconds < 0) return TOO_STALE;
  return seconds;
}

export interface RefusedTimestamp {
  reason: "not a timestamp" | "timestamp out of range" | "timestamp is too stale";
}

const NOT_A_TIMESTAMP: RefusedTimestamp = { reason: "not a timestamp" };
const OUT_OF_RANGE: RefusedTimestamp = { reason: "timestamp out of range" };
const TOO_STALE: RefusedTimestamp = { reason: "timestamp is too stale" };

/** 10000-01-01T00:00:00Z: the first second Relay refuses. */
const END_OF_9999 = 253_402_300_800;

// Date and time, a fraction of any length, and an optional zone; six-digit signed years as
// JavaScript writes them, so that such a time is refused as out of range rather than unread.
const RFC3339 = /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$/;

function rfc3339Seconds(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  // Date may not hold a year past 9999 at all; it is refused either way.
  if (year >= 10_000) return Number.POSITIVE_INFINITY;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  // A day the month does not have (February 30th) rolls over: that is not the time sent.
  if (date.getUTCDate() !== day) return undefined;
  date.setUTCHours(hour, minute, second);
  return date.getTime() / 1000 + Number(`0${m[7] ?? ""}`) - zoneSeconds(m[8]);
}

function zoneSeconds(zone: string | undefined): number {
  if (zone === undefined || zone.toUpperCase() === "Z") return 0;
  const digits = zone.replace(":", "");
  const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
  return (digits[0] === "-" ? -1 : 1) * minutes * 60;
}
