import { describe, expect, it } from "vitest";
import { formatTeamsCard } from "../../alert-channels/format-teams-card";
import { TEAMS_MESSAGE_MAX_BYTES, platformProblems } from "../support/alert-receivers/platform-shapes";
import { alertContextFixture, hostileText, linksFixture } from "../fixtures/alerts/alert-context";

describe("formatTeamsCard", () => {
  it("is a message whose attachment is an Adaptive Card with the issue, its facts and a link to it", () => {
    const message = formatTeamsCard(alertContextFixture({ reasons: ["A resolved issue regressed"] }), linksFixture);
    expect(platformProblems("teams", JSON.stringify(message))).toEqual([]);
    const [attachment] = message.attachments;
    expect(attachment).toMatchObject({ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null });
    const card = attachment!.content;
    expect(card).toMatchObject({ type: "AdaptiveCard", version: "1.4" });
    expect(card.body.map((element) => ("text" in element ? element.text : element.type))).toEqual([
      "A resolved issue regressed",
      "CHECKOUT-API-SZ: SyntaxError: Expected property name or '}' in JSON at position 1",
      "client in Object.?",
      "FactSet",
      "Rule: Checkout errors to #oncall",
    ]);
    expect(card.body[3]).toMatchObject({
      facts: expect.arrayContaining([
        { title: "Events", value: "1,284" },
        { title: "Environment", value: "production" },
      ]),
    });
    expect(card.actions).toEqual([{ type: "Action.OpenUrl", title: "View issue", url: "https://faultline.example.com/issues/1042/" }]);
  });

  it("stays far below Teams' message size whatever the issue says", () => {
    const context = alertContextFixture({
      issue: { title: hostileText, culprit: hostileText },
      event: { environment: hostileText, release: hostileText },
      ruleName: hostileText,
      reasons: [hostileText],
    });
    const body = JSON.stringify(formatTeamsCard(context, linksFixture));
    expect(platformProblems("teams", body)).toEqual([]);
    expect(new TextEncoder().encode(body).byteLength).toBeLessThan(TEAMS_MESSAGE_MAX_BYTES / 2);
  });

  it("leaves out the culprit line when there is none", () => {
    const card = formatTeamsCard(alertContextFixture({ issue: { culprit: "" } }), linksFixture).attachments[0]!.content;
    expect(card.body).toHaveLength(4);
  });
});
