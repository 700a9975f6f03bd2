import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { apiApp } from "../../../dashboard/api/api-app";
import { seedIssue, seedOrganization, seedProjectIn } from "../../support/seed-issues";

async function get(path: string, token: string, bindings: Record<string, unknown> = {}, origin = "http://dashboard.test") {
  const ctx = createExecutionContext();
  const res = await apiApp.fetch(
    new Request(`${origin}/api/0${path}`, { headers: { authorization: `Bearer ${token}` } }),
    { ...env, ...bindings },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, json: (await res.json()) as any };
}

async function createdAt(table: "projects" | "organizations" | "project_keys", id: number): Promise<string> {
  const row = await env.DB.prepare(`SELECT created_at FROM ${table} WHERE id = ?`).bind(id).first<{ created_at: number }>();
  return new Date(row!.created_at).toISOString();
}

describe("GET /api/0/projects/", () => {
  it("lists the token's organization's projects in Sentry's shape, and nothing of other organizations", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    const second = await seedProjectIn(org.orgId, "zz-backend", "node");
    const firstSeen = Date.UTC(2026, 10, 1, 12, 0, 0);
    await seedIssue(second, { firstSeen, lastSeen: firstSeen + 1000, status: "resolved" });
    await seedIssue(second, { firstSeen: firstSeen + 5000, lastSeen: firstSeen + 6000 });

    const { status, json } = await get("/projects/", org.token);
    expect(status).toBe(200);
    const organization = {
      id: String(org.orgId),
      slug: org.orgSlug,
      name: expect.stringMatching(/^Org /),
      dateCreated: await createdAt("organizations", org.orgId),
      status: { id: "active", name: "active" },
      isEarlyAdopter: false,
      require2FA: false,
      avatar: { avatarType: "letter_avatar", avatarUuid: null },
    };
    const common = {
      status: "active",
      isPublic: false,
      isBookmarked: false,
      isMember: true,
      hasAccess: true,
      isInternal: false,
      features: [],
      avatar: { avatarType: "letter_avatar", avatarUuid: null },
      organization,
    };
    expect(json).toEqual([
      {
        ...common,
        id: String(org.projectId),
        slug: org.projectSlug,
        name: org.projectName,
        platform: null,
        dateCreated: await createdAt("projects", org.projectId),
        firstEvent: null,
      },
      {
        ...common,
        id: String(second),
        slug: "zz-backend",
        name: "Project zz-backend",
        platform: "node",
        dateCreated: await createdAt("projects", second),
        // The earliest first_seen over the project's issues, whatever their status.
        firstEvent: new Date(firstSeen).toISOString(),
      },
    ]);
    expect(json.map((p: { id: string }) => p.id)).not.toContain(String(other.projectId));
  });
});

describe("GET /api/0/organizations/{org}/projects/", () => {
  it("lists the organization's projects; another organization's slug is a 404", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    const { status, json } = await get(`/organizations/${org.orgSlug}/projects/`, org.token);
    expect(status).toBe(200);
    expect(json.map((p: { slug: string }) => p.slug)).toEqual([org.projectSlug]);
    expect(await get(`/organizations/${other.orgSlug}/projects/`, org.token)).toEqual({
      status: 404,
      json: { detail: "The requested resource does not exist" },
    });
  });
});

describe("GET /api/0/projects/{org}/{project}/", () => {
  it("finds a project by slugs or by ids", async () => {
    const org = await seedOrganization();
    const bySlug = await get(`/projects/${org.orgSlug}/${org.projectSlug}/`, org.token);
    expect(bySlug.status).toBe(200);
    expect(bySlug.json).toMatchObject({ id: String(org.projectId), slug: org.projectSlug, organization: { slug: org.orgSlug } });
    const byId = await get(`/projects/${org.orgId}/${org.projectId}/`, org.token);
    expect(byId.json).toEqual(bySlug.json);
  });

  it("answers 404 for a project of another organization, asked by its own slugs or under the caller's organization", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    const notFound = { status: 404, json: { detail: "The requested resource does not exist" } };
    expect(await get(`/projects/${other.orgSlug}/${other.projectSlug}/`, org.token)).toEqual(notFound);
    expect(await get(`/projects/${org.orgSlug}/${other.projectSlug}/`, org.token)).toEqual(notFound);
    expect(await get(`/projects/${org.orgId}/${other.projectId}/`, org.token)).toEqual(notFound);
    expect(await get(`/projects/${org.orgSlug}/no-such-project/`, org.token)).toEqual(notFound);
  });
});

