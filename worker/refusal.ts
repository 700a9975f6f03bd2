import type { OutcomeReason } from "../protocol/outcome";

/**
 * Every way ingest can refuse a request, as a value: an HTTP status and one of the outcome reasons
 * every stage shares (protocol/outcome.ts). Statuses follow Relay's
 * (https://develop.sentry.dev/sdk/expected-features/rate-limiting/ and the SDK
 * transport docs): SDKs treat 4xx as "drop" and 429 as "back off"; a 5xx is a failure that most
 * SDKs do not send again (crashpad keeps its report and does).
 */
export interface Refusal {
  status: 400 | 401 | 403 | 404 | 405 | 413 | 429 | 503;
  reason: OutcomeReason;
  detail: string;
  /** Seconds, for 429 and 503. */
  retryAfter?: number;
  /** Value of X-Sentry-Rate-Limits, for 429. */
  rateLimits?: string;
}

/**
 * Retry-After of a 503, in seconds. Short on purpose: the JavaScript SDKs read a Retry-After on
 * any status as "send nothing at all until then" (@sentry/core's updateRateLimits) and do not
 * resend the refused envelope, so every second of it drops the client's next events; most 503s
 * are a transient queue or D1 failure. Five seconds still spreads out clients during an overload.
 */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** Thrown by a step deep in a request; caught and answered in one place (`refusalResponse`). */
export class RefusedError extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.detail);
  }
}

export function refuse(status: Refusal["status"], reason: OutcomeReason, detail: string, extra?: Partial<Refusal>): never {
  throw new RefusedError({ status, reason, detail, ...extra });
}

export function refusalResponse(r: Refusal, headers: Headers = new Headers()): Response {
  headers.set("content-type", "application/json");
  // Relay puts the reason in X-Sentry-Error as well, which SDKs log in debug mode.
  headers.set("x-sentry-error", headerText(r.detail));
  if (r.retryAfter !== undefined) headers.set("retry-after", String(r.retryAfter));
  if (r.rateLimits !== undefined) headers.set("x-sentry-rate-limits", r.rateLimits);
  return new Response(JSON.stringify({ detail: r.detail, reason: r.reason }), { status: r.status, headers });
}

/** Longest X-Sentry-Error; the body carries the whole detail. */
const MAX_HEADER_DETAIL = 200;

/**
 * A detail as a header value. A detail may quote the client (an item type, a form field's name), and
 * a header refuses CR, LF and NUL (Headers.set throws, which would turn the refusal into a 5xx) and
 * carries other non-ASCII only by a quirk of the runtime: all of these are escaped, and the length is capped.
 */
function headerText(detail: string): string {
  const escaped = detail.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return escaped.length <= MAX_HEADER_DETAIL ? escaped : `${escaped.slice(0, MAX_HEADER_DETAIL - 3)}...`;
}
