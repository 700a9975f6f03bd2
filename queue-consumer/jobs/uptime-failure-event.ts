/**
 * The error event a failed uptime check becomes, so that a site going down is an issue like any
 * other ("Uptime failure: <monitor>"): grouped per monitor, counted, regressed
 * when it comes back, and sent through the alert rules (new issue, regression) by the same write
 * as the check (https://docs.sentry.io/product/uptime-monitoring/#uptime-issues). It is built for
 * every failed check and gated in the batch: written only when the check counts toward an issue
 * (uptime-check-statements.ts, items/error/insert-events.ts). Its id is made from the monitor
 * and the scheduled time, so a check written twice is one event.
 */
import type { IngestMessage } from "../../protocol/ingest-message";
import { derivedId } from "../digest/derived-id";
import { fingerprintEvent } from "../digest/items/error/fingerprint-event";
import { type PreparedEvent, prepareErrorEvent } from "../digest/items/error/prepare-error";

export interface UptimeFailure {
  projectId: number;
  monitorId: number;
  name: string;
  url: string;
  method: string;
  environment: string;
  scheduledAt: number;
  /** When the check was made (ms). */
  at: number;
  httpStatus: number | null;
  reason: string;
}

const SCRUB = { enabled: true, extraKeys: [] };

/** One issue per monitor, whatever its environment or name becomes. */
function fingerprintOf(monitorId: number): string[] {
  return ["uptime-monitor", String(monitorId)];
}

export function uptimeFailureTitle(name: string): string {
  return `Uptime failure: ${name}`;
}

export function uptimeFailureEventId(monitorId: number, scheduledAt: number): Promise<string> {
  return derivedId(`uptime-failure:${monitorId}:${scheduledAt}`);
}

/** The event of one failed check, normalized, scrubbed and grouped like any error event. */
export async function prepareUptimeFailureEvent(failure: UptimeFailure): Promise<PreparedEvent> {
  const eventId = await uptimeFailureEventId(failure.monitorId, failure.scheduledAt);
  const raw = {
    event_id: eventId,
    timestamp: failure.at / 1000,
    level: "error",
    platform: "other",
    logger: "uptime",
    message: uptimeFailureTitle(failure.name),
    transaction: failure.name,
    environment: failure.environment,
    fingerprint: fingerprintOf(failure.monitorId),
    tags: { "uptime.monitor": String(failure.monitorId), "uptime.url": failure.url.slice(0, 200) },
    request: { url: failure.url, method: failure.method },
    contexts: {
      uptime: {
        monitor_id: failure.monitorId,
        url: failure.url,
        method: failure.method,
        http_status: failure.httpStatus,
        reason: failure.reason,
        scheduled_time: new Date(failure.scheduledAt).toISOString(),
      },
    },
  };
  const message: IngestMessage = {
    v: 1,
    kind: "envelope",
    projectId: failure.projectId,
    keyId: 0,
    receivedAt: failure.at,
    clientIp: null,
    userAgent: null,
    eventId,
    size: 0,
  };
  return { ...(await prepareErrorEvent(raw, message, eventId, SCRUB)), gated: true };
}

/** The fingerprint hash of a monitor's issue: what a recovery resolves. */
export async function uptimeIssueFingerprint(monitorId: number): Promise<string> {
  return (await fingerprintEvent({ fingerprint: fingerprintOf(monitorId) })).hash;
}
