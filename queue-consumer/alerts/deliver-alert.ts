import { readEventData } from "../../protocol/event-data";
import type { AlertTargetType } from "../../db/alert-rule-definition";
import type { Env } from "../../protocol/env";
import type { AlertContext } from "../../alert-channels/alert-context";
import { type AlertQueueMessage, alertQueueMessageSchema } from "../../protocol/alert-queue-message";
import { retryDelaySeconds } from "../../alert-channels/alert-retry-delay";
import { type AlertDispatch, UnsendableTargetError, buildAlertDispatch } from "../../alert-channels/build-alert-dispatch";
import { evaluateAlertRules } from "./evaluate-alert-rules";
import { deliverPushAlert } from "./deliver-push-alert";
import type { VapidKeys } from "../../alert-channels/vapid-authorization";
import { ALERT_TIMEOUT_MS, type AttemptResult, sendAlertRequest } from "../../alert-channels/send-alert-request";

/** What delivery needs from the outside world; the Worker's bindings in production, stand-ins in tests. */
export interface DeliveryDeps {
  fetch: typeof fetch;
  /** Sends a raw MIME message; undefined when the Worker has no send_email binding. */
  sendEmail: ((from: string, to: string, raw: string) => Promise<void>) | undefined;
  emailFrom: string;
  /** The install's key pair for Web Push (RFC 8292); undefined when none is configured. */
  vapid: VapidKeys | undefined;
  dashboardUrl: string;
  now: () => number;
  timeoutMs: number;
}

// Longer than an attempt can take (its timeout plus two D1 writes): while it runs, a duplicate
// of its queue message waits instead of sending a second time.
const LEASE_MS = ALERT_TIMEOUT_MS + 25_000;

export function deliveryDepsFrom(env: Env): DeliveryDeps {
  const binding = env.EMAIL;
  return {
    fetch: (input, init) => fetch(input, init),
    sendEmail:
      binding === undefined
        ? undefined
        : async (from, to, raw) => {
            // A runtime module: imported here so the rest of the consumer loads without it.
            const { EmailMessage } = await import("cloudflare:email");
            await binding.send(new EmailMessage(from, to, raw));
          },
    emailFrom: env.ALERT_EMAIL_FROM,
    vapid:
      env.VAPID_PUBLIC_KEY && env.VAPID_PRIVATE_KEY
        ? // The push service's operator may write to the alerts' sender (RFC 8292 §2.1).
          { publicKey: env.VAPID_PUBLIC_KEY, privateKey: env.VAPID_PRIVATE_KEY, subject: `mailto:${env.ALERT_EMAIL_FROM}` }
        : undefined,
    dashboardUrl: env.DASHBOARD_URL,
    now: Date.now,
    timeoutMs: ALERT_TIMEOUT_MS,
  };
}

/**
 * Consumer of the `alerts` queue. Messages of a batch are handled side by side, so a target that
 * hangs until its timeout holds up no other delivery. A message that fails in an unexpected way
 * is retried by Queues with backoff, and past max_retries lands in `alerts-dlq`.
 */
export async function deliverAlerts(batch: MessageBatch<unknown>, env: Env, deps: DeliveryDeps = deliveryDepsFrom(env)): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      const parsed = alertQueueMessageSchema.safeParse(message.body);
      if (!parsed.success) {
        console.error("alerts: unreadable message dropped", message.id, parsed.error.message);
        message.ack();
        return;
      }
      try {
        await handleAlertMessage(parsed.data, message, env, deps);
      } catch (err) {
        console.error("alerts: message failed, retrying", message.id, err);
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts, null) });
      }
    }),
  );
}

async function handleAlertMessage(body: AlertQueueMessage, message: Message<unknown>, env: Env, deps: DeliveryDeps): Promise<void> {
  if (body.kind === "evaluate") {
    const { kind: _kind, ...evaluation } = body;
    // Its firings count for the throttle from when they are sent, which queue backoff may have put off.
    await evaluateAlertRules(env.DB, env.ALERTS, { ...evaluation, firedAt: evaluation.firedAt ?? Date.now() });
    message.ack();
    return;
  }
  const decision = await deliverAlert(env.DB, body.deliveryId, deps);
  if (decision.retryInSeconds === null) message.ack();
  else message.retry({ delaySeconds: decision.retryInSeconds });
}

interface DeliveryRow {
  status: string;
  lease_until: number | null;
  project_id: number;
  context: string;
  event_id: string | null;
  type: AlertTargetType | null;
  url: string | null;
  address: string | null;
  secret: string | null;
}

/**
 * One attempt at one delivery: claims it (so that a duplicate message does not send it twice),
 * sends it, logs the attempt and records the outcome. Says whether to retry, and when.
 */
