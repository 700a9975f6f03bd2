/**
 * One uptime check of one URL, as the minute job runs it for an uptime monitor: a request
 * with the monitor's method, redirects followed by hand (at most MAX_REDIRECTS, each target
 * checked again, a loop is a failure), the whole check bounded by the monitor's timeout through
 * an AbortSignal (a server that never answers, or answers a byte a minute, is a timeout), and
 * the body read only when a keyword is asked for, and then at most MAX_BODY_BYTES of it (a
 * 5 GB body costs 1 MiB). The check succeeds when the status is in the expected range and the
 * keyword, if any, is in what was read. Sentry's uptime checks work the same way
 * (https://docs.sentry.io/product/uptime-monitoring/).
 *
 * Which URLs may be watched is protocol/uptime-target.ts's rule, checked again at each hop.
 */
import { MAX_TIMEOUT_MS, type UptimeMethod, isInternalHost, uptimeUrlProblem } from "../../protocol/uptime-target";

export interface UptimeTarget {
  url: string;
  method: UptimeMethod;
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
export { MAX_TIMEOUT_MS, isInternalHost, uptimeUrlProblem };

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
