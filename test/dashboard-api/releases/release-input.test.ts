import { describe, expect, it } from "vitest";
import { parseDateTime, versionProblem } from "../../../dashboard/api/releases/release-input";

describe("parseDateTime", () => {
  it("reads ISO 8601 as DRF does: offsets, nanoseconds, no offset as UTC", () => {
    expect(parseDateTime("2026-11-22T12:30:00Z")).toBe(Date.UTC(2026, 10, 22, 12, 30));
    expect(parseDateTime("2026-11-22T12:30:00.123456789Z")).toBe(Date.UTC(2026, 10, 22, 12, 30, 0, 123));
    expect(parseDateTime("2026-11-22T12:30:00-0530")).toBe(Date.UTC(2026, 10, 22, 18, 0));
    expect(parseDateTime("2026-11-22T12:30+01:00")).toBe(Date.UTC(2026, 10, 22, 11, 30));
    expect(parseDateTime("2026-11-22 12:30:00")).toBe(Date.UTC(2026, 10, 22, 12, 30));
    expect(parseDateTime("1970-01-01T00:00:00Z")).toBe(0);
    expect(parseDateTime("2024-02-29T00:00:00Z")).toBe(Date.UTC(2024, 1, 29));
  });

  it("answers null for days that do not exist and times before 1970 or past 9999", () => {
    for (const text of [
      "2025-02-29T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2026-00-10T00:00:00Z",
      "2026-01-01T23:60:00Z",
      "2026-01-01T00:00:61Z",
      "1969-12-31T23:59:59.999Z",
      "1970-01-01T00:00:00+00:01",
      "9999-12-31T23:59:59-01:00",
      "+010000-01-01T00:00:00Z",
      "2026-01-01",
      "2026-01-01T00:00:00+25:00",
      "Sun, 22 Nov 2026 12:30:00 GMT",
      "",
    ])
      expect(parseDateTime(text), text).toBeNull();
  });
});

describe("versionProblem", () => {
  it("allows what Sentry allows and names what it refuses", () => {
    for (const ok of ["1.0", "my-app@1.0.0+build.7", "release 1.0", "a".repeat(200), "latest-1", "..."])
      expect(versionProblem(ok), ok).toBeNull();
    for (const bad of ["", " \t", ".", "..", "Latest", "a/b", "a\\b", "a\u001bb", "a".repeat(201)])
      expect(versionProblem(bad), JSON.stringify(bad)).toEqual(expect.any(String));
  });
});
