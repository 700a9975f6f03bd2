import { describe, expect, it } from "vitest";
import { IGNORE_PRESETS, customIgnore, describeIgnore } from "../../dashboard/src/ignore-choices";
import { issueUpdateBody, statusChangeOf } from "../../dashboard/api/issues/issue-status-update";

const NOW = Date.parse("2026-11-22T10:00:00Z");

describe("the ignore menu's choices", () => {
  it("are each a body the API accepts", () => {
    for (const { choices } of IGNORE_PRESETS) {
      for (const { label, details } of choices) {
        expect(() => statusChangeOf(issueUpdateBody.parse({ status: "ignored", statusDetails: details }), NOW), label).not.toThrow();
      }
    }
  });

  it("read a count, a local date and time, or both", () => {
    expect(customIgnore({ count: " 250 ", until: "" }, NOW)).toEqual({ details: { ignoreCount: 250 } });
    const local = "2026-12-01T09:30";
    expect(customIgnore({ count: "", until: local }, NOW)).toEqual({
      details: { ignoreUntil: new Date(2026, 11, 1, 9, 30).toISOString() },
    });
    const both = customIgnore({ count: "5", until: local }, NOW);
    expect(both).toEqual({ details: { ignoreCount: 5, ignoreUntil: new Date(2026, 11, 1, 9, 30).toISOString() } });
    if ("details" in both)
      expect(() => statusChangeOf(issueUpdateBody.parse({ status: "ignored", statusDetails: both.details }), NOW)).not.toThrow();
  });

  it("name the field that is wrong", () => {
    expect(customIgnore({ count: "", until: "" }, NOW)).toMatchObject({ field: "count" });
    expect(customIgnore({ count: "0", until: "" }, NOW)).toMatchObject({ field: "count" });
    expect(customIgnore({ count: "2.5", until: "" }, NOW)).toMatchObject({ field: "count" });
    expect(customIgnore({ count: "1e3", until: "" }, NOW)).toMatchObject({ field: "count" });
    expect(customIgnore({ count: "", until: "next week" }, NOW)).toMatchObject({ field: "until" });
    expect(customIgnore({ count: "", until: "2020-01-01T00:00" }, NOW)).toMatchObject({
      field: "until",
      error: "Choose a time in the future.",
    });
  });

  it("say what an ignored issue waits for", () => {
    const date = (iso: string) => iso.slice(0, 10);
    expect(describeIgnore({}, date)).toBe("forever");
    expect(describeIgnore({ ignoreCount: null, ignoreUntil: null }, date)).toBe("forever");
    expect(describeIgnore({ ignoreUntilEscalating: true }, date)).toBe("until it escalates");
    expect(describeIgnore({ ignoreCount: 1 }, date)).toBe("until 1 more event");
    expect(describeIgnore({ ignoreCount: 1000, ignoreUntil: "2026-12-01T00:00:00.000Z" }, date)).toBe(
      "until 1,000 more events or 2026-12-01",
    );
  });
});
