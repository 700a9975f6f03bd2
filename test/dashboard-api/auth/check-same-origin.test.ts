import { describe, expect, it } from "vitest";
import { isSafeMethod, isSameOriginRequest } from "../../../dashboard/api/auth/check-same-origin";

const URL_ = "https://faultline.example.com/api/0/issues/1/";
const req = (headers: Record<string, string>) => new Request(URL_, { method: "PUT", headers });

describe("isSameOriginRequest", () => {
  it("accepts what a browser sends from the dashboard's own page", () => {
    expect(isSameOriginRequest(req({ "sec-fetch-site": "same-origin", origin: "https://faultline.example.com" }))).toBe(true);
    // Older browsers: Origin alone.
    expect(isSameOriginRequest(req({ origin: "https://faultline.example.com" }))).toBe(true);
    // Sec-Fetch-Site alone (Origin stripped by a proxy).
    expect(isSameOriginRequest(req({ "sec-fetch-site": "same-origin" }))).toBe(true);
  });

  it("refuses requests from other sites, sibling subdomains and other schemes or ports", () => {
    expect(isSameOriginRequest(req({ "sec-fetch-site": "cross-site", origin: "https://evil.example" }))).toBe(false);
    expect(isSameOriginRequest(req({ "sec-fetch-site": "same-site", origin: "https://blog.example.com" }))).toBe(false);
    expect(isSameOriginRequest(req({ origin: "https://evil.example" }))).toBe(false);
    expect(isSameOriginRequest(req({ origin: "http://faultline.example.com" }))).toBe(false);
    expect(isSameOriginRequest(req({ origin: "https://faultline.example.com:8443" }))).toBe(false);
    expect(isSameOriginRequest(req({ origin: "null" }))).toBe(false);
  });

  it("refuses a same-origin label contradicted by the Origin header, and a typed-in navigation", () => {
    expect(isSameOriginRequest(req({ "sec-fetch-site": "same-origin", origin: "https://evil.example" }))).toBe(false);
    expect(isSameOriginRequest(req({ "sec-fetch-site": "none" }))).toBe(false);
  });

  it("refuses requests that carry neither header", () => {
    expect(isSameOriginRequest(req({}))).toBe(false);
  });
});

describe("isSafeMethod", () => {
  it("names the methods that change nothing", () => {
    expect(["GET", "HEAD", "OPTIONS", "get"].map(isSafeMethod)).toEqual([true, true, true, true]);
    expect(["POST", "PUT", "PATCH", "DELETE"].map(isSafeMethod)).toEqual([false, false, false, false]);
  });
});
