/**
 * Message encryption for Web Push (RFC 8291, https://www.rfc-editor.org/rfc/rfc8291), in the
 * aes128gcm content coding (RFC 8188, https://www.rfc-editor.org/rfc/rfc8188), on WebCrypto:
 * an ephemeral ECDH P-256 key agreed with the browser's key, HKDF-SHA-256 over the browser's
 * authentication secret, then AES-128-GCM in one record. Only the browser can read the result.
 */

/** What a browser's PushSubscription gives to encrypt to: its public key and auth secret, base64url. */
export interface PushKeys {
  p256dh: string;
  auth: string;
}

/** The salt and ephemeral key a message is encrypted with: random, except in the RFC's worked example. */
export interface EncryptionSecrets {
  salt: Uint8Array;
  /** An ECDH P-256 key pair with deriveBits allowed. */
  keys: CryptoKeyPair;
}

// A push service must accept 4096 octets of body (RFC 8030 §7.2); the header takes 86 of them,
// the padding delimiter 1 and the GCM tag 16.
const RECORD_SIZE = 4096;
const HEADER_BYTES = 16 + 4 + 1 + 65;
export const PUSH_PLAINTEXT_MAX = RECORD_SIZE - HEADER_BYTES - 1 - 16;

export class PushKeyError extends Error {
  override name = "PushKeyError";
}

/** The aes128gcm body of a push message: salt, record size, the sender's key, one sealed record. */
export async function encryptPushMessage(plaintext: Uint8Array, to: PushKeys, secrets?: EncryptionSecrets): Promise<Uint8Array> {
  if (plaintext.byteLength > PUSH_PLAINTEXT_MAX)
    throw new RangeError(`a push message holds at most ${PUSH_PLAINTEXT_MAX} bytes, not ${plaintext.byteLength}`);
  const uaPublic = decodeKey(to.p256dh, 65, "p256dh");
  if (uaPublic[0] !== 0x04) throw new PushKeyError("p256dh is not an uncompressed P-256 point");
  const authSecret = decodeKey(to.auth, 16, "auth");
  const { salt, keys } = secrets ?? {
    salt: crypto.getRandomValues(new Uint8Array(16)),
    keys: (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair,
  };
  const asPublic = new Uint8Array((await crypto.subtle.exportKey("raw", keys.publicKey)) as ArrayBuffer);

  let uaKey: CryptoKey;
  try {
    uaKey = await crypto.subtle.importKey("raw", uaPublic, { name: "ECDH", namedCurve: "P-256" }, false, []);
  } catch {
    throw new PushKeyError("p256dh is not a point on P-256");
  }
  const sharedSecret = new Uint8Array(await crypto.subtle.deriveBits(ecdh(uaKey), keys.privateKey, 256));

  // RFC 8291 §3.3-3.4: the IKM binds both public keys; RFC 8188 §2.2-2.3 derive the key and nonce.
  const keyInfo = concat(utf8("WebPush: info\0"), uaPublic, asPublic);
  const ikm = await hkdf(authSecret, sharedSecret, keyInfo, 32);
  const cek = await hkdf(salt, ikm, utf8("Content-Encoding: aes128gcm\0"), 16);
  const nonce = await hkdf(salt, ikm, utf8("Content-Encoding: nonce\0"), 12);

  // The last (and only) record ends its plaintext with the delimiter 0x02 (RFC 8188 §2).
  const padded = concat(plaintext, new Uint8Array([0x02]));
  const aesKey = await crypto.subtle.importKey("raw", cek, { name: "AES-GCM" }, false, ["encrypt"]);
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce }, aesKey, padded));

  const header = new Uint8Array(HEADER_BYTES);
  header.set(salt, 0);
  new DataView(header.buffer).setUint32(16, RECORD_SIZE);
  header[20] = asPublic.byteLength;
  header.set(asPublic, 21);
  return concat(header, sealed);
}

/** ECDH with the other side's key: WebCrypto's `public` member, which workers-types spell `$public`. */
export function ecdh(publicKey: CryptoKey): SubtleCryptoDeriveKeyAlgorithm {
  return { name: "ECDH", public: publicKey } as unknown as SubtleCryptoDeriveKeyAlgorithm;
}

/** HKDF-SHA-256 (RFC 5869) of `length` ≤ 32 bytes: one HMAC to extract, one to expand. */
async function hkdf(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  const prk = await hmac(salt, ikm);
  const okm = await hmac(prk, concat(info, new Uint8Array([1])));
  return okm.slice(0, length);
}

async function hmac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data));
}

function decodeKey(text: string, length: number, name: string): Uint8Array {
  const bytes = base64UrlDecode(text);
  if (bytes === null || bytes.byteLength !== length) throw new PushKeyError(`${name} is not ${length} bytes of base64url`);
  return bytes;
}

/** base64url with or without padding (browsers give it without); null when it is not base64url. */
export function base64UrlDecode(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return null;
  const plain = text.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (plain.length % 4 === 1) return null;
  try {
    return Uint8Array.from(atob(plain + "=".repeat((4 - (plain.length % 4)) % 4)), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

export function base64UrlEncode(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
