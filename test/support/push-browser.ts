// A browser's side of Web Push, for tests: a subscription's keys, and what a push service and
// the browser do with a message (check the VAPID token, decrypt the aes128gcm body).
import { base64UrlDecode, base64UrlEncode, ecdh } from "../../alert-channels/encrypt-push-message";

export interface TestBrowser {
  endpoint: string;
  p256dh: string;
  auth: string;
  keys: CryptoKeyPair;
}

export async function newBrowser(endpoint: string): Promise<TestBrowser> {
  const keys = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair;
  const p256dh = base64UrlEncode(new Uint8Array((await crypto.subtle.exportKey("raw", keys.publicKey)) as ArrayBuffer));
  return { endpoint, p256dh, auth: base64UrlEncode(crypto.getRandomValues(new Uint8Array(16))), keys };
}

/** The VAPID token's claims when its ES256 signature holds under the key it names (RFC 8292 §3-4); throws otherwise. */
export async function verifyVapid(
  authorization: string | null,
): Promise<{ key: string; claims: { aud: string; exp: number; sub: string } }> {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? "");
  if (match === null) throw new Error(`not a vapid Authorization: ${authorization}`);
  const [header, claims, signature] = match[1]!.split(".") as [string, string, string];
  const key = await crypto.subtle.importKey("raw", base64UrlDecode(match[2]!)!, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  const ok = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    base64UrlDecode(signature)!,
    new TextEncoder().encode(`${header}.${claims}`),
  );
  if (!ok) throw new Error("VAPID signature does not verify");
  return { key: match[2]!, claims: JSON.parse(new TextDecoder().decode(base64UrlDecode(claims)!)) };
}

/** What the browser reads from an aes128gcm body (RFC 8291 §3.4, RFC 8188 §2). */
export async function decryptPush(body: Uint8Array, browser: TestBrowser): Promise<string> {
  const salt = body.slice(0, 16);
  const idLength = body[20]!;
  const asPublic = body.slice(21, 21 + idLength);
  const uaPublic = base64UrlDecode(browser.p256dh)!;
  const asKey = await crypto.subtle.importKey("raw", asPublic, { name: "ECDH", namedCurve: "P-256" }, false, []);
  const shared = await crypto.subtle.deriveBits(ecdh(asKey), browser.keys.privateKey, 256);
  const hkdf = async (s: Uint8Array, ikm: ArrayBuffer | Uint8Array, info: Uint8Array, length: number) => {
    const key = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
    return new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: s, info }, key, length * 8));
  };
  const text = (t: string) => new TextEncoder().encode(t);
  const ikm = await hkdf(
    base64UrlDecode(browser.auth)!,
    shared,
    new Uint8Array([...text("WebPush: info\0"), ...uaPublic, ...asPublic]),
    32,
  );
  const cek = await hkdf(salt, ikm, text("Content-Encoding: aes128gcm\0"), 16);
  const nonce = await hkdf(salt, ikm, text("Content-Encoding: nonce\0"), 12);
  const key = await crypto.subtle.importKey("raw", cek, "AES-GCM", false, ["decrypt"]);
  const padded = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce }, key, body.slice(21 + idLength)));
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  if (padded[end] !== 0x02) throw new Error("no last-record delimiter");
  return new TextDecoder().decode(padded.slice(0, end));
}
