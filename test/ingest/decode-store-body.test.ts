import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeStoreBody } from "../../worker/decode-store-body";
import { RefusedError } from "../../worker/refusal";
import ravenGo from "../fixtures/raven/raven-go.store?raw";
import ravenRuby from "../fixtures/raven/raven-ruby.store?raw";

const LIMIT = 64 * 1024;
const bytes = (text: string | Uint8Array) => (typeof text === "string" ? new TextEncoder().encode(text) : text);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const base64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const EVENT = '{"event_id":"0123456789abcdef0123456789abcdef","message":"from a legacy client"}';

function refusalOf(f: () => unknown) {
  try {
    f();
  } catch (e) {
    if (e instanceof RefusedError) return e.refusal;
    throw e;
  }
  return null;
}

describe("decodeStoreBody", () => {
  it("reads what raven-go and raven-ruby send: base64 of zlib'd JSON", () => {
    const go = JSON.parse(text(decodeStoreBody(bytes(ravenGo), LIMIT)));
    expect(go).toMatchObject({ platform: "go", message: "order of 10 has no items to price" });
    const ruby = JSON.parse(text(decodeStoreBody(bytes(ravenRuby), LIMIT)));
    expect(ruby).toMatchObject({ platform: "ruby", sdk: { name: "raven-ruby" } });
  });

  it("hands plain JSON back as it came, leading whitespace or not", () => {
    const body = bytes(EVENT);
    expect(decodeStoreBody(body, LIMIT)).toBe(body);
    const spaced = bytes(`\n  ${EVENT}`);
    expect(decodeStoreBody(spaced, LIMIT)).toBe(spaced);
    expect(decodeStoreBody(new Uint8Array(), LIMIT).byteLength).toBe(0);
  });

  it("reads base64 of plain JSON, as Relay does", () => {
    expect(text(decodeStoreBody(bytes(base64(bytes(EVENT))), LIMIT))).toBe(EVENT);
  });

  it("reads raw deflate as well as zlib", () => {
    expect(text(decodeStoreBody(bytes(base64(zlib.deflateRawSync(EVENT))), LIMIT))).toBe(EVENT);
  });

  it("takes URL-safe base64, with or without padding, with line breaks", () => {
    // Enough bytes that the standard alphabet's + and / both occur.
    const event = JSON.stringify({ message: "x", extra: { noise: Array.from({ length: 400 }, (_, i) => i * 7919) } });
    const standard = base64(zlib.deflateSync(event));
    expect(standard).toMatch(/\+/);
    expect(standard).toMatch(/\//);
    const urlSafe = standard.replaceAll("+", "-").replaceAll("/", "_");
    const unpadded = urlSafe.replace(/=+$/, "");
    // Ruby's Base64.encode64 breaks lines every 60 characters.
    const wrapped = `${standard.match(/.{1,60}/g)!.join("\n")}\n`;
    const crlf = standard.match(/.{1,76}/g)!.join("\r\n");
    for (const body of [standard, urlSafe, unpadded, wrapped, crlf]) expect(text(decodeStoreBody(bytes(body), LIMIT))).toBe(event);
  });

  it("refuses with 413 a zlib bomb behind base64, at the body limit", () => {
    const bomb = bytes(base64(zlib.deflateSync(new Uint8Array(4 * LIMIT))));
    expect(bomb.byteLength).toBeLessThan(LIMIT);
    expect(refusalOf(() => decodeStoreBody(bomb, LIMIT))).toMatchObject({ status: 413, reason: "body_too_large" });
    const rawBomb = bytes(base64(zlib.deflateRawSync(new Uint8Array(4 * LIMIT))));
    expect(refusalOf(() => decodeStoreBody(rawBomb, LIMIT))).toMatchObject({ status: 413, reason: "body_too_large" });
    // Up to the limit is fine.
    const atLimit = new Uint8Array(LIMIT).fill(0x20);
    atLimit[0] = 0x7b;
    expect(decodeStoreBody(bytes(base64(zlib.deflateSync(atLimit))), LIMIT).byteLength).toBe(LIMIT);
  });

  it.each([
    ["text that is not base64", "not json, not base64!"],
    ["a JSON array", "[1,2]"],
    ["a digit after padding", "eyJ9==eyJ9"],
    ["three padding characters", "eyJ9eA==="],
    ["a lone digit left over", "eyJ9e"],
    ["only whitespace and padding", " ==\n"],
  ])("refuses %s as a malformed event (400)", (_, body) => {
    expect(refusalOf(() => decodeStoreBody(bytes(body), LIMIT))).toMatchObject({ status: 400, reason: "malformed_event" });
  });

  it.each([
    ["base64 of bytes that are no compression", base64(bytes("hello, raven"))],
    ["base64 of truncated zlib data", base64(zlib.deflateSync(EVENT).subarray(0, 20))],
    ["base64 of gzip", base64(zlib.gzipSync(EVENT))],
  ])("refuses %s as bad compression (400)", (_, body) => {
    expect(refusalOf(() => decodeStoreBody(bytes(body), LIMIT))).toMatchObject({ status: 400, reason: "bad_compression" });
  });
});
