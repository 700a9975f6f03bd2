/**
 * Check-ins one monitor (project and slug) may send per minute. A job checks in twice a run and
 * Sentry's schedules have minute granularity, so more than this is a loop gone wrong, and each
 * check-in is D1 rows written. Counted per isolate like the key quota (rate-limit.ts).
 */
import { RateLimiter } from "./rate-limit";
import { refuse } from "./refusal";

export const CHECK_INS_PER_MONITOR_PER_MINUTE = 60;

const limiter = new RateLimiter<string>();

/**
 * Counts the check-ins of one request, and refuses it (429) when a monitor is over its quota,
 * naming only the `monitor` category (https://develop.sentry.dev/sdk/expected-features/rate-limiting/),
 * so an SDK holds back its check-ins and nothing else.
 */
export function takeCheckIns(projectId: number, slugs: readonly string[], now = Date.now()): void {
  for (const slug of slugs) {
    const decision = limiter.take(`${projectId}\u0000${slug}`, CHECK_INS_PER_MONITOR_PER_MINUTE, now);
    if (!decision.allowed)
      refuse(429, "rate_limited", `monitor ${slug.slice(0, 50)} sent more than ${CHECK_INS_PER_MONITOR_PER_MINUTE} check-ins this minute`, {
        retryAfter: decision.retryAfter,
        rateLimits: `${decision.retryAfter}:monitor:project:monitor_rate_limit`,
      });
  }
}
