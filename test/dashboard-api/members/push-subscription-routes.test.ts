import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newBrowser } from "../../support/push-browser";
import { seedOrganization } from "../../support/seed-issues";
import { logIn, seedUser, send } from "../../support/seed-users";

const BASE = "/api/0/users/me/push-subscriptions/";
const VAPID_PUBLIC_KEY = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";

async function member() {
  const org = await seedOrganization();
  const user = await seedUser(org.orgId, "member");
  return { org, user, cookie: await logIn(user) };
}

/** What PushSubscription.toJSON() gives in a browser. */
async function subscriptionJson(endpoint = `https://fcm.googleapis.com/fcm/send/${crypto.randomUUID()}`) {
  const browser = await newBrowser(endpoint);
  return { endpoint, expirationTime: null, keys: { p256dh: browser.p256dh, auth: browser.auth } };
}

describe("push subscriptions", () => {
  it("give the VAPID public key, and keep each browser the user subscribes once", async () => {
    const { cookie, user } = await member();
    const empty = await send("GET", BASE, { cookie, env: { VAPID_PUBLIC_KEY } });
    expect(empty.json).toEqual({ vapidPublicKey: VAPID_PUBLIC_KEY, subscriptions: [] });
    const body = await subscriptionJson();
    const created = await send("POST", BASE, { cookie, body });
    expect(created.status).toBe(201);
    // The same browser again (a reload re-subscribes): one row, its keys refreshed.
    const again = await send("POST", BASE, { cookie, body: { ...body, keys: (await subscriptionJson()).keys } });
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(created.json.id);
    const listed = await send("GET", BASE, { cookie });
    expect(listed.json.vapidPublicKey).toBeNull();
    expect(listed.json.subscriptions).toEqual([{ id: created.json.id, endpoint: body.endpoint, dateCreated: expect.any(String) }]);
    const row = await env.DB.prepare("SELECT user_id FROM push_subscriptions WHERE endpoint = ?")
      .bind(body.endpoint)
      .first<{ user_id: number }>();
    expect(row?.user_id).toBe(user.userId);
  });

  it("are removed by their owner only", async () => {
    const a = await member();
    const b = await member();
    const created = await send("POST", BASE, { cookie: a.cookie, body: await subscriptionJson() });
    expect((await send("DELETE", `${BASE}${created.json.id}/`, { cookie: b.cookie })).status).toBe(404);
    expect((await send("DELETE", `${BASE}${created.json.id}/`, { cookie: a.cookie })).status).toBe(204);
    expect((await send("GET", BASE, { cookie: a.cookie })).json.subscriptions).toEqual([]);
  });

  it("refuse what is not a browser's subscription with a 400 that says why", async () => {
    const { cookie } = await member();
    const good = await subscriptionJson();
    const cases: Array<[unknown, RegExp]> = [
      [{ ...good, endpoint: "http://push.example.net/x" }, /endpoint/],
      [{ ...good, endpoint: "not a url" }, /endpoint/],
      [{ ...good, keys: { ...good.keys, p256dh: "AAAA" } }, /p256dh/],
      [{ ...good, keys: { ...good.keys, p256dh: `BA${"A".repeat(85)}` } }, /p256dh/],
      [{ ...good, keys: { ...good.keys, auth: "short" } }, /auth/],
      [{ endpoint: good.endpoint }, /keys/],
      ["[]", /./],
    ];
    for (const [body, reason] of cases) {
      const res = await send("POST", BASE, { cookie, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(res.json), JSON.stringify(body)).toMatch(reason);
    }
  });

  it("belong to a logged-in user, not to an API token", async () => {
    const org = await seedOrganization();
    const token = `flt_${crypto.randomUUID().replaceAll("-", "")}`;
    const hash = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))), (b) =>
      b.toString(16).padStart(2, "0"),
    ).join("");
    await env.DB.prepare("INSERT INTO api_tokens (organization_id, label, token_hash, created_at) VALUES (?, 'ci', ?, ?)")
      .bind(org.orgId, hash, Date.now())
      .run();
    const res = await send("GET", BASE, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(403);
  });
});

describe("push targets of alert rules", () => {
  it("name a member of the organization", async () => {
    const { org, cookie, user } = await member();
    const rules = `/api/0/projects/${org.orgSlug}/${org.projectSlug}/alert-rules/`;
    const rule = (address: string) => ({ name: "Pages", triggers: [{ type: "new_issue" }], targets: [{ type: "push", address }] });
    const created = await send("POST", rules, { cookie, body: rule(user.email) });
    expect(created.status).toBe(201);
    expect(created.json.targets).toEqual([{ id: expect.any(String), type: "push", address: user.email }]);
    const stranger = await send("POST", rules, { cookie, body: rule("someone@elsewhere.example") });
    expect(stranger.status).toBe(400);
    expect(stranger.json.detail).toMatch(/targets\.0\.address: .* not a member/);
  });
});
