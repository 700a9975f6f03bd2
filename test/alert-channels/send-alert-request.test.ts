import { describe, expect, it } from "vitest";
import { ALERT_TIMEOUT_MS, sendAlertRequest } from "../../alert-channels/send-alert-request";
import { receivedBy, receiverKey, receiverUrl } from "../support/alert-receivers/receiver-client";

// A minimal valid Slack message, so that the stand-in receiver judges only the behaviour.
const slackBody = JSON.stringify({ text: "Faultline", blocks: [{ type: "section", text: { type: "mrkdwn", text: "Faultline" } }] });
const post = (url: string) => sendAlertRequest({ url, headers: { "Content-Type": "application/json" }, body: slackBody });

describe("sendAlertRequest", () => {
  it("is sent when the target answers 2xx", async () => {
    const key = receiverKey("send-ok");
    expect(await post(receiverUrl("ok", "slack", key))).toMatchObject({
      outcome: "sent",
      httpStatus: 200,
      error: null,
      retryAfterSeconds: null,
    });
    const [request] = await receivedBy(key);
    expect(request).toMatchObject({ status: 200, problems: [], body: slackBody });
    expect(request!.headers["content-type"]).toBe("application/json");
  });

  it("retries a 429 after the target's Retry-After", async () => {
    const key = receiverKey("send-429");
    expect(await post(receiverUrl("ratelimited", "slack", key))).toMatchObject({
      outcome: "retry",
      httpStatus: 429,
      retryAfterSeconds: 7,
      error: expect.stringContaining("HTTP 429"),
    });
    expect(await post(receiverUrl("ratelimited", "slack", key))).toMatchObject({ outcome: "sent" });
  });

  it("retries a 5xx, and gives up on a 4xx that retrying cannot fix", async () => {
    expect(await post(receiverUrl("down", "slack", receiverKey("send-500")))).toMatchObject({
      outcome: "retry",
      httpStatus: 500,
      error: "HTTP 500: internal error",
    });
    expect(await post(receiverUrl("gone", "slack", receiverKey("send-410")))).toMatchObject({
      outcome: "failed",
      httpStatus: 410,
      error: "HTTP 410: channel_is_archived",
    });
    const invalid = await sendAlertRequest({
      url: receiverUrl("ok", "slack", receiverKey("send-400")),
      headers: {},
      body: JSON.stringify({ text: "x", blocks: [] }),
    });
    expect(invalid).toMatchObject({ outcome: "failed", httpStatus: 400, error: "HTTP 400: invalid_blocks" });
  });

  it("reads only the start of an answer that never ends, and stops reading it", async () => {
    let pulled = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 16_384;
        controller.enqueue(new TextEncoder().encode("x".repeat(16_384)));
      },
      cancel() {
        cancelled = true;
      },
    });
    const fetchEndless = (async () => new Response(endless, { status: 503 })) as unknown as typeof fetch;
    const result = await sendAlertRequest({ url: "https://hooks.example.com/endless", headers: {}, body: "{}" }, { fetch: fetchEndless });
    expect(result).toMatchObject({ outcome: "retry", httpStatus: 503, error: `HTTP 503: ${"x".repeat(300)}` });
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThanOrEqual(131_072);
  });

  it("is sent on a 2xx whose body then stalls, and keeps the status of an error whose body stalls", async () => {
    // A body that never ends and fails only when the request's signal gives up, as fetch's does.
    const stalling = (status: number) =>
      (async (_url: string, init: RequestInit) =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new TextEncoder().encode("o"));
              init.signal?.addEventListener("abort", () => controller.error(init.signal?.reason));
            },
          }),
          { status },
        )) as unknown as typeof fetch;
    const request = { url: "https://hooks.example.com/slow", headers: {}, body: "{}" };
    // Counted as timed out before, and so sent a second time on the retry.
    expect(await sendAlertRequest(request, { fetch: stalling(200), timeoutMs: 200 })).toMatchObject({
      outcome: "sent",
      httpStatus: 200,
      error: null,
    });
    expect(await sendAlertRequest(request, { fetch: stalling(503), timeoutMs: 200 })).toMatchObject({
      outcome: "retry",
      httpStatus: 503,
      error: "HTTP 503",
    });
  });

  it("retries when nothing listens", async () => {
    const closed = await post("http://127.0.0.1:9/");
    expect(closed).toMatchObject({ outcome: "retry", httpStatus: null, error: expect.stringMatching(/^network error: /) });
  });

  it(
    `gives up on a target that does not answer after ${ALERT_TIMEOUT_MS} ms, and retries`,
    async () => {
      const key = receiverKey("send-hang");
      const result = await post(receiverUrl("hang", "slack", key));
      expect(result).toMatchObject({ outcome: "retry", httpStatus: null, error: "timed out after 5000 ms" });
      expect(result.latencyMs).toBeGreaterThanOrEqual(ALERT_TIMEOUT_MS);
      expect(await receivedBy(key)).toHaveLength(1);
    },
    // Long enough for the timeout itself on a loaded machine: the assertion is on the outcome, not the clock.
    60_000,
  );
});
