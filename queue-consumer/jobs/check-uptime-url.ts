/**
 * One uptime check of one URL, as the minute job will run it for an uptime monitor: a request
 * with the monitor's method, redirects followed by hand (at most MAX_REDIRECTS, each target
 * checked again, a loop is a failure), the whole check bounded by the monitor's timeout through
 * an AbortSignal (a server that never answers, or answers a byte a minute, is a timeout), and
 * the body read only when a keyword is asked for, and then at most MAX_BODY_BYTES of it (a
 * 5 GB body costs 1 MiB). The check succeeds when the status is in the expected range and the
 * keyword, if any, is in what was read. Sentry's uptime checks work the same way
 * (https://docs.sentry.io/product/uptime-monitoring/).
 *
 * Only http(s) URLs, without credentials, to hosts that are not loopback, private, link-local or
 * otherwise internal, unless `allowPrivate` (local development). A name that resolves to such an
 * address is not caught here: a Worker's fetch cannot reach a private network on Cloudflare.
 */

export interface UptimeTarget {
  url: string;
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";
  /** Inclusive, e.g. [200, 299]. */
  expectedStatus: readonly [number, number];
  timeoutMs: number;
  /** A text the body must contain; null to not read the body. */
  bodyKeyword: string | null;
}

export interface UptimeResult {
  status: "ok" | "error";
  /** The final response's status, null when none came. */
  httpStatus: number | null;
  /** From the request to the final response's headers, or to the failure. */
  latencyMs: number;
  /** Why it failed, for the check-in and the issue; null when ok. */
  reason: string | null;
}

export interface UptimeCheckDeps {
  fetch: (request: Request) => Promise<Response>;
  now: () => number;
  allowPrivate: boolean;
}

export const MAX_REDIRECTS = 5;
export const MAX_BODY_BYTES = 1024 * 1024;
/** The longest a check may take, whatever the monitor asks: the minute job runs many. */
export const MAX_TIMEOUT_MS = 30_000;

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

export async function checkUptimeUrl(target: UptimeTarget, deps: UptimeCheckDeps): Promise<UptimeResult> {
  const started = deps.now();
  const failed = (reason: string, httpStatus: number | null = null): UptimeResult => ({
    status: "error",
    httpStatus,
    latencyMs: Math.max(0, deps.now() - started),
    reason,
  });
  const controller = new AbortController();
  const timeoutMs = Math.min(Math.max(1, target.timeoutMs), MAX_TIMEOUT_MS);
  const timer = setTimeout(() => controller.abort(new Error("timeout")), timeoutMs);
  try {
    let url = target.url;
    let method: string = target.method;
    for (let hop = 0; ; hop++) {
      const problem = uptimeUrlProblem(url, deps.allowPrivate);
      if (problem !== null) return failed(hop === 0 ? problem : `redirected to a URL that cannot be watched: ${problem}`);
      const response = await raceAbort(
        deps.fetch(
          new Request(url, { method, redirect: "manual", signal: controller.signal, headers: { "user-agent": "Faultline-Uptime/1" } }),
        ),
        controller.signal,
      );
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.body?.cancel().catch(() => undefined);
        if (hop >= MAX_REDIRECTS) return failed(`more than ${MAX_REDIRECTS} redirects`, response.status);
        url = new URL(location, url).toString();
        // As browsers do: a 303 (and a POST's 301/302) goes on as GET.
        if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === "POST")) method = "GET";
        continue;
      }
      const latencyMs = Math.max(0, deps.now() - started);
      const [min, max] = target.expectedStatus;
      if (response.status < min || response.status > max) {
        await response.body?.cancel().catch(() => undefined);
        return { ...failed(`status ${response.status}, expected ${min}–${max}`, response.status), latencyMs };
      }
      if (target.bodyKeyword === null || target.bodyKeyword === "") {
        await response.body?.cancel().catch(() => undefined);
        return { status: "ok", httpStatus: response.status, latencyMs, reason: null };
      }
      const text = await readAtMost(response, MAX_BODY_BYTES, controller.signal);
      if (!text.includes(target.bodyKeyword))
        return { ...failed(`the first ${MAX_BODY_BYTES} bytes do not contain the keyword`, response.status), latencyMs };
      return { status: "ok", httpStatus: response.status, latencyMs, reason: null };
    }
  } catch (err) {
    if (controller.signal.aborted) return failed(`no answer within ${timeoutMs} ms`);
    return failed(`request failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500));
  } finally {
    clearTimeout(timer);
  }
}

/** A promise that rejects once the signal aborts, whether or not the fetch honours it. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    promise.then(resolve, reject);
  });
}

/** Up to `max` bytes of the body as text; the rest is never read. */
async function readAtMost(response: Response, max: number, signal: AbortSignal): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await raceAbort(reader.read(), signal);
      if (done) break;
      const part = value.byteLength > max - size ? value.subarray(0, max - size) : value;
      chunks.push(part);
      size += part.byteLength;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
