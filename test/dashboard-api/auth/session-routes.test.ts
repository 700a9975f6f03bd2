import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ROTATED_SESSION_GRACE_MS, SESSION_ROTATE_AFTER_MS } from "../../../dashboard/api/auth/session-store";
import { sha256Hex } from "../../../dashboard/api/auth/sha256-hex";
import { seedOrganization } from "../../support/seed-issues";
import { logIn, seedUser, send, sessionCookieOf } from "../../support/seed-users";

const cookieValue = (cookie: string) => cookie.slice(cookie.indexOf("=") + 1);
/** The session token a cookie carries, without its signature. */
const tokenOf = (cookie: string) => cookieValue(cookie).split(".")[0]!;

async function sessionRow(cookie: string) {
  return env.DB.prepare("SELECT user_id, created_at, expires_at FROM sessions WHERE id = ?")
    .bind(await sha256Hex(tokenOf(cookie)))
    .first<{ user_id: number; created_at: number; expires_at: number }>();
}

describe("login", () => {
  it("sets an HttpOnly, SameSite=Lax session cookie and answers the user with their organizations", async () => {
    const org = await seedOrganization();
    const user = await seedUser(org.orgId);
    const res = await send("POST", "/auth/login", { body: { email: user.email.toUpperCase(), password: user.password } });
    expect(res.status).toBe(200);
    expect(res.json.user.email).toBe(user.email);
    expect(res.json.organizations).toEqual([{ id: String(org.orgId), slug: org.orgSlug, name: expect.any(String), role: "owner" }]);
    const [cookie] = res.cookies;
    expect(cookie).toMatch(/^faultline_session=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; /);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    // The dashboard here is plain http on 127.0.0.1, where a Secure cookie would be dropped.
    expect(cookie).not.toMatch(/; Secure/);
    // Only the token's hash is stored.
    const row = await sessionRow(sessionCookieOf(res));
    expect(row?.user_id).toBe(user.userId);
  });

  it("is Secure with the __Host- prefix on an https dashboard", async () => {
    const org = await seedOrganization();
    const user = await seedUser(org.orgId);
    const origin = "https://faultline.example.com";
    const res = await send("POST", "/auth/login", { body: { email: user.email, password: user.password }, origin });
    expect(res.status).toBe(200);
    const [cookie] = res.cookies;
    expect(cookie).toMatch(/^__Host-faultline_session=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; /);
    expect(cookie).toMatch(/; Secure/);
    const session = sessionCookieOf(res);
    expect((await send("GET", "/auth/session", { cookie: session, origin })).status).toBe(200);
    // The unprefixed name, which a sibling subdomain could set, is not read there.
    const unprefixed = session.replace("__Host-", "");
    expect((await send("GET", "/auth/session", { cookie: unprefixed, origin })).status).toBe(401);
  });

  it("refuses a wrong password and an unknown email alike", async () => {
    const org = await seedOrganization();
    const user = await seedUser(org.orgId);
    const wrong = await send("POST", "/auth/login", {
      body: { email: user.email, password: "nope nope" },
      headers: { "cf-connecting-ip": "203.0.113.1" },
    });
    const unknown = await send("POST", "/auth/login", {
      body: { email: "nobody@example.com", password: "nope nope" },
      headers: { "cf-connecting-ip": "203.0.113.1" },
    });
    expect(wrong).toMatchObject({ status: 401, json: { detail: "Incorrect email or password." } });
    expect(unknown).toMatchObject({ status: 401, json: { detail: "Incorrect email or password." } });
    expect(wrong.cookies).toEqual([]);
  });

  it("slows down repeated failures for one email, even with the right password, and a success clears them", async () => {
    const org = await seedOrganization();
    const user = await seedUser(org.orgId);
    const attempt = (password: string, ip: string) =>
      send("POST", "/auth/login", { body: { email: user.email, password }, headers: { "cf-connecting-ip": ip } });
    for (let i = 0; i < 5; i++) expect((await attempt("wrong password", `203.0.113.${10 + i}`)).status).toBe(401);
    // The sixth failure blocks the email, whichever address the next guess comes from (for a
    // second: longer here, so a slow machine cannot outrun it).
    expect((await attempt("wrong password", "203.0.113.20")).status).toBe(401);
    const sixth = await env.DB.prepare(
      "UPDATE login_throttles SET blocked_until = ? WHERE key = ? AND blocked_until - last_failure_at >= 1000 RETURNING failures",
    )
      .bind(Date.now() + 60_000, `email:${user.email}`)
      .first();
    expect(sixth).toEqual({ failures: 6 });
    const blocked = await attempt(user.password, "203.0.113.21");
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Once the block has passed, the right password works and starts the count over.
    await env.DB.prepare("UPDATE login_throttles SET blocked_until = 0 WHERE key = ?").bind(`email:${user.email}`).run();
    expect((await attempt(user.password, "203.0.113.22")).status).toBe(200);
    const row = await env.DB.prepare("SELECT failures FROM login_throttles WHERE key = ?").bind(`email:${user.email}`).first();
    expect(row).toBeNull();
  });

  it("counts guesses sent all at once one by one: a burst meets the block its first guesses set", async () => {
    // Before, each guess of a burst read the same count and wrote it plus one: 30 guesses were
    // checked and counted as one failure.
    const org = await seedOrganization();
    const user = await seedUser(org.orgId);
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        send("POST", "/auth/login", {
          body: { email: user.email, password: `guess ${i}` },
          headers: { "cf-connecting-ip": `198.51.100.${i}` },
        }),
      ),
    );
    const statuses = burst.map((r) => r.status);
    // Five free failures and the sixth, which sets the first block: no more passwords are checked.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(6);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    const row = await env.DB.prepare("SELECT failures, blocked_until FROM login_throttles WHERE key = ?")
      .bind(`email:${user.email}`)
      .first<{ failures: number; blocked_until: number }>();
    expect(row!.failures).toBe(statuses.filter((s) => s === 401).length);
  });

  it("gives an address back the failure it counted in advance when the password was right", async () => {
    const org = await seedOrganization();
    const ip = "203.0.113.150";
    for (let i = 0; i < 3; i++) {
      expect(
        (
          await send("POST", "/auth/login", {
            body: { email: `nobody${i}@example.com`, password: "password1" },
            headers: { "cf-connecting-ip": ip },
          })
        ).status,
      ).toBe(401);
    }
    for (let i = 0; i < 30; i++) {
      const user = await seedUser(org.orgId);
      expect(
        (await send("POST", "/auth/login", { body: { email: user.email, password: user.password }, headers: { "cf-connecting-ip": ip } }))
          .status,
      ).toBe(200);
    }
    expect(await env.DB.prepare("SELECT failures FROM login_throttles WHERE key = ?").bind(`ip:${ip}`).first("failures")).toBe(3);
  });

  it("slows down one address trying many emails", async () => {
    const ip = "203.0.113.99";
    for (let i = 0; i < 21; i++) {
      expect(
        (
          await send("POST", "/auth/login", {
            body: { email: `guess${i}@example.com`, password: "password1" },
            headers: { "cf-connecting-ip": ip },
          })
        ).status,
      ).toBe(401);
    }
    const res = await send("POST", "/auth/login", {
      body: { email: "guess-next@example.com", password: "password1" },
      headers: { "cf-connecting-ip": ip },
    });
    expect(res.status).toBe(429);
  });

  it("refuses a login posted from another origin (login CSRF)", async () => {
    const org = await seedOrganization();
    const user = await seedUser(org.orgId);
    const res = await send("POST", "/auth/login", {
      body: { email: user.email, password: user.password },
      headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    });
    expect(res.status).toBe(403);
    expect(res.cookies).toEqual([]);
  });

  it("replaces a session cookie planted before login (fixation)", async () => {
    const org = await seedOrganization();
    const user = await seedUser(org.orgId);
    const planted = await logIn(user);
    const res = await send("POST", "/auth/login", { body: { email: user.email, password: user.password }, cookie: planted });
    expect(sessionCookieOf(res)).not.toBe(planted);
    expect(await sessionRow(planted)).toBeNull();
  });
});

