import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  fixtureEvent,
  randomEventId,
  recordEvents,
  seedIssue,
  seedOrganization,
  seedProjectIn,
  seedRelease,
} from "../../support/seed-issues";
import { call, linkCursor, releasePath } from "../../support/release-api";
import { logIn, seedUser, send } from "../../support/seed-users";

// The clock the API reads (Date is faked), moved on between writes that must sort.
const NOW = Date.UTC(2026, 10, 22, 12, 30, 0);
beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ["Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

const NOT_FOUND = { detail: "The requested resource does not exist" };
const versions = (json: Array<{ version: string }>) => json.map((r) => r.version);

describe("POST /api/0/organizations/{org}/releases/", () => {
  it("creates a release as `sentry-cli releases new` sends it (201) and answers it in Sentry's shape; again is 208", async () => {
    const org = await seedOrganization();
    // sentry-cli 3.8's body (src/commands/releases/new.rs): chrono's RFC 3339 with nanoseconds.
    const body = {
      version: "backend@1.4.0+build.77",
      projects: [org.projectSlug],
      url: "https://ci.example.com/builds/77",
      dateStarted: "2026-11-22T12:29:58.123456789Z",
    };
    const created = await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, body);
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      id: expect.any(Number),
      version: "backend@1.4.0+build.77",
      shortVersion: "backend@1.4.0+build.77",
      status: "open",
      ref: null,
      url: "https://ci.example.com/builds/77",
      dateCreated: new Date(NOW).toISOString(),
      dateStarted: "2026-11-22T12:29:58.123Z",
      dateReleased: null,
      firstEvent: null,
      lastEvent: null,
      newGroups: 0,
      commitCount: 0,
      lastCommit: null,
      deployCount: 0,
      lastDeploy: null,
      authors: [],
      owner: null,
      data: {},
      projects: [
        {
          id: org.projectId,
          slug: org.projectSlug,
          name: org.projectName,
          platform: null,
          platforms: [],
          newGroups: 0,
          hasHealthData: false,
        },
      ],
    });

    vi.setSystemTime(NOW + 60_000);
    const again = await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, { ...body, url: "https://elsewhere.example" });
    expect(again.status).toBe(208);
    // An existing release keeps what it was created with, as in Sentry.
    expect(again.json).toEqual(created.json);
  });

  it("adding a project to an existing release answers 201 and links it; projects may be ids (numbers) or slugs", async () => {
    const org = await seedOrganization();
    const second = await seedProjectIn(org.orgId, "aa-web", "javascript");
    await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, { version: "2.0.0", projects: [org.projectSlug] });
    const added = await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, { version: "2.0.0", projects: [second] });
    expect(added.status).toBe(201);
    expect(added.json.projects.map((p: { slug: string }) => p.slug)).toEqual(["aa-web", org.projectSlug]);
    expect(added.json.projects[0]).toMatchObject({ id: second, platform: "javascript", platforms: ["javascript"] });
    const same = await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, {
      version: "2.0.0",
      projects: [org.projectId, "aa-web"],
    });
    expect(same.status).toBe(208);
  });

  it("a project events already linked does not count as new (208), as the digest's link is Sentry's ReleaseProject", async () => {
    const org = await seedOrganization();
    await seedRelease(org.projectId, "3.1.0", NOW - 5_000);
    const res = await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, { version: "3.1.0", projects: [org.projectSlug] });
    expect(res.status).toBe(208);
    expect(res.json.firstEvent).toBe(new Date(NOW - 5_000).toISOString());
  });

  it("sets commits and archives with the create, as `releases archive` sends it", async () => {
    const org = await seedOrganization();
    const res = await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, {
      version: "4.0.0",
      projects: [org.projectSlug],
      commits: [
        { id: "a".repeat(40), repository: "acme/api", message: "Fix checkout", author_name: "Ada", author_email: "ada@example.com" },
      ],
    });
    expect(res.json).toMatchObject({
      commitCount: 1,
      lastCommit: { id: "a".repeat(40) },
      authors: [{ name: "Ada", email: "ada@example.com" }],
    });
    // sentry-cli's archive: a POST of the version with no projects and the status.
    const archived = await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, {
      version: "4.0.0",
      projects: [],
      status: "archived",
    });
    expect(archived.status).toBe(208);
    expect(archived.json.status).toBe("archived");
  });

  it("refuses versions Sentry refuses, with a 400 naming the field, and keeps versions trimmed as the digest does", async () => {
    const org = await seedOrganization();
    const post = (version: unknown) =>
      call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, { version, projects: [org.projectSlug] });
    const refused = [
      "",
      "   ",
      ".",
      "..",
      "latest",
      "LATEST",
      "a\nb",
      "a\rb",
      "a\tb",
      "a\fb",
      "a\u0001b",
      "a\u007fb",
      "web/1.0",
      "web\\1.0",
      "x".repeat(201),
      12,
    ];
    for (const version of refused) {
      const res = await post(version);
      expect(res.status, JSON.stringify(version)).toBe(400);
      expect(res.json.detail, JSON.stringify(version)).toMatch(/^version: /);
    }
    expect((await post("x".repeat(200))).status).toBe(201);
    // 200 characters, not UTF-16 units.
    expect((await post("🚀".repeat(200))).status).toBe(201);
    const padded = await post("  5.0.0 ");
    expect(padded.json.version).toBe("5.0.0");
    expect(
      await env.DB.prepare("SELECT count(*) AS n FROM organization_releases WHERE organization_id = ?").bind(org.orgId).first("n"),
    ).toBe(3);
  });

  it("refuses projects that are not the organization's, a missing list, and bodies that are not JSON objects", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    const post = (body: unknown) => call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, body);
    expect((await post({ version: "1.0", projects: ["nope"] })).json).toEqual({ detail: "projects: Invalid project ids or slugs" });
    expect((await post({ version: "1.0", projects: [other.projectId] })).status).toBe(400);
    expect((await post({ version: "1.0", projects: [String(org.projectId)] })).status).toBe(400);
    expect((await post({ version: "1.0" })).json.detail).toMatch(/^projects: /);
    expect((await post("{not json")).json).toEqual({ detail: "body: not valid JSON" });
    expect((await post([1, 2])).status).toBe(400);
    expect((await post(null)).status).toBe(400);
    expect(
      await env.DB.prepare("SELECT count(*) AS n FROM organization_releases WHERE organization_id = ?").bind(org.orgId).first("n"),
    ).toBe(0);
  });

  it("refuses absurd dates and URLs that are not http(s)", async () => {
    const org = await seedOrganization();
    const post = (fields: Record<string, unknown>) =>
      call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, { version: "1.0", projects: [org.projectSlug], ...fields });
    for (const date of [
      "1969-12-31T23:59:59Z",
      "10000-01-01T00:00:00Z",
      "+275760-09-13T00:00:00Z",
      "2026-02-30T10:00:00Z",
      "2026-13-01T00:00:00Z",
      "2026-01-01T24:00:00Z",
      "yesterday",
      "",
      1767225600,
      {},
    ]) {
      for (const field of ["dateReleased", "dateStarted"]) {
        const res = await post({ [field]: date });
        expect(res.status, `${field} ${JSON.stringify(date)}`).toBe(400);
        expect(res.json.detail).toMatch(new RegExp(`^${field}: `));
      }
    }
    expect((await post({ url: "javascript:alert(1)" })).json.detail).toMatch(/^url: /);
    expect((await post({ url: "not a url" })).status).toBe(400);
    // What is allowed: offsets, no offset (UTC), a space for the T, blank and null URLs.
    const ok = await post({ dateReleased: "2026-11-20T10:00:00+02:00", dateStarted: "2026-11-20 07:00:00", url: "" });
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject({ dateReleased: "2026-11-20T08:00:00.000Z", dateStarted: "2026-11-20T07:00:00.000Z", url: null });
  });
});

