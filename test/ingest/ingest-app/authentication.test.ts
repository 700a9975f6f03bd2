import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seedProject } from "../../support/seed";
import { BASE, envelopeUrl, post, callApp, recordingQueue, envelope, EVENT_ID, smallEvent } from "../../support/ingest-requests";

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

// Old DSNs carry a secret key (`http://public:secret@host/1`), and clients built for them send it
// as `sentry_secret`. Sentry 9 deprecated the secret and Relay does not check it: the public key
// alone authenticates (https://develop.sentry.dev/sdk/overview/#authentication).
describe("the old DSN form with a secret key", () => {
  it("authenticates by the public key, ignoring the secret in X-Sentry-Auth or Authorization", async () => {
    const key = await seedProject();
    const event = JSON.stringify({ event_id: EVENT_ID, message: "from an old DSN" });
    const auth = `Sentry sentry_version=5, sentry_client=raven-ruby/3.1.2, sentry_timestamp=1796649636, sentry_key=${key.publicKey}, sentry_secret=any-old-secret`;
    const url = `${BASE}/api/${key.projectId}/store/`;
    const { status, json } = await post(url, event, { "x-sentry-auth": auth, "content-type": "application/json" });
    expect(status).toBe(200);
    expect(json).toEqual({ id: EVENT_ID });
    expect((await post(url, event, { authorization: auth })).status).toBe(200);
  });

  it("authenticates an envelope whose header's dsn carries the secret", async () => {
    const key = await seedProject();
    const body = envelope({ event_id: EVENT_ID, dsn: `http://${key.publicKey}:secretkey@faultline.example/${key.projectId}` }, [
      { type: "event" },
      JSON.stringify({ message: "from an old DSN" }),
    ]);
    const { status, json } = await post(`${BASE}/api/${key.projectId}/envelope/`, body);
    expect(status).toBe(200);
    expect(json).toEqual({ id: EVENT_ID });
  });
});
