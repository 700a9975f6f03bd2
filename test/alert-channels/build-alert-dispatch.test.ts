import { describe, expect, it } from "vitest";
import { UnsendableTargetError, buildAlertDispatch } from "../../alert-channels/build-alert-dispatch";
import { alertContextFixture } from "../fixtures/alerts/alert-context";

const options = {
  dashboardUrl: "https://faultline.example.com",
  emailFrom: "alerts@faultline.example.com",
  now: Date.UTC(2026, 10, 20, 9, 14, 53),
  eventData: null,
};
const target = (
  type: "slack" | "discord" | "teams" | "webhook" | "email",
  fields: { url?: string; address?: string; secret?: string } = {},
) => ({
  type,
  url: fields.url ?? null,
  address: fields.address ?? null,
  secret: fields.secret ?? null,
});

describe("buildAlertDispatch", () => {
  it("posts JSON to chat targets, links into the configured dashboard", async () => {
    for (const type of ["slack", "discord", "teams"] as const) {
      const dispatch = await buildAlertDispatch(target(type, { url: `https://${type}.example.com/hook` }), alertContextFixture(), options);
      expect(dispatch).toMatchObject({
        kind: "http",
        url: `https://${type}.example.com/hook`,
        headers: { "Content-Type": "application/json" },
      });
      expect(dispatch.kind === "http" && dispatch.body).toContain("https://faultline.example.com/issues/1042/");
    }
  });

  it("signs webhooks, and composes email from the configured sender", async () => {
    const webhook = await buildAlertDispatch(
      target("webhook", { url: "https://hooks.example.com/sentry", secret: "s3cret" }),
      alertContextFixture(),
      options,
    );
    expect(webhook.kind === "http" && webhook.headers).toMatchObject({
      "Sentry-Hook-Resource": "event_alert",
      "Sentry-Hook-Signature": expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const email = await buildAlertDispatch(target("email", { address: "oncall@example.com" }), alertContextFixture(), options);
    expect(email).toMatchObject({ kind: "email", from: "alerts@faultline.example.com", to: "oncall@example.com" });
    expect(email.kind === "email" && email.raw).toMatch(/\r\nMessage-ID: <[0-9a-f-]{36}@faultline\.example\.com>\r\n/);
  });

  it("refuses a target it cannot send to safely: no https URL, a webhook without its secret, an email without an address", async () => {
    const refused = [
      target("slack", { url: "http://hooks.example.com/plain" }),
      target("discord"),
      target("webhook", { url: "https://hooks.example.com/sentry" }),
      target("email"),
    ];
    for (const t of refused)
      await expect(buildAlertDispatch(t, alertContextFixture(), options)).rejects.toBeInstanceOf(UnsendableTargetError);
    // Loopback receivers on the developer's machine are reachable over http.
    await expect(
      buildAlertDispatch(target("slack", { url: "http://127.0.0.1:9999/slack" }), alertContextFixture(), options),
    ).resolves.toMatchObject({ kind: "http" });
  });
});