describe("the session", () => {
  it("opens the API to the user's organizations and nothing else", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    const cookie = await logIn(await seedUser(org.orgId, "member"));
    const mine = await send("GET", `/api/0/organizations/${org.orgSlug}/projects/`, { cookie });
    expect(mine.status).toBe(200);
    expect(mine.json.map((p: { slug: string }) => p.slug)).toEqual([org.projectSlug]);
    expect((await send("GET", `/api/0/organizations/${other.orgSlug}/projects/`, { cookie })).status).toBe(404);
  });

  it("checks that changes come from the dashboard's origin", async () => {
    const org = await seedOrganization();
    const cookie = await logIn(await seedUser(org.orgId));
    const path = `/api/0/projects/${org.orgSlug}/${org.projectSlug}/issues/?id=1`;
    const crossSite = await send("PUT", path, {
      cookie,
      body: { status: "resolved" },
      headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    });
    expect(crossSite.status).toBe(403);
    const noHeaders = await send("PUT", path, { cookie, body: { status: "resolved" }, headers: { origin: null, "sec-fetch-site": null } });
    expect(noHeaders.status).toBe(403);
    // Reads need no such check, and a same-origin change goes through (204: no issue 1 in this project).
    expect(
      (await send("GET", `/api/0/projects/${org.orgSlug}/${org.projectSlug}/`, { cookie, headers: { "sec-fetch-site": null } })).status,
    ).toBe(200);
    expect((await send("PUT", path, { cookie, body: { status: "resolved" } })).status).toBe(204);
  });

  it("does not need the origin check with an API token, which no browser sends on its own", async () => {
    const org = await seedOrganization();
    const res = await send("PUT", `/api/0/projects/${org.orgSlug}/${org.projectSlug}/issues/?id=1`, {
      body: { status: "resolved" },
      headers: { authorization: `Bearer ${org.token}`, origin: null, "sec-fetch-site": null },
    });
    expect(res.status).toBe(204);
  });

  it("answers who is logged in, and is rotated once it is old, the old cookie ending soon after", async () => {
    const org = await seedOrganization();
    const user = await seedUser(org.orgId);
    const cookie = await logIn(user);
    const fresh = await send("GET", "/auth/session", { cookie });
    expect(fresh.status).toBe(200);
    expect(fresh.json.user.email).toBe(user.email);
    expect(fresh.cookies).toEqual([]);

    const aged = Date.now() - SESSION_ROTATE_AFTER_MS - 1;
    await env.DB.prepare("UPDATE sessions SET created_at = ? WHERE id = ?")
      .bind(aged, await sha256Hex(tokenOf(cookie)))
      .run();
    const before = Date.now();
    const rotated = await send("GET", "/auth/session", { cookie });
    expect(rotated.status).toBe(200);
    const next = sessionCookieOf(rotated);
    expect(next).not.toBe(cookie);
    expect((await sessionRow(next))?.user_id).toBe(user.userId);
    expect((await sessionRow(cookie))?.expires_at).toBeLessThanOrEqual(before + ROTATED_SESSION_GRACE_MS + 1_000);
    // Both work during the grace period; the new one is not rotated again.
    expect((await send("GET", "/auth/session", { cookie })).status).toBe(200);
    const again = await send("GET", "/auth/session", { cookie: next });
    expect(again.status).toBe(200);
    expect(again.cookies).toEqual([]);
  });

  it("is refused once expired", async () => {
    const org = await seedOrganization();
    const cookie = await logIn(await seedUser(org.orgId));
    await env.DB.prepare("UPDATE sessions SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, await sha256Hex(tokenOf(cookie)))
      .run();
    expect((await send("GET", "/auth/session", { cookie })).status).toBe(401);
    expect((await send("GET", "/api/0/projects/", { cookie })).status).toBe(401);
  });

  it("ends at logout", async () => {
    const org = await seedOrganization();
    const cookie = await logIn(await seedUser(org.orgId));
    const out = await send("POST", "/auth/logout", { cookie });
    expect(out.status).toBe(204);
    expect(out.cookies[0]).toMatch(/^faultline_session=; /);
    expect(await sessionRow(cookie)).toBeNull();
    expect((await send("GET", "/api/0/projects/", { cookie })).status).toBe(401);
  });
});

