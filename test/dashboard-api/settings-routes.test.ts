import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seedOrganization } from "../support/seed-issues";
import { logIn, seedUser, send } from "../support/seed-users";

async function owner() {
  const org = await seedOrganization();
  const cookie = await logIn(await seedUser(org.orgId, "owner"));
  return { org, cookie, project: `/api/0/projects/${org.orgSlug}/${org.projectSlug}` };
}

describe("projects", () => {
  it("are created with a first DSN key, and a taken slug is refused", async () => {
    const { org, cookie } = await owner();
    const created = await send("POST", `/api/0/organizations/${org.orgSlug}/projects/`, {
      cookie,
      body: { name: "Checkout Service", platform: "python" },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ slug: "checkout-service", name: "Checkout Service", platform: "python" });
    const keys = await send("GET", `/api/0/projects/${org.orgSlug}/checkout-service/keys/`, { cookie });
    expect(keys.json).toHaveLength(1);
    expect(keys.json[0].isActive).toBe(true);
    const again = await send("POST", `/api/0/organizations/${org.orgSlug}/projects/`, { cookie, body: { name: "checkout service" } });
    expect(again.status).toBe(409);
  });

  it("have per-project stats for the projects page: events per hour today and open issues", async () => {
    const { org, cookie } = await owner();
    const hour = Date.now() - (Date.now() % 3_600_000);
    await env.DB.prepare("INSERT INTO project_hourly (project_id, hour, count) VALUES (?, ?, 7), (?, ?, 2)")
      .bind(org.projectId, hour, org.projectId, hour - 5 * 3_600_000)
      .run();
    const stats = await send("GET", `/api/0/organizations/${org.orgSlug}/project-stats/`, { cookie });
    expect(stats.status).toBe(200);
    const mine = stats.json.find((s: { slug: string }) => s.slug === org.projectSlug);
    expect(mine.stats["24h"]).toHaveLength(24);
    expect(mine.stats["24h"].at(-1)).toEqual([hour / 1000, 7]);
    expect(mine.stats["24h"].at(-6)).toEqual([(hour - 5 * 3_600_000) / 1000, 2]);
    expect(mine.openIssues).toBe(0);
  });

  it("have settings: data scrubbing, retention and the Apdex threshold", async () => {
    const { cookie, project } = await owner();
    expect((await send("GET", `${project}/settings/`, { cookie })).json).toMatchObject({
      dataScrubber: true,
      sensitiveFields: [],
      retentionDays: 90,
      apdexThreshold: 300,
    });
    const updated = await send("PUT", `${project}/`, {
      cookie,
      body: { dataScrubber: false, sensitiveFields: ["iban", "iban", "tax_id"], retentionDays: 30, apdexThreshold: 1000 },
    });
    expect(updated.json).toMatchObject({
      dataScrubber: false,
      sensitiveFields: ["iban", "tax_id"],
      retentionDays: 30,
      apdexThreshold: 1000,
    });
    expect((await send("PUT", `${project}/`, { cookie, body: { apdexThreshold: 0 } })).status).toBe(400);
    expect((await send("PUT", `${project}/`, { cookie, body: { retentionDays: 0 } })).status).toBe(400);
    expect((await send("PUT", `${project}/`, { cookie, body: { unknown: 1 } })).status).toBe(400);
  });
});

