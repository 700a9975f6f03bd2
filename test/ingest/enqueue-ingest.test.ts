import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { enqueueIngest } from "../../worker/enqueue-ingest";
import { RefusedError } from "../../worker/refusal";

const meta = {
  v: 1 as const,
  kind: "envelope" as const,
  projectId: 9,
  keyId: 1,
  receivedAt: Date.UTC(2026, 10, 22),
  clientIp: null,
  userAgent: null,
  eventId: null,
};

// A queue that is down: the one thing here that cannot be produced with the real local queue.
const downQueue = { send: async () => Promise.reject(new Error("queue unavailable")) } as unknown as Queue;

describe("enqueueIngest", () => {
  it("answers 503 with Retry-After when the queue refuses, so the SDK retries instead of losing the event", async () => {
    let caught: unknown;
    try {
      await enqueueIngest({ queue: downQueue, bucket: env.RAW, inlineMaxBytes: 100 }, meta, new Uint8Array(10));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(RefusedError);
    expect((caught as RefusedError).refusal).toMatchObject({ status: 503, reason: "unavailable", retryAfter: 5 });
  });

  it("removes the R2 copy of a large body when the enqueue fails", async () => {
    const before = await env.RAW.list({ prefix: "raw/9/" });
    await enqueueIngest({ queue: downQueue, bucket: env.RAW, inlineMaxBytes: 100 }, meta, new Uint8Array(1000)).catch(() => {});
    const after = await env.RAW.list({ prefix: "raw/9/" });
    expect(after.objects.length).toBe(before.objects.length);
  });
});
