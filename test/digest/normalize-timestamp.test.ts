import { describe, expect, it } from "vitest";
import { normalizeTimestamp } from "../../queue-consumer/digest/normalize-timestamp";

const NOT_A_TIMESTAMP = { reason: "not a timestamp" };
const OUT_OF_RANGE = { reason: "timestamp out of range" };
const TOO_STALE = { reason: "timestamp is too stale" };

describe("normalizeTimestamp", () => {
  it.each([
    ["float seconds", 1795306120.125, 1795306120.125],
    ["whole seconds", 1795306120, 1795306120],
    ["the epoch", 0, 0],
    ["seconds as a string", " 1795306120.5 ", 1795306120.5],
    ["RFC 3339 with Z", "2026-11-22T00:08:40Z", Date.UTC(2026, 10, 22, 0, 8, 40) / 1000],
    ["RFC 3339 with an offset", "2026-11-22T01:08:40+01:00", Date.UTC(2026, 10, 22, 0, 8, 40) / 1000],
    ["an offset without a colon", "2026-11-21T23:08:40-0100", Date.UTC(2026, 10, 22, 0, 8, 40) / 1000],
    ["no zone, read as UTC", "2026-11-22T00:08:40.250", Date.UTC(2026, 10, 22, 0, 8, 40, 250) / 1000],
    ["a space for the T", "2026-11-22 00:08:40Z", Date.UTC(2026, 10, 22, 0, 8, 40) / 1000],
    ["the last second of 9999", "9999-12-31T23:59:59Z", Date.UTC(9999, 11, 31, 23, 59, 59) / 1000],
  ])("keeps %s", (_form, value, seconds) => {
    expect(normalizeTimestamp(value)).toBe(seconds);
  });

  it("keeps the microseconds of a string, which Date alone would cut to milliseconds", () => {
    expect(normalizeTimestamp("2026-11-22T00:56:10.501242Z")).toBeCloseTo(Date.UTC(2026, 10, 22, 0, 56, 10) / 1000 + 0.501242, 6);
  });

  it.each([
    ["1e20", 1e20],
    ["8640000000001 seconds, past Date's last millisecond", 8_640_000_000_001],
    ["milliseconds sent as seconds", 1_795_306_128_453],
    ["the first second of 10000", 253_402_300_800],
    ["1e20 as a string", "1e20"],
    ["past Date's range as a string", "+275760-09-13T00:00:00.001Z"],
    ["the year 10000 as a string", "+010000-01-01T00:00:00Z"],
    ["9999 pushed into 10000 by its offset", "9999-12-31T23:59:59-01:00"],
  ])("refuses %s as out of range", (_form, value) => {
    expect(normalizeTimestamp(value)).toEqual(OUT_OF_RANGE);
  });

  it.each([
    ["a negative number", -1],
    ["a huge negative number", -1e20],
    ["a time before 1970", "1969-12-31T23:59:59Z"],
    ["a negative year", "-000001-01-01T00:00:00Z"],
  ])("refuses %s as too stale", (_form, value) => {
    expect(normalizeTimestamp(value)).toEqual(TOO_STALE);
  });

  it.each([
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["NaN as a string", "NaN"],
    ["Infinity as a string", "Infinity"],
    ["a word", "yesterday"],
    ["an empty string", ""],
    ["a date without a time", "2026-11-22"],
    ["February 30th", "2026-02-30T00:00:00Z"],
    ["the 13th month", "2026-13-01T00:00:00Z"],
    ["hour 24", "2026-11-22T24:00:00Z"],
    ["a boolean", true],
    ["an object", { seconds: 1795306120 }],
    ["a list", [1795306120]],
  ])("refuses %s as not a timestamp", (_form, value) => {
    expect(normalizeTimestamp(value)).toEqual(NOT_A_TIMESTAMP);
  });

  it("answers undefined when nothing was sent", () => {
    expect(normalizeTimestamp(undefined)).toBeUndefined();
    expect(normalizeTimestamp(null)).toBeUndefined();
  });

  it("everything it keeps, Date can format", () => {
    for (const value of [0, 1795306120.999999, 253_402_300_799.999, "9999-12-31T23:59:59.5Z", "1970-01-01T00:00:00Z"]) {
      const seconds = normalizeTimestamp(value);
      expect(typeof seconds).toBe("number");
      expect(() => new Date((seconds as number) * 1000).toISOString()).not.toThrow();
    }
  });
});
