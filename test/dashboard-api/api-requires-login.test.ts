import { describe, expect, it } from "vitest";
import { apiApp } from "../../dashboard/api/api-app";
import { authApp } from "../../dashboard/api/auth/session-routes";
import { seedOrganization } from "../support/seed-issues";
import { send } from "../support/seed-users";

/**
 * Every route of the API, read from the Hono router itself so a route added later is covered
 * without touching this test, answers 401 to a request with neither a session nor a token.
 */
const HANDLER_METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);

function concretePath(path: string, org: { orgSlug: string; projectSlug: string }): string {
  return path
    .replace(/\/\*$/, "/anything")
    .replace(/:org\b/g, org.orgSlug)
    .replace(/:project\b/g, org.projectSlug)
    .replace(/:eventRef\b|:eventId\b/g, "latest")
    .replace(/:keyId\b/g, "0123456789abcdef0123456789abcdef")
    .replace(/:(\w+)/g, "1");
}

describe("no API route answers without credentials", () => {
  const routes = apiApp.routes.filter((r) => HANDLER_METHODS.has(r.method));

  it("finds the routes to check", () => {
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.some((r) => r.method === "PUT" && r.path === "/api/0/issues/:issueId")).toBe(true);
    expect(routes.some((r) => r.method === "POST" && r.path === "/api/0/organizations/:org/releases/:version/deploys")).toBe(true);
    expect(routes.some((r) => r.method === "GET" && r.path === "/api/0")).toBe(true);
  });

  it("answers 401 to each, with no cookie, with an unknown cookie and with a bad token", async () => {
    const org = await seedOrganization();
    for (const route of routes) {
      const path = concretePath(route.path, org);
      const body = route.method === "GET" || route.method === "DELETE" ? undefined : {};
      const bare = await send(route.method, path, { body });
      expect(bare.status, `${route.method} ${path}`).toBe(401);
      const stale = await send(route.method, path, { body, cookie: "faultline_session=not-a-session" });
      expect(stale.status, `${route.method} ${path} with an unknown session`).toBe(401);
      const badToken = await send(route.method, path, { body, headers: { authorization: "Bearer flt_nope" } });
      expect(badToken.status, `${route.method} ${path} with a bad token`).toBe(401);
    }
  });

  it("leaves open only the login, logout, session, setup and invite routes, each checked by its own tests", () => {
    const open = authApp.routes.filter((r) => HANDLER_METHODS.has(r.method)).map((r) => `${r.method} ${r.path}`);
    expect(open.sort()).toEqual(
      [
        "GET /auth/invites/:token",
        "GET /auth/session",
        "GET /auth/setup",
        "POST /auth/invites/:token",
        "POST /auth/login",
        "POST /auth/logout",
        "POST /auth/setup",
      ].sort(),
    );
  });
});
