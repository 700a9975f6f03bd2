import { SELF, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { enqueueIngest } from "../../worker/enqueue-ingest";
import { RefusedError } from "../../worker/refusal";
import { seedProject } from "../support/seed";

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

  it("cuts the User-Agent and client IP it copies to 1024 characters", async () => {
    const sent: unknown[] = [];
    const recording = { send: async (message: unknown) => void sent.push(message) } as unknown as Queue;
    const long = { ...meta, userAgent: "u".repeat(100_000), clientIp: "1".repeat(100_000) };
    await enqueueIngest({ queue: recording, bucket: env.RAW, inlineMaxBytes: 100 }, long, new Uint8Array(10));
    expect(sent).toEqual([expect.objectContaining({ userAgent: "u".repeat(1024), clientIp: "1".repeat(1024) })]);
  });
});

describe("the ingest endpoint, for an event sent with a huge User-Agent", () => {
  it("accepts it: the header cannot push the queue message past its limit", async () => {
    const key = await seedProject();
    const body = `{}\n{"type":"event"}\n${JSON.stringify({ message: "x".repeat(95_000) })}`;
    const res = await SELF.fetch(`http://ingest.test/api/${key.projectId}/envelope/?sentry_key=${key.publicKey}`, {
      method: "POST",
      body,
      headers: { "user-agent": "u".repeat(100_000), "x-real-ip": "1".repeat(20_000) },
    });
    expect(res.status).toBe(200);
  });
});
