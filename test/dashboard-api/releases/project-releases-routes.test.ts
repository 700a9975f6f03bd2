import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { seedOrganization, seedProjectIn, seedRelease } from "../../support/seed-issues";
import { call } from "../../support/release-api";

const NOW = Date.UTC(2026, 10, 22, 12, 30, 0);
beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ["Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

/**
 * The project routes sentry-cli 2.x and the bundler plugins use (`POST /projects/{org}/{project}/releases/`
 * with `{version, ref?, url?, dateReleased?}`, then a PUT to finalize), and `sentry-cli releases
 * list` with a project.
 */
describe("/api/0/projects/{org}/{project}/releases/", () => {
  it("creates a release for the project (201), answers it again (208), finalizes it and lists it", async () => {
    const org = await seedOrganization();
    const base = `/projects/${org.orgSlug}/${org.projectSlug}/releases/`;
    const created = await call("POST", base, org.token, { version: "web@7.0.0", ref: "6ba09a7c53235ee8a8fa5ee4c1ca8ca886e7fdbb" });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      version: "web@7.0.0",
      ref: "6ba09a7c53235ee8a8fa5ee4c1ca8ca886e7fdbb",
      dateCreated: new Date(NOW).toISOString(),
      projects: [{ id: org.projectId, slug: org.projectSlug, hasHealthData: false }],
    });
    expect((await call("POST", base, org.token, { version: "web@7.0.0" })).status).toBe(208);

    const finalized = await call("PUT", `${base}web%407.0.0/`, org.token, { dateReleased: "2026-11-22T12:35:00Z" });
    expect(finalized.json).toMatchObject({ version: "web@7.0.0", dateReleased: "2026-11-22T12:35:00.000Z" });
    expect((await call("GET", `${base}web%407.0.0/`, org.token)).json).toEqual(finalized.json);
    // The same release through the organization's routes.
    expect((await call("GET", `/organizations/${org.orgSlug}/releases/web%407.0.0/`, org.token)).json).toEqual(finalized.json);

    const listed = await call("GET", base, org.token);
    expect(listed.json.map((r: { version: string }) => r.version)).toEqual(["web@7.0.0"]);
    expect(listed.link).toMatch(/rel="next"; results="false"/);
  });

  it("a project sees only the releases linked to it, by the API or by its events", async () => {
    const org = await seedOrganization();
    const web = await seedProjectIn(org.orgId, "web");
    await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, { version: "api-only", projects: [org.projectSlug] });
    await seedRelease(web, "seen-in-web", NOW - 1000);
    const webBase = `/projects/${org.orgSlug}/web/releases/`;
    expect((await call("GET", webBase, org.token)).json.map((r: { version: string }) => r.version)).toEqual(["seen-in-web"]);
    expect((await call("GET", `${webBase}seen-in-web/`, org.token)).status).toBe(200);
    expect((await call("GET", `${webBase}api-only/`, org.token)).status).toBe(404);
    expect((await call("PUT", `${webBase}api-only/`, org.token, { dateReleased: null })).status).toBe(404);
    // Creating it through the web project links it there (201), as Sentry's add_project does.
    expect((await call("POST", webBase, org.token, { version: "api-only" })).status).toBe(201);
    expect((await call("GET", `${webBase}api-only/`, org.token)).json.projects.map((p: { slug: string }) => p.slug)).toEqual([
      org.projectSlug,
      "web",
    ]);
  });

  it("refuses what the organization's routes refuse", async () => {
    const org = await seedOrganization();
    const base = `/projects/${org.orgSlug}/${org.projectSlug}/releases/`;
    for (const body of [
      {},
      { version: "" },
      { version: ".." },
      { version: "a/b" },
      { version: "1", dateReleased: "soon" },
      { version: "1", url: "x" },
    ])
      expect((await call("POST", base, org.token, body)).status, JSON.stringify(body)).toBe(400);
    expect((await call("GET", `/projects/${org.orgSlug}/nope/releases/`, org.token)).status).toBe(404);
  });
});
