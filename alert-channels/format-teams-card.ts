import { type AlertContext, type AlertLinks, alertFacts, alertReason } from "./alert-context";
import { truncateText } from "./truncate-text";

// Teams takes messages up to about 28 KB (https://learn.microsoft.com/en-us/microsoftteams/limits-specifications-teams#chats-and-channels);
// these caps keep a card far below it whatever the issue says.
export const TEAMS_LIMITS = { title: 1000, culprit: 1000, factValue: 500, reason: 1000 } as const;

/**
 * A message for a Microsoft Teams Workflows webhook ("Post to a channel when a webhook request
 * is received"): an Adaptive Card in the message's `attachments`
 * (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook).
 * Version 1.4 is what Teams renders on every client (https://adaptivecards.io/explorer/).
 */
export function formatTeamsCard(context: AlertContext, links: AlertLinks) {
  const { issue, rule } = context;
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          msteams: { width: "Full" },
          body: [
            {
              type: "TextBlock",
              text: truncateText(alertReason(context), TEAMS_LIMITS.reason),
              size: "Small",
              weight: "Bolder",
              color: "Attention",
              wrap: true,
            },
            {
              type: "TextBlock",
              text: truncateText(`${issue.shortId}: ${issue.title}`, TEAMS_LIMITS.title),
              size: "Large",
              weight: "Bolder",
              wrap: true,
            },
            ...(issue.culprit === ""
              ? []
              : [
                  {
                    type: "TextBlock",
                    text: truncateText(issue.culprit, TEAMS_LIMITS.culprit),
                    fontType: "Monospace",
                    isSubtle: true,
                    wrap: true,
                  },
                ]),
            {
              type: "FactSet",
              facts: alertFacts(context).map((fact) => ({ title: fact.label, value: truncateText(fact.value, TEAMS_LIMITS.factValue) })),
            },
            { type: "TextBlock", text: truncateText(`Rule: ${rule.name}`, TEAMS_LIMITS.reason), isSubtle: true, size: "Small", wrap: true },
          ],
          actions: [{ type: "Action.OpenUrl", title: "View issue", url: links.issueUrl }],
        },
      },
    ],
  };
}
