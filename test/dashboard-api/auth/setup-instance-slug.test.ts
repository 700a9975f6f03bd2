import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { send } from "../../support/seed-users";

// Its own file, so its own D1 without a user: setup runs once per instance.
describe("first-run setup with a long organization name", () => {
  it("takes a free slug even when the name makes the longest slug there is", async () => {
    const organizationName = "The Very Long Name Of An Organization That Runs Many Shops";
    const slug = "the-very-long-name-of-an-organization-that-runs-ma"; // 50 characters, the most a slug has
    await env.DB.prepare("INSERT INTO organizations (slug, name, created_at) VALUES (?, 'Older', 0)").bind(slug).run();
    const done = await send("POST", "/auth/setup", {
      body: {
        organizationName,
        projectName: "Web Shop",
        platform: "javascript-browser",
        name: "Ada",
        email: "ada@acme.example",
        password: "a fine long password",
      },
    });
    expect(done.status).toBe(201);
    expect(done.json).toMatchObject({ organizations: [{ slug: `${slug.slice(0, 45)}-2`, name: organizationName }] });
  });
});
