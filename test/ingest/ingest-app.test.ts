import { SELF, createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { Env } from "../../protocol/env";
import { ingestApp } from "../../worker/ingest-app";
import { parseEnvelope } from "../../protocol/parse-envelope";
import { type IngestMessage, ingestMessageSchema } from "../../protocol/ingest-message";
import {
  CRASH_EVENT_ID,
  breadcrumbFiles,
  buildMinidump,
  crashScopeEvent,
  crashpadUpload,
  encodeMsgpack,
  multipart,
} from "../support/crashpad-upload";
import { readdress, sdkEnvelopes } from "../support/fixtures";
import { type SeededKey, seedProject } from "../support/seed";

const BASE = "http://ingest.test";

function envelopeUrl(key: SeededKey, path = "envelope/", query = `?sentry_key=${key.publicKey}&sentry_version=7`) {
  return `${BASE}/api/${key.projectId}/${path}${query}`;
}

async function post(url: string, body: BodyInit | null, headers: Record<string, string> = {}) {
  const res = await SELF.fetch(url, { method: "POST", body, headers });
  const text = await res.text();
  return { res, status: res.status, json: text ? JSON.parse(text) : null };
}

/** The real app with the real bindings, except those a test replaces (a failing queue or D1, a var). */
async function callApp(url: string, init: RequestInit, overrides: Partial<Env> = {}) {
  const res = await ingestApp.fetch(new Request(url, { method: "POST", ...init }), { ...env, ...overrides }, createExecutionContext());
  const text = await res.text();
  return { res, status: res.status, json: text ? JSON.parse(text) : null };
}

/** A stand-in EVENTS queue that keeps what ingest sends, where the real one would deliver it to the consumer. */
function recordingQueue() {
  const sent: Array<{ message: IngestMessage; options: unknown }> = [];
  const queue = {
    send: async (message: IngestMessage, options?: unknown) => {
      sent.push({ message, options });
    },
  } as unknown as Queue;
  return { queue, sent };
}

async function gzip(text: string | Uint8Array, format: "gzip" | "deflate" | "deflate-raw" = "gzip"): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** What the digest made of everything accepted for a project: events and other items, one row each. */
async function receivedRows(projectId: number) {
  const { results } = await env.DB.prepare(
    `SELECT event_id, 'event' AS item_type, title, NULL AS body_key FROM events WHERE project_id = ?1
     UNION ALL SELECT event_id, item_type, NULL, body_key FROM stored_items WHERE project_id = ?1
     UNION ALL SELECT NULL, 'rejected:' || reason, detail, NULL FROM rejected_envelopes WHERE project_id = ?1`,
  )
    .bind(projectId)
    .all<{ event_id: string | null; item_type: string; title: string | null; body_key: string | null }>();
  return results;
}

/** Waits for the real local queue to deliver to the consumer. */
async function waitForRows(projectId: number, count: number) {
  return vi.waitFor(
    async () => {
      const rows = await receivedRows(projectId);
      if (rows.length < count) throw new Error(`only ${rows.length} of ${count} rows`);
      return rows;
    },
    { timeout: 15_000, interval: 100 },
  );
}

function envelope(header: object, ...items: Array<[object, string]>): string {
  return [JSON.stringify(header), ...items.flatMap(([h, p]) => [JSON.stringify(h), p])].join("\n");
}

const EVENT_ID = "0123456789abcdef0123456789abcdef";
const smallEvent = envelope({ event_id: EVENT_ID }, [{ type: "event" }, JSON.stringify({ message: "hi", level: "error" })]);

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
    const { status, json } = await post(envelopeUrl(key), sdkEnvelopes.nodeSession);
    expect(status).toBe(200);
    expect(json).toEqual({});
    const spans = await post(envelopeUrl(key), sdkEnvelopes.nodeSpans);
    expect(spans.status).toBe(200);
    const rows = await waitForRows(key.projectId, 2);
    expect(rows.map((r: { item_type: string }) => r.item_type).sort()).toEqual(["session", "span"]);
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

describe("authentication", () => {
  it("takes the key from X-Sentry-Auth", async () => {
    const key = await seedProject();
    const { status } = await post(envelopeUrl(key, "envelope/", ""), smallEvent, {
      "x-sentry-auth": `Sentry sentry_key=${key.publicKey}, sentry_version=7, sentry_client=test/1.0`,
    });
    expect(status).toBe(200);
  });

  it("takes the key from Authorization: Sentry ...", async () => {
    const key = await seedProject();
    const { status } = await post(envelopeUrl(key, "envelope/", ""), smallEvent, {
      authorization: `Sentry sentry_key=${key.publicKey}, sentry_version=7`,
    });
    expect(status).toBe(200);
  });

  it("takes the key from the envelope header's dsn", async () => {
    const key = await seedProject();
    const body = envelope({ event_id: EVENT_ID, dsn: `https://${key.publicKey}@faultline.example/${key.projectId}` }, [
      { type: "event" },
      "{}",
    ]);
    const { status } = await post(envelopeUrl(key, "envelope/", ""), body);
    expect(status).toBe(200);
  });

  it("answers 401 without any key", async () => {
    const key = await seedProject();
    const { status, json, res } = await post(envelopeUrl(key, "envelope/", ""), smallEvent);
    expect(status).toBe(401);
    expect(json.detail).toMatch(/missing/);
    expect(res.headers.get("x-sentry-error")).toBe(json.detail);
  });

  it("answers 401 for an unknown key, and keeps answering it from the cache", async () => {
    const key = await seedProject();
    for (let i = 0; i < 3; i++) {
      const { status, json } = await post(`${BASE}/api/${key.projectId}/envelope/?sentry_key=ffffffffffffffffffffffffffffffff`, smallEvent);
      expect(status).toBe(401);
      expect(json.reason).toBe("unknown_key");
    }
  });

  it("answers 401 when two places name different keys", async () => {
    const key = await seedProject();
    const other = await seedProject();
    const { status, json } = await post(envelopeUrl(key), smallEvent, { "x-sentry-auth": `Sentry sentry_key=${other.publicKey}` });
    expect(status).toBe(401);
    expect(json.reason).toBe("conflicting_auth");
    const viaDsn = envelope({ dsn: `https://${other.publicKey}@x.example/${other.projectId}` }, [{ type: "event" }, "{}"]);
    expect((await post(envelopeUrl(key), viaDsn)).json.reason).toBe("conflicting_auth");
  });

  it("answers 403 for a disabled key", async () => {
    const key = await seedProject({ enabled: false });
    const { status, json } = await post(envelopeUrl(key), smallEvent);
    expect(status).toBe(403);
    expect(json.reason).toBe("key_disabled");
  });

  it("answers 403 when the key belongs to another project", async () => {
    const key = await seedProject();
    const other = await seedProject();
    const { status, json } = await post(`${BASE}/api/${other.projectId}/envelope/?sentry_key=${key.publicKey}`, smallEvent);
    expect(status).toBe(403);
    expect(json.reason).toBe("project_mismatch");
  });

  it("enforces a key's allowed origins, and lets server SDKs (no Origin) through", async () => {
    const key = await seedProject({ allowedOrigins: ["https://app.example.com", "*.example.org"] });
    expect((await post(envelopeUrl(key), smallEvent, { origin: "https://app.example.com" })).status).toBe(200);
    expect((await post(envelopeUrl(key), smallEvent, { origin: "https://shop.example.org" })).status).toBe(200);
    expect((await post(envelopeUrl(key), smallEvent)).status).toBe(200);
    const denied = await post(envelopeUrl(key), smallEvent, { origin: "https://evil.example.net" });
    expect(denied.status).toBe(403);
    expect(denied.json.reason).toBe("origin_not_allowed");
    const viaReferer = await post(envelopeUrl(key), smallEvent, { referer: "https://evil.example.net/page" });
    expect(viaReferer.status).toBe(403);
  });

  it("answers 403 when the envelope header's dsn names another project", async () => {
    const key = await seedProject();
    const other = await seedProject();
    const body = envelope({ event_id: EVENT_ID, dsn: `https://${key.publicKey}@faultline.example/${other.projectId}` }, [
      { type: "event" },
      "{}",
    ]);
    const { status, json } = await post(envelopeUrl(key, "envelope/", ""), body);
    expect(status).toBe(403);
    expect(json.reason).toBe("project_mismatch");
    expect(typeof json.detail).toBe("string");
  });

  it("answers 404 for a non-numeric project id, as Sentry's routes do", async () => {
    const key = await seedProject();
    const { status } = await post(`${BASE}/api/abc/envelope/?sentry_key=${key.publicKey}`, smallEvent);
    expect(status).toBe(404);
  });
});

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

describe("malformed input", () => {
  const cases: Array<[string, string, string]> = [
    ["an empty body", "", "empty_body"],
    ["a header that is not JSON", "not json\n", "malformed_envelope"],
    ["a header that is an array", "[]\n", "malformed_envelope"],
    ["an item header that is not JSON", `{}\n{type:event}\n{}`, "malformed_envelope"],
    ["an item without a type", `{}\n{"length":2}\n{}`, "malformed_envelope"],
    ["an item shorter than its length", `{}\n{"type":"event","length":100}\n{}`, "malformed_envelope"],
    ["a negative length", `{}\n{"type":"event","length":-1}\n{}`, "malformed_envelope"],
    ["a bad event id", `{"event_id":"not-an-id"}\n{"type":"event"}\n{}`, "invalid_event_id"],
    ["a bad event id in the event itself", `{}\n{"type":"event"}\n{"message":"hi","event_id":"not-an-id"}`, "invalid_event_id"],
  ];
  for (const [what, body, reason] of cases) {
    it(`answers 400 for ${what}`, async () => {
      const key = await seedProject();
      const { status, json } = await post(envelopeUrl(key), body);
      expect(status).toBe(400);
      expect(json.reason).toBe(reason);
      expect(typeof json.detail).toBe("string");
    });
  }

  it("accepts unknown item types (the consumer counts them)", async () => {
    const key = await seedProject();
    const body = envelope({}, [{ type: "something_new", length: 2 }, "{}"]);
    expect((await post(envelopeUrl(key), body)).status).toBe(200);
    const [row] = await waitForRows(key.projectId, 1);
    expect(row?.item_type).toBe("something_new");
  });

  it("accepts hyphenated and upper-case event ids, answering the canonical form", async () => {
    const key = await seedProject();
    const body = envelope({ event_id: "01234567-89AB-CDEF-0123-456789ABCDEF" }, [{ type: "event" }, "{}"]);
    const { json } = await post(envelopeUrl(key), body);
    expect(json.id).toBe("0123456789abcdef0123456789abcdef");
  });

  it("answers the event's top-level id, not an event_id nested in its extra data", async () => {
    const key = await seedProject();
    const payload = JSON.stringify({ extra: { job: { event_id: "order-1234" } }, event_id: EVENT_ID, message: "hi" });
    const { status, json } = await post(envelopeUrl(key), envelope({}, [{ type: "event" }, payload]));
    expect(status).toBe(200);
    expect(json).toEqual({ id: EVENT_ID });
  });

  it("answers 405 for GET on the endpoints", async () => {
    const key = await seedProject();
    const res = await SELF.fetch(envelopeUrl(key));
    expect(res.status).toBe(405);
  });
});

describe("/store/ (legacy JSON events)", () => {
  it("accepts a JSON event with X-Sentry-Auth and answers its id", async () => {
    const key = await seedProject();
    const { status, json } = await post(
      `${BASE}/api/${key.projectId}/store/`,
      JSON.stringify({ event_id: EVENT_ID, message: "from an old SDK", platform: "python" }),
      { "x-sentry-auth": `Sentry sentry_key=${key.publicKey}, sentry_version=7`, "content-type": "application/json" },
    );
    expect(status).toBe(200);
    expect(json).toEqual({ id: EVENT_ID });
    const [row] = await waitForRows(key.projectId, 1);
    expect(row).toMatchObject({ event_id: EVENT_ID, item_type: "event", title: "from an old SDK" });
  });

  it("assigns an event id when the event has none, and the consumer gets the same one", async () => {
    const key = await seedProject();
    const { json } = await post(
      `${BASE}/api/${key.projectId}/store/?sentry_key=${key.publicKey}`,
      await gzip(JSON.stringify({ message: "no id" })),
      {
        "content-encoding": "gzip",
      },
    );
    expect(json.id).toMatch(/^[0-9a-f]{32}$/);
    const [row] = await waitForRows(key.projectId, 1);
    expect(row?.event_id).toBe(json.id);
  });

  it("accepts the path without a trailing slash", async () => {
    const key = await seedProject();
    const { status, json } = await post(
      `${BASE}/api/${key.projectId}/store?sentry_key=${key.publicKey}`,
      JSON.stringify({ event_id: EVENT_ID, message: "no slash" }),
    );
    expect(status).toBe(200);
    expect(json).toEqual({ id: EVENT_ID });
  });

  it("answers 400 for a body that is not a JSON object", async () => {
    const key = await seedProject();
    const { status, json } = await post(`${BASE}/api/${key.projectId}/store/?sentry_key=${key.publicKey}`, "[1,2]");
    expect(status).toBe(400);
    expect(json.reason).toBe("malformed_event");
  });
});

describe("rate limits", () => {
  it("answers 429 with Retry-After and X-Sentry-Rate-Limits past the key's limit, enqueueing nothing", async () => {
    const key = await seedProject({ rateLimitPerMinute: 2 });
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 4; i++) {
      const body = envelope({ event_id: `${i}`.padStart(32, "a") }, [{ type: "event" }, JSON.stringify({ message: "hi" })]);
      const { res, status } = await post(envelopeUrl(key), body);
      statuses.push(status);
      if (status === 429) limited = res;
    }
    // A minute boundary may fall inside the loop; then the window restarts once.
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(3);
    expect(limited).toBeDefined();
    const retryAfter = Number(limited?.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited?.headers.get("x-sentry-rate-limits")).toBe(`${retryAfter}:error;default;transaction;security;feedback:key:key_quota`);
    const accepted = statuses.filter((s) => s === 200).length;
    await waitForRows(key.projectId, accepted);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await receivedRows(key.projectId)).length).toBe(accepted);
  });

  it("counts user feedback against the limit, and the 429 names its category", async () => {
    const key = await seedProject({ rateLimitPerMinute: 1 });
    const feedback = (i: number) =>
      envelope({ event_id: `${i}`.padStart(32, "b") }, [
        { type: "feedback" },
        JSON.stringify({ contexts: { feedback: { message: "it broke" } } }),
      ]);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await post(envelopeUrl(key), feedback(i))).res);
    // A minute boundary may fall inside the loop; then the window restarts once.
    const limited = answers.find((r) => r.status === 429);
    expect(limited).toBeDefined();
    const categories = limited?.headers.get("x-sentry-rate-limits")?.split(":")[1]?.split(";");
    expect(categories).toContain("feedback");
  });

  it("does not count sessions against the event limit", async () => {
    const key = await seedProject({ rateLimitPerMinute: 1 });
    for (let i = 0; i < 3; i++) expect((await post(envelopeUrl(key), sdkEnvelopes.nodeSession)).status).toBe(200);
  });
});