describe("versions in paths", () => {
  it("finds versions with @, +, spaces and other characters sentry-cli percent-encodes, through every route", async () => {
    const org = await seedOrganization();
    for (const version of ["my-app@2.0.0+exp.sha.5114f85", "release 1.0 (beta)", "v1.0#nightly?x=1&y=%20", "ünïcødé-1.0", "1.0.0-rc.1"]) {
      const created = await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, { version, projects: [org.projectSlug] });
      expect(created.status, version).toBe(201);
      const got = await call("GET", releasePath(org.orgSlug, version), org.token);
      expect(got.status, version).toBe(200);
      expect(got.json.version).toBe(version);
      const finalized = await call("PUT", releasePath(org.orgSlug, version), org.token, { dateReleased: "2026-11-22T12:00:00Z" });
      expect(finalized.json).toMatchObject({ version, dateReleased: "2026-11-22T12:00:00.000Z" });
      expect((await call("POST", releasePath(org.orgSlug, version, "deploys/"), org.token, { environment: "production" })).status).toBe(
        201,
      );
      expect((await call("GET", releasePath(org.orgSlug, version, "deploys/"), org.token)).json).toHaveLength(1);
      expect((await call("GET", releasePath(org.orgSlug, version, "commits/"), org.token)).json).toEqual([]);
      expect((await call("GET", releasePath(org.orgSlug, version, "previous-with-commits/"), org.token)).json).toEqual({});
    }
    // Without the trailing slash too (Hono's routes are strict about it otherwise).
    expect((await call("GET", `/organizations/${org.orgSlug}/releases/${encodeURIComponent("1.0.0-rc.1")}`, org.token)).status).toBe(200);
  });

  it("an encoded slash stays in the version, which no release has: 404, not another route", async () => {
    const org = await seedOrganization();
    await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, { version: "web", projects: [org.projectSlug] });
    for (const path of ["web%2F1.0", "web%2Fdeploys", "web%2fcommits"]) {
      const res = await call("GET", `/organizations/${org.orgSlug}/releases/${path}/`, org.token);
      expect(res.status, path).toBe(404);
      expect(res.json).toEqual(NOT_FOUND);
    }
    expect((await call("GET", `/organizations/${org.orgSlug}/releases/%E0%A4%A/`, org.token)).status).toBe(404);
    expect((await call("GET", `/organizations/${org.orgSlug}/releases/%20/`, org.token)).status).toBe(404);
  });
});

