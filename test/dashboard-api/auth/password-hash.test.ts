import { pbkdf2Sync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  PBKDF2_ITERATIONS,
  UNKNOWN_USER_HASH,
  constantTimeEqual,
  hashPassword,
  verifyPassword,
} from "../../../dashboard/api/auth/password-hash";

/** A hash the way scripts/local-dev.mjs's hashPassword writes it (Node's PBKDF2). */
function nodeHash(password: string, iterations = 100_000): string {
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  return `pbkdf2_sha256$${iterations}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

describe("verifyPassword", () => {
  it("accepts the right password for a hash written by the local seed script", async () => {
    const stored = nodeHash("s3cret pass");
    expect(await verifyPassword("s3cret pass", stored)).toBe(true);
    expect(await verifyPassword("s3cret pasS", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("round-trips its own hashes, each with a fresh salt", async () => {
    const a = await hashPassword("hunter2hunter2");
    const b = await hashPassword("hunter2hunter2");
    expect(a).toMatch(new RegExp(`^pbkdf2_sha256\\$${PBKDF2_ITERATIONS}\\$[A-Za-z0-9+/]{22}==\\$[A-Za-z0-9+/]{43}=$`));
    expect(a).not.toBe(b);
    expect(await verifyPassword("hunter2hunter2", a)).toBe(true);
    expect(await verifyPassword("hunter2hunter3", a)).toBe(false);
  });

  it("never matches a hash with fewer iterations, even with the right password", async () => {
    expect(PBKDF2_ITERATIONS).toBeGreaterThanOrEqual(100_000);
    expect(await verifyPassword("weak", nodeHash("weak", 1_000))).toBe(false);
  });

  it("never matches malformed hashes", async () => {
    for (const stored of [
      "",
      "plain",
      "pbkdf2_sha256$100000$",
      "pbkdf2_sha1$100000$AAAA$AAAA",
      "pbkdf2_sha256$100000$!!$AAAA",
      "pbkdf2_sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",
    ]) {
      expect(await verifyPassword("x", stored), stored).toBe(false);
    }
  });

  it("has a well-formed stand-in hash for unknown users that nothing matches", async () => {
    expect(UNKNOWN_USER_HASH).toMatch(/^pbkdf2_sha256\$100000\$/);
    expect(await verifyPassword("", UNKNOWN_USER_HASH)).toBe(false);
    expect(await verifyPassword("password", UNKNOWN_USER_HASH)).toBe(false);
  });
});

describe("constantTimeEqual", () => {
  it("compares whole arrays", () => {
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([9, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
  });
});