describe("GET /api/0/projects/{org}/{project}/keys/", () => {
  async function addKey(projectId: number, publicKey: string, options: { enabled: boolean; rateLimit: number | null; label: string }) {
    const row = await env.DB.prepare(
      "INSERT INTO project_keys (project_id, public_key, label, enabled, rate_limit_per_minute, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
      .bind(projectId, publicKey, options.label, options.enabled ? 1 : 0, options.rateLimit, Date.UTC(2026, 10, 2))
      .first<{ id: number }>();
    return row!.id;
  }

  it("lists the project's keys with DSNs on the configured ingest URL", async () => {
    const org = await seedOrganization();
    const keyRow = await env.DB.prepare("SELECT id FROM project_keys WHERE public_key = ?").bind(org.publicKey).first<{ id: number }>();
    const limitedKey = crypto.randomUUID().replaceAll("-", "");
    await addKey(org.projectId, limitedKey, { enabled: false, rateLimit: 120, label: "CI" });

    const { status, json } = await get(`/projects/${org.orgSlug}/${org.projectSlug}/keys/`, org.token, {
      INGEST_URL: "https://ingest.example.com",
    });
    expect(status).toBe(200);
    expect(json).toEqual([
      {
        id: org.publicKey,
        name: "Default",
        label: "Default",
        public: org.publicKey,
        projectId: org.projectId,
        isActive: true,
        rateLimit: null,
        dsn: { public: `https://${org.publicKey}@ingest.example.com/${org.projectId}` },
        dateCreated: await createdAt("project_keys", keyRow!.id),
      },
      {
        id: limitedKey,
        name: "CI",
        label: "CI",
        public: limitedKey,
        projectId: org.projectId,
        isActive: false,
        rateLimit: { window: 60, count: 120 },
        dsn: { public: `https://${limitedKey}@ingest.example.com/${org.projectId}` },
        dateCreated: new Date(Date.UTC(2026, 10, 2)).toISOString(),
      },
    ]);
  });

  it("keeps a path prefix of INGEST_URL", async () => {
    const org = await seedOrganization();
    const path = `/projects/${org.orgSlug}/${org.projectSlug}/keys/`;
    const local = await get(path, org.token, { INGEST_URL: "http://127.0.0.1:8787" });
    expect(local.json[0].dsn.public).toBe(`http://${org.publicKey}@127.0.0.1:8787/${org.projectId}`);
    const prefixed = await get(path, org.token, { INGEST_URL: "https://example.com/sentry/" });
    expect(prefixed.json[0].dsn.public).toBe(`https://${org.publicKey}@example.com/sentry/${org.projectId}`);
  });

  it("shows no DSN without a usable INGEST_URL, and says to run npm run deploy, on the keys list and each key alike", async () => {
    const org = await seedOrganization();
    const list = `/projects/${org.orgSlug}/${org.projectSlug}/keys/`;
    const one = `${list}${org.publicKey}/`;
    const missing = { public: null, detail: expect.stringMatching(/INGEST_URL is not set.*npm run deploy/) };
    for (const bindings of [{}, { INGEST_URL: "" }, { INGEST_URL: "  " }]) {
      expect((await get(list, org.token, bindings)).json[0].dsn).toEqual(missing);
      expect((await get(one, org.token, bindings)).json.dsn).toEqual(missing);
    }
    const invalid = { public: null, detail: expect.stringMatching(/INGEST_URL is not an http\(s\) URL.*npm run deploy/) };
    for (const INGEST_URL of ["ingest.example.com", "ftp://ingest.example.com"]) {
      expect((await get(list, org.token, { INGEST_URL })).json[0].dsn).toEqual(invalid);
      expect((await get(one, org.token, { INGEST_URL })).json.dsn).toEqual(invalid);
    }
    // The dashboard's own host is never offered: it is not where ingest answers.
    expect((await get(one, org.token, { INGEST_URL: "https://ingest.example.com" })).json.dsn).toEqual({
      public: `https://${org.publicKey}@ingest.example.com/${org.projectId}`,
    });
  });

  it("uses the dashboard's own origin without INGEST_URL only on a loopback address (local development)", async () => {
    const org = await seedOrganization();
    const list = `/projects/${org.orgSlug}/${org.projectSlug}/keys/`;
    for (const origin of ["http://127.0.0.1:8788", "http://localhost:8788"]) {
      const host = new URL(origin).host;
      expect((await get(list, org.token, {}, origin)).json[0].dsn).toEqual({ public: `http://${org.publicKey}@${host}/${org.projectId}` });
      expect((await get(`${list}${org.publicKey}/`, org.token, {}, origin)).json.dsn).toEqual({
        public: `http://${org.publicKey}@${host}/${org.projectId}`,
      });
    }
  });

  it("answers 404 for another organization's project keys", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    expect(await get(`/projects/${other.orgSlug}/${other.projectSlug}/keys/`, org.token)).toEqual({
      status: 404,
      json: { detail: "The requested resource does not exist" },
    });
  });
});