describe("GET /api/0/organizations/{org}/releases/", () => {
  async function releasesAt(orgSlug: string, token: string, list: Array<[string, number, Array<string | number>]>) {
    for (const [version, at, projects] of list) {
      vi.setSystemTime(at);
      const res = await call("POST", `/organizations/${orgSlug}/releases/`, token, { version, projects });
      expect(res.status).toBe(201);
    }
    vi.setSystemTime(NOW);
  }

  it("lists newest first, filtered by part of the version and by project, with releases events named on their own", async () => {
    const org = await seedOrganization();
    const web = await seedProjectIn(org.orgId, "web");
    await releasesAt(org.orgSlug, org.token, [
      ["api@1.0.0", NOW - 3000, [org.projectSlug]],
      ["web@1.0.0", NOW - 2000, ["web"]],
      ["api@1.1.0", NOW - 1000, [org.projectSlug]],
    ]);
    // A version only events named, in the web project: the digest made its release.
    vi.setSystemTime(NOW - 500);
    await recordEvents(web, [fixtureEvent("node-2", { release: "web@1.0.1", timestamp: NOW - 90_000 })]);
    vi.setSystemTime(NOW);

    const all = await call("GET", `/organizations/${org.orgSlug}/releases/`, org.token);
    expect(all.status).toBe(200);
    expect(versions(all.json)).toEqual(["web@1.0.1", "api@1.1.0", "web@1.0.0", "api@1.0.0"]);
    expect(all.json[0]).toMatchObject({
      dateCreated: new Date(NOW - 500).toISOString(),
      firstEvent: new Date(NOW - 90_000).toISOString(),
      lastEvent: new Date(NOW - 90_000).toISOString(),
      newGroups: 1,
      projects: [{ id: web, slug: "web", newGroups: 1 }],
    });
    expect(versions((await call("GET", `/organizations/${org.orgSlug}/releases/?query=API@1`, org.token)).json)).toEqual([
      "api@1.1.0",
      "api@1.0.0",
    ]);
    expect(versions((await call("GET", `/organizations/${org.orgSlug}/releases/?query=@1.0.`, org.token)).json)).toEqual([
      "web@1.0.1",
      "web@1.0.0",
      "api@1.0.0",
    ]);
    // LIKE's wildcards are plain characters in a query.
    expect((await call("GET", `/organizations/${org.orgSlug}/releases/?query=${encodeURIComponent("%_")}`, org.token)).json).toEqual([]);
    // Longer than the 50 bytes D1 takes in a LIKE pattern.
    const long = await call("GET", `/organizations/${org.orgSlug}/releases/?query=${"9".repeat(120)}`, org.token);
    expect([long.status, long.json]).toEqual([200, []]);
    expect(versions((await call("GET", `/organizations/${org.orgSlug}/releases/?project=${web}`, org.token)).json)).toEqual([
      "web@1.0.1",
      "web@1.0.0",
    ]);
    expect(
      versions((await call("GET", `/organizations/${org.orgSlug}/releases/?project=${web}&project=${org.projectId}`, org.token)).json),
    ).toHaveLength(4);
    expect(versions((await call("GET", `/organizations/${org.orgSlug}/releases/?project=-1`, org.token)).json)).toHaveLength(4);
  });

  it("pages with Sentry's cursors, forward and back, and refuses what is not a page", async () => {
    const org = await seedOrganization();
    // Two releases created in the same millisecond: the id breaks the tie.
    await releasesAt(
      org.orgSlug,
      org.token,
      Array.from({ length: 5 }, (_, i): [string, number, string[]] => [
        `1.0.${i}`,
        NOW - 10_000 + Math.min(i, 3) * 1000,
        [org.projectSlug],
      ]),
    );
    const base = `/organizations/${org.orgSlug}/releases/`;
    const first = await call("GET", `${base}?per_page=2`, org.token);
    expect(versions(first.json)).toEqual(["1.0.4", "1.0.3"]);
    expect(linkCursor(first.link, "previous").results).toBe(false);
    const next = linkCursor(first.link, "next");
    expect(next.results).toBe(true);
    const second = await call("GET", `${base}?per_page=2&cursor=${next.cursor}`, org.token);
    expect(versions(second.json)).toEqual(["1.0.2", "1.0.1"]);
    const third = await call("GET", `${base}?per_page=2&cursor=${linkCursor(second.link, "next").cursor}`, org.token);
    expect(versions(third.json)).toEqual(["1.0.0"]);
    expect(linkCursor(third.link, "next").results).toBe(false);
    const back = await call("GET", `${base}?per_page=2&cursor=${linkCursor(third.link, "previous").cursor}`, org.token);
    expect(versions(back.json)).toEqual(["1.0.2", "1.0.1"]);

    for (const bad of [
      "per_page=0",
      "per_page=101",
      "per_page=x",
      "cursor=abc",
      "status=deleted",
      "project=web",
      `project=${(await seedOrganization()).projectId}`,
    ]) {
      const res = await call("GET", `${base}?${bad}`, org.token);
      expect([400, 403], bad).toContain(res.status);
      expect(res.json.detail, bad).toEqual(expect.any(String));
    }
  });

  it("leaves archived releases out unless asked for them", async () => {
    const org = await seedOrganization();
    await releasesAt(org.orgSlug, org.token, [
      ["old", NOW - 2000, [org.projectSlug]],
      ["new", NOW - 1000, [org.projectSlug]],
    ]);
    expect((await call("PUT", releasePath(org.orgSlug, "old"), org.token, { status: "archived" })).json.status).toBe("archived");
    const base = `/organizations/${org.orgSlug}/releases/`;
    expect(versions((await call("GET", base, org.token)).json)).toEqual(["new"]);
    expect(versions((await call("GET", `${base}?status=archived`, org.token)).json)).toEqual(["old"]);
    expect(versions((await call("GET", `${base}?status=`, org.token)).json)).toEqual(["new", "old"]);
    // An archived release is still there by its version.
    expect((await call("GET", releasePath(org.orgSlug, "old"), org.token)).status).toBe(200);
  });
});

