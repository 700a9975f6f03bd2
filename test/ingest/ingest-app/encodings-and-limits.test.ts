import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { readdress, sdkEnvelopes } from "../../support/fixtures";
import { seedProject } from "../../support/seed";
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

describe("content encodings", () => {
  for (const [encoding, format] of [
    ["gzip", "gzip"],
    ["deflate", "deflate"],
    ["deflate", "deflate-raw"],
  ] as const) {
    it(`decodes ${encoding} (${format})`, async () => {
      const key = await seedProject();
      const body = readdress(sdkEnvelopes.nodeLargeMessage, key.publicKey, key.projectId);
      const { status, json } = await post(envelopeUrl(key), await gzip(body, format), { "content-encoding": encoding });
      expect(status).toBe(200);
      expect(json.id).toBe("efe167998cc14b5baeb1bf302acbb85a");
      const [row] = await waitForRows(key.projectId, 1);
      expect(row).toMatchObject({ event_id: "efe167998cc14b5baeb1bf302acbb85a", item_type: "event" });
    });
  }

  it("decodes brotli (sent by Python's SDK)", async () => {
    const { brotliCompressSync } = await import("node:zlib");
    const key = await seedProject();
    const { status, json } = await post(envelopeUrl(key), brotliCompressSync(Buffer.from(smallEvent)), { "content-encoding": "br" });
    expect(status).toBe(200);
    expect(json.id).toBe(EVENT_ID);
  });

  it("treats an empty Content-Encoding as none", async () => {
    const key = await seedProject();
    expect((await post(envelopeUrl(key), smallEvent, { "content-encoding": "" })).status).toBe(200);
  });

  it("answers 400 for corrupt compressed data and unknown encodings", async () => {
    const key = await seedProject();
    const corrupt = await post(envelopeUrl(key), "definitely not gzip", { "content-encoding": "gzip" });
    expect(corrupt.status).toBe(400);
    expect(corrupt.json.reason).toBe("bad_compression");
    const unknown = await post(envelopeUrl(key), smallEvent, { "content-encoding": "compress" });
    expect(unknown.status).toBe(400);
    expect(unknown.json.reason).toBe("unsupported_encoding");
  });
});

