import { describe, expect, it } from "vitest";
import {
  PUSH_PLAINTEXT_MAX,
  PushKeyError,
  base64UrlDecode,
  base64UrlEncode,
  ecdh,
  encryptPushMessage,
} from "../../alert-channels/encrypt-push-message";

// RFC 8291 Appendix A, "Push Message Encryption Example": fixed keys and salt, so the body
// must come out byte for byte as the RFC prints it.
const RFC8291 = {
  plaintext: "When I grow up, I want to be a watermelon",
  authSecret: "BTBZMqHH6r4Tts7J_aSIgg",
  uaPrivate: "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94",
  uaPublic: "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
  asPrivate: "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw",
  asPublic: "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8",
  salt: "DGv6ra1nlYgDCS1FRnbzlw",
  body: "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
};

const bytes = (text: string) => base64UrlDecode(text) ?? new Uint8Array();

/** An ECDH key pair from a raw public point and private scalar, as the RFC gives them. */
async function importPair(publicKey: string, privateKey: string): Promise<CryptoKeyPair> {
  const point = bytes(publicKey);
  const jwk = { kty: "EC", crv: "P-256", x: base64UrlEncode(point.slice(1, 33)), y: base64UrlEncode(point.slice(33)) };
  const algorithm = { name: "ECDH", namedCurve: "P-256" };
  return {
    publicKey: await crypto.subtle.importKey("jwk", jwk, algorithm, true, []),
    privateKey: await crypto.subtle.importKey("jwk", { ...jwk, d: privateKey }, algorithm, false, ["deriveBits"]),
  };
}

/** The browser's half (RFC 8291 §3.4 read backwards), to show that what we send can be read. */
async function decrypt(body: Uint8Array, ua: CryptoKeyPair, authSecret: Uint8Array): Promise<string> {
  const salt = body.slice(0, 16);
  const asPublic = body.slice(21, 21 + body[20]!);
  const uaPublic = new Uint8Array((await crypto.subtle.exportKey("raw", ua.publicKey)) as ArrayBuffer);
  const asKey = await crypto.subtle.importKey("raw", asPublic, { name: "ECDH", namedCurve: "P-256" }, false, []);
  const shared = await crypto.subtle.deriveBits(ecdh(asKey), ua.privateKey, 256);
  const hkdf = async (s: Uint8Array, ikm: ArrayBuffer | Uint8Array, info: Uint8Array, length: number) => {
    const key = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
    return new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: s, info }, key, length * 8));
  };
  const text = (t: string) => new TextEncoder().encode(t);
  const ikm = await hkdf(authSecret, shared, new Uint8Array([...text("WebPush: info\0"), ...uaPublic, ...asPublic]), 32);
  const cek = await hkdf(salt, ikm, text("Content-Encoding: aes128gcm\0"), 16);
  const nonce = await hkdf(salt, ikm, text("Content-Encoding: nonce\0"), 12);
  const key = await crypto.subtle.importKey("raw", cek, "AES-GCM", false, ["decrypt"]);
  const padded = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce }, key, body.slice(21 + body[20]!)));
  expect(padded.at(-1)).toBe(0x02);
  return new TextDecoder().decode(padded.slice(0, -1));
}

describe("encryptPushMessage", () => {
  it("reproduces RFC 8291's worked example byte for byte", async () => {
    const body = await encryptPushMessage(
      new TextEncoder().encode(RFC8291.plaintext),
      { p256dh: RFC8291.uaPublic, auth: RFC8291.authSecret },
      { salt: bytes(RFC8291.salt), keys: await importPair(RFC8291.asPublic, RFC8291.asPrivate) },
    );
    expect(base64UrlEncode(body)).toBe(RFC8291.body);
  });

  it("makes a body only the browser can read, with a fresh salt and key each time", async () => {
    const ua = await importPair(RFC8291.uaPublic, RFC8291.uaPrivate);
    const message = JSON.stringify({ title: "TypeError: x is undefined", url: "https://faultline.example/issues/7/" });
    const to = { p256dh: RFC8291.uaPublic, auth: RFC8291.authSecret };
    const [first, second] = [
      await encryptPushMessage(new TextEncoder().encode(message), to),
      await encryptPushMessage(new TextEncoder().encode(message), to),
    ];
    expect(await decrypt(first!, ua, bytes(RFC8291.authSecret))).toBe(message);
    expect(await decrypt(second!, ua, bytes(RFC8291.authSecret))).toBe(message);
    expect(base64UrlEncode(first!.slice(0, 16))).not.toBe(base64UrlEncode(second!.slice(0, 16)));
    // RFC 8188 header: record size 4096, a 65-byte key id.
    expect(new DataView(first!.buffer).getUint32(16)).toBe(4096);
    expect(first![20]).toBe(65);
  });

  it("refuses keys that are not a subscription's", async () => {
    const message = new TextEncoder().encode("hi");
    await expect(encryptPushMessage(message, { p256dh: "not base64!", auth: RFC8291.authSecret })).rejects.toThrow(PushKeyError);
    await expect(encryptPushMessage(message, { p256dh: RFC8291.uaPublic, auth: "AAAA" })).rejects.toThrow(PushKeyError);
    // 65 bytes, but not a point on the curve.
    const offCurve = base64UrlEncode(new Uint8Array([4, ...new Uint8Array(64).fill(1)]));
    await expect(encryptPushMessage(message, { p256dh: offCurve, auth: RFC8291.authSecret })).rejects.toThrow(PushKeyError);
  });

  it("refuses a message larger than one 4096-byte record", async () => {
    const to = { p256dh: RFC8291.uaPublic, auth: RFC8291.authSecret };
    await expect(encryptPushMessage(new Uint8Array(PUSH_PLAINTEXT_MAX), to)).resolves.toHaveLength(4096);
    await expect(encryptPushMessage(new Uint8Array(PUSH_PLAINTEXT_MAX + 1), to)).rejects.toThrow(RangeError);
  });
});

describe("base64url", () => {
  it("reads what browsers send, padded or not, and nothing else", () => {
    expect(base64UrlDecode("AQID")).toEqual(new Uint8Array([1, 2, 3]));
    expect(base64UrlDecode("AQI")).toEqual(new Uint8Array([1, 2]));
    expect(base64UrlDecode("AQI=")).toEqual(new Uint8Array([1, 2]));
    expect(base64UrlDecode("_-8")).toEqual(new Uint8Array([0xff, 0xef]));
    expect(base64UrlDecode("A")).toBeNull();
    expect(base64UrlDecode("a+b/")).toBeNull();
    expect(base64UrlEncode(new Uint8Array([0xff, 0xef]))).toBe("_-8");
  });
});
