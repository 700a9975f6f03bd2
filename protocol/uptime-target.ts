/**
 * What an uptime monitor may watch and how often, read by the API when a monitor is created or
 * changed and by the minute job before every request (and every redirect): only http(s) URLs,
 * without credentials, to hosts that are not loopback, private, link-local or otherwise internal,
 * unless private targets are allowed (local development only: `UPTIME_ALLOW_PRIVATE_TARGETS`,
 * which the local stack sets and a deploy never does). A name that resolves to such an address is
 * not caught here: a Worker's fetch cannot reach a private network on Cloudflare.
 *
 * Intervals, timeout and thresholds follow Sentry's uptime monitors
 * (https://docs.sentry.io/product/uptime-monitoring/): a check every 1, 5, 10 or 60 minutes, three
 * failures in a row before an issue (its downtime threshold), one success to resolve it.
 */

export const UPTIME_INTERVAL_SECONDS = [60, 300, 600, 3600] as const;
export const UPTIME_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type UptimeMethod = (typeof UPTIME_METHODS)[number];

export const MIN_TIMEOUT_MS = 1000;
/** The longest a check may take, whatever the monitor asks: the minute job runs many. */
export const MAX_TIMEOUT_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_FAILURE_THRESHOLD = 3;
export const DEFAULT_RECOVERY_THRESHOLD = 1;
/** The most a threshold may ask for: a day of checks a minute apart. */
export const MAX_THRESHOLD = 1440;
export const MAX_URL_LENGTH = 2048;

/** Whether a var (`UPTIME_ALLOW_PRIVATE_TARGETS`) allows loopback and private targets. */
export function privateTargetsAllowed(value: string | undefined): boolean {
  return value === "1" || value === "true";
}

/** Why a URL may not be watched, or null when it may. */
export function uptimeUrlProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "only http and https URLs can be watched";
  if (url.username !== "" || url.password !== "") return "a URL with credentials cannot be watched";
  if (!allowPrivate && isInternalHost(url.hostname)) return `${url.hostname} is a loopback, private or internal address`;
  return null;
}

/** Loopback, private, link-local, CGNAT, unspecified and multicast addresses, and local names. */
export function isInternalHost(hostname: string): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".local") || host.endsWith(".internal")) return true;
  if (!host.includes(".") && !host.includes(":")) return true; // a bare name: resolved by a local resolver
  const v4 = ipv4Of(host);
  if (v4 !== null) return internalV4(v4);
  if (host.includes(":")) {
    // IPv4-mapped (::ffff:a.b.c.d, which URL writes as ::ffff:xxxx:xxxx).
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
    if (mapped) {
      const hi = parseInt(mapped[1]!, 16);
      const lo = parseInt(mapped[2]!, 16);
      return internalV4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
    }
    if (host === "::" || host === "::1") return true;
    const first = parseInt(host.split(":")[0] || "0", 16);
    // fc00::/7 unique local, fe80::/10 link-local, ff00::/8 multicast.
    return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xff00) === 0xff00;
  }
  return false;
}

function ipv4Of(host: string): number[] | null {
  // The URL parser already turned 127.1, 0x7f.1 and 2130706433 into dotted decimal.
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return null;
  const bytes = parts.map(Number);
  return bytes.every((b) => b <= 255) ? bytes : null;
}

function internalV4([a, b]: number[]): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b! >= 64 && b! <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b! >= 16 && b! <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a! >= 224
  );
}
