import { describe, expect, it } from "vitest";
import { base64UrlDecode } from "../../alert-channels/encrypt-push-message";
import { generateVapidKeys, vapidAuthorization } from "../../alert-channels/vapid-authorization";

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);

/** What a push service does with the header (RFC 8292 §3-4): split it, check the ES256 signature with k. */
async function verify(header: string): Promise<{ valid: boolean; claims: Record<string, unknown>; jose: Record<string, unknown> }> {
  const match = /^vapid t=([^,]+), k=(.+)$/.exec(header);
  if (match === null) throw new Error(`not a vapid header: ${header}`);
  const [, token, k] = match as unknown as [string, string, string];
  const [h, c, s] = token.split(".") as [string, string, string];
  const key = await crypto.subtle.importKey("raw", base64UrlDecode(k)!, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  const valid = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    base64UrlDecode(s)!,
    new TextEncoder().encode(`${h}.${c}`),
  );
  const json = (part: string) => JSON.parse(new TextDecoder().decode(base64UrlDecode(part)!)) as Record<string, unknown>;
  return { valid, claims: json(c), jose: json(h) };
}

describe("vapidAuthorization", () => {
  it("signs an ES256 token for the push service's origin with the install's key", async () => {
    const keys = { ...(await generateVapidKeys()), subject: "mailto:alerts@faultline.example" };
    const header = await vapidAuthorization("https://updates.push.example.net:8443/wpush/v2/abc?x=1", keys, NOW);
    const { valid, claims, jose } = await verify(header);
    expect(valid).toBe(true);
    expect(jose).toEqual({ typ: "JWT", alg: "ES256" });
    expect(claims).toEqual({
      aud: "https://updates.push.example.net:8443",
      exp: NOW / 1000 + 12 * 3600,
      sub: "mailto:alerts@faultline.example",
    });
    expect(header.endsWith(`k=${keys.publicKey}`)).toBe(true);
  });

  it("is not valid under another key", async () => {
    const keys = { ...(await generateVapidKeys()), subject: "mailto:a@b.example" };
    const other = await generateVapidKeys();
    const header = await vapidAuthorization("https://push.example/1", keys, NOW);
    const forged = header.replace(`k=${keys.publicKey}`, `k=${other.publicKey}`);
    expect((await verify(forged)).valid).toBe(false);
  });

  it("makes keys in the base64url form browsers' applicationServerKey takes", async () => {
    const keys = await generateVapidKeys();
    expect(base64UrlDecode(keys.publicKey)).toHaveLength(65);
    expect(base64UrlDecode(keys.publicKey)![0]).toBe(4);
    expect(base64UrlDecode(keys.privateKey)).toHaveLength(32);
  });

  it("says what is wrong with keys that are not a pair", async () => {
    await expect(
      vapidAuthorization("https://push.example/1", { publicKey: "abc", privateKey: "def", subject: "mailto:a@b.example" }, NOW),
    ).rejects.toThrow(/VAPID keys/);
  });
});
