/**
 * VAPID (RFC 8292, https://www.rfc-editor.org/rfc/rfc8292): the application server proves to a
 * push service that it holds the key a subscription was made with, by an ES256 JWT whose
 * audience is the push service's origin, sent as `Authorization: vapid t=<jwt>, k=<public key>`.
 */
import { base64UrlDecode, base64UrlEncode } from "./encrypt-push-message";

/** The install's VAPID key pair, base64url: the raw uncompressed public point and the private scalar. */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  /** A contact for the push service's operator: a mailto: or https: URI (RFC 8292 §2.1). */
  subject: string;
}

// Push services refuse tokens that live longer than a day (RFC 8292 §2); 12 hours leaves room for clock skew.
const TOKEN_LIFETIME_SECONDS = 12 * 3600;

/** The Authorization header for a POST to `endpoint`, valid from `now` (ms) for 12 hours. */
export async function vapidAuthorization(endpoint: string, keys: VapidKeys, now: number): Promise<string> {
  const key = await importSigningKey(keys);
  const header = encodeJson({ typ: "JWT", alg: "ES256" });
  const claims = encodeJson({ aud: new URL(endpoint).origin, exp: Math.floor(now / 1000) + TOKEN_LIFETIME_SECONDS, sub: keys.subject });
  const signingInput = `${header}.${claims}`;
  // WebCrypto's ECDSA signature is already JWS's r || s (RFC 7518 §3.4), not DER.
  const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, new TextEncoder().encode(signingInput));
  return `vapid t=${signingInput}.${base64UrlEncode(new Uint8Array(signature))}, k=${keys.publicKey}`;
}

async function importSigningKey(keys: VapidKeys): Promise<CryptoKey> {
  const point = base64UrlDecode(keys.publicKey);
  const d = base64UrlDecode(keys.privateKey);
  if (point === null || point.byteLength !== 65 || point[0] !== 0x04 || d === null || d.byteLength !== 32)
    throw new Error("VAPID keys are not a P-256 key pair in base64url (65-byte public point, 32-byte private key)");
  const jwk = {
    kty: "EC",
    crv: "P-256",
    x: base64UrlEncode(point.slice(1, 33)),
    y: base64UrlEncode(point.slice(33, 65)),
    d: keys.privateKey.replace(/=+$/, ""),
  };
  return crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
}

function encodeJson(value: unknown): string {
  return base64UrlEncode(new TextEncoder().encode(JSON.stringify(value)));
}

/** A new VAPID key pair, base64url, for an install that has none. */
export async function generateVapidKeys(): Promise<{ publicKey: string; privateKey: string }> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const publicKey = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  return { publicKey: base64UrlEncode(publicKey), privateKey: jwk.d ?? "" };
}
