import { describe, expect, it } from "vitest";
import { ApiError } from "../../../dashboard/api/api-error";
import { parseIssueSearch } from "../../../dashboard/api/issues/parse-issue-search";

const all = new Set(["unresolved", "resolved", "ignored"]);

describe("parseIssueSearch", () => {
  it("reads nothing from an empty query: every status, no filter", () => {
    expect(parseIssueSearch("")).toEqual({ statuses: all, assignees: [], levels: [], firstReleases: [], tags: [], text: null });
    expect(parseIssueSearch("   ")).toEqual({ statuses: all, assignees: [], levels: [], firstReleases: [], tags: [], text: null });
  });

  it("narrows statuses with is:, lists and negation", () => {
    expect(parseIssueSearch("is:unresolved").statuses).toEqual(new Set(["unresolved"]));
    expect(parseIssueSearch("is:Resolved").statuses).toEqual(new Set(["resolved"]));
    expect(parseIssueSearch("!is:ignored").statuses).toEqual(new Set(["unresolved", "resolved"]));
    expect(parseIssueSearch("is:[resolved,archived]").statuses).toEqual(new Set(["resolved", "ignored"]));
    expect(parseIssueSearch("is:resolved !is:resolved").statuses).toEqual(new Set());
  });

  it("reads assignee filters: assigned:me, a member, none, lists and negation; is:assigned and is:unassigned", () => {
    expect(parseIssueSearch("assigned:me").assignees).toEqual([{ values: [{ kind: "me" }], negated: false }]);
    expect(parseIssueSearch("!assigned:[Me, jo@example.com, user:7, none]").assignees).toEqual([
      {
        values: [{ kind: "me" }, { kind: "member", ref: "jo@example.com" }, { kind: "member", ref: "user:7" }, { kind: "none" }],
        negated: true,
      },
    ]);
    // Assigned is "not to nobody"; unassigned "to nobody".
    expect(parseIssueSearch("is:assigned").assignees).toEqual([{ values: [{ kind: "none" }], negated: true }]);
    expect(parseIssueSearch("is:Unassigned").assignees).toEqual([{ values: [{ kind: "none" }], negated: false }]);
    expect(parseIssueSearch("!is:assigned").assignees).toEqual([{ values: [{ kind: "none" }], negated: false }]);
    expect(parseIssueSearch("is:[assigned,unassigned]").assignees).toEqual([{ values: [], negated: true }]);
    // A status beside them stays a status.
    const both = parseIssueSearch("is:unresolved is:assigned");
    expect([both.statuses, both.assignees.length]).toEqual([new Set(["unresolved"]), 1]);
  });

  it("reads levels (lower-cased), tags with quoted and listed values, and negations", () => {
    const search = parseIssueSearch('level:ERROR release:"my app@1.0 beta" !environment:[staging, "dev box"] url:https://x.test/a');
    expect(search.levels).toEqual([{ values: ["error"], negated: false }]);
    expect(search.tags).toEqual([
      { key: "release", values: ["my app@1.0 beta"], negated: false },
      { key: "environment", values: ["staging", "dev box"], negated: true },
      { key: "url", values: ["https://x.test/a"], negated: false },
    ]);
    expect(search.text).toBeNull();
  });

  it("reads firstRelease: (Sentry's key, and first-release:) apart from the release tag", () => {
    const search = parseIssueSearch('firstRelease:"shop@1.0 rc" !first-release:[1.1, 1.2] release:2.0');
    expect(search.firstReleases).toEqual([
      { values: ["shop@1.0 rc"], negated: false },
      { values: ["1.1", "1.2"], negated: true },
    ]);
    expect(search.tags).toEqual([{ key: "release", values: ["2.0"], negated: false }]);
  });

  it("joins free text into one phrase, quoted or not, keeping 'Type:' words as text", () => {
    expect(parseIssueSearch('TypeError: Cannot "read properties" is:unresolved of').text).toBe("TypeError: Cannot read properties of");
    expect(parseIssueSearch('"say \\"hi\\""').text).toBe('say "hi"');
    expect(parseIssueSearch('"unterminated phrase').text).toBe("unterminated phrase");
    expect(parseIssueSearch('release:"a \\" quote"').tags[0]?.values).toEqual(['a " quote']);
  });

  it.each([
    ["is:bookmarked", "query: is:bookmarked is not supported (use unresolved, resolved, ignored, assigned or unassigned)"],
    ["is:[unresolved,assigned]", "query: is:[...] cannot list a status with assigned or unassigned; give them separately"],
    ["level:[]", "query: level: needs a value"],
    ['release:""', "query: release: needs a value"],
    [`browser:[${Array.from({ length: 21 }, (_, i) => `v${i}`).join(",")}]`, "query: browser: at most 20 values"],
    ["x".repeat(1001), "query: longer than 1000 characters"],
  ])("refuses %s", (query, detail) => {
    let error: unknown;
    try {
      parseIssueSearch(query);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, detail });
  });
});
