import { describe, expect, it } from "vitest";
import { prepareMessage } from "../queue-consumer/prepare-message";
import type { IngestMessage } from "../worker/ingest-message";

const encoder = new TextEncoder();

function ingestMessage(body: Uint8Array): IngestMessage {
  return { v: 1, kind: "envelope", projectId: 1, keyId: 1, receivedAt: Date.now(), clientIp: null, userAgent: null, eventId: null, size: body.byteLength, body: body as Uint8Array<ArrayBuffer> };
}

describe("prepareMessage", () => {
  it("keeps a small item without the request body around it: a crash's session beside a 5 MB screenshot", async () => {
    const session = '{"sid":"7c3f0a1e2b4d4f6a8c9e0b1d2f3a4c5e","status":"crashed","errors":1}';
    const screenshot = new Uint8Array(5 * 1024 * 1024).fill(0x89);
    const head = encoder.encode(`{"event_id":"0123456789abcdef0123456789abcdef"}\n{"type":"session","length":${session.length}}\n${session}\n{"type":"attachment","length":${screenshot.byteLength},"filename":"screenshot.png"}\n`);
    const body = new Uint8Array(head.byteLength + screenshot.byteLength + 1);
    body.set(head);
    body.set(screenshot, head.byteLength);
    body[body.byteLength - 1] = 0x0a;

    const stored = new Map<string, Uint8Array>();
    const prepared = await prepareMessage(ingestMessage(body), body, { messageId: "m-1", scrub: { enabled: true, extraKeys: [] }, storeBlob: async (key, bytes) => void stored.set(key, bytes) });

    const [kept, attachment] = prepared.items;
    expect(kept).toMatchObject({ itemType: "session", bodyKey: null });
    expect(new TextDecoder().decode(kept!.payload!)).toBe(session);
    // Its own bytes, not a view of the 5 MB body: a batch of such messages must not hold every body until it is written.
    expect(kept!.payload!.buffer.byteLength).toBe(session.length);
    expect(attachment).toMatchObject({ itemType: "attachment", payload: null, bodyKey: "items/1/m-1/1" });
    expect(stored.get("items/1/m-1/1")?.byteLength).toBe(screenshot.byteLength);
  });
});