export async function deliverAlert(
  d1: D1Database,
  deliveryId: number,
  deps: DeliveryDeps,
): Promise<{ retryInSeconds: number | null; result: AttemptResult | null }> {
  const now = deps.now();
  const [claimed, loaded] = await d1.batch([
    d1
      .prepare(
        `UPDATE alert_deliveries SET status = 'sending', attempts = attempts + 1, lease_until = ?2, updated_at = ?3
         WHERE id = ?1 AND (status IN ('pending', 'retrying') OR (status = 'sending' AND lease_until < ?3))
         RETURNING attempts`,
      )
      .bind(deliveryId, now + LEASE_MS, now),
    d1
      .prepare(
        `SELECT d.status, d.lease_until, d.project_id, f.context, f.context ->> '$.event.eventId' AS event_id, t.type, t.url, t.address, t.secret
         FROM alert_deliveries d JOIN alert_firings f ON f.id = d.firing_id
         -- Only the target the delivery was made for: ids are given again once freed, maybe to another project's.
         LEFT JOIN alert_targets t ON t.id = d.target_id AND t.rule_id = d.rule_id AND t.type = d.target_type
           AND EXISTS (SELECT 1 FROM alert_rules r WHERE r.id = t.rule_id AND r.project_id = d.project_id)
         WHERE d.id = ?1`,
      )
      .bind(deliveryId),
  ]);
  const attempt = (claimed?.results[0] as { attempts: number } | undefined)?.attempts;
  const row = loaded?.results[0] as DeliveryRow | undefined;
  if (row === undefined) return { retryInSeconds: null, result: null };
  if (attempt === undefined) {
    // Someone else holds it: come back when their lease ends. Sent or failed: nothing left to do.
    if (row.status === "sending" && row.lease_until !== null)
      return { retryInSeconds: Math.max(1, Math.ceil((row.lease_until - now) / 1000)), result: null };
    return { retryInSeconds: null, result: null };
  }

  // Whatever fails before the request goes out (reading the stored event, say) is an attempt
  // like any other: logged, and retried after its delay instead of left "sending" until the lease ends.
  const result = await attemptDelivery(d1, deliveryId, row, now, deps).catch((err: unknown): AttemptResult => ({
    outcome: "retry",
    httpStatus: null,
    latencyMs: deps.now() - now,
    error: `could not prepare the request: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300),
    retryAfterSeconds: null,
  }));

  const retryInSeconds = result.outcome === "retry" ? retryDelaySeconds(attempt, result.retryAfterSeconds) : null;
  const status = result.outcome === "sent" ? "sent" : result.outcome === "failed" ? "failed" : "retrying";
  const finished = deps.now();
  try {
    await d1.batch([
      d1
        .prepare(
          `INSERT INTO alert_delivery_attempts (delivery_id, attempt, started_at, latency_ms, http_status, outcome, error, retry_delay_seconds)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`,
        )
        .bind(
          deliveryId,
          attempt,
          now,
          Math.max(0, Math.round(result.latencyMs)),
          result.httpStatus,
          result.outcome,
          result.error,
          retryInSeconds,
        ),
      d1
        .prepare(
          `UPDATE alert_deliveries SET status = ?2, lease_until = NULL, last_error = ?3, updated_at = ?4,
             sent_at = CASE WHEN ?2 = 'sent' THEN ?4 ELSE sent_at END
           WHERE id = ?1`,
        )
        .bind(deliveryId, status, result.error, finished),
    ]);
  } catch (err) {
    // Sent is sent: a retry now would notify twice. The log misses this attempt; the log line says so.
    if (result.outcome !== "sent") throw err;
    console.error("alerts: delivery sent but not recorded", deliveryId, err);
  }
  return { retryInSeconds, result };
}

async function attemptDelivery(
  d1: D1Database,
  deliveryId: number,
  row: DeliveryRow,
  now: number,
  deps: DeliveryDeps,
): Promise<AttemptResult> {
  if (row.type === null) return failed("the target was removed from its rule");
  const context = JSON.parse(row.context) as AlertContext;
  if (row.type === "push")
    return deliverPushAlert(d1, { id: deliveryId, projectId: row.project_id, address: row.address, context }, now, deps);
  const eventData = row.type === "webhook" ? await loadEventData(d1, row.project_id, row.event_id) : null;
  let dispatch: AlertDispatch;
  try {
    dispatch = await buildAlertDispatch({ type: row.type, url: row.url, address: row.address, secret: row.secret }, context, {
      dashboardUrl: deps.dashboardUrl,
      emailFrom: deps.emailFrom,
      now,
      eventData,
    });
  } catch (err) {
    if (err instanceof UnsendableTargetError) return failed(err.message);
    throw err;
  }
  return send(dispatch, deps);
}

function failed(error: string): AttemptResult {
  return { outcome: "failed", httpStatus: null, latencyMs: 0, error, retryAfterSeconds: null };
}

async function send(dispatch: AlertDispatch, deps: DeliveryDeps): Promise<AttemptResult> {
  if (dispatch.kind === "http") return sendAlertRequest(dispatch, { fetch: deps.fetch, timeoutMs: deps.timeoutMs, now: deps.now });
  if (deps.sendEmail === undefined) return failed("no send_email binding (EMAIL) is configured");
  const started = deps.now();
  try {
    await deps.sendEmail(dispatch.from, dispatch.to, dispatch.raw);
    return { outcome: "sent", httpStatus: null, latencyMs: deps.now() - started, error: null, retryAfterSeconds: null };
  } catch (err) {
    return {
      outcome: "retry",
      httpStatus: null,
      latencyMs: deps.now() - started,
      error: `email: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300),
      retryAfterSeconds: null,
    };
  }
}

/** The stored event (unique index on project + event_id), for the generic webhook; null when gone or unreadable. */
async function loadEventData(d1: D1Database, projectId: number, eventId: string | null): Promise<Record<string, unknown> | null> {
  if (eventId === null) return null;
  const row = await d1
    .prepare("SELECT data FROM events WHERE project_id = ?1 AND event_id = ?2")
    .bind(projectId, eventId)
    .first<{ data: ArrayBuffer }>();
  if (row === null) return null;
  try {
    return (await readEventData(row.data)).data;
  } catch (err) {
    console.error("alerts: stored event unreadable", projectId, eventId, err);
    return null;
  }
}
