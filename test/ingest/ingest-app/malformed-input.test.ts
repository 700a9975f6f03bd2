import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seedProject } from "../../support/seed";
import { BASE, envelopeUrl, post, gzip, waitForRows, envelope, EVENT_ID } from "../../support/ingest-requests";

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
