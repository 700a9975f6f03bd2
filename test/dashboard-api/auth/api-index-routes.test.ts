import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seedOrganization } from "../../support/seed-issues";
import { logIn, seedUser, send } from "../../support/seed-users";
import { sha256Hex } from "../../../dashboard/api/auth/sha256-hex";

const SCOPES = [
  "alerts:read",
  "alerts:write",
  "event:read",
  "event:write",
  "org:read",
  "project:read",
  "project:releases",
  "project:write",
];

/** `GET /api/0/`, as `sentry-cli info` checks a token (src/api/mod.rs: AuthInfo). */
describe("GET /api/0/", () => {
  it("answers a token setup made with its scopes and no user, with or without the trailing slash", async () => {
    const org = await seedOrganization();
    for (const path of ["/api/0/", "/api/0"]) {
      const res = await send("GET", path, { headers: { authorization: `Bearer ${org.token}` } });
      expect(res.status, path).toBe(200);
      expect(res.json).toEqual({ version: "0", user: null, auth: { scopes: SCOPES } });
    }
  });

  it("answers a member's token with the member as the user", async () => {
    const org = await seedOrganization();
    const user = await seedUser(org.orgId, "member");
    const token = `flt_member_${crypto.randomUUID()}`;
    await env.DB.prepare("INSERT INTO api_tokens (organization_id, user_id, label, token_hash, created_at) VALUES (?, ?, 'ci', ?, ?)")
      .bind(org.orgId, user.userId, await sha256Hex(token), Date.now())
      .run();
    const res = await send("GET", "/api/0/", { headers: { authorization: `Bearer ${token}` } });
    expect(res.json).toMatchObject({
      version: "0",
      user: { id: String(user.userId), email: user.email, username: user.email, name: expect.stringMatching(/^User /) },
      auth: { scopes: SCOPES },
    });
    // What sentry-cli deserializes: the user's email and id as strings.
    expect(typeof res.json.user.id).toBe("string");
  });

  it("answers a dashboard session with its user and no token scopes, as Sentry does", async () => {
    const org = await seedOrganization();
    const user = await seedUser(org.orgId);
    const res = await send("GET", "/api/0/", { cookie: await logIn(user) });
    expect(res.json).toMatchObject({ version: "0", user: { email: user.email }, auth: null });
  });

  it("answers 401 to a bad token, which is how sentry-cli info tells a token is not valid", async () => {
    const res = await send("GET", "/api/0/", { headers: { authorization: "Bearer flt_nope" } });
    expect(res).toMatchObject({ status: 401, json: { detail: "Invalid token" } });
  });
});