describe("limits", () => {
  it("answers 413 for a gzip bomb without inflating it all", async () => {
    const key = await seedProject();
    // 64 MiB of zeros compresses to ~64 KB; the limit is 20 MiB decompressed.
    const zeros = new Uint8Array(64 * 1024 * 1024);
    const bomb = await gzip(zeros);
    expect(bomb.byteLength).toBeLessThan(200_000);
    const { status, json } = await post(envelopeUrl(key), bomb, { "content-encoding": "gzip" });
    expect(status).toBe(413);
    expect(json.reason).toBe("body_too_large");
  });

  it("answers 413 for a brotli bomb (the real 20 MiB limit)", async () => {
    const { brotliCompressSync, constants } = await import("node:zlib");
    const key = await seedProject();
    const bomb = brotliCompressSync(new Uint8Array(24 * 1024 * 1024), { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } });
    expect(bomb.byteLength).toBeLessThan(200_000);
    const { status, json } = await callApp(envelopeUrl(key), { body: bomb, headers: { "content-encoding": "br" } });
    expect(status).toBe(413);
    expect(json.reason).toBe("body_too_large");
    expect(json.detail).toMatch(/20971520/);
  });

  for (const format of ["deflate", "deflate-raw"] as const) {
    it(`answers 413 for a deflate bomb (${format}, the real 20 MiB limit)`, async () => {
      const key = await seedProject();
      const bomb = await gzip(new Uint8Array(24 * 1024 * 1024), format);
      expect(bomb.byteLength).toBeLessThan(200_000);
      const { status, json } = await callApp(envelopeUrl(key), { body: bomb, headers: { "content-encoding": "deflate" } });
      expect(status).toBe(413);
      expect(json.reason).toBe("body_too_large");
      expect(typeof json.detail).toBe("string");
    });
  }

  it("answers 413 for an uncompressed body over 20 MiB", async () => {
    const key = await seedProject();
    const { status, json } = await post(envelopeUrl(key), new Uint8Array(20 * 1024 * 1024 + 1));
    expect(status).toBe(413);
    expect(json.reason).toBe("body_too_large");
    expect(typeof json.detail).toBe("string");
  });

  it("answers 413 for a chunked body over 20 MiB, without reading it all", async () => {
    const key = await seedProject();
    const chunk = new Uint8Array(1024 * 1024);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 64) return controller.close();
        sent += 1;
        controller.enqueue(chunk);
      },
    });
    const { status, json } = await callApp(envelopeUrl(key), { body: stream });
    expect(status).toBe(413);
    expect(json.reason).toBe("body_too_large");
    expect(typeof json.detail).toBe("string");
    expect(sent).toBeLessThan(64);
  });

  it("takes the body limit from MAX_BODY_BYTES", async () => {
    const key = await seedProject();
    const vars = { MAX_BODY_BYTES: "1000", EVENTS: recordingQueue().queue };
    const padded = `${smallEvent}\n${JSON.stringify({ type: "attachment", length: 2000 })}\n${"a".repeat(2000)}`;
    const { status, json } = await callApp(envelopeUrl(key), { body: padded }, vars);
    expect(status).toBe(413);
    expect(json.detail).toMatch(/1000 bytes/);
    expect((await callApp(envelopeUrl(key), { body: smallEvent }, vars)).status).toBe(200);
  });

  it("answers 413 for a /store/ event over 1 MiB", async () => {
    const key = await seedProject();
    const big = JSON.stringify({ event_id: EVENT_ID, message: "x".repeat(1_048_577) });
    const { status, json } = await post(`${BASE}/api/${key.projectId}/store/?sentry_key=${key.publicKey}`, big);
    expect(status).toBe(413);
    expect(json.reason).toBe("item_too_large");
    expect(typeof json.detail).toBe("string");
  });

  it("answers 413 for an event item over 1 MiB", async () => {
    const key = await seedProject();
    const big = envelope({ event_id: EVENT_ID }, [{ type: "event" }, JSON.stringify({ message: "x".repeat(1_048_577) })]);
    const { status, json } = await post(envelopeUrl(key), big);
    expect(status).toBe(413);
    expect(json.reason).toBe("item_too_large");
  });

  it("answers 400 for two events in one envelope", async () => {
    const key = await seedProject();
    const two = envelope({ event_id: EVENT_ID }, [{ type: "event" }, "{}"], [{ type: "transaction" }, "{}"]);
    const { status, json } = await post(envelopeUrl(key), two);
    expect(status).toBe(400);
    expect(json.reason).toBe("duplicate_item");
  });

  it("sends bodies over the queue message limit through R2", async () => {
    const key = await seedProject();
    const attachment = "a".repeat(300_000);
    const body = `${envelope({ event_id: EVENT_ID }, [{ type: "event" }, "{}"])}\n${JSON.stringify({ type: "attachment", length: attachment.length, filename: "big.txt" })}\n${attachment}`;
    const { status } = await post(envelopeUrl(key), body);
    expect(status).toBe(200);
    const rows = await waitForRows(key.projectId, 2);
    expect(rows.map((r: { item_type: string }) => r.item_type)).toEqual(["event", "attachment"]);
    const raw = await env.RAW.list({ prefix: `raw/${key.projectId}/` });
    expect(raw.objects).toHaveLength(1);
    expect(await (await env.RAW.get(raw.objects[0]?.key ?? ""))?.text()).toBe(body);
    const attachmentKey = rows[1]?.body_key ?? "";
    expect((await (await env.RAW.get(attachmentKey))?.text())?.length).toBe(300_000);
  });
});
