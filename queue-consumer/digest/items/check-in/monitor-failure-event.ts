/**
 * The error event a failed, missed or timed-out check-in becomes, so that a monitor's failures
 * are issues like any other: grouped per monitor, environment and kind of failure, counted, shown
 * in the stream, regressed when they come back, and sent through the alert rules by the same
 * digest write (https://docs.sentry.io/product/crons/#issues). The event is written only when
 * the check-in statements decide the failure counts (failure_issue_threshold, see
 * check-in-statements.ts), so it is built for every failure and gated in the batch.
 */
import type { IngestMessage } from "../../../../protocol/ingest-message";
import { fingerprintEvent } from "../error/fingerprint-event";
import { type PreparedEvent, prepareErrorEvent } from "../error/prepare-error";
import type { ScrubOptions } from "../error/scrub-event";
import { derivedId } from "../../derived-id";

export type FailureKind = "error" | "missed" | "timeout";

const TITLES: Record<FailureKind, string> = {
  error: "Cron failure",
  missed: "Missed check-in",
  timeout: "Cron timeout",
};

const FAILURE_KINDS: readonly FailureKind[] = ["error", "missed", "timeout"];

export interface MonitorFailure {
  projectId: number;
  slug: string;
  environment: string;
  kind: FailureKind;
  /** The stored check-in's id, which makes the event's id: a failure delivered twice is one event. */
  guid: string;
  /** When the failure became known (ms). */
  at: number;
  release: string | null;
  traceId: string | null;
  /** For missed and timed-out runs: when the run was expected, or started (ms). */
  expectedAt?: number | null;
}

function fingerprintOf(slug: string, environment: string, kind: FailureKind): string[] {
  return ["cron-monitor", slug, environment, kind];
}

/** The event of one failure, normalized, scrubbed and grouped like any error event. */
export async function prepareMonitorFailureEvent(failure: MonitorFailure, scrub: ScrubOptions): Promise<PreparedEvent> {
  const { slug, environment, kind } = failure;
  const eventId = await failureEventId(failure.projectId, failure.guid, kind);
  const raw = {
    event_id: eventId,
    timestamp: failure.at / 1000,
    level: "error",
    platform: "other",
    logger: "monitors",
    message: `${TITLES[kind]}: ${slug}`,
    transaction: slug,
    environment,
    release: failure.release ?? undefined,
    fingerprint: fingerprintOf(slug, environment, kind),
    tags: { "monitor.slug": slug, "monitor.status": kind === "missed" ? "missed_checkin" : kind },
    contexts: {
      monitor: {
        slug,
        environment,
        status: kind,
        check_in_id: failure.guid,
        ...(failure.expectedAt ? { expected_time: new Date(failure.expectedAt).toISOString() } : {}),
      },
      ...(failure.traceId ? { trace: { trace_id: failure.traceId, span_id: failure.traceId.slice(0, 16) } } : {}),
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
  return { ...(await prepareErrorEvent(raw, message, eventId, scrub)), gated: true };
}

/** The issue fingerprints of a monitor's environment, one per kind of failure: what a recovery resolves. */
export async function monitorIssueFingerprints(slug: string, environment: string): Promise<string[]> {
  return Promise.all(
    FAILURE_KINDS.map(async (kind) => (await fingerprintEvent({ fingerprint: fingerprintOf(slug, environment, kind) })).hash),
  );
}

function failureEventId(projectId: number, guid: string, kind: FailureKind): Promise<string> {
  return derivedId(`monitor-failure:${projectId}:${guid}:${kind}`);
}
