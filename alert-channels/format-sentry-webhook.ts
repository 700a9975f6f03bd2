import type { AlertContext, AlertLinks } from "./alert-context";

/**
 * The body of Sentry's integration-platform issue alert webhook
 * (https://docs.sentry.io/organization/integrations/integration-platform/webhooks/issue-alerts/):
 * `action` "triggered", the `actor` that sent it, and `data.event`, the event that triggered the
 * rule in Sentry's event schema with `url`/`issue_url` (its API URLs), `web_url` (its page) and
 * `issue_id`, and `data.triggered_rule`, the rule's name. Receivers written for Sentry read it as is.
 *
 * `eventData` is the stored normalized event (Sentry's event schema already); null when it could
 * not be read, and then the event is described by what the alert knows.
 */
export function formatSentryWebhook(context: AlertContext, links: AlertLinks, eventData: Record<string, unknown> | null) {
  const { issue, event, project } = context;
  const timestamp = (event?.timestamp ?? issue.lastSeen) / 1000;
  return {
    action: "triggered",
    actor: { id: "faultline", name: "Faultline", type: "application" },
    data: {
      event: {
        ...(eventData ?? {}),
        event_id: event?.eventId ?? eventData?.event_id ?? null,
        project: project.id,
        title: issue.title,
        culprit: issue.culprit,
        level: event?.level ?? issue.level,
        environment: event?.environment ?? null,
        release: event?.release ?? null,
        datetime: isoOrNull(timestamp * 1000),
        timestamp,
        issue_id: String(issue.id),
        issue_url: links.issueApiUrl,
        url: links.eventApiUrl ?? links.issueApiUrl,
        web_url: links.eventUrl ?? links.issueUrl,
      },
      triggered_rule: context.rule.name,
    },
  };
}

/** A stored time that Date cannot hold is sent as null rather than failing the delivery. */
function isoOrNull(ms: number): string | null {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * The headers Sentry sends with a webhook (https://docs.sentry.io/organization/integrations/integration-platform/webhooks/#headers):
 * the resource, when it was sent (Unix seconds), and the hex HMAC-SHA256 of the body keyed with the
 * target's secret, which receivers verify against the raw body.
 */
export async function sentryWebhookHeaders(
  body: string,
  secret: string,
  sentAt: number,
  requestId: string,
): Promise<Record<string, string>> {
  return {
    "Content-Type": "application/json",
    "Request-ID": requestId,
    "Sentry-Hook-Resource": "event_alert",
    "Sentry-Hook-Timestamp": String(Math.floor(sentAt / 1000)),
    "Sentry-Hook-Signature": await hmacSha256Hex(secret, body),
  };
}

export async function hmacSha256Hex(secret: string, body: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = await crypto.subtle.sign("HMAC", key, encoder.encode(body));
  return [...new Uint8Array(signature)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
