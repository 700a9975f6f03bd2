import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { send, sessionCookieOf } from "../../support/seed-users";

// Each test file gets its own D1, so this one starts with no user: a freshly deployed instance.
describe("first-run setup", () => {
  const body = {
    organizationName: "Acme Corp",
    projectName: "Web Shop",
    platform: "javascript-browser",
    name: "Ada",
    email: "ada@acme.example",
    password: "a fine long password",
  };

  it("is offered while there is no user, creates the owner, organization, project and DSN key, then refuses", async () => {
    expect((await send("GET", "/auth/setup")).json).toEqual({ setupRequired: true });
    const before = await send("GET", "/auth/session");
    expect(before).toMatchObject({ status: 401, json: { setupRequired: true } });

    expect((await send("POST", "/auth/setup", { body: { ...body, password: "short" } })).status).toBe(400);
    // An organization without members (restored from elsewhere, say) keeps its slug.
    await env.DB.prepare("INSERT INTO organizations (slug, name, created_at) VALUES ('acme-corp', 'Old Acme', 0)").run();

    const done = await send("POST", "/auth/setup", { body });
    expect(done.status).toBe(201);
    expect(done.json).toMatchObject({
      user: { email: "ada@acme.example", name: "Ada" },
      organizations: [{ slug: "acme-corp-2", name: "Acme Corp", role: "owner" }],
      project: { slug: "web-shop", organization: "acme-corp-2" },
    });
    const cookie = sessionCookieOf(done);
    const keys = await send("GET", "/api/0/projects/acme-corp-2/web-shop/keys/", { cookie });
    expect(keys.status).toBe(200);
    expect(keys.json).toHaveLength(1);
    expect(keys.json[0].dsn.public).toMatch(/^http:\/\/[0-9a-f]{32}@127\.0\.0\.1:8788\/\d+$/);

    // Once: a second setup is refused and changes nothing.
    const again = await send("POST", "/auth/setup", { body: { ...body, email: "mallory@evil.example" } });
    expect(again.status).toBe(403);
    expect((await send("GET", "/auth/setup")).json).toEqual({ setupRequired: false });
    const users = await env.DB.prepare("SELECT email FROM users").all();
    expect(users.results).toEqual([{ email: "ada@acme.example" }]);
    expect((await send("POST", "/auth/login", { body: { email: "mallory@evil.example", password: body.password } })).status).toBe(401);
  });
});