describe("GET, PUT and DELETE /api/0/organizations/{org}/releases/{version}/", () => {
  it("answers events' first and last times and new issues from the data, over every project that saw it", async () => {
    const org = await seedOrganization();
    const web = await seedProjectIn(org.orgId, "web");
    await recordEvents(org.projectId, [
      fixtureEvent("node-2", { release: "9.9.9", timestamp: NOW - 50_000, eventId: randomEventId() }),
      fixtureEvent("node-2", { release: "9.9.9", timestamp: NOW - 40_000, eventId: randomEventId() }),
    ]);
    await recordEvents(web, [fixtureEvent("browser-2", { release: "9.9.9", timestamp: NOW - 10_000 })]);
    // An issue first seen in an older release, seen again in this one, is not new in it.
    await seedIssue(org.projectId, { firstRelease: "9.9.8", lastRelease: "9.9.9" });
    const res = await call("GET", releasePath(org.orgSlug, "9.9.9"), org.token);
    expect(res.json).toMatchObject({
      firstEvent: new Date(NOW - 50_000).toISOString(),
      lastEvent: new Date(NOW - 10_000).toISOString(),
      newGroups: 2,
      projects: [
        { slug: org.projectSlug, newGroups: 1 },
        { slug: "web", newGroups: 1 },
      ],
    });
  });

  it("finalizes with a PUT of dateReleased (sentry-cli's `releases finalize`), changes url and ref, and clears with null", async () => {
    const org = await seedOrganization();
    await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, { version: "1.0", projects: [org.projectSlug] });
    // What finalize sends: the projects (ignored, as in Sentry), maybe a url, and the time.
    const finalized = await call("PUT", releasePath(org.orgSlug, "1.0"), org.token, {
      projects: [org.projectSlug],
      url: "https://example.com/r/1.0",
      dateReleased: "2026-11-22T12:31:00.5Z",
      ref: "main",
    });
    expect(finalized.status).toBe(200);
    expect(finalized.json).toMatchObject({
      url: "https://example.com/r/1.0",
      ref: "main",
      dateReleased: "2026-11-22T12:31:00.500Z",
    });
    const nothing = await call("PUT", releasePath(org.orgSlug, "1.0"), org.token, {});
    expect(nothing.json).toEqual(finalized.json);
    const cleared = await call("PUT", releasePath(org.orgSlug, "1.0"), org.token, { dateReleased: null, url: null });
    expect(cleared.json).toMatchObject({ dateReleased: null, url: null, ref: "main" });
    expect((await call("PUT", releasePath(org.orgSlug, "1.0"), org.token, { dateReleased: "0001-01-01T00:00:00Z" })).status).toBe(400);
    expect((await call("PUT", releasePath(org.orgSlug, "1.0"), org.token, { status: "gone" })).status).toBe(400);
    expect((await call("PUT", releasePath(org.orgSlug, "2.0"), org.token, { dateReleased: null })).status).toBe(404);
  });

  it("deletes a release with its deploys and commits (204), but not one issues were first seen in", async () => {
    const org = await seedOrganization();
    await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, {
      version: "1.0",
      projects: [org.projectSlug],
      commits: [{ id: "abc" }],
    });
    await call("POST", releasePath(org.orgSlug, "1.0", "deploys/"), org.token, { environment: "production" });
    expect((await call("DELETE", releasePath(org.orgSlug, "1.0"), org.token)).status).toBe(204);
    expect((await call("GET", releasePath(org.orgSlug, "1.0"), org.token)).status).toBe(404);
    expect((await call("DELETE", releasePath(org.orgSlug, "1.0"), org.token)).status).toBe(404);
    for (const table of ["release_commits", "release_deploys", "release_projects"])
      expect(
        await env.DB.prepare(
          `SELECT count(*) AS n FROM ${table} t WHERE NOT EXISTS (SELECT 1 FROM organization_releases r WHERE r.id = t.release_id)`,
        ).first("n"),
      ).toBe(0);

    await recordEvents(org.projectId, [fixtureEvent("node-2", { release: "2.0" })]);
    const refused = await call("DELETE", releasePath(org.orgSlug, "2.0"), org.token);
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual({ detail: "This release is referenced by active issues and cannot be removed." });
    expect((await call("GET", releasePath(org.orgSlug, "2.0"), org.token)).status).toBe(200);
  });
});

