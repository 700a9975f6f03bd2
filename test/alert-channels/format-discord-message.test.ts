import { describe, expect, it } from "vitest";
import { DISCORD_LIMITS, embedLength, formatDiscordMessage } from "../../alert-channels/format-discord-message";
import { discordEmbedCharacters, platformProblems } from "../support/alert-receivers/platform-shapes";
import { alertContextFixture, hostileText, linksFixture } from "../fixtures/alerts/alert-context";

describe("formatDiscordMessage", () => {
  it("is one embed linking to the issue, with its facts, and mentions nobody", () => {
    const message = formatDiscordMessage(alertContextFixture(), linksFixture);
    expect(platformProblems("discord", JSON.stringify(message))).toEqual([]);
    expect(message.allowed_mentions).toEqual({ parse: [] });
    expect(message.content).toBe("A new issue was created: SyntaxError: Expected property name or '}' in JSON at position 1");
    const [embed] = message.embeds;
    expect(embed).toMatchObject({
      title: "CHECKOUT-API-SZ: SyntaxError: Expected property name or '}' in JSON at position 1",
      url: "https://faultline.example.com/issues/1042/",
      description: "`client in Object.?`\n\n**Why:** A new issue was created",
      color: 0xff7738,
      footer: { text: "Faultline · Checkout API · rule: Checkout errors to #oncall" },
      timestamp: "2026-11-20T09:14:53.000Z",
    });
    expect(embed!.fields).toEqual([
      { name: "Level", value: "error", inline: true },
      { name: "Environment", value: "production", inline: true },
      { name: "Release", value: "checkout-api@2.4.0", inline: true },
      { name: "Events", value: "1,284", inline: true },
      { name: "Users", value: "37", inline: true },
      { name: "Project", value: "Checkout API", inline: true },
    ]);
  });

  it("fits every embed limit and the 6,000 characters of a message's embeds, whatever the issue says", () => {
    const context = alertContextFixture({
      issue: { title: hostileText, culprit: hostileText },
      event: { environment: hostileText, release: hostileText },
      ruleName: hostileText,
      reasons: [hostileText, hostileText],
    });
    const message = formatDiscordMessage(context, linksFixture);
    expect(platformProblems("discord", JSON.stringify(message))).toEqual([]);
    const [embed] = message.embeds;
    expect(embedLength(embed!)).toBeLessThanOrEqual(DISCORD_LIMITS.embedsTotal);
    expect(discordEmbedCharacters(embed!)).toBe(embedLength(embed!));
    expect(message.content.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
    // Markdown in the issue is shown, not rendered.
    expect(message.content).toContain("\\*\\*bold\\*\\*");
  });

  it("colours the embed by level", () => {
    const colour = (level: string) => formatDiscordMessage(alertContextFixture({ event: { level } }), linksFixture).embeds[0]!.color;
    expect(["fatal", "error", "warning", "info", "debug", "unknown"].map(colour)).toEqual([
      0xfa4747, 0xff7738, 0xffc227, 0x2788ce, 0x8d6e63, 0xff7738,
    ]);
  });
});
