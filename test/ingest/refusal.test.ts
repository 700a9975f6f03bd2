import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { refusalResponse } from "../../worker/refusal";
import { seedProject } from "../support/seed";

describe("refusalResponse", () => {
  it("puts the detail in X-Sentry-Error as sent when it is printable ASCII", async () => {
    const res = refusalResponse({ status: 400, reason: "malformed_envelope", detail: "item event is shorter than its length" });
    expect(res.headers.get("x-sentry-error")).toBe("item event is shorter than its length");
    expect(await res.json()).toEqual({ reason: "malformed_envelope", detail: "item event is shorter than its length" });
  });

  it("escapes what a header cannot carry and keeps the detail whole in the body", async () => {
    const detail = "item a\nb\r\0\u2603 has an invalid length";
    const res = refusalResponse({ status: 400, reason: "malformed_envelope", detail });
    expect(res.headers.get("x-sentry-error")).toBe("item a\\u000ab\\u000d\\u0000\\u2603 has an invalid length");
    expect(((await res.json()) as { detail: string }).detail).toBe(detail);
  });

  it("caps X-Sentry-Error at 200 characters", () => {
    const res = refusalResponse({
      status: 400,
      reason: "malformed_envelope",
      detail: `item ${"t".repeat(1_000_000)} has an invalid length`,
    });
    expect(res.headers.get("x-sentry-error")).toBe(`item ${"t".repeat(192)}...`);
  });
});

describe("a refusal quoting the client, through the ingest endpoint", () => {
  it("answers 400 with a reason for an item type holding a line break, a NUL or unicode", async () => {
    const key = await seedProject();
    for (const type of ["a\nb", "a\r", "\u0000", "\u2603"]) {
      const body = `{}\n${JSON.stringify({ type, length: [] })}\n{}`;
      const res = await SELF.fetch(`http://ingest.test/api/${key.projectId}/envelope/?sentry_key=${key.publicKey}`, {
        method: "POST",
        body,
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ reason: "malformed_envelope", detail: `item ${type} has an invalid length` });
    }
  });

  it("answers 413 with a reason for an oversized minidump form field whose name holds a line break", async () => {
    const key = await seedProject();
    const body = `--b\r\nContent-Disposition: form-data; name="a\nb"\r\n\r\n${"x".repeat(70_000)}\r\n--b--\r\n`;
    const res = await SELF.fetch(`http://ingest.test/api/${key.projectId}/minidump/?sentry_key=${key.publicKey}`, {
      method: "POST",
      body,
      headers: { "content-type": "multipart/form-data; boundary=b" },
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { reason: string }).reason).toBe("item_too_large");
  });
});