describe("commits", () => {
  // What `sentry-cli releases set-commits --local` sends (src/utils/vcs.rs, generate_patch_set).
  const localCommits = [
    {
      patch_set: [{ path: "src/app.ts", type: "M" }],
      repository: "origin",
      author_name: "Ada Lovelace",
      author_email: "ada@example.com",
      timestamp: "2026-11-20T09:00:00+01:00",
      message: "Older commit\n\nWith a body.",
      id: "1111111111111111111111111111111111111111",
    },
    {
      patch_set: [{ path: "README.md", type: "A" }],
      repository: "origin",
      author_name: "Grace Hopper",
      author_email: "grace@example.com",
      timestamp: "2026-11-21T09:00:00+01:00",
      message: "Newer commit",
      id: "2222222222222222222222222222222222222222",
    },
    {
      patch_set: [],
      repository: "origin",
      author_name: "Ada Lovelace",
      author_email: "ADA@example.com",
      timestamp: "2026-11-19T09:00:00+01:00",
      message: null,
      id: "3333333333333333333333333333333333333333",
    },
  ];

  it("keeps the commits set-commits sends, newest first, and lists them; a second set replaces them", async () => {
    const org = await seedOrganization();
    await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, { version: "1.0", projects: [org.projectSlug] });
    const set = await call("PUT", releasePath(org.orgSlug, "1.0"), org.token, { commits: localCommits });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({
      commitCount: 3,
      lastCommit: { id: "2".repeat(40), message: "Newer commit", dateCreated: "2026-11-21T08:00:00.000Z" },
      authors: [
        { name: "Grace Hopper", email: "grace@example.com" },
        { name: "Ada Lovelace", email: "ada@example.com" },
      ],
    });
    const listed = await call("GET", releasePath(org.orgSlug, "1.0", "commits/"), org.token);
    expect(listed.json.map((c: { id: string }) => c.id[0])).toEqual(["2", "1", "3"]);
    expect(listed.json[1]).toEqual({
      id: "1".repeat(40),
      message: "Older commit\n\nWith a body.",
      dateCreated: "2026-11-20T08:00:00.000Z",
      author: { name: "Ada Lovelace", email: "ada@example.com" },
      repository: { name: "origin", url: null, provider: { id: "unknown", name: "Unknown Provider" }, status: "active" },
      previousCommit: null,
    });

    const replaced = await call("PUT", releasePath(org.orgSlug, "1.0"), org.token, { commits: [{ id: "4444" }] });
    expect(replaced.json).toMatchObject({ commitCount: 1, lastCommit: { id: "4444", author: null, repository: null }, authors: [] });
    expect((await call("GET", releasePath(org.orgSlug, "1.0", "commits/"), org.token)).json).toHaveLength(1);
    expect((await call("PUT", releasePath(org.orgSlug, "1.0"), org.token, { commits: [] })).json.commitCount).toBe(0);
  });

  it("keeps each repository's head commit from refs, with a range's start as its previous commit", async () => {
    const org = await seedOrganization();
    await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, { version: "1.0", projects: [org.projectSlug] });
    const res = await call("PUT", releasePath(org.orgSlug, "1.0"), org.token, {
      refs: [
        { repository: "acme/api", commit: "aaaa..bbbb", previousCommit: null },
        { repository: "acme/web", commit: "cccc", previousCommit: "dddd" },
        { repository: "acme/docs", commit: "eeee" },
      ],
    });
    expect(res.json).toMatchObject({ commitCount: 3, lastCommit: { id: "bbbb", previousCommit: "aaaa" } });
    const listed = await call("GET", releasePath(org.orgSlug, "1.0", "commits/"), org.token);
    expect(
      listed.json.map((c: { id: string; previousCommit: string | null; repository: { name: string } }) => [
        c.repository.name,
        c.id,
        c.previousCommit,
      ]),
    ).toEqual([
      ["acme/api", "bbbb", "aaaa"],
      ["acme/web", "cccc", "dddd"],
      ["acme/docs", "eeee", null],
    ]);
  });

  it("refuses commits and refs Sentry refuses, and more commits than one request may set", async () => {
    const org = await seedOrganization();
    await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, { version: "1.0", projects: [org.projectSlug] });
    const put = (body: unknown) => call("PUT", releasePath(org.orgSlug, "1.0"), org.token, body);
    const refused: unknown[] = [
      { refs: [{ repository: "r", commit: "..bbbb" }] },
      { refs: [{ repository: "r", commit: "aaaa.." }] },
      { refs: [{ repository: "r", commit: "a..b..c" }] },
      { refs: [{ repository: "r", commit: "b".repeat(65) }] },
      { refs: [{ repository: "", commit: "b" }] },
      { refs: [{ commit: "b" }] },
      { commits: [{ message: "no id" }] },
      { commits: [{ id: "c".repeat(65) }] },
      { commits: [{ id: "c", timestamp: "1969-07-20T20:17:40Z" }] },
      { commits: "c" },
      { commits: Array.from({ length: 1001 }, (_, i) => ({ id: `c${i}` })) },
    ];
    for (const body of refused) expect((await put(body)).status, JSON.stringify(body).slice(0, 80)).toBe(400);
    expect((await call("GET", releasePath(org.orgSlug, "1.0"), org.token)).json.commitCount).toBe(0);
    const many = await put({ commits: Array.from({ length: 1000 }, (_, i) => ({ id: `c${i}`, message: "m".repeat(20_000) })) });
    expect(many.json.commitCount).toBe(1000);
    const stored = await env.DB.prepare("SELECT count(*) AS n, max(length(message)) AS longest FROM release_commits WHERE release_id = ?")
      .bind(many.json.id)
      .first();
    expect(stored).toEqual({ n: 1000, longest: 10_000 });
  });

  it("previous-with-commits answers the newest earlier release of a shared project that has commits, or {}", async () => {
    const org = await seedOrganization();
    const other = await seedProjectIn(org.orgId, "other");
    const at = async (version: string, when: number, projects: Array<string | number>, commits?: Array<{ id: string }>) => {
      vi.setSystemTime(when);
      await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, { version, projects, commits });
    };
    const previous = (version: string) => call("GET", releasePath(org.orgSlug, version, "previous-with-commits/"), org.token);
    await at("1.0", NOW - 5000, [org.projectSlug]);
    expect((await previous("1.0")).json).toEqual({});
    await at("1.1", NOW - 4000, [org.projectSlug], [{ id: "head-1.1" }]);
    await at("1.2", NOW - 3000, [org.projectSlug], [{ id: "head-1.2" }]);
    await at("other-1", NOW - 2500, ["other"], [{ id: "head-other" }]);
    await at("1.3", NOW - 2000, [org.projectSlug]);
    vi.setSystemTime(NOW);
    const answer = await previous("1.3");
    expect(answer.json).toMatchObject({ version: "1.2", lastCommit: { id: "head-1.2" } });
    // Not itself: setting commits again starts from the release before.
    expect((await previous("1.2")).json).toMatchObject({ version: "1.1" });
    expect((await previous("other-1")).json).toEqual({});
    // A release finalized before the earlier ones were made sorts by its release date.
    await call("PUT", releasePath(org.orgSlug, "1.2"), org.token, { dateReleased: new Date(NOW - 4500).toISOString() });
    expect((await previous("1.1")).json).toMatchObject({ version: "1.2" });
    expect((await previous("1.3")).json).toMatchObject({ version: "1.1" });
    expect((await previous("9.9")).status).toBe(404);
  });
});

