import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { formatSentryWebhook, hmacSha256Hex, sentryWebhookHeaders } from "../../alert-channels/format-sentry-webhook";
import { platformProblems } from "../support/alert-receivers/platform-shapes";
import { alertContextFixture, linksFixture } from "../fixtures/alerts/alert-context";
import { envelopeEvent } from "../fixtures/grouping/sdk-events";

describe("formatSentryWebhook", () => {
  it("is Sentry's event_alert body: the triggering event with its URLs, and the rule's name", () => {
    const stored = envelopeEvent("node-2");
    const body = formatSentryWebhook(alertContextFixture(), linksFixture, stored);
    expect(platformProblems("webhook", JSON.stringify(body))).toEqual([]);
    expect(body.action).toBe("triggered");
    expect(body.actor).toEqual({ id: "faultline", name: "Faultline", type: "application" });
    expect(body.data.triggered_rule).toBe("Checkout errors to #oncall");
    expect(body.data.event).toMatchObject({
      event_id: "9f1c2d3e4b5a69788796a5b4c3d2e1f0",
      issue_id: "1042",
      issue_url: "https://faultline.example.com/api/0/issues/1042/",
      url: "https://faultline.example.com/api/0/projects/acme/checkout-api/events/9f1c2d3e4b5a69788796a5b4c3d2e1f0/",
      web_url: "https://faultline.example.com/issues/1042/?event=9f1c2d3e4b5a69788796a5b4c3d2e1f0",
      project: 3,
      title: "SyntaxError: Expected property name or '}' in JSON at position 1",
      culprit: "client in Object.?",
      level: "error",
      environment: "production",
      release: "checkout-api@2.4.0",
      datetime: "2026-11-20T09:14:51.000Z",
      timestamp: Date.UTC(2026, 10, 20, 9, 14, 51) / 1000,
      // The stored event's own fields come along: the exception with its frames, the SDK, contexts.
      exception: stored.exception,
      sdk: stored.sdk,
    });
  });

  it("describes the event from the alert when the stored event is gone", () => {
    const body = formatSentryWebhook(alertContextFixture({ event: null }), { ...linksFixture, eventUrl: null, eventApiUrl: null }, null);
    expect(body.data.event).toMatchObject({
      event_id: null,
      web_url: linksFixture.issueUrl,
      url: linksFixture.issueApiUrl,
      level: "error",
      environment: null,
    });
  });

  it("sends a stored time past Date's range as a null datetime instead of failing the delivery", () => {
    const stored = { ...envelopeEvent("node-2"), breadcrumbs: { values: [{ timestamp: 1e20, message: "far" }] } };
    const body = formatSentryWebhook(alertContextFixture({ event: { timestamp: 8_640_000_000_000_001 } }), linksFixture, stored);
    expect(body.data.event).toMatchObject({ datetime: null, timestamp: 8_640_000_000_000.001, breadcrumbs: stored.breadcrumbs });
  });
});

describe("sentryWebhookHeaders", () => {
  it("signs the body as Sentry does: hex HMAC-SHA256 keyed with the secret; the timestamp in Unix seconds", async () => {
    const body = JSON.stringify(formatSentryWebhook(alertContextFixture(), linksFixture, null));
    const secret = "5f1b9a0e2c8d4e6fa1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718";
    const headers = await sentryWebhookHeaders(
      body,
      secret,
      Date.UTC(2026, 10, 20, 9, 14, 53, 512),
      "3f0a7c3e-1b2d-4f4e-9a8b-7c6d5e4f3a2b",
    );
    expect(headers).toEqual({
      "Content-Type": "application/json",
      "Request-ID": "3f0a7c3e-1b2d-4f4e-9a8b-7c6d5e4f3a2b",
      "Sentry-Hook-Resource": "event_alert",
      "Sentry-Hook-Timestamp": String(Date.UTC(2026, 10, 20, 9, 14, 53) / 1000),
      "Sentry-Hook-Signature": createHmac("sha256", secret).update(body, "utf8").digest("hex"),
    });
  });

  it("hmacSha256Hex matches RFC 4231's first test case", async () => {
    const key = String.fromCharCode(...new Array(20).fill(0x0b));
    expect(await hmacSha256Hex(key, "Hi There")).toBe("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  });
});
