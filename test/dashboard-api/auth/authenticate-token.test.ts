import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { apiApp } from "../../../dashboard/api/api-app";
import { seedOrganization, seedToken } from "../../support/seed-issues";

async function get(path: string, headers: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const res = await apiApp.fetch(new Request(`http://dashboard.test/api/0${path}`, { headers }), env, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, json: (await res.json()) as unknown };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("API token authentication", () => {
  it("answers 401 with Sentry's detail when no credentials are sent", async () => {
    expect(await get("/projects/")).toEqual({ status: 401, json: { detail: "Authentication credentials were not provided." } });
  });

  it("answers 401 for an unknown token", async () => {
    await seedOrganization();
    expect(await get("/projects/", bearer("flt_not_a_real_token"))).toEqual({ status: 401, json: { detail: "Invalid token" } });
  });

  it("answers 401 for a revoked token of an existing organization", async () => {
    const org = await seedOrganization();
    const revoked = await seedToken(org.orgId, { revoked: true });
    expect(await get("/projects/", bearer(revoked))).toEqual({ status: 401, json: { detail: "Invalid token" } });
    // The organization's other token still works.
    expect((await get("/projects/", bearer(org.token))).status).toBe(200);
  });

  it("answers 401 for a Bearer header without a token", async () => {
    expect(await get("/projects/", { authorization: "Bearer" })).toEqual({
      status: 401,
      json: { detail: "Invalid token header. No credentials provided." },
    });
  });

  it("leaves other schemes to other ways in, so alone they are missing credentials", async () => {
    const org = await seedOrganization();
    expect(await get("/projects/", { authorization: `Basic ${btoa(`${org.token}:`)}` })).toEqual({
      status: 401,
      json: { detail: "Authentication credentials were not provided." },
    });
  });

  it("protects unknown paths too, then answers 404 to a valid token", async () => {
    const org = await seedOrganization();
    expect((await get("/nothing/here/")).status).toBe(401);
    expect(await get("/nothing/here/", bearer(org.token))).toEqual({
      status: 404,
      json: { detail: "The requested resource does not exist" },
    });
  });

  it("accepts the scheme in any case and records when the token was last used", async () => {
    const org = await seedOrganization();
    const before = Date.now();
    const { status } = await get("/projects/", { authorization: `bearer ${org.token}` });
    expect(status).toBe(200);
    const row = await env.DB.prepare("SELECT last_used_at FROM api_tokens WHERE organization_id = ? AND revoked_at IS NULL")
      .bind(org.orgId)
      .first<{ last_used_at: number | null }>();
    expect(row?.last_used_at).toBeGreaterThanOrEqual(before);
  });
});
