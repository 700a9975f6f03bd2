import { type AlertContext, type AlertLinks, alertFacts, alertReason } from "./alert-context";
import { truncateText } from "./truncate-text";

// Block Kit limits (https://api.slack.com/reference/block-kit/blocks,
// https://api.slack.com/reference/block-kit/block-elements#button): a header's plain_text 150
// characters, a section's text 3000, each of at most 10 fields 2000, a button's text 75 and its
// url 3000, 50 blocks per message.
export const SLACK_LIMITS = {
  header: 150,
  sectionText: 3000,
  field: 2000,
  fields: 10,
  contextText: 3000,
  buttonText: 75,
  buttonUrl: 3000,
  blocks: 50,
  fallbackText: 3000,
} as const;

/**
 * A message for a Slack incoming webhook (https://api.slack.com/messaging/webhooks): Block Kit
 * blocks with the issue, its facts, why the rule fired and a button to the issue, and `text` as
 * the fallback Slack shows in notifications.
 */
export function formatSlackMessage(context: AlertContext, links: AlertLinks) {
  const { issue, rule, project } = context;
  const reason = alertReason(context);
  const culprit = issue.culprit === "" ? "" : ` · \`${escapeMrkdwn(issue.culprit)}\``;
  return {
    // Escaped too: Slack reads `<!channel>` in the fallback text as a mention, and a title is the client's text.
    text: truncateText(escapeMrkdwn(`[${project.slug}] ${reason}: ${issue.title}`), SLACK_LIMITS.fallbackText),
    blocks: [
      { type: "header", text: { type: "plain_text", text: truncateText(issue.title, SLACK_LIMITS.header), emoji: false } },
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: truncateText(`*<${links.issueUrl}|${escapeMrkdwn(issue.shortId)}>*${culprit}`, SLACK_LIMITS.sectionText),
        },
      },
      {
        type: "section",
        fields: alertFacts(context)
          .slice(0, SLACK_LIMITS.fields)
          .map((fact) => ({ type: "mrkdwn", text: truncateText(`*${fact.label}*\n${escapeMrkdwn(fact.value)}`, SLACK_LIMITS.field) })),
      },
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: truncateText(`*Why:* ${escapeMrkdwn(reason)} · *Rule:* ${escapeMrkdwn(rule.name)}`, SLACK_LIMITS.contextText),
          },
        ],
      },
      {
        type: "actions",
        elements: [
          {
            type: "button",
            text: { type: "plain_text", text: "View issue", emoji: false },
            url: links.issueUrl,
            style: "primary",
            action_id: "view_issue",
          },
        ],
      },
    ],
  };
}

/** Slack's mrkdwn treats &, < and > as control characters (https://api.slack.com/reference/surfaces/formatting#escaping). */
function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}
