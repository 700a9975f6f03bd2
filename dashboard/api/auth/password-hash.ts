/**
 * Dashboard passwords: `pbkdf2_sha256$<iterations>$<salt base64>$<hash base64>` (the format
 * scripts/local-dev.mjs writes), derived and checked with WebCrypto's PBKDF2-SHA256.
 */

// Workers' WebCrypto refuses PBKDF2 above 100,000 iterations
// (https://developers.cloudflare.com/workers/runtime-apis/web-crypto/), and fewer would be weak.
export const PBKDF2_ITERATIONS = 100_000;
const HASH_BYTES = 32;
const SALT_BYTES = 16;

const FORMAT = /^pbkdf2_sha256\$(\d{1,7})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, PBKDF2_ITERATIONS, HASH_BYTES);
  return `pbkdf2_sha256$${PBKDF2_ITERATIONS}$${toBase64(salt)}$${toBase64(hash)}`;
}

/**
 * Whether `password` matches a stored hash. A hash that is malformed, or was made with another
 * iteration count than Faultline uses, never matches: a weaker stored hash is not a way in.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = FORMAT.exec(stored);
  if (match === null) return false;
  const iterations = Number(match[1]);
  if (iterations !== PBKDF2_ITERATIONS) return false;
  const salt = fromBase64(match[2]!);
  const expected = fromBase64(match[3]!);
  if (salt === null || expected === null || expected.length < 16) return false;
  const actual = await derive(password, salt, iterations, expected.length);
  return constantTimeEqual(actual, expected);
}

/**
 * A hash no password is known for, checked when the email has no account, so that a login for
 * an unknown email costs the same PBKDF2 work as one with a wrong password.
 */
export const UNKNOWN_USER_HASH = `pbkdf2_sha256$${PBKDF2_ITERATIONS}$AAAAAAAAAAAAAAAAAAAAAA==$${"A".repeat(43)}=`;

/** Compares every byte whatever the first difference, so the time taken tells nothing. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

async function derive(password: string, salt: Uint8Array, iterations: number, bytes: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, bytes * 8);
  return new Uint8Array(bits);
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}
