import { describe, expect, it } from "vitest";
import { authorizeKey, originAllowed, requestOrigin } from "../../worker/authorize-key";
import type { ProjectKey } from "../../worker/lookup-project-key";
import { RefusedError } from "../../worker/refusal";

const key: ProjectKey = { id: 1, projectId: 7, publicKey: "k", enabled: true, rateLimitPerMinute: null, allowedOrigins: [] };

function reasonOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof RefusedError) return e.refusal.reason;
    throw e;
  }
  return "accepted";
}

describe("authorizeKey", () => {
  it("accepts an enabled key of the project", () => {
    expect(authorizeKey(key, 7, "https://anything.example")).toBe(key);
  });
  it("names each refusal", () => {
    expect(reasonOf(() => authorizeKey(null, 7, null))).toBe("unknown_key");
    expect(reasonOf(() => authorizeKey({ ...key, enabled: false }, 7, null))).toBe("key_disabled");
    expect(reasonOf(() => authorizeKey(key, 8, null))).toBe("project_mismatch");
    expect(reasonOf(() => authorizeKey({ ...key, allowedOrigins: ["https://a.example"] }, 7, "https://b.example"))).toBe(
      "origin_not_allowed",
    );
  });
});

describe("originAllowed", () => {
  const cases: Array<[string, string[], boolean]> = [
    ["https://app.example.com", ["*"], true],
    ["https://app.example.com", ["https://app.example.com"], true],
    ["http://app.example.com", ["https://app.example.com"], false],
    ["https://app.example.com", ["app.example.com"], true],
    ["https://app.example.com", ["*.example.com"], true],
    ["https://example.com", ["*.example.com"], true],
    ["https://badexample.com", ["*.example.com"], false],
    ["https://example.com.evil.net", ["example.com"], false],
    ["http://localhost:3000", ["localhost:3000"], true],
    ["http://localhost:3001", ["localhost:3000"], false],
    ["not an origin", ["*.example.com"], false],
  ];
  for (const [origin, patterns, expected] of cases) {
    it(`${origin} against ${patterns.join(",")} is ${expected ? "allowed" : "refused"}`, () => {
      expect(originAllowed(origin, patterns)).toBe(expected);
    });
  }
});

describe("requestOrigin", () => {
  it("prefers Origin, falls back to the Referer's origin, ignores 'null'", () => {
    expect(requestOrigin("https://a.example", "https://b.example/x")).toBe("https://a.example");
    expect(requestOrigin(null, "https://b.example/x?y")).toBe("https://b.example");
    expect(requestOrigin("null", null)).toBeNull();
    expect(requestOrigin(null, "garbage")).toBeNull();
  });
});
