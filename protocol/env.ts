declare global {
  namespace Cloudflare {
    /** Bindings and vars of the Faultline Worker (wrangler.toml). */
    interface Env {
      DB: D1Database;
      RAW: R2Bucket;
      EVENTS: Queue;
      ALERTS: Queue;
      MAX_BODY_BYTES: string;
      MAX_EVENT_BYTES: string;
      INLINE_BODY_MAX_BYTES: string;
      KEY_CACHE_TTL_SECONDS: string;
      /** The dashboard's origin, for the links in alerts. */
      DASHBOARD_URL: string;
      /** The sender of alert emails: an address the send_email binding may send from. */
      ALERT_EMAIL_FROM: string;
      /** Cloudflare's send_email binding, for email alert targets; absent where not configured. */
      EMAIL?: SendEmail;
      /**
       * The install's VAPID key pair for push alerts (RFC 8292), base64url: the raw public point
       * and the private scalar. `npm run setup` makes them once (Worker secrets); `npm start`
       * keeps a pair in the local state folder. Without them push targets fail, saying so.
       */
      VAPID_PUBLIC_KEY?: string;
      VAPID_PRIVATE_KEY?: string;
      /** D1 and R2 calls one retention run may make (queue-consumer/jobs/enforce-retention.ts). */
      RETENTION_OPERATIONS_PER_RUN?: string;
      /**
       * "1" lets uptime monitors check loopback and private addresses: local development only
       * (scripts/local-dev.mjs sets it; a deploy never does). protocol/uptime-target.ts.
       */
      UPTIME_ALLOW_PRIVATE_TARGETS?: string;
    }
  }
}

export type Env = Cloudflare.Env;

/** Numeric vars arrive as strings; a missing or broken one falls back to the default. */
export function numericVar(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}
