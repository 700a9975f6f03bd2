import { describe, expect, it } from "vitest";
import { ingestMessageSchema } from "../../../protocol/ingest-message";
import { readdress, sdkEnvelopes } from "../../support/fixtures";
import { seedProject } from "../../support/seed";
import { nodeSessionAt } from "../../support/session-envelopes";
import {
  BASE,
  envelopeUrl,
  post,
  callApp,
  recordingQueue,
  gzip,
  waitForRows,
  envelope,
  EVENT_ID,
  smallEvent,
} from "../../support/ingest-requests";

describe("accepting real SDK envelopes", () => {
  it("answers 200 with the event id and delivers the event through the queue to the digest", async () => {
    const key = await seedProject();
    const body = readdress(sdkEnvelopes.nodeException, key.publicKey, key.projectId);
    const { status, json } = await post(envelopeUrl(key), body);
    expect(status).toBe(200);
    expect(json).toEqual({ id: "91ef9d7711054d688e0faf237f3eb262" });
    const [row] = await waitForRows(key.projectId, 1);
    expect(row).toMatchObject({ event_id: "91ef9d7711054d688e0faf237f3eb262", item_type: "event", title: "Error: failed to load config" });
  });

  it("answers {} for envelopes without an event (sessions, spans) and still keeps them", async () => {
    const key = await seedProject();
    const { status, json } = await post(envelopeUrl(key), nodeSessionAt());
    expect(status).toBe(200);
    expect(json).toEqual({});
    const spans = await post(envelopeUrl(key), sdkEnvelopes.nodeSpans);
    expect(spans.status).toBe(200);
    const rows = await waitForRows(key.projectId, 2);
    // The span stream's segment span is a transaction (queue-consumer/digest/items/span/).
    expect(rows.map((r: { item_type: string }) => r.item_type).sort()).toEqual(["segment", "session"]);
  });

  it("accepts what the browser SDK sends: text/plain, an Origin, no auth header", async () => {
    const key = await seedProject();
    const { res, status } = await post(envelopeUrl(key), sdkEnvelopes.browserException, {
      "content-type": "text/plain;charset=UTF-8",
      origin: "http://app.example",
    });
    expect(status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://app.example");
    expect(res.headers.get("access-control-expose-headers")).toContain("x-sentry-rate-limits");
  });

  it("accepts the path without a trailing slash and envelope content types", async () => {
    const key = await seedProject();
    for (const contentType of ["application/x-sentry-envelope", "application/json", ""]) {
      const { status } = await post(envelopeUrl(key, "envelope"), smallEvent, contentType ? { "content-type": contentType } : {});
      expect(status).toBe(200);
    }
  });

  it("accepts a body with no Content-Type at all", async () => {
    const key = await seedProject();
    const body = new TextEncoder().encode(smallEvent);
    // Bytes get no default Content-Type (a string body would get text/plain).
    expect(new Request(envelopeUrl(key), { method: "POST", body }).headers.get("content-type")).toBeNull();
    const { status, json } = await post(envelopeUrl(key), body);
    expect(status).toBe(200);
    expect(json).toEqual({ id: EVENT_ID });
  });

  it("accepts a chunked body with no Content-Length", async () => {
    const key = await seedProject();
    const bytes = new TextEncoder().encode(smallEvent);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(bytes.subarray(0, 10));
        controller.enqueue(bytes.subarray(10));
        controller.close();
      },
    });
    const { status, json } = await post(envelopeUrl(key), stream);
    expect(status).toBe(200);
    expect(json).toEqual({ id: EVENT_ID });
  });
});

describe("the queue message", () => {
  it("carries the project, key, arrival time, client and the decompressed body", async () => {
    const key = await seedProject();
    const { queue, sent } = recordingQueue();
    const body = readdress(sdkEnvelopes.nodeLargeMessage, key.publicKey, key.projectId);
    const before = Date.now();
    const { status } = await callApp(
      envelopeUrl(key),
      {
        body: await gzip(body),
        headers: { "content-encoding": "gzip", "cf-connecting-ip": "203.0.113.7", "user-agent": "sentry.javascript.node/11.12.0" },
      },
      { EVENTS: queue },
    );
    const after = Date.now();
    expect(status).toBe(200);
    expect(sent).toHaveLength(1);
    const { message, options } = sent[0] ?? {};
    // v8 keeps the body bytes (JSON would turn them into {}).
    expect(options).toEqual({ contentType: "v8" });
    expect(() => ingestMessageSchema.parse(message)).not.toThrow();
    expect(message).toMatchObject({
      v: 1,
      kind: "envelope",
      projectId: key.projectId,
      keyId: key.keyId,
      clientIp: "203.0.113.7",
      userAgent: "sentry.javascript.node/11.12.0",
      eventId: "efe167998cc14b5baeb1bf302acbb85a",
    });
    expect(message?.receivedAt).toBeGreaterThanOrEqual(before);
    expect(message?.receivedAt).toBeLessThanOrEqual(after);
    const expected = new TextEncoder().encode(body);
    expect(message?.size).toBe(expected.byteLength);
    expect(new TextDecoder().decode(message?.body)).toBe(body);
  });

  it("names a /store/ event's kind, and has no client fields the request did not send", async () => {
    const key = await seedProject();
    const { queue, sent } = recordingQueue();
    const event = JSON.stringify({ event_id: EVENT_ID, message: "from an old SDK" });
    const { status } = await callApp(
      `${BASE}/api/${key.projectId}/store/?sentry_key=${key.publicKey}`,
      { body: new TextEncoder().encode(event) },
      { EVENTS: queue },
    );
    expect(status).toBe(200);
    expect(sent[0]?.message).toMatchObject({
      kind: "store",
      projectId: key.projectId,
      keyId: key.keyId,
      clientIp: null,
      userAgent: null,
      eventId: EVENT_ID,
    });
    expect(new TextDecoder().decode(sent[0]?.message.body)).toBe(event);
  });
});
