import { type AlertContext, type AlertLinks, alertFacts, alertReason } from "./alert-context";
import { truncateText } from "./truncate-text";

// Embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits):
// title 256, description 4096, at most 25 fields of name 256 and value 1024, footer text 2048,
// and 6000 characters over all embeds of a message; message content 2000
// (https://discord.com/developers/docs/resources/webhook#execute-webhook).
export const DISCORD_LIMITS = {
  content: 2000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  embedsTotal: 6000,
} as const;

// Embed side colours by level: Sentry's palette, as Discord's decimal RGB.
const LEVEL_COLORS: Record<string, number> = { fatal: 0xfa4747, error: 0xff7738, warning: 0xffc227, info: 0x2788ce, debug: 0x8d6e63 };

export interface DiscordEmbed {
  title: string;
  url: string;
  description: string;
  color: number;
  fields: Array<{ name: string; value: string; inline: boolean }>;
  footer: { text: string };
  timestamp: string;
}

/**
 * A message for a Discord webhook: one embed whose title links to the issue. `allowed_mentions`
 * is empty so that an error message quoting "@everyone" or a user id pings nobody.
 */
export function formatDiscordMessage(context: AlertContext, links: AlertLinks) {
  const { issue, rule, project } = context;
  const reason = alertReason(context);
  const level = context.event?.level ?? issue.level;
  const culprit = issue.culprit === "" ? "" : `\`${issue.culprit.replaceAll("`", "'")}\`\n\n`;
  const embed: DiscordEmbed = {
    title: truncateText(`${issue.shortId}: ${issue.title}`, DISCORD_LIMITS.title),
    url: links.issueUrl,
    description: truncateText(`${culprit}**Why:** ${escapeMarkdown(reason)}`, DISCORD_LIMITS.description),
    color: LEVEL_COLORS[level] ?? LEVEL_COLORS.error!,
    fields: alertFacts(context)
      .slice(0, DISCORD_LIMITS.fields)
      .map((fact) => ({
        name: truncateText(fact.label, DISCORD_LIMITS.fieldName),
        value: truncateText(fact.value, DISCORD_LIMITS.fieldValue),
        inline: true,
      })),
    footer: { text: truncateText(`Faultline · ${project.name} · rule: ${rule.name}`, DISCORD_LIMITS.footer) },
    timestamp: new Date(context.firedAt).toISOString(),
  };
  return {
    username: "Faultline",
    content: truncateText(escapeMarkdown(`${reason}: ${issue.title}`), DISCORD_LIMITS.content),
    allowed_mentions: { parse: [] as string[] },
    embeds: [fitEmbed(embed)],
  };
}

/** Characters Discord counts against the 6000 of a message's embeds. */
export function embedLength(embed: DiscordEmbed): number {
  return (
    embed.title.length +
    embed.description.length +
    embed.footer.text.length +
    embed.fields.reduce((n, f) => n + f.name.length + f.value.length, 0)
  );
}

/** Shortens the description, then the field values, until the embed fits Discord's total. */
function fitEmbed(embed: DiscordEmbed): DiscordEmbed {
  let over = embedLength(embed) - DISCORD_LIMITS.embedsTotal;
  if (over <= 0) return embed;
  const description = truncateText(embed.description, Math.max(0, embed.description.length - over));
  over -= embed.description.length - description.length;
  const fields = embed.fields.map((field) => {
    if (over <= 0) return field;
    const value = truncateText(field.value, Math.max(1, field.value.length - over));
    over -= field.value.length - value.length;
    return { ...field, value };
  });
  return { ...embed, description, fields };
}

/** Discord's markdown: a backslash makes these literal. */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\*_~`|>#[\]]/g, (c) => `\\${c}`);
}