describe("GET /api/0/organizations/{org}/repos/", () => {
  it("answers no repositories: Faultline has no repository integrations", async () => {
    const org = await seedOrganization();
    const res = await call("GET", `/organizations/${org.orgSlug}/repos/?cursor=`, org.token);
    expect(res).toMatchObject({ status: 200, json: [] });
  });
});

describe("access", () => {
  it("another organization's token gets 404 from every release route, and changes nothing", async () => {
    const org = await seedOrganization();
    const stranger = await seedOrganization();
    await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, { version: "1.0", projects: [org.projectSlug] });
    const routes: Array<[string, string, unknown?]> = [
      ["GET", `/organizations/${org.orgSlug}/releases/`],
      ["POST", `/organizations/${org.orgSlug}/releases/`, { version: "2.0", projects: [] }],
      ["GET", releasePath(org.orgSlug, "1.0")],
      ["PUT", releasePath(org.orgSlug, "1.0"), { dateReleased: "2026-11-22T12:00:00Z" }],
      ["DELETE", releasePath(org.orgSlug, "1.0")],
      ["GET", releasePath(org.orgSlug, "1.0", "deploys/")],
      ["POST", releasePath(org.orgSlug, "1.0", "deploys/"), { environment: "production" }],
      ["GET", releasePath(org.orgSlug, "1.0", "commits/")],
      ["GET", releasePath(org.orgSlug, "1.0", "previous-with-commits/")],
      ["GET", `/organizations/${org.orgSlug}/repos/`],
      ["GET", `/projects/${org.orgSlug}/${org.projectSlug}/releases/`],
      ["POST", `/projects/${org.orgSlug}/${org.projectSlug}/releases/`, { version: "2.0" }],
      ["GET", `/projects/${org.orgSlug}/${org.projectSlug}/releases/1.0/`],
      ["PUT", `/projects/${org.orgSlug}/${org.projectSlug}/releases/1.0/`, { dateReleased: null }],
    ];
    for (const [method, path, body] of routes) {
      const res = await call(method, path, stranger.token, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json).toEqual(NOT_FOUND);
    }
    const [row] = (
      await env.DB.prepare("SELECT version, date_released, deploy_count FROM organization_releases WHERE organization_id = ?")
        .bind(org.orgId)
        .all()
    ).results;
    expect(row).toEqual({ version: "1.0", date_released: null, deploy_count: 0 });
  });

  it("a member logged in to the dashboard creates and finalizes releases; another site's page cannot", async () => {
    const org = await seedOrganization();
    const cookie = await logIn(await seedUser(org.orgId, "member"));
    const created = await send("POST", `/api/0/organizations/${org.orgSlug}/releases/`, {
      cookie,
      body: { version: "1.0", projects: [org.projectSlug] },
    });
    expect(created.status).toBe(201);
    const finalized = await send("PUT", `/api/0${releasePath(org.orgSlug, "1.0")}`, {
      cookie,
      body: { dateReleased: "2026-11-22T12:00:00Z" },
    });
    expect(finalized.json.dateReleased).toBe("2026-11-22T12:00:00.000Z");
    const forged = await send("POST", `/api/0/organizations/${org.orgSlug}/releases/`, {
      cookie,
      body: { version: "2.0", projects: [org.projectSlug] },
      headers: { "sec-fetch-site": "cross-site", origin: "https://evil.example" },
    });
    expect(forged.status).toBe(403);
    expect((await call("GET", releasePath(org.orgSlug, "2.0"), org.token)).status).toBe(404);
  });
});