describe("the cookie's signature", () => {
  const MISSING = "SESSION_SECRET is not set; run npm run setup";

  /** HMAC-SHA256 of the token under `secret`, base64url: what the cookie must carry after the dot. */
  async function signatureOf(token: string, secret: string): Promise<string> {
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(token)));
    return btoa(String.fromCharCode(...mac))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
  }

  /** A D1 binding that records and refuses every use, for requests that must not reach D1. */
  function untouchableDb(used: string[]): D1Database {
    return new Proxy({} as D1Database, {
      get(_target, property) {
        used.push(String(property));
        throw new Error(`D1 was used (${String(property)})`);
      },
    });
  }

  it("is HMAC-SHA256 of the session token under SESSION_SECRET, and a cookie signed so opens the session", async () => {
    const org = await seedOrganization();
    const user = await seedUser(org.orgId);
    const secret = "a secret of this test";
    const login = await send("POST", "/auth/login", {
      body: { email: user.email, password: user.password },
      env: { SESSION_SECRET: secret },
    });
    expect(login.status).toBe(200);
    const cookie = sessionCookieOf(login);
    expect(cookieValue(cookie)).toBe(`${tokenOf(cookie)}.${await signatureOf(tokenOf(cookie), secret)}`);

    // A session written straight to D1, with a cookie signed here: the server takes it.
    const token = "a-token-made-by-this-test-0123456789abcdefghij";
    await env.DB.prepare("INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
      .bind(await sha256Hex(token), user.userId, Date.now(), Date.now() + 3_600_000)
      .run();
    const signed = `faultline_session=${token}.${await signatureOf(token, secret)}`;
    const res = await send("GET", "/auth/session", { cookie: signed, env: { SESSION_SECRET: secret } });
    expect(res.status).toBe(200);
    expect(res.json.user.email).toBe(user.email);
  });

  it("refuses a session's token with a missing, wrong or garbled signature, without asking D1", async () => {
    const org = await seedOrganization();
    const user = await seedUser(org.orgId);
    const cookie = await logIn(user);
    const token = tokenOf(cookie);
    const bad = [
      `faultline_session=${token}`,
      `faultline_session=${token}.`,
      `faultline_session=${token}.${await signatureOf(token, "not the server's secret")}`,
      // The session's own signature with one character changed.
      `faultline_session=${token}.${cookieValue(cookie)
        .split(".")[1]!
        .replace(/^./, (ch) => (ch === "A" ? "B" : "A"))}`,
      // Another session's valid signature does not carry over.
      `faultline_session=${token}.${(await logIn(user)).split(".")[1]}`,
      `faultline_session=${token}.!!!!`,
      "faultline_session=garbage",
      `faultline_session=.${await signatureOf("", "test session signing secret")}`,
    ];
    for (const forged of bad) {
      const used: string[] = [];
      const res = await send("GET", "/api/0/projects/", { cookie: forged, env: { DB: untouchableDb(used) } });
      expect(res.status, forged).toBe(401);
      expect(used, forged).toEqual([]);
      // The dashboard's own check of the session refuses it too, and drops the cookie.
      const session = await send("GET", "/auth/session", { cookie: forged });
      expect(session.status, forged).toBe(401);
      expect(session.cookies[0]).toMatch(/^faultline_session=; /);
    }
    // The same request with the real cookie does reach D1 (and the stand-in binding notices).
    const used: string[] = [];
    expect((await send("GET", "/api/0/projects/", { cookie, env: { DB: untouchableDb(used) } })).status).toBe(500);
    expect(used).not.toEqual([]);
    expect((await send("GET", "/api/0/projects/", { cookie })).status).toBe(200);
  });

  it("changes with SESSION_SECRET: a new secret logs everyone out", async () => {
    const org = await seedOrganization();
    const cookies = [await logIn(await seedUser(org.orgId)), await logIn(await seedUser(org.orgId, "member"))];
    const rotated = { SESSION_SECRET: "the next session signing secret" };
    for (const cookie of cookies) {
      expect((await send("GET", "/api/0/projects/", { cookie, env: rotated })).status).toBe(401);
      expect((await send("GET", "/auth/session", { cookie, env: rotated })).status).toBe(401);
      // Under the secret they were signed with, they still work.
      expect((await send("GET", "/api/0/projects/", { cookie })).status).toBe(200);
    }
  });

  it("must be configured: without SESSION_SECRET, logging in answers 500 saying so", async () => {
    const org = await seedOrganization();
    const user = await seedUser(org.orgId);
    const cookie = await logIn(user);
    for (const unset of [{ SESSION_SECRET: undefined }, { SESSION_SECRET: "" }]) {
      const login = await send("POST", "/auth/login", { body: { email: user.email, password: user.password }, env: unset });
      expect(login).toMatchObject({ status: 500, json: { detail: MISSING } });
      expect(login.cookies).toEqual([]);
      const setup = await send("POST", "/auth/setup", { body: {}, env: unset });
      expect(setup).toMatchObject({ status: 500, json: { detail: MISSING } });
      // A cookie cannot be checked either; nothing falls back to trusting it unsigned.
      expect(await send("GET", "/api/0/projects/", { cookie, env: unset })).toMatchObject({ status: 500, json: { detail: MISSING } });
      // API tokens are not sessions and work without it.
      expect((await send("GET", "/api/0/projects/", { headers: { authorization: `Bearer ${org.token}` }, env: unset })).status).toBe(200);
    }
  });
});

