import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { seedOrganization, seedProjectIn } from "../../support/seed-issues";
import { call, linkCursor, releasePath } from "../../support/release-api";

const NOW = Date.UTC(2026, 10, 22, 12, 30, 0);
beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ["Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

async function releaseOf(projects: Array<string | number> = []) {
  const org = await seedOrganization();
  const res = await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, {
    version: "shop@3.2.1",
    projects: projects.length === 0 ? [org.projectSlug] : projects,
  });
  expect(res.status).toBe(201);
  return { org, deploys: releasePath(org.orgSlug, "shop@3.2.1", "deploys/") };
}

describe("POST /api/0/organizations/{org}/releases/{version}/deploys/", () => {
  it("records a deploy as `sentry-cli deploys new` sends it (201) and makes it the release's last", async () => {
    const { org, deploys } = await releaseOf();
    // src/commands/deploys/new.rs with --env, --name, --url and --time 30.
    const created = await call("POST", deploys, org.token, {
      environment: "production",
      name: "deploy #42",
      url: "https://ci.example.com/deploys/42",
      dateStarted: "2026-11-22T12:29:30.000000001Z",
      dateFinished: "2026-11-22T12:30:00Z",
    });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      id: expect.stringMatching(/^\d+$/),
      environment: "production",
      name: "deploy #42",
      url: "https://ci.example.com/deploys/42",
      dateStarted: "2026-11-22T12:29:30.000Z",
      dateFinished: "2026-11-22T12:30:00.000Z",
    });
    vi.setSystemTime(NOW + 60_000);
    // Without times or a name: it finished now (sentry-cli's list reads dateFinished), unnamed.
    const bare = await call("POST", deploys, org.token, { environment: "staging" });
    expect(bare.json).toMatchObject({
      environment: "staging",
      name: null,
      url: null,
      dateStarted: null,
      dateFinished: new Date(NOW + 60_000).toISOString(),
    });

    const release = await call("GET", releasePath(org.orgSlug, "shop@3.2.1"), org.token);
    expect(release.json).toMatchObject({ deployCount: 2, lastDeploy: bare.json });
  });

  it("refuses environments Sentry refuses, absurd dates, URLs that are not http(s) and projects not in the release", async () => {
    const org = await seedOrganization();
    const other = await seedProjectIn(org.orgId, "other");
    await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, { version: "1.0", projects: [org.projectSlug] });
    const deploys = releasePath(org.orgSlug, "1.0", "deploys/");
    const refused: unknown[] = [
      {},
      { environment: "" },
      { environment: "prod east" },
      { environment: "prod/east" },
      { environment: "None" },
      { environment: "e".repeat(65) },
      { environment: "prod\u0000" },
      { environment: 7 },
      { environment: "production", name: "n".repeat(65) },
      { environment: "production", url: "ftp://example.com" },
      { environment: "production", dateFinished: "1960-01-01T00:00:00Z" },
      { environment: "production", dateStarted: "99999-01-01T00:00:00Z" },
      { environment: "production", projects: ["other"] },
      { environment: "production", projects: ["unknown"] },
    ];
    for (const body of refused) {
      const res = await call("POST", deploys, org.token, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.detail).toEqual(expect.any(String));
    }
    expect(
      await env.DB.prepare(
        "SELECT count(*) AS n FROM release_deploys d JOIN organization_releases r ON r.id = d.release_id WHERE r.organization_id = ?",
      )
        .bind(org.orgId)
        .first("n"),
    ).toBe(0);
    expect((await call("POST", deploys, org.token, { environment: "production", projects: [org.projectSlug] })).status).toBe(201);
    expect(other).toBeGreaterThan(0);
    expect((await call("POST", releasePath(org.orgSlug, "2.0", "deploys/"), org.token, { environment: "production" })).status).toBe(404);
  });
});

describe("GET /api/0/organizations/{org}/releases/{version}/deploys/", () => {
  it("lists the deploys the last finished first, with cursors", async () => {
    const { org, deploys } = await releaseOf();
    for (const [environment, finished] of [
      ["staging", NOW - 3000],
      ["production", NOW - 1000],
      ["canary", NOW - 2000],
    ] as const)
      await call("POST", deploys, org.token, { environment, dateFinished: new Date(finished).toISOString() });
    const all = await call("GET", deploys, org.token);
    expect(all.json.map((d: { environment: string }) => d.environment)).toEqual(["production", "canary", "staging"]);
    const first = await call("GET", `${deploys}?per_page=2`, org.token);
    expect(first.json).toHaveLength(2);
    const rest = await call("GET", `${deploys}?per_page=2&cursor=${linkCursor(first.link, "next").cursor}`, org.token);
    expect(rest.json.map((d: { environment: string }) => d.environment)).toEqual(["staging"]);
    expect(linkCursor(rest.link, "next").results).toBe(false);
    expect((await call("GET", `${deploys}?per_page=500`, org.token)).status).toBe(400);
    expect((await call("GET", releasePath(org.orgSlug, "nope", "deploys/"), org.token)).status).toBe(404);
  });
});
