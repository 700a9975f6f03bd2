/**
 * Every reason for which Faultline refuses or drops what a client sent, at ingest or in the
 * digest: one list for every stage, as Relay's `Outcome`/`DiscardReason` serves all of its own
 * (https://develop.sentry.dev/sdk/telemetry/outcomes/). Ingest answers with one of them (and an
 * HTTP status, worker/refusal.ts); the digest records one beside what it could not read
 * (rejected_envelopes.reason), so the ingest-problems page names both in the same words.
 */
export const OUTCOME_REASONS = [
  // Ingest: the request itself.
  "not_found",
  "method_not_allowed",
  "missing_auth",
  "conflicting_auth",
  "unknown_key",
  "key_disabled",
  "project_mismatch",
  "origin_not_allowed",
  "unsupported_encoding",
  "bad_compression",
  "empty_body",
  "invalid_event_id",
  "duplicate_item",
  "invalid_multipart",
  "missing_minidump",
  "invalid_minidump",
  "body_too_large",
  "item_too_large",
  "too_many_items",
  "rate_limited",
  "unavailable",
  // Ingest or digest: the content.
  "malformed_envelope",
  "malformed_event",
  // Check-ins (https://develop.sentry.dev/sdk/telemetry/check-ins/): one that cannot be read, for a
  // monitor that does not exist (and comes with no config to create it) or is disabled, or whose
  // monitor_config cannot be used.
  "invalid_check_in",
  "unknown_monitor",
  "monitor_disabled",
  "invalid_monitor_config",
  // Transactions and spans (https://develop.sentry.dev/sdk/foundations/transport/event-payloads/transaction/,
  // https://develop.sentry.dev/sdk/telemetry/spans/span-protocol/): a transaction Relay would
  // refuse (no trace context, ends before it starts; here also one over 24 hours), spans that
  // cannot be read (no ids, impossible times), and spans past the 1,000 a tree keeps.
  "invalid_transaction",
  "invalid_span",
  "too_many_spans",
  // User feedback (https://develop.sentry.dev/sdk/data-model/envelope-items/#user-feedback): a
  // feedback with no message or id, a user report with no comments or event id.
  "invalid_feedback",
  // Sessions (https://develop.sentry.dev/sdk/telemetry/sessions/): an update or aggregate with an
  // unknown status, no release or an invalid one, a start too far in the future or past, or a
  // count that is not one (digest/items/session/prepare-session.ts).
  "invalid_session",
  // Digest: the queue message.
  "invalid_message",
  "missing_body",
] as const;

export type OutcomeReason = (typeof OUTCOME_REASONS)[number];
