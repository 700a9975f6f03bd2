import { describe, expect, it } from "vitest";
import { safeNextPath, sameOriginPath } from "../../dashboard/src/safe-next";

const ORIGIN = "https://faultline.example.com";

describe("safeNextPath", () => {
  it("keeps a page of the dashboard, with its query and hash", () => {
    expect(safeNextPath("/issues/1/?x=y#z", ORIGIN)).toBe("/issues/1/?x=y#z");
    expect(safeNextPath("/organizations/acme/issues?query=is%3Aunresolved&statsPeriod=14d", ORIGIN)).toBe(
      "/organizations/acme/issues?query=is%3Aunresolved&statsPeriod=14d",
    );
    expect(safeNextPath(`${ORIGIN}/organizations/acme/projects`, ORIGIN)).toBe("/organizations/acme/projects");
  });

  it("goes to the default page without a next", () => {
    expect(safeNextPath(null, ORIGIN)).toBe("/");
    expect(safeNextPath("", ORIGIN)).toBe("/");
  });

  // As the login page reads them from `?next=`: /login?next=/%09/evil.example/ and so on.
  const offSite = [
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r/evil.example/",
    "\t//evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/.//evil.example/",
    "https://evil.example/",
    "http://faultline.example.com/",
    "https://faultline.example.com.evil.example/",
    "https://faultline.example.com@evil.example/",
    "javascript:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
  ];
  for (const next of offSite) {
    it(`goes to the default page for ${JSON.stringify(next)}`, () => {
      expect(safeNextPath(next, ORIGIN)).toBe("/");
    });
  }

  it("takes the payloads as the query string carries them", () => {
    for (const query of ["next=/%09/evil.example/", "next=/%0A/evil.example/", "next=/%0D/evil.example/", "next=/%5Cevil.example"]) {
      expect(safeNextPath(new URLSearchParams(query).get("next"), ORIGIN), query).toBe("/");
    }
  });
});

describe("sameOriginPath", () => {
  it("resolves a relative target against the page it is on", () => {
    expect(sameOriginPath("?cursor=abc", `${ORIGIN}/organizations/acme/issues?query=x`)).toBe("/organizations/acme/issues?cursor=abc");
    expect(sameOriginPath("settings", `${ORIGIN}/organizations/acme/`)).toBe("/organizations/acme/settings");
  });

  it("is null for a target on another origin", () => {
    expect(sameOriginPath("/\t/evil.example/", `${ORIGIN}/login`)).toBeNull();
    expect(sameOriginPath("https://evil.example/", `${ORIGIN}/login`)).toBeNull();
  });
});
