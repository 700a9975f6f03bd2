/**
 * One browser notification as a Web Push request (RFC 8030 §5,
 * https://www.rfc-editor.org/rfc/rfc8030#section-5): the alert as a small JSON payload that the
 * dashboard's service worker shows, encrypted to the browser's subscription (RFC 8291) and
 * signed for its push service (RFC 8292).
 */
import { type AlertContext, type AlertLinks, alertReason } from "./alert-context";
import { type PushKeys, encryptPushMessage } from "./encrypt-push-message";
import type { AlertRequest } from "./send-alert-request";
import { truncateText } from "./truncate-text";
import { type VapidKeys, vapidAuthorization } from "./vapid-authorization";

/** A browser's subscription as stored: the push service's endpoint and the keys to encrypt to. */
export interface PushSubscriptionTarget extends PushKeys {
  endpoint: string;
}

/** What the service worker receives and shows (dashboard/public/service-worker.js reads it). */
export interface PushNotificationPayload {
  title: string;
  body: string;
  /** Where a click on the notification goes. */
  url: string;
  /** One notification per issue: a newer alert for it replaces the older on screen. */
  tag: string;
}

// Kept well under one record's 3993 bytes, whatever the title's characters take in UTF-8.
const TITLE_MAX = 200;
const BODY_MAX = 600;
/** A push service may drop a message it cannot deliver within this long; an alert a day late is noise. */
const TTL_SECONDS = 24 * 3600;

export function formatPushNotification(context: AlertContext, links: AlertLinks): PushNotificationPayload {
  const { issue, project } = context;
  const culprit = issue.culprit === "" ? "" : `\n${issue.culprit}`;
  return {
    title: truncateText(`${issue.shortId}: ${issue.title}`, TITLE_MAX),
    body: truncateText(`${alertReason(context)} in ${project.name}${culprit}`, BODY_MAX),
    url: links.issueUrl,
    tag: `faultline-issue-${issue.id}`,
  };
}

/** The POST that hands `payload` to the subscription's push service. */
export async function buildPushRequest(
  subscription: PushSubscriptionTarget,
  payload: PushNotificationPayload,
  vapid: VapidKeys,
  now: number,
): Promise<AlertRequest> {
  const body = await encryptPushMessage(new TextEncoder().encode(JSON.stringify(payload)), subscription);
  return {
    url: subscription.endpoint,
    headers: {
      Authorization: await vapidAuthorization(subscription.endpoint, vapid, now),
      "Content-Encoding": "aes128gcm",
      "Content-Type": "application/octet-stream",
      TTL: String(TTL_SECONDS),
      // RFC 8030 §5.3: an alert is worth waking a device for.
      Urgency: "high",
      "User-Agent": "Faultline-Alerts",
    },
    body,
  };
}