describe("DSN keys", () => {
  it("are created, rate limited, restricted to origins, disabled and rotated", async () => {
    const { org, cookie, project } = await owner();
    const created = await send("POST", `${project}/keys/`, { cookie, body: { name: "Browser" } });
    expect(created.status).toBe(201);
    const id = created.json.id;
    expect(created.json).toMatchObject({ name: "Browser", isActive: true, rateLimit: null, allowedOrigins: [] });

    const limited = await send("PUT", `${project}/keys/${id}/`, {
      cookie,
      body: { rateLimit: { window: 3600, count: 600 }, allowedOrigins: ["https://shop.example", "*.example.org"] },
    });
    expect(limited.json).toMatchObject({ rateLimit: { window: 60, count: 10 }, allowedOrigins: ["https://shop.example", "*.example.org"] });
    expect((await send("PUT", `${project}/keys/${id}/`, { cookie, body: { allowedOrigins: ["javascript:alert(1)"] } })).status).toBe(400);

    const disabled = await send("PUT", `${project}/keys/${id}/`, { cookie, body: { isActive: false } });
    expect(disabled.json.isActive).toBe(false);
    const row = await env.DB.prepare("SELECT enabled, rate_limit_per_minute, allowed_origins FROM project_keys WHERE public_key = ?")
      .bind(id)
      .first();
    expect(row).toEqual({ enabled: 0, rate_limit_per_minute: 10, allowed_origins: '["https://shop.example","*.example.org"]' });

    const rotated = await send("POST", `${project}/keys/${id}/rotate/`, { cookie });
    expect(rotated.json.id).toMatch(/^[0-9a-f]{32}$/);
    expect(rotated.json.id).not.toBe(id);
    expect(rotated.json).toMatchObject({ name: "Browser", isActive: false, rateLimit: { window: 60, count: 10 } });
    expect(rotated.json.dsn.public).toContain(rotated.json.id);
    expect((await send("GET", `${project}/keys/${id}/`, { cookie })).status).toBe(404);

    // Keys of another organization's project are not found.
    const other = await seedOrganization();
    expect((await send("GET", `/api/0/projects/${other.orgSlug}/${other.projectSlug}/keys/${other.publicKey}/`, { cookie })).status).toBe(
      404,
    );
    expect((await send("GET", `/api/0/projects/${org.orgSlug}/${org.projectSlug}/keys/${other.publicKey}/`, { cookie })).status).toBe(404);
  });
});

describe("ingest problems", () => {
  it("list rejected envelopes and dead letters of the project, newest first, a page at a time", async () => {
    const { org, cookie, project } = await owner();
    const now = Date.now();
    for (let i = 0; i < 3; i++) {
      await env.DB.prepare(
        "INSERT INTO rejected_envelopes (message_id, project_id, received_at, reason, detail, body) VALUES (?, ?, ?, 'invalid_json', ?, ?)",
      )
        .bind(`m-${org.projectId}-${i}`, org.projectId, now - i * 1000, `bad item ${i}`, new Uint8Array([1, 2, 3]))
        .run();
    }
    await env.DB.prepare(
      "INSERT INTO dead_letters (queue, message_id, project_id, received_at, attempts, body) VALUES ('events-dlq', ?, ?, ?, 6, NULL)",
    )
      .bind(`d-${org.projectId}`, org.projectId, now)
      .run();

    const first = await send("GET", `${project}/rejected-envelopes/?limit=2`, { cookie });
    expect(first.json.map((r: { detail: string }) => r.detail)).toEqual(["bad item 0", "bad item 1"]);
    expect(first.json[0]).toMatchObject({ reason: "invalid_json", size: 3 });
    const next = /<[^>]+>; rel="next"; results="true"; cursor="([^"]+)"/.exec(first.headers.get("link") ?? "")?.[1];
    expect(next).toBeDefined();
    const second = await send("GET", `${project}/rejected-envelopes/?limit=2&cursor=${next}`, { cookie });
    expect(second.json.map((r: { detail: string }) => r.detail)).toEqual(["bad item 2"]);

    const dead = await send("GET", `${project}/dead-letters/`, { cookie });
    expect(dead.json).toEqual([
      expect.objectContaining({
        queue: "events-dlq",
        attempts: 6,
        reason: "retries_exhausted",
        detail: 'Processing failed 6 times on the "events-dlq" queue.',
      }),
    ]);
  });
});

describe("API tokens", () => {
  it("are created by a logged-in member, shown once, work as Bearer tokens, and stop working when revoked", async () => {
    const { org, cookie } = await owner();
    const path = `/api/0/organizations/${org.orgSlug}/api-tokens/`;
    const created = await send("POST", path, { cookie, body: { label: "deploy script" } });
    expect(created.status).toBe(201);
    const token = created.json.token;
    expect(token).toMatch(/^flt_[A-Za-z0-9_-]{32}$/);
    const listed = await send("GET", path, { cookie });
    expect(listed.json.find((t: { id: string }) => t.id === created.json.id)).toMatchObject({ label: "deploy script" });
    expect(JSON.stringify(listed.json)).not.toContain(token);

    const bearer = { authorization: `Bearer ${token}` };
    expect((await send("GET", `/api/0/organizations/${org.orgSlug}/projects/`, { headers: bearer })).status).toBe(200);
    // A token cannot mint tokens.
    expect((await send("POST", path, { headers: bearer, body: { label: "more" } })).status).toBe(403);

    expect((await send("DELETE", `${path}${created.json.id}/`, { cookie })).status).toBe(204);
    expect((await send("GET", `/api/0/organizations/${org.orgSlug}/projects/`, { headers: bearer })).status).toBe(401);
  });

  it("of others can be revoked by owners and admins only", async () => {
    const { org, cookie } = await owner();
    const path = `/api/0/organizations/${org.orgSlug}/api-tokens/`;
    const mine = await send("POST", path, { cookie, body: { label: "owner's" } });
    const member = await logIn(await seedUser(org.orgId, "member"));
    expect((await send("DELETE", `${path}${mine.json.id}/`, { cookie: member })).status).toBe(403);
    const theirs = await send("POST", path, { cookie: member, body: { label: "member's" } });
    expect((await send("DELETE", `${path}${theirs.json.id}/`, { cookie: member })).status).toBe(204);
  });
});

