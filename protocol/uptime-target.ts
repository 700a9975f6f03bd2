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

/**
 * Loopback, private, link-local, CGNAT, unspecified, multicast, reserved and documentation
 * addresses (IANA's special-purpose registries,
 * https://www.iana.org/assignments/iana-ipv4-special-registry/ and iana-ipv6-special-registry/),
 * an IPv4 address inside an IPv6 one, and local names.
 */
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
    const groups = ipv6Groups(host);
    if (groups === null) return true; // not an address the URL parser writes: refuse rather than guess
    return internalV6(groups);
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

function internalV4([a, b, c]: number[]): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b! >= 64 && b! <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b! >= 16 && b! <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) || // IETF protocol assignments, TEST-NET-1
    (a === 198 && (b === 18 || b === 19)) ||
    (a === 198 && b === 51 && c === 100) || // TEST-NET-2
    (a === 203 && b === 0 && c === 113) || // TEST-NET-3
    a! >= 224
  );
}

/** The eight 16-bit groups of an IPv6 address as the URL parser writes it (hex, `::` at most once). */
function ipv6Groups(host: string): number[] | null {
  const halves = host.split("::");
  if (halves.length > 2) return null;
  const part = (s: string | undefined) => (s === undefined || s === "" ? [] : s.split(":"));
  const head = part(halves[0]);
  const tail = part(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill("0"), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return all.map((g) => parseInt(g, 16));
}

const bytesOf = (hi: number, lo: number) => [hi >> 8, hi & 255, lo >> 8, lo & 255];

function internalV6(g: number[]): boolean {
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  // An IPv4 address carried inside: ::/96 (IPv4-compatible, and :: and ::1 with it),
  // ::ffff:0:0/96 (mapped), ::ffff:0:0:0/96 (translated), 64:ff9b::/96 (NAT64): the low 32 bits;
  // 2002::/16 (6to4): bits 16–48; 2001::/32 (Teredo, RFC 4380): the client's, its low 32 bits
  // inverted, and the Teredo server's, bits 32–64.
  if (zero(0, 5) && (g[5] === 0 || g[5] === 0xffff)) return internalV4(bytesOf(g[6]!, g[7]!));
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return internalV4(bytesOf(g[6]!, g[7]!));
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return internalV4(bytesOf(g[6]!, g[7]!));
  if (g[0] === 0x2002) return internalV4(bytesOf(g[1]!, g[2]!));
  if (g[0] === 0x2001 && g[1] === 0) return internalV4(bytesOf(g[6]! ^ 0xffff, g[7]! ^ 0xffff)) || internalV4(bytesOf(g[2]!, g[3]!));
  const first = g[0]!;
  return (
    (first === 0x64 && g[1] === 0xff9b) || // 64:ff9b:1::/48, NAT64 for local use
    (first === 0x2001 && g[1] === 0xdb8) || // documentation
    (first & 0xfe00) === 0xfc00 || // unique local
    (first & 0xffc0) === 0xfe80 || // link-local
    (first & 0xff00) === 0xff00 // multicast
  );
}
