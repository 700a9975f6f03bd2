import { describe, expect, it } from "vitest";
import { alertLinks } from "../../alert-channels/alert-context";
import { SLACK_LIMITS, formatSlackMessage } from "../../alert-channels/format-slack-message";
import { platformProblems, slackMessageShape } from "../support/alert-receivers/platform-shapes";
import { alertContextFixture, hostileText, linksFixture } from "../fixtures/alerts/alert-context";

describe("formatSlackMessage", () => {
  it("is a Block Kit message with the issue, its facts, why it fired and a button to the issue", () => {
    const message = formatSlackMessage(alertContextFixture({ reasons: ["More than 100 events in 5 minutes"] }), linksFixture);
    expect(platformProblems("slack", JSON.stringify(message))).toEqual([]);
    expect(message.text).toBe(
      "[checkout-api] More than 100 events in 5 minutes: SyntaxError: Expected property name or '}' in JSON at position 1",
    );
    const [header, summary, facts, why, actions] = message.blocks as any[];
    expect(header).toEqual({
      type: "header",
      text: { type: "plain_text", text: "SyntaxError: Expected property name or '}' in JSON at position 1", emoji: false },
    });
    expect(summary.text.text).toBe("*<https://faultline.example.com/issues/1042/|CHECKOUT-API-SZ>* · `client in Object.?`");
    expect(facts.fields.map((f: { text: string }) => f.text)).toEqual([
      "*Level*\nerror",
      "*Environment*\nproduction",
      "*Release*\ncheckout-api@2.4.0",
      "*Events*\n1,284",
      "*Users*\n37",
      "*Project*\nCheckout API",
    ]);
    expect(why.elements[0].text).toBe("*Why:* More than 100 events in 5 minutes · *Rule:* Checkout errors to #oncall");
    expect(actions.elements[0]).toMatchObject({
      type: "button",
      url: "https://faultline.example.com/issues/1042/",
      text: { text: "View issue" },
    });
  });

  it("stays within every Block Kit limit and escapes Slack's control characters, whatever the issue says", () => {
    const context = alertContextFixture({
      issue: { title: hostileText, culprit: hostileText },
      event: { environment: hostileText, release: hostileText },
      ruleName: hostileText,
      reasons: [hostileText],
    });
    const message = formatSlackMessage(context, linksFixture);
    const body = JSON.stringify(message);
    expect(platformProblems("slack", body)).toEqual([]);
    expect(slackMessageShape.parse(message).blocks[0]).toMatchObject({ text: { text: expect.stringMatching(/…$/) } });
    expect((message.blocks[0] as any).text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.header);
    // The mrkdwn blocks show markup as text: no raw <, > or & from the issue.
    const mrkdwn = JSON.stringify(message.blocks.slice(1, 4));
    expect(mrkdwn).not.toContain("<script>");
    expect(mrkdwn).not.toContain("<@here>");
    expect(mrkdwn).toContain("&lt;script&gt;");
    // The fallback text, which Slack shows in notifications, too.
    expect(message.text).not.toContain("<@here>");
    expect(message.text).toContain("&lt;@here&gt;");
    // No lone surrogate where a long text was cut.
    expect(body).not.toMatch(/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i);
  });

  it("says 'none' for an event without environment or release, and reads the issue when the event is gone", () => {
    const message = formatSlackMessage(
      alertContextFixture({ event: null, issue: { culprit: "" } }),
      alertLinks("http://127.0.0.1:8788/", alertContextFixture({ event: null })),
    );
    expect(platformProblems("slack", JSON.stringify(message))).toEqual([]);
    const facts = (message.blocks[2] as any).fields.map((f: { text: string }) => f.text);
    expect(facts.slice(0, 3)).toEqual(["*Level*\nerror", "*Environment*\nnone", "*Release*\nnone"]);
    expect((message.blocks[1] as any).text.text).toBe("*<http://127.0.0.1:8788/issues/1042/|CHECKOUT-API-SZ>*");
  });
});
