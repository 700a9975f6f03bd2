// Queues delays a retried message by at most 12 hours (https://developers.cloudflare.com/queues/configuration/batching-retries/#delay-messages).
export const MAX_DELAY_SECONDS = 43_200;
const BACKOFF_BASE_SECONDS = 15;
const BACKOFF_FACTOR = 3;
const BACKOFF_MAX_SECONDS = 3_600;

/**
 * How long to wait before attempt `attempt + 1`: what the target asked for with Retry-After when
 * it did, else exponential backoff (15 s, 45 s, 2¼ min, ~7 min, ~20 min, then hourly), so the
 * alerts consumer's retries span a chat outage of an hour and a half before the dead-letter queue.
 */
export function retryDelaySeconds(attempt: number, retryAfter: number | null): number {
  const seconds = retryAfter ?? Math.min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * BACKOFF_FACTOR ** Math.max(0, attempt - 1));
  return Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(seconds)));
}

/** Retry-After (https://www.rfc-editor.org/rfc/rfc9110#field.retry-after): delay seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(header: string | null, now: number): number | null {
  if (header === null) return null;
  const value = header.trim();
  // Seconds; Discord sends fractions (https://discord.com/developers/docs/topics/rate-limits#header-format).
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  // An HTTP date names its day and month ("Fri, 20 Nov 2026 09:01:30 GMT"); bare numbers were handled above.
  if (!/[a-z]/i.test(value)) return null;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, (date - now) / 1000);
}