describe("API tokens of a removed member", () => {
  it("stop working, and leave the list of live tokens", async () => {
    const { org, cookie } = await owner();
    const path = `/api/0/organizations/${org.orgSlug}/api-tokens/`;
    const member = await seedUser(org.orgId, "member");
    const created = await send("POST", path, { cookie: await logIn(member), body: { label: "their script" } });
    const bearer = { authorization: `Bearer ${created.json.token}` };
    expect((await send("GET", `/api/0/organizations/${org.orgSlug}/projects/`, { headers: bearer })).status).toBe(200);

    expect((await send("DELETE", `/api/0/organizations/${org.orgSlug}/members/${member.userId}/`, { cookie })).status).toBe(204);
    expect((await send("GET", `/api/0/organizations/${org.orgSlug}/projects/`, { headers: bearer })).status).toBe(401);
    expect(
      (await send("PUT", `/api/0/projects/${org.orgSlug}/${org.projectSlug}/`, { headers: bearer, body: { retentionDays: 1 } })).status,
    ).toBe(401);
    const listed = await send("GET", path, { cookie });
    expect(listed.json.map((t: { id: string }) => t.id)).not.toContain(created.json.id);
    expect(
      await env.DB.prepare("SELECT revoked_at FROM api_tokens WHERE id = ?").bind(Number(created.json.id)).first("revoked_at"),
    ).toEqual(expect.any(Number));
  });

  it("stop working even where the removal did not revoke them (a membership deleted by hand)", async () => {
    const { org } = await owner();
    const member = await seedUser(org.orgId, "member");
    const created = await send("POST", `/api/0/organizations/${org.orgSlug}/api-tokens/`, {
      cookie: await logIn(member),
      body: { label: "theirs" },
    });
    await env.DB.prepare("DELETE FROM memberships WHERE user_id = ?").bind(member.userId).run();
    expect(
      (await send("GET", `/api/0/organizations/${org.orgSlug}/projects/`, { headers: { authorization: `Bearer ${created.json.token}` } }))
        .status,
    ).toBe(401);
  });
});

describe("members", () => {
  it("who are owners can be removed by an owner only, not by an admin", async () => {
    const { org, cookie } = await owner();
    const second = await seedUser(org.orgId, "owner");
    const admin = await logIn(await seedUser(org.orgId, "admin"));
    expect((await send("DELETE", `/api/0/organizations/${org.orgSlug}/members/${second.userId}/`, { cookie: admin })).status).toBe(403);
    expect((await send("DELETE", `/api/0/organizations/${org.orgSlug}/members/${second.userId}/`, { cookie })).status).toBe(204);
  });

  it("are listed with pending invites; the last owner cannot be removed, others can", async () => {
    const { org, cookie } = await owner();
    const member = await seedUser(org.orgId, "member");
    await send("POST", `/api/0/organizations/${org.orgSlug}/invites/`, { cookie, body: { email: "later@example.com" } });
    const list = await send("GET", `/api/0/organizations/${org.orgSlug}/members/`, { cookie });
    expect(list.json.filter((m: { pending: boolean }) => m.pending).map((m: { email: string }) => m.email)).toEqual(["later@example.com"]);
    expect(list.json.filter((m: { pending: boolean }) => !m.pending)).toHaveLength(2);

    const ownerId = list.json.find((m: { role: string }) => m.role === "owner").id;
    expect((await send("DELETE", `/api/0/organizations/${org.orgSlug}/members/${ownerId}/`, { cookie })).status).toBe(400);
    const memberCookie = await logIn(member);
    expect((await send("DELETE", `/api/0/organizations/${org.orgSlug}/members/${member.userId}/`, { cookie })).status).toBe(204);
    // Removed from their only organization: logged out everywhere.
    expect((await send("GET", "/auth/session", { cookie: memberCookie })).status).toBe(401);
  });
});
