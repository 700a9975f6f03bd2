import { describe, expect, it } from "vitest";
import {
  UPTIME_INTERVALS,
  UPTIME_METHODS,
  UPTIME_TIMEOUT_MS,
  type UptimeMonitor,
  emptyUptimeDraft,
  uptimeBody,
  uptimeDraftOf,
  uptimeMonitorPath,
} from "../../dashboard/src/uptime/uptime-draft";
import {
  DEFAULT_FAILURE_THRESHOLD,
  DEFAULT_RECOVERY_THRESHOLD,
  DEFAULT_TIMEOUT_MS,
  MAX_TIMEOUT_MS,
  MIN_TIMEOUT_MS,
  UPTIME_INTERVAL_SECONDS,
  UPTIME_METHODS as API_METHODS,
} from "../../protocol/uptime-target";

const monitor: UptimeMonitor = {
  id: "7",
  projectSlug: "shop api",
  projectId: "2",
  environment: "staging",
  name: "Checkout health",
  status: "disabled",
  uptimeStatus: 1,
  url: "https://shop.example.com/health",
  method: "HEAD",
  intervalSeconds: 300,
  timeoutMs: 5000,
  expectedStatusMin: 200,
  expectedStatusMax: 399,
  bodyKeyword: "ok",
  downtimeThreshold: 2,
  recoveryThreshold: 4,
  dateCreated: "2026-12-07T19:00:00.000Z",
  lastCheckedAt: null,
  nextCheckAt: null,
};

describe("the uptime monitor form's draft", () => {
  it("reads a monitor and gives back the same settings in the API's field names", () => {
    expect(uptimeBody(uptimeDraftOf(monitor), false)).toEqual({
      name: "Checkout health",
      url: "https://shop.example.com/health",
      method: "HEAD",
      intervalSeconds: 300,
      timeoutMs: 5000,
      environment: "staging",
      expectedStatusMin: 200,
      expectedStatusMax: 399,
      bodyKeyword: "ok",
      downtimeThreshold: 2,
      recoveryThreshold: 4,
      status: "disabled",
    });
  });

  it("lets a new monitor take its URL's host as name, sends an empty keyword as none, and text as typed", () => {
    const body = uptimeBody({ ...emptyUptimeDraft("default"), url: " https://example.com/ ", timeoutMs: "10 s" }, true);
    expect(body).not.toHaveProperty("name");
    expect(body).toMatchObject({ url: "https://example.com/", bodyKeyword: null, timeoutMs: "10 s", status: "active" });
    // An edit that clears the name sends it, for the API to refuse, rather than keep the old one unseen.
    expect(uptimeBody({ ...uptimeDraftOf(monitor), name: "  " }, false)).toHaveProperty("name", "");
  });

  it("offers what the API accepts, and starts from its defaults", () => {
    expect(UPTIME_INTERVALS.map((i) => i.seconds)).toEqual([...UPTIME_INTERVAL_SECONDS]);
    expect([...UPTIME_METHODS]).toEqual([...API_METHODS]);
    expect(UPTIME_TIMEOUT_MS).toEqual({ min: MIN_TIMEOUT_MS, max: MAX_TIMEOUT_MS });
    expect(uptimeBody(emptyUptimeDraft("default"), true)).toMatchObject({
      method: "GET",
      intervalSeconds: 60,
      timeoutMs: DEFAULT_TIMEOUT_MS,
      downtimeThreshold: DEFAULT_FAILURE_THRESHOLD,
      recoveryThreshold: DEFAULT_RECOVERY_THRESHOLD,
    });
  });

  it("names a monitor's API path with its project's slug, encoded", () => {
    expect(uptimeMonitorPath("my org", monitor)).toBe("/api/0/projects/my%20org/shop%20api/uptime/7/");
  });
});
