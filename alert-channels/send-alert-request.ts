import { parseRetryAfter } from "./alert-retry-delay";

/** Each attempt to reach a target gives up after this long. */
export const ALERT_TIMEOUT_MS = 5_000;
const ERROR_BODY_MAX = 300;
/** Of an answer's body, at most this much is read. */
const RESPONSE_READ_MAX = 65_536;

export interface AlertRequest {
  url: string;
  headers: Record<string, string>;
  /** JSON for chat platforms and webhooks; encrypted bytes for a push service. */
  body: string | Uint8Array;
}

export interface AttemptResult {
  outcome: "sent" | "retry" | "failed";
  httpStatus: number | null;
  latencyMs: number;
  error: string | null;
  /** Seconds the target asked us to wait (Retry-After), when it did. */
  retryAfterSeconds: number | null;
}

/**
 * POSTs an alert and says what to do next: `sent` on 2xx; `retry` on a timeout, a network error,
 * 408, 425, 429 and 5xx (with the target's Retry-After when given); `failed` on anything else,
 * which retrying would not change (a deleted Slack webhook answers 404, an archived channel
 * 410). Redirects are not followed: a webhook URL that moved is a configuration to fix.
 */
export async function sendAlertRequest(
  request: AlertRequest,
  options: { fetch?: typeof fetch; timeoutMs?: number; now?: () => number } = {},
): Promise<AttemptResult> {
  const send = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? ALERT_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const started = now();
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await send(request.url, { method: "POST", headers: request.headers, body: request.body, redirect: "manual", signal });
  } catch (err) {
    const timedOut = signal.aborted || (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError"));
    return {
      outcome: "retry",
      httpStatus: null,
      latencyMs: now() - started,
      error: timedOut ? `timed out after ${timeoutMs} ms` : `network error: ${errorText(err)}`,
      retryAfterSeconds: null,
    };
  }
  const latencyMs = now() - started;
  const status = response.status;
  // A status means the target took the request: a 2xx is sent whatever its body does next (a body
  // that stalls past the timeout once made a delivered alert look timed out, and sent it twice).
  if (status >= 200 && status < 300) {
    response.body?.cancel().catch(() => {});
    return { outcome: "sent", httpStatus: status, latencyMs, error: null, retryAfterSeconds: null };
  }
  // Otherwise the body is only the error's text, read within what is left of the timeout.
  const text = await readStart(response, RESPONSE_READ_MAX).catch(() => "");
  const detail = text.trim().slice(0, ERROR_BODY_MAX);
  const error = `HTTP ${status}${detail === "" ? "" : `: ${detail}`}`;
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    return {
      outcome: "retry",
      httpStatus: status,
      latencyMs,
      error,
      retryAfterSeconds: parseRetryAfter(response.headers.get("retry-after"), now()),
    };
  }
  if (status >= 300 && status < 400) {
    return {
      outcome: "failed",
      httpStatus: status,
      latencyMs,
      error: `HTTP ${status}: redirected to ${response.headers.get("location") ?? "nowhere"}; use the final URL`,
      retryAfterSeconds: null,
    };
  }
  return { outcome: "failed", httpStatus: status, latencyMs, error, retryAfterSeconds: null };
}

/**
 * The first `max` bytes of a body, the rest left unread: an answer is only looked at for its
 * error text, and a target that answers with an endless body must not fill the Worker's memory.
 */
async function readStart(response: Response, max: number): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= max) {
      await reader.cancel().catch(() => {});
      break;
    }
  }
  return new Blob(chunks).slice(0, max).text();
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, ERROR_BODY_MAX);
}
