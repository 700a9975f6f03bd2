import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { seedProject, type SeededKey } from "../../support/seed";
import { BASE, callApp, post, recordingQueue, waitForRows, EVENT_ID } from "../../support/ingest-requests";
import ravenGo from "../../fixtures/raven/raven-go.store?raw";
import ravenGoHeadersJson from "../../fixtures/raven/raven-go.headers.json?raw";
import ravenRuby from "../../fixtures/raven/raven-ruby.store?raw";
import ravenRubyHeadersJson from "../../fixtures/raven/raven-ruby.headers.json?raw";

const ravenGoHeaders = JSON.parse(ravenGoHeadersJson) as Record<string, string>;
const ravenRubyHeaders = JSON.parse(ravenRubyHeadersJson) as Record<string, string>;

/** A capture's headers, its X-Sentry-Auth naming the seeded key (the secret is kept as sent). */
function legacyHeaders(captured: Record<string, string>, key: SeededKey): Record<string, string> {
  const { path: _, ...headers } = captured;
  return { ...headers, "x-sentry-auth": headers["x-sentry-auth"]!.replace("sentry_key=publickey", `sentry_key=${key.publicKey}`) };
}

const storeUrl = (key: SeededKey) => `${BASE}/api/${key.projectId}/store/`;
const eventIdOf = (base64: string) => JSON.parse(zlib.inflateSync(Buffer.from(base64, "base64")).toString()).event_id as string;

describe("/store/ bodies of legacy clients", () => {
  it("records raven-go's base64 of zlib'd JSON, sent with the old DSN's secret", async () => {
    const key = await seedProject();
    const { status, json } = await post(storeUrl(key), ravenGo, legacyHeaders(ravenGoHeaders, key));
    expect(status).toBe(200);
    expect(json).toEqual({ id: eventIdOf(ravenGo) });
    const [row] = await waitForRows(key.projectId, 1);
    expect(row).toMatchObject({
      event_id: eventIdOf(ravenGo),
      item_type: "event",
      title: "*errors.fundamental: order of 10 has no items to price",
    });
  });

  it("records raven-ruby's, the same encoding with a newer auth header", async () => {
    const key = await seedProject();
    const { status, json } = await post(storeUrl(key), ravenRuby, legacyHeaders(ravenRubyHeaders, key));
    expect(status).toBe(200);
    expect(json).toEqual({ id: eventIdOf(ravenRuby) });
    const [row] = await waitForRows(key.projectId, 1);
    expect(row).toMatchObject({ event_id: eventIdOf(ravenRuby), item_type: "event", title: "PaymentDeclined: card declined for order 17" });
  });

  it("queues the decoded JSON event, so the digest reads it like any other", async () => {
    const key = await seedProject();
    const { queue, sent } = recordingQueue();
    const { status } = await callApp(storeUrl(key), { body: ravenRuby, headers: legacyHeaders(ravenRubyHeaders, key) }, { EVENTS: queue });
    expect(status).toBe(200);
    const queued = JSON.parse(new TextDecoder().decode(sent[0]?.message.body));
    expect(queued).toMatchObject({ event_id: eventIdOf(ravenRuby), sdk: { name: "raven-ruby", version: "3.1.2" } });
  });

  it("reads base64 under a Content-Encoding too", async () => {
    const key = await seedProject();
    const body = zlib.gzipSync(Buffer.from(ravenGo));
    const headers = { ...legacyHeaders(ravenGoHeaders, key), "content-encoding": "gzip" };
    expect((await post(storeUrl(key), body, headers)).json).toEqual({ id: eventIdOf(ravenGo) });
  });

  it("answers 400 with a reason for a body that is neither JSON nor base64, or base64 of neither", async () => {
    const key = await seedProject();
    const headers = legacyHeaders(ravenGoHeaders, key);
    const notBase64 = await post(storeUrl(key), "%%% not an event %%%", headers);
    expect(notBase64.status).toBe(400);
    expect(notBase64.json.reason).toBe("malformed_event");
    const notCompressed = await post(storeUrl(key), Buffer.from("\x00\x01 not deflate").toString("base64"), headers);
    expect(notCompressed.status).toBe(400);
    expect(notCompressed.json.reason).toBe("bad_compression");
    const notAnEvent = await post(storeUrl(key), zlib.deflateSync("[1,2]").toString("base64"), headers);
    expect(notAnEvent.status).toBe(400);
    expect(notAnEvent.json.reason).toBe("malformed_event");
  });

  it("answers 413 for a zlib bomb behind base64, at the body limit, and for an event over 1 MiB", async () => {
    const key = await seedProject();
    const headers = legacyHeaders(ravenGoHeaders, key);
    // 64 MiB of spaces deflate to ~64 KB; the limit is 20 MiB decompressed, as for a Content-Encoding body.
    const bomb = zlib.deflateSync(Buffer.alloc(64 * 1024 * 1024, " ")).toString("base64");
    expect(bomb.length).toBeLessThan(200_000);
    const { status, json } = await post(storeUrl(key), bomb, headers);
    expect(status).toBe(413);
    expect(json.reason).toBe("body_too_large");
    const big = zlib.deflateSync(JSON.stringify({ event_id: EVENT_ID, message: "x".repeat(1_048_577) })).toString("base64");
    expect((await post(storeUrl(key), big, headers)).json.reason).toBe("item_too_large");
  });
});