describe("CORS", () => {
  it("answers the preflight like Relay", async () => {
    const res = await SELF.fetch(`${BASE}/api/1/envelope/`, {
      method: "OPTIONS",
      headers: {
        origin: "http://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,x-sentry-auth",
      },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://app.example");
    const allowed = res.headers.get("access-control-allow-headers") ?? "";
    for (const h of ["x-sentry-auth", "content-type", "content-encoding", "authorization"]) expect(allowed).toContain(h);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  });

  it("exposes the error headers on rejections too", async () => {
    const res = await SELF.fetch(`${BASE}/api/1/envelope/`, {
      method: "POST",
      body: smallEvent,
      headers: { origin: "http://app.example" },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://app.example");
    expect(res.headers.get("access-control-expose-headers")).toContain("x-sentry-error");
  });
});

describe("when a binding fails", () => {
  it("answers 503 with Retry-After when the queue refuses the message (a Queues outage), never 200", async () => {
    const key = await seedProject();
    const down = { send: async () => Promise.reject(new Error("queue unavailable")) } as unknown as Queue;
    const { res, status, json } = await callApp(envelopeUrl(key), { body: smallEvent }, { EVENTS: down });
    expect(status).toBe(503);
    expect(typeof json.detail).toBe("string");
    expect(json.reason).toBe("unavailable");
    // Short: a JavaScript SDK sends nothing at all for as long as a Retry-After says, on any status.
    expect(res.headers.get("retry-after")).toBe("5");
  });

  it("an event refused with 503 does not use up the key's rate limit: its retry is accepted", async () => {
    const key = await seedProject({ rateLimitPerMinute: 1 });
    const down = { send: async () => Promise.reject(new Error("queue unavailable")) } as unknown as Queue;
    expect((await callApp(envelopeUrl(key), { body: smallEvent }, { EVENTS: down })).status).toBe(503);
    expect((await callApp(envelopeUrl(key), { body: smallEvent }, { EVENTS: recordingQueue().queue })).status).toBe(200);
  });

  it("answers 503 with Retry-After, not 500, when D1 cannot look the key up", async () => {
    const key = await seedProject();
    const down = {
      prepare() {
        throw new Error("D1_ERROR: no such database");
      },
    } as unknown as D1Database;
    const { res, status, json } = await callApp(envelopeUrl(key), { body: smallEvent }, { DB: down });
    expect(status).toBe(503);
    expect(typeof json.detail).toBe("string");
    expect(res.headers.get("retry-after")).toBe("5");
  });

  it("answers only after the queue has taken the message", async () => {
    const key = await seedProject();
    let sendStarted!: () => void;
    let finishSend!: () => void;
    const started = new Promise<void>((resolve) => {
      sendStarted = resolve;
    });
    const finished = new Promise<void>((resolve) => {
      finishSend = resolve;
    });
    const slow = {
      send: async () => {
        sendStarted();
        await finished;
      },
    } as unknown as Queue;
    let answered = false;
    const response = callApp(envelopeUrl(key), { body: smallEvent }, { EVENTS: slow }).then((r) => {
      answered = true;
      return r;
    });
    await started;
    // Time for an answer that did not wait for the send to arrive.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    finishSend();
    expect((await response).status).toBe(200);
  });
});

describe("the key cache", () => {
  async function addKey(projectId: number, publicKey: string) {
    await env.DB.prepare(
      "INSERT INTO project_keys (project_id, public_key, enabled, allowed_origins, created_at) VALUES (?, ?, 1, '[]', ?)",
    )
      .bind(projectId, publicKey, Date.now())
      .run();
  }

  function uniqueKey() {
    return crypto.randomUUID().replace(/-/g, "");
  }

  it("keeps answering from the cache within the TTL after the key is disabled, then deleted", async () => {
    const key = await seedProject();
    const { queue } = recordingQueue();
    expect((await callApp(envelopeUrl(key), { body: smallEvent }, { EVENTS: queue })).status).toBe(200);
    await env.DB.prepare("UPDATE project_keys SET enabled = 0 WHERE id = ?").bind(key.keyId).run();
    expect((await callApp(envelopeUrl(key), { body: smallEvent }, { EVENTS: queue })).status).toBe(200);
    await env.DB.prepare("DELETE FROM project_keys WHERE id = ?").bind(key.keyId).run();
    expect((await callApp(envelopeUrl(key), { body: smallEvent }, { EVENTS: queue })).status).toBe(200);
  });

  it("with KEY_CACHE_TTL_SECONDS=0 sees a disabled or deleted key at once", async () => {
    const key = await seedProject();
    const vars = { EVENTS: recordingQueue().queue, KEY_CACHE_TTL_SECONDS: "0" };
    expect((await callApp(envelopeUrl(key), { body: smallEvent }, vars)).status).toBe(200);
    await env.DB.prepare("UPDATE project_keys SET enabled = 0 WHERE id = ?").bind(key.keyId).run();
    expect((await callApp(envelopeUrl(key), { body: smallEvent }, vars)).json.reason).toBe("key_disabled");
    await env.DB.prepare("DELETE FROM project_keys WHERE id = ?").bind(key.keyId).run();
    expect((await callApp(envelopeUrl(key), { body: smallEvent }, vars)).json.reason).toBe("unknown_key");
  });

  it("remembers an unknown key for a while: a key created after its 401 is still refused", async () => {
    const { projectId } = await seedProject();
    const key = { projectId, keyId: 0, publicKey: uniqueKey() };
    // An hour's TTL makes the unknown key's (a fifth of it) outlast the test on any machine.
    const vars = { EVENTS: recordingQueue().queue, KEY_CACHE_TTL_SECONDS: "3600" };
    expect((await callApp(envelopeUrl(key), { body: smallEvent }, vars)).json.reason).toBe("unknown_key");
    await addKey(projectId, key.publicKey);
    expect((await callApp(envelopeUrl(key), { body: smallEvent }, vars)).json.reason).toBe("unknown_key");
  });

  it("with KEY_CACHE_TTL_SECONDS=0 accepts a key created right after its 401", async () => {
    const { projectId } = await seedProject();
    const key = { projectId, keyId: 0, publicKey: uniqueKey() };
    const vars = { EVENTS: recordingQueue().queue, KEY_CACHE_TTL_SECONDS: "0" };
    expect((await callApp(envelopeUrl(key), { body: smallEvent }, vars)).json.reason).toBe("unknown_key");
    await addKey(projectId, key.publicKey);
    expect((await callApp(envelopeUrl(key), { body: smallEvent }, vars)).status).toBe(200);
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

describe("the minidump endpoint (crashpad, Breakpad, sentry-native's crashpad backend)", () => {
  // What crashpad posts to: sentry-native's minidump URL names the key and the client in the query.
  const minidumpUrl = (key: SeededKey, path = "minidump/", query = `?sentry_key=${key.publicKey}&sentry_client=sentry.native/0.9.1`) =>
    `${BASE}/api/${key.projectId}/${path}${query}`;
  const crashId = CRASH_EVENT_ID.replaceAll("-", "");

  /** Like callApp, for an answer that is plain text. */
  async function upload(url: string, init: RequestInit, overrides: Partial<Env> = {}) {
    const res = await ingestApp.fetch(new Request(url, { method: "POST", ...init }), { ...env, ...overrides }, createExecutionContext());
    return { res, status: res.status, text: await res.text() };
  }

  function queuedEnvelope(message: IngestMessage | undefined) {
    return parseEnvelope(message?.body ?? new Uint8Array());
  }

  it("answers 200 with the crash's event id as text, and queues the envelope an SDK would have sent", async () => {
    const key = await seedProject();
    const { queue, sent } = recordingQueue();
    const minidump = buildMinidump();
    const { body, contentType } = crashpadUpload(minidump);
    const { res, status, text } = await upload(
      minidumpUrl(key),
      { body, headers: { "content-type": contentType, "user-agent": "Crashpad/0.8.0" } },
      { EVENTS: queue, INLINE_BODY_MAX_BYTES: "10000000" },
    );
    expect(status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    // The id sentry-native gave the crash: the one it can show the user, and the same when crashpad retries.
    expect(text).toBe(crashId);
    expect(sent).toHaveLength(1);
    const message = sent[0]?.message;
    expect(() => ingestMessageSchema.parse(message)).not.toThrow();
    expect(message).toMatchObject({
      kind: "envelope",
      projectId: key.projectId,
      keyId: key.keyId,
      eventId: crashId,
      userAgent: "Crashpad/0.8.0",
    });
    const envelope = queuedEnvelope(message);
    expect(envelope.header).toEqual({ event_id: crashId });
    expect(envelope.items.map((i) => [i.type, i.header.filename, i.header.attachment_type])).toEqual([
      ["attachment", "8f2d0c4e-1b3a-4c5d-9e8f-7a6b5c4d3e2f.dmp", "event.minidump"],
      ["attachment", "__sentry-event", "event.payload"],
      ["attachment", "__sentry-breadcrumb1", "event.breadcrumbs"],
      ["attachment", "__sentry-breadcrumb2", "event.breadcrumbs"],
      ["attachment", "game.log", "event.attachment"],
      ["form_data", undefined, undefined],
    ]);
    // Every file byte for byte.
    expect(envelope.items[0]?.payload).toEqual(minidump);
    expect(envelope.items[1]?.payload).toEqual(encodeMsgpack(crashScopeEvent));
    expect(envelope.items[3]?.payload).toEqual(breadcrumbFiles.second);
    expect(new TextDecoder().decode(envelope.items[4]?.payload)).toBe("frame 1\nframe 2\n");
    expect(JSON.parse(new TextDecoder().decode(envelope.items[5]?.payload))).toEqual([["guid", "3f1b6c1e2f0a4b59a8c7d6e5f4a3b2c1"]]);
  });

  it("takes a minidump sent as the whole body, at the path without a trailing slash, with X-Sentry-Auth", async () => {
    const key = await seedProject();
    const { queue, sent } = recordingQueue();
    const minidump = buildMinidump();
    const { status, text } = await upload(
      minidumpUrl(key, "minidump", ""),
      {
        body: minidump,
        headers: { "content-type": "application/octet-stream", "x-sentry-auth": `Sentry sentry_key=${key.publicKey}, sentry_version=7` },
      },
      { EVENTS: queue },
    );
    expect(status).toBe(200);
    expect(text).toMatch(/^[0-9a-f]{32}$/);
    expect(sent[0]?.message.eventId).toBe(text);
    const envelope = queuedEnvelope(sent[0]?.message);
    expect(envelope.header).toEqual({ event_id: text });
    expect(envelope.items).toHaveLength(1);
    expect(envelope.items[0]?.header).toMatchObject({ type: "attachment", filename: "Minidump", attachment_type: "event.minidump" });
    expect(envelope.items[0]?.payload).toEqual(minidump);
  });

  it("decodes a gzip'd upload, as crashpad compresses it", async () => {
    const key = await seedProject();
    const { queue, sent } = recordingQueue();
    const { body, contentType } = crashpadUpload();
    const { status, text } = await upload(
      minidumpUrl(key),
      { body: await gzip(body), headers: { "content-type": contentType, "content-encoding": "gzip" } },
      { EVENTS: queue },
    );
    expect(status).toBe(200);
    expect(text).toBe(crashId);
    expect(queuedEnvelope(sent[0]?.message).items).toHaveLength(6);
  });

  it("answers 400 missing_minidump for an upload without upload_file_minidump", async () => {
    const key = await seedProject();
    const { queue, sent } = recordingQueue();
    const { body, contentType } = multipart([
      { name: "__sentry-event", filename: "__sentry-event", bytes: encodeMsgpack(crashScopeEvent) },
    ]);
    const { status, text } = await upload(minidumpUrl(key), { body, headers: { "content-type": contentType } }, { EVENTS: queue });
    expect(status).toBe(400);
    expect(JSON.parse(text).reason).toBe("missing_minidump");
    expect(sent).toHaveLength(0);
  });

  it("answers 400 invalid_minidump for a minidump without the MDMP magic, in a form or alone", async () => {
    const key = await seedProject();
    const { queue, sent } = recordingQueue();
    const notADump = new TextEncoder().encode("ZZZZ this is a text file, not a dump");
    const { body, contentType } = crashpadUpload(notADump);
    const inForm = await upload(minidumpUrl(key), { body, headers: { "content-type": contentType } }, { EVENTS: queue });
    expect(inForm.status).toBe(400);
    expect(JSON.parse(inForm.text).reason).toBe("invalid_minidump");
    const alone = await upload(
      minidumpUrl(key),
      { body: notADump, headers: { "content-type": "application/octet-stream" } },
      { EVENTS: queue },
    );
    expect(alone.status).toBe(400);
    expect(JSON.parse(alone.text).reason).toBe("invalid_minidump");
    expect(sent).toHaveLength(0);
  });

  it("answers 400 invalid_multipart for a form body that is not one", async () => {
    const key = await seedProject();
    const { status, text } = await upload(
      minidumpUrl(key),
      { body: "no boundary anywhere", headers: { "content-type": "multipart/form-data; boundary=xyz" } },
      { EVENTS: recordingQueue().queue },
    );
    expect(status).toBe(400);
    expect(JSON.parse(text).reason).toBe("invalid_multipart");
  });

  it("answers 401 without a key, before reading the body", async () => {
    const key = await seedProject();
    const { queue, sent } = recordingQueue();
    // 16 MiB, a chunk at a time: read, it would be pulled to the end.
    const chunk = new Uint8Array(1024 * 1024);
    chunk.set(buildMinidump());
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled === 16) return controller.close();
        pulled += 1;
        controller.enqueue(chunk);
      },
    });
    const { status, text } = await upload(
      minidumpUrl(key, "minidump/", ""),
      { body, headers: { "content-type": "application/octet-stream" } },
      { EVENTS: queue },
    );
    expect(status).toBe(401);
    expect(JSON.parse(text).reason).toBe("missing_auth");
    expect(sent).toHaveLength(0);
    expect(pulled).toBeLessThan(4);
    const unknown = await upload(
      `${BASE}/api/${key.projectId}/minidump/?sentry_key=ffffffffffffffffffffffffffffffff`,
      { body: buildMinidump() },
      { EVENTS: queue },
    );
    expect(unknown.status).toBe(401);
  });

  it("counts a crash against the key's rate limit and answers 429 past it, enqueueing nothing more", async () => {
    const key = await seedProject({ rateLimitPerMinute: 1 });
    const { queue, sent } = recordingQueue();
    const { body, contentType } = crashpadUpload();
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(await upload(minidumpUrl(key), { body, headers: { "content-type": contentType } }, { EVENTS: queue }));
    // A minute boundary may fall inside the loop; then the window restarts once.
    const limited = answers.find((a) => a.status === 429);
    expect(limited).toBeDefined();
    expect(JSON.parse(limited?.text ?? "{}").reason).toBe("rate_limited");
    expect(limited?.res.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(limited?.res.headers.get("x-sentry-rate-limits")?.split(":")[1]?.split(";")).toContain("error");
    expect(sent).toHaveLength(answers.filter((a) => a.status === 200).length);
  });

  it("answers 413 past the body limit, decompressed, as for envelopes", async () => {
    const key = await seedProject();
    const { body, contentType } = crashpadUpload(buildMinidump());
    const { status, text } = await upload(
      minidumpUrl(key),
      { body: await gzip(body), headers: { "content-type": contentType, "content-encoding": "gzip" } },
      { EVENTS: recordingQueue().queue, MAX_BODY_BYTES: "1000" },
    );
    expect(status).toBe(413);
    expect(JSON.parse(text).reason).toBe("body_too_large");
  });

  it("answers 405 for GET", async () => {
    const key = await seedProject();
    expect((await SELF.fetch(minidumpUrl(key))).status).toBe(405);
  });

  it("delivers the crash through the queue to an issue: the SDK's scope, the crash named from the minidump, the minidump in R2", async () => {
    const key = await seedProject();
    const minidump = buildMinidump({ code: 0xc0000005, parameters: [0n, 0x10n], writtenAt: Math.floor(Date.now() / 1000) - 30 });
    const { body, contentType } = crashpadUpload(minidump);
    const res = await SELF.fetch(minidumpUrl(key), { method: "POST", body, headers: { "content-type": contentType } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(crashId);
    // The event, and the minidump and game.log as stored items; the scope event, the breadcrumb
    // files and the form fields are in the (scrubbed) event, not kept beside it.
    const rows = await waitForRows(key.projectId, 3);
    expect(rows.map((r) => r.item_type).sort()).toEqual(["attachment", "attachment", "event"]);
    expect(rows.filter((r) => r.item_type === "event")).toEqual([
      expect.objectContaining({ event_id: crashId, title: "Fatal Error: EXCEPTION_ACCESS_VIOLATION_READ" }),
    ]);

    const issue = await env.DB.prepare("SELECT title, level, platform, first_release FROM issues WHERE project_id = ?")
      .bind(key.projectId)
      .first();
    expect(issue).toEqual({
      title: "Fatal Error: EXCEPTION_ACCESS_VIOLATION_READ",
      level: "fatal",
      platform: "native",
      first_release: "game@2.4.1",
    });
    const row = await env.DB.prepare("SELECT release, environment, user_key, data FROM events WHERE project_id = ? AND event_id = ?")
      .bind(key.projectId, crashId)
      .first<{ data: ArrayBuffer }>();
    expect(row).toMatchObject({ release: "game@2.4.1", environment: "production", user_key: "id:player-77" });
    const data = JSON.parse(
      await new Response(new Blob([new Uint8Array(row!.data)]).stream().pipeThrough(new DecompressionStream("gzip"))).text(),
    );
    expect(data).toMatchObject({
      platform: "native",
      level: "fatal",
      user: { id: "player-77", username: "ada" },
      contexts: { gpu: { name: "Radeon RX 6800" } },
      exception: {
        values: [{ type: "EXCEPTION_ACCESS_VIOLATION_READ", mechanism: { type: "minidump", handled: false, synthetic: true } }],
      },
    });
    expect(data.breadcrumbs.values.map((b: { message: string }) => b.message)).toEqual(["loading harbor", "loaded harbor", "pressed jump"]);
    expect(data.tags).toEqual(
      expect.arrayContaining([
        ["renderer", "vulkan"],
        ["map", "harbor"],
      ]),
    );

    const stored = await env.DB.prepare("SELECT body_key FROM stored_items WHERE project_id = ? AND event_id = ? AND item_index = 0")
      .bind(key.projectId, crashId)
      .first<{ body_key: string }>();
    const object = await env.RAW.get(stored?.body_key ?? "");
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(minidump);
  });

  it("delivers a truncated minidump too: Relay's placeholder, and the bytes kept", async () => {
    const key = await seedProject();
    const truncated = buildMinidump().subarray(0, 60);
    const res = await SELF.fetch(minidumpUrl(key), {
      method: "POST",
      body: truncated,
      headers: { "content-type": "application/octet-stream" },
    });
    expect(res.status).toBe(200);
    const id = await res.text();
    const rows = await waitForRows(key.projectId, 2);
    expect(rows.find((r) => r.item_type === "event")).toMatchObject({ event_id: id, title: "Invalid Minidump" });
    const issue = await env.DB.prepare("SELECT level, platform FROM issues WHERE project_id = ?").bind(key.projectId).first();
    expect(issue).toEqual({ level: "fatal", platform: "native" });
    const attachment = rows.find((r) => r.item_type === "attachment");
    expect(new Uint8Array(await (await env.RAW.get(attachment?.body_key ?? ""))!.arrayBuffer())).toEqual(truncated);
  });
});