describe("invites", () => {
  it("let a new person join with a password of their own, once", async () => {
    const org = await seedOrganization();
    const admin = await logIn(await seedUser(org.orgId, "admin"));
    const invited = await send("POST", `/api/0/organizations/${org.orgSlug}/invites/`, {
      cookie: admin,
      body: { email: "new.person@example.com", role: "member" },
    });
    expect(invited.status).toBe(201);
    const token = new URL(invited.json.link).pathname.split("/").at(-1)!;
    const info = await send("GET", `/auth/invites/${token}`);
    expect(info.json).toMatchObject({ email: "new.person@example.com", hasAccount: false, organization: { slug: org.orgSlug } });
    const accepted = await send("POST", `/auth/invites/${token}`, { body: { name: "New Person", password: "a long password" } });
    expect(accepted.status).toBe(200);
    expect(accepted.json.organizations.map((o: { slug: string }) => o.slug)).toEqual([org.orgSlug]);
    const cookie = sessionCookieOf(accepted);
    expect((await send("GET", `/api/0/organizations/${org.orgSlug}/projects/`, { cookie })).status).toBe(200);
    // Used up.
    expect((await send("POST", `/auth/invites/${token}`, { body: { password: "another password" } })).status).toBe(404);
    expect((await send("POST", "/auth/login", { body: { email: "new.person@example.com", password: "a long password" } })).status).toBe(
      200,
    );
  });

  it("ask someone who already has an account for its password", async () => {
    const org = await seedOrganization();
    const elsewhere = await seedOrganization();
    const existing = await seedUser(elsewhere.orgId, "member");
    const admin = await logIn(await seedUser(org.orgId, "owner"));
    const invited = await send("POST", `/api/0/organizations/${org.orgSlug}/invites/`, { cookie: admin, body: { email: existing.email } });
    const token = new URL(invited.json.link).pathname.split("/").at(-1)!;
    expect((await send("GET", `/auth/invites/${token}`)).json.hasAccount).toBe(true);
    expect((await send("POST", `/auth/invites/${token}`, { body: { password: "not their password" } })).status).toBe(401);
    const ok = await send("POST", `/auth/invites/${token}`, { body: { password: existing.password } });
    expect(ok.status).toBe(200);
    expect(ok.json.organizations.map((o: { slug: string }) => o.slug).sort()).toEqual([org.orgSlug, elsewhere.orgSlug].sort());
  });

  it("to an existing account are throttled as logins are: whoever made the link cannot guess its password", async () => {
    const org = await seedOrganization();
    const victim = await seedUser((await seedOrganization()).orgId, "owner");
    const admin = await logIn(await seedUser(org.orgId, "admin"));
    const invited = await send("POST", `/api/0/organizations/${org.orgSlug}/invites/`, { cookie: admin, body: { email: victim.email } });
    const token = new URL(invited.json.link).pathname.split("/").at(-1)!;
    const guess = (password: string, i: number) =>
      send("POST", `/auth/invites/${token}`, { body: { password }, headers: { "cf-connecting-ip": `192.0.2.${i}` } });
    for (let i = 0; i < 6; i++) expect((await guess(`guess number ${i}`, i)).status).toBe(401);
    // The sixth failure blocked the email (for a second: longer here, so a slow machine cannot outrun it).
    const blocked = await env.DB.prepare(
      "UPDATE login_throttles SET blocked_until = ? WHERE key = ? AND blocked_until - last_failure_at >= 1000 RETURNING failures",
    )
      .bind(Date.now() + 60_000, `email:${victim.email}`)
      .first();
    expect(blocked).toEqual({ failures: 6 });
    // Blocked now, even for the right password, and the same block holds for logging in.
    expect((await guess(victim.password, 10)).status).toBe(429);
    expect((await send("POST", "/auth/login", { body: { email: victim.email, password: victim.password } })).status).toBe(429);
  });

  it("can only be sent by owners and admins", async () => {
    const org = await seedOrganization();
    const member = await logIn(await seedUser(org.orgId, "member"));
    expect(
      (await send("POST", `/api/0/organizations/${org.orgSlug}/invites/`, { cookie: member, body: { email: "x@example.com" } })).status,
    ).toBe(403);
  });
});
