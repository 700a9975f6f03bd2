// What each chat platform accepts, as the stand-in receivers check it: the documented shape of
// the payload and every documented limit. Shared by the receivers (Node) and the format tests.
import { z } from "zod";

// Block Kit (https://api.slack.com/reference/block-kit/blocks,
// https://api.slack.com/reference/block-kit/composition-objects#text,
// https://api.slack.com/reference/block-kit/block-elements#button). Slack answers a message with
// an unknown or oversized field `400 invalid_blocks`.
const slackPlain = (max: number) =>
  z.strictObject({ type: z.literal("plain_text"), text: z.string().min(1).max(max), emoji: z.boolean().optional() });
const slackMrkdwn = (max: number) =>
  z.strictObject({ type: z.literal("mrkdwn"), text: z.string().min(1).max(max), verbatim: z.boolean().optional() });
const slackText = (max: number) => z.union([slackPlain(max), slackMrkdwn(max)]);
const slackButton = z.strictObject({
  type: z.literal("button"),
  text: slackPlain(75),
  url: z.url().max(3000).optional(),
  action_id: z.string().max(255).optional(),
  value: z.string().max(2000).optional(),
  style: z.enum(["primary", "danger"]).optional(),
});
const slackBlock = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("header"), text: slackPlain(150), block_id: z.string().max(255).optional() }),
  z
    .strictObject({
      type: z.literal("section"),
      text: slackText(3000).optional(),
      fields: z.array(slackText(2000)).min(1).max(10).optional(),
      block_id: z.string().max(255).optional(),
    })
    .refine((b) => b.text !== undefined || b.fields !== undefined, "a section needs text or fields"),
  z.strictObject({
    type: z.literal("context"),
    elements: z.array(slackText(3000)).min(1).max(10),
    block_id: z.string().max(255).optional(),
  }),
  z.strictObject({ type: z.literal("actions"), elements: z.array(slackButton).min(1).max(25), block_id: z.string().max(255).optional() }),
  z.strictObject({ type: z.literal("divider"), block_id: z.string().max(255).optional() }),
]);
export const slackMessageShape = z.strictObject({
  // Slack truncates text past 40,000 characters (https://api.slack.com/methods/chat.postMessage#truncating).
  text: z.string().min(1).max(40_000),
  blocks: z.array(slackBlock).min(1).max(50),
});

// Discord (https://discord.com/developers/docs/resources/webhook#execute-webhook,
// https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
const discordEmbed = z.strictObject({
  title: z.string().max(256).optional(),
  description: z.string().max(4096).optional(),
  url: z.url().optional(),
  color: z.number().int().min(0).max(0xffffff).optional(),
  timestamp: z.iso.datetime().optional(),
  fields: z
    .array(z.strictObject({ name: z.string().min(1).max(256), value: z.string().min(1).max(1024), inline: z.boolean().optional() }))
    .max(25)
    .optional(),
  footer: z.strictObject({ text: z.string().min(1).max(2048), icon_url: z.url().optional() }).optional(),
  author: z.strictObject({ name: z.string().min(1).max(256), url: z.url().optional(), icon_url: z.url().optional() }).optional(),
});
type DiscordEmbedShape = z.infer<typeof discordEmbed>;
export function discordEmbedCharacters(embed: DiscordEmbedShape): number {
  return (
    (embed.title?.length ?? 0) +
    (embed.description?.length ?? 0) +
    (embed.footer?.text.length ?? 0) +
    (embed.author?.name.length ?? 0) +
    (embed.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0)
  );
}
export const discordMessageShape = z
  .strictObject({
    content: z.string().max(2000).optional(),
    username: z.string().min(1).max(80).optional(),
    avatar_url: z.url().optional(),
    allowed_mentions: z.strictObject({ parse: z.array(z.enum(["roles", "users", "everyone"])) }).optional(),
    embeds: z.array(discordEmbed).max(10).optional(),
  })
  .refine((m) => (m.content ?? "") !== "" || (m.embeds?.length ?? 0) > 0, "a message needs content or an embed")
  .refine((m) => (m.embeds ?? []).reduce((n, e) => n + discordEmbedCharacters(e), 0) <= 6000, "embeds hold more than 6000 characters");

// Teams Workflows webhooks take a message whose attachments are Adaptive Cards
// (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook,
// https://adaptivecards.io/explorer/). Teams renders card versions up to 1.5.
const cardElement = z.discriminatedUnion("type", [
  z.object({ type: z.literal("TextBlock"), text: z.string().min(1), wrap: z.boolean().optional() }),
  z.object({ type: z.literal("FactSet"), facts: z.array(z.strictObject({ title: z.string(), value: z.string() })).min(1) }),
  z.object({ type: z.literal("ColumnSet") }),
  z.object({ type: z.literal("Container") }),
  z.object({ type: z.literal("Image"), url: z.url() }),
]);
const cardAction = z.discriminatedUnion("type", [
  z.object({ type: z.literal("Action.OpenUrl"), title: z.string().min(1), url: z.url() }),
  z.object({ type: z.literal("Action.ShowCard") }),
]);
export const teamsMessageShape = z.strictObject({
  type: z.literal("message"),
  attachments: z
    .array(
      z.strictObject({
        contentType: z.literal("application/vnd.microsoft.card.adaptive"),
        contentUrl: z.null().optional(),
        content: z.object({
          $schema: z.string().optional(),
          type: z.literal("AdaptiveCard"),
          version: z.string().regex(/^1\.[0-5]$/),
          body: z.array(cardElement).min(1),
          actions: z.array(cardAction).optional(),
          msteams: z.object({ width: z.enum(["Full"]).optional() }).optional(),
        }),
      }),
    )
    .min(1),
});
// About 28 KB per message (https://learn.microsoft.com/en-us/microsoftteams/limits-specifications-teams#chats-and-channels).
export const TEAMS_MESSAGE_MAX_BYTES = 28_000;

// Sentry's issue alert webhook (https://docs.sentry.io/organization/integrations/integration-platform/webhooks/issue-alerts/).
export const sentryWebhookShape = z.object({
  action: z.literal("triggered"),
  actor: z.object({ id: z.string(), name: z.string(), type: z.literal("application") }),
  data: z.object({
    event: z.looseObject({
      event_id: z.string().regex(/^[0-9a-f]{32}$/),
      issue_id: z.string().regex(/^\d+$/),
      issue_url: z.url(),
      url: z.url(),
      web_url: z.url(),
      title: z.string().min(1),
      level: z.string(),
      project: z.number().int(),
      datetime: z.iso.datetime(),
      timestamp: z.number(),
    }),
    triggered_rule: z.string().min(1),
  }),
});

export type Platform = "slack" | "discord" | "teams" | "webhook";

/** Every way a body breaks its platform's shape or limits; empty when it is fine. */
export function platformProblems(platform: Platform, raw: string): string[] {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return ["body is not JSON"];
  }
  const shape = { slack: slackMessageShape, discord: discordMessageShape, teams: teamsMessageShape, webhook: sentryWebhookShape }[platform];
  const result = shape.safeParse(body);
  const problems = result.success ? [] : result.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`);
  if (platform === "teams" && new TextEncoder().encode(raw).byteLength > TEAMS_MESSAGE_MAX_BYTES)
    problems.push(`message over ${TEAMS_MESSAGE_MAX_BYTES} bytes`);
  return problems;
}
