import { ApiError } from "../api-error";

/**
 * The session cookie's value is `<token>.<signature>`: the token names a session in D1 (which
 * stores only its SHA-256), the signature is HMAC-SHA256 of the token under the Pages secret
 * SESSION_SECRET, in base64url. A cookie whose signature does not verify is refused before any
 * D1 lookup, and a new SESSION_SECRET ends every session at once.
 */
export const SESSION_SECRET_MISSING = "SESSION_SECRET is not set; run npm run setup";

/** An HMAC-SHA256 signature is 32 bytes: 43 characters of unpadded base64url. */
const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The key sessions are signed with; without a secret no session can be started or trusted. */
export async function sessionSigningKey(secret: string | undefined): Promise<CryptoKey> {
  if (secret === undefined || secret.trim() === "") throw new ApiError(500, SESSION_SECRET_MISSING);
  return crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

/** The cookie value for a session token. */
export async function signSessionToken(key: CryptoKey, token: string): Promise<string> {
  const signature = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(token));
  return `${token}.${toBase64Url(new Uint8Array(signature))}`;
}

/** The token a cookie value carries when its signature verifies, else null. */
export async function verifySessionCookie(key: CryptoKey, value: string): Promise<string | null> {
  const dot = value.lastIndexOf(".");
  if (dot <= 0) return null;
  const token = value.slice(0, dot);
  const signature = value.slice(dot + 1);
  if (!SIGNATURE_PATTERN.test(signature)) return null;
  // crypto.subtle.verify compares in constant time, so the time taken does not leak the signature.
  const valid = await crypto.subtle.verify("HMAC", key, fromBase64Url(signature), new TextEncoder().encode(token));
  return valid ? token : null;
}

function toBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}
