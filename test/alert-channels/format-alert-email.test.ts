import { describe, expect, it } from "vitest";
import { formatAlertEmail } from "../../alert-channels/format-alert-email";
import { alertContextFixture, linksFixture } from "../fixtures/alerts/alert-context";

describe("formatAlertEmail", () => {
  it("names the project and issue in the subject, and says the same in text and HTML", () => {
    const email = formatAlertEmail(alertContextFixture({ reasons: ["More than 10 users in an hour"] }), linksFixture);
    expect(email.subject).toBe("[checkout-api] CHECKOUT-API-SZ: SyntaxError: Expected property name or '}' in JSON at position 1");
    expect(email.text).toBe(
      [
        "More than 10 users in an hour.",
        "",
        "SyntaxError: Expected property name or '}' in JSON at position 1",
        "client in Object.?",
        "",
        "Level: error",
        "Environment: production",
        "Release: checkout-api@2.4.0",
        "Events: 1,284",
        "Users: 37",
        "Project: Checkout API",
        "",
        "View the issue: https://faultline.example.com/issues/1042/",
        "",
        'Sent by the alert rule "Checkout errors to #oncall" of Checkout API.',
        "",
      ].join("\n"),
    );
    expect(email.html).toContain('<a href="https://faultline.example.com/issues/1042/"');
    expect(email.html).toContain("<td>1,284</td>");
    expect(email.html).toContain("Expected property name or &#39;}&#39; in JSON");
  });

  it("escapes the issue's text in the HTML and keeps the subject short", () => {
    const email = formatAlertEmail(
      alertContextFixture({ issue: { title: `<img src=x onerror=alert(1)> ${"long ".repeat(100)}`, culprit: "a<b>&c" } }),
      linksFixture,
    );
    expect(email.html).not.toContain("<img");
    expect(email.html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(email.html).toContain("a&lt;b&gt;&amp;c");
    expect(email.subject.length).toBeLessThanOrEqual(200);
    expect(email.subject.endsWith("…")).toBe(true);
  });
});
