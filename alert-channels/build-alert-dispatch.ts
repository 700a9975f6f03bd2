import { type AlertTargetType, isAllowedTargetUrl } from "../db/alert-rule-definition";
import { type AlertContext, type AlertLinks, alertLinks } from "./alert-context";
import { composeMimeMessage } from "./compose-mime-message";
import { formatAlertEmail } from "./format-alert-email";
import { formatDiscordMessage } from "./format-discord-message";
import { formatSentryWebhook, sentryWebhookHeaders } from "./format-sentry-webhook";
import { formatSlackMessage } from "./format-slack-message";
import { formatTeamsCard } from "./format-teams-card";
import type { AlertRequest } from "./send-alert-request";

export interface AlertTarget {
  type: AlertTargetType;
  url: string | null;
  address: string | null;
  secret: string | null;
}

/** What one delivery sends: an HTTP request, or a raw email for the send_email binding. */
export type AlertDispatch = ({ kind: "http" } & AlertRequest) | { kind: "email"; from: string; to: string; raw: string };

export interface DispatchOptions {
  dashboardUrl: string;
  emailFrom: string;
  now: number;
  /** The stored event, for the generic webhook's `data.event`. */
  eventData: Record<string, unknown> | null;
  /** Where the notification points, when not at the context's issue (a test notification). */
  links?: AlertLinks;
}

export class UnsendableTargetError extends Error {
  override name = "UnsendableTargetError";
}

/** Formats an alert for its target. */
export async function buildAlertDispatch(target: AlertTarget, context: AlertContext, options: DispatchOptions): Promise<AlertDispatch> {
  const links = options.links ?? alertLinks(options.dashboardUrl, context);
  // One request per browser of the member, signed with the install's VAPID key: the alerts
  // consumer sends those (queue-consumer/alerts/deliver-push-alert.ts).
  if (target.type === "push") throw new UnsendableTargetError("push notifications are sent by the alerts consumer, not from here");
  if (target.type === "email") {
    if (target.address === null) throw new UnsendableTargetError("email target without an address");
    const { subject, text, html } = formatAlertEmail(context, links);
    const domain = options.emailFrom.split("@")[1] ?? "localhost";
    const raw = composeMimeMessage({
      from: { name: "Faultline", address: options.emailFrom },
      to: target.address,
      subject,
      text,
      html,
      date: new Date(options.now),
      messageId: `${crypto.randomUUID()}@${domain}`,
    });
    return { kind: "email", from: options.emailFrom, to: target.address, raw };
  }
  // Stored rules were checked when saved; this keeps a row edited by hand from sending in the clear.
  if (target.url === null || !isAllowedTargetUrl(target.url, true))
    throw new UnsendableTargetError(`${target.type} target without an https URL`);
  const json = { "Content-Type": "application/json", "User-Agent": "Faultline-Alerts" };
  switch (target.type) {
    case "slack":
      return { kind: "http", url: target.url, headers: json, body: JSON.stringify(formatSlackMessage(context, links)) };
    case "discord":
      return { kind: "http", url: target.url, headers: json, body: JSON.stringify(formatDiscordMessage(context, links)) };
    case "teams":
      return { kind: "http", url: target.url, headers: json, body: JSON.stringify(formatTeamsCard(context, links)) };
    case "webhook": {
      if (target.secret === null) throw new UnsendableTargetError("webhook target without a signing secret");
      const body = JSON.stringify(formatSentryWebhook(context, links, options.eventData));
      const headers = {
        ...(await sentryWebhookHeaders(body, target.secret, options.now, crypto.randomUUID())),
        "User-Agent": "Faultline-Alerts",
      };
      return { kind: "http", url: target.url, headers, body };
    }
  }
}
