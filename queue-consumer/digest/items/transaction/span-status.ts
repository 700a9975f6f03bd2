/**
 * Span and transaction statuses as Sentry counts them
 * (https://develop.sentry.dev/sdk/foundations/transport/event-payloads/span/, `status`): a
 * transaction fails when its status is anything but ok, cancelled or unknown (Sentry's
 * failure_rate(), https://docs.sentry.io/product/insights/overview/metrics/#failure-rate).
 */
const STATUSES = new Set([
  "ok",
  "cancelled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal_error",
  "unavailable",
  "data_loss",
  "unauthenticated",
]);

// Older SDKs' spellings, as Relay reads them (relay-base-schema SpanStatus::from_str).
const ALIASES: Record<string, string> = { unknown_error: "unknown", canceled: "cancelled", success: "ok" };

const NOT_FAILURES = new Set(["ok", "cancelled", "unknown"]);

export function isFailure(status: string): boolean {
  return !NOT_FAILURES.has(status);
}

/** A transaction's or span's status; what is missing or not a status is unknown, as in Relay. */
export function normalizeSpanStatus(value: unknown): string {
  if (typeof value !== "string") return "unknown";
  const status = value.trim().toLowerCase();
  const known = ALIASES[status] ?? status;
  return STATUSES.has(known) ? known : "unknown";
}

/**
 * A span v2 status (`ok` or `error`) as a span status, the way Relay converts a span v2 to a v1
 * span (relay-spans v2_to_v1.rs): ok stays ok; an error takes the status its HTTP response code
 * names, else internal_error; anything else is unknown.
 */
export function spanV2Status(value: unknown, httpStatusCode: number | undefined): string {
  if (value === "ok") return "ok";
  if (value !== "error") return "unknown";
  return (httpStatusCode === undefined ? undefined : statusOfHttpCode(httpStatusCode)) ?? "internal_error";
}

/** Sentry's status for an HTTP response code (the SDKs' and Relay's table). */
export function statusOfHttpCode(code: number): string | undefined {
  if (!Number.isInteger(code) || code < 100 || code > 599) return undefined;
  if (code < 400) return "ok";
  const named: Record<number, string> = {
    400: "invalid_argument",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    409: "already_exists",
    413: "failed_precondition",
    429: "resource_exhausted",
    499: "cancelled",
    501: "unimplemented",
    503: "unavailable",
    504: "deadline_exceeded",
  };
  return named[code] ?? (code < 500 ? "invalid_argument" : "internal_error");
}
