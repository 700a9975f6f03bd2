/**
 * A push target's delivery: one Web Push request to each browser in which the target's member
 * turned notifications on. Browsers that already took this delivery are skipped, so a retry
 * (one push service answered 503) does not notify the others twice; a subscription its push
 * service answers 404 or 410 for is gone for good (RFC 8030 §7.3) and is removed.
 */
import { type AlertContext, alertLinks } from "../../alert-channels/alert-context";
import { buildPushRequest, formatPushNotification } from "../../alert-channels/build-push-request";
import { PushKeyError } from "../../alert-channels/encrypt-push-message";
import { type AttemptResult, sendAlertRequest } from "../../alert-channels/send-alert-request";
import type { VapidKeys } from "../../alert-channels/vapid-authorization";

export interface PushDeliveryDeps {
  fetch: typeof fetch;
  vapid: VapidKeys | undefined;
  dashboardUrl: string;
  now: () => number;
  timeoutMs: number;
}

interface SubscriptionRow {
  id: number;
  endpoint: string;
  p256dh: string;
  auth: string;
  last_delivery_id: number | null;
}

export async function deliverPushAlert(
  d1: D1Database,
  delivery: { id: number; projectId: number; address: string | null; context: AlertContext },
  now: number,
  deps: PushDeliveryDeps,
): Promise<AttemptResult> {
  if (deps.vapid === undefined) return failed("no VAPID keys are configured (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY)");
  if (delivery.address === null) return failed("push target without a member");
  // Only while the member belongs to the project's organization (memberships' primary key, users' unique email).
  const { results } = await d1
    .prepare(
      `SELECT s.id, s.endpoint, s.p256dh, s.auth, s.last_delivery_id
       FROM users u
       JOIN memberships m ON m.user_id = u.id AND m.organization_id = (SELECT organization_id FROM projects WHERE id = ?2)
       JOIN push_subscriptions s ON s.user_id = u.id
       WHERE u.email = ?1 COLLATE NOCASE
       ORDER BY s.id`,
    )
    .bind(delivery.address, delivery.projectId)
    .all<SubscriptionRow>();
  if (results.length === 0) return failed(`${delivery.address} has no browser with notifications turned on`);
  const pending = results.filter((s) => s.last_delivery_id !== delivery.id);
  if (pending.length === 0) return { outcome: "sent", httpStatus: null, latencyMs: 0, error: null, retryAfterSeconds: null };

  const payload = formatPushNotification(delivery.context, alertLinks(deps.dashboardUrl, delivery.context));
  const vapid = deps.vapid;
  const outcomes = await Promise.all(
    pending.map(async (subscription): Promise<AttemptResult> => {
      let result: AttemptResult;
      try {
        const request = await buildPushRequest(subscription, payload, vapid, now);
        result = await sendAlertRequest(request, { fetch: deps.fetch, timeoutMs: deps.timeoutMs, now: deps.now });
      } catch (err) {
        // Keys checked when the browser subscribed cannot go bad; a row edited by hand can.
        if (!(err instanceof PushKeyError)) throw err;
        result = failed(`subscription keys unusable: ${err.message}`);
      }
      if (result.outcome === "sent") {
        await d1.prepare("UPDATE push_subscriptions SET last_delivery_id = ?2 WHERE id = ?1").bind(subscription.id, delivery.id).run();
      } else if (result.httpStatus === 404 || result.httpStatus === 410 || result.error?.startsWith("subscription keys unusable")) {
        await d1.prepare("DELETE FROM push_subscriptions WHERE id = ?1").bind(subscription.id).run();
        result = { ...result, error: `${result.error}; the subscription was removed` };
      }
      return result;
    }),
  );
  return combineResults(outcomes, pending.length);
}

/**
 * One outcome for the delivery: retried while any browser's push service asked for a retry
 * (the ones that took it are skipped then), sent when at least one browser took it, failed
 * when none could.
 */
export function combineResults(results: AttemptResult[], browsers: number): AttemptResult {
  const latencyMs = Math.max(0, ...results.map((r) => r.latencyMs));
  const errors = results.filter((r) => r.error !== null).map((r) => r.error);
  const error = errors.length === 0 ? null : `${errors.length} of ${browsers} browsers: ${errors.join(" | ")}`.slice(0, 300);
  const retries = results.filter((r) => r.outcome === "retry");
  if (retries.length > 0) {
    const waits = retries.map((r) => r.retryAfterSeconds).filter((s): s is number => s !== null);
    return {
      outcome: "retry",
      httpStatus: retries[0]!.httpStatus,
      latencyMs,
      error,
      retryAfterSeconds: waits.length === 0 ? null : Math.max(...waits),
    };
  }
  const sent = results.find((r) => r.outcome === "sent");
  if (sent !== undefined) return { outcome: "sent", httpStatus: sent.httpStatus, latencyMs, error, retryAfterSeconds: null };
  return { outcome: "failed", httpStatus: results[0]?.httpStatus ?? null, latencyMs, error, retryAfterSeconds: null };
}

function failed(error: string): AttemptResult {
  return { outcome: "failed", httpStatus: null, latencyMs: 0, error, retryAfterSeconds: null };
}
