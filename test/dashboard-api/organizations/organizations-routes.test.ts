import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { apiApp } from "../../../dashboard/api/api-app";
import { seedOrganization, seedProjectIn } from "../../support/seed-issues";

async function get(path: string, token: string) {
  const ctx = createExecutionContext();
  const res = await apiApp.fetch(
    new Request(`http://dashboard.test/api/0${path}`, { headers: { authorization: `Bearer ${token}` } }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, json: (await res.json()) as any };
}

async function seedEnvironment(projectId: number, name: string): Promise<void> {
  await env.DB.prepare("INSERT INTO environments (project_id, name, first_seen) VALUES (?, ?, ?)").bind(projectId, name, Date.now()).run();
}

describe("organizations", () => {
  it("GET /organizations/ lists the token's organization, and no other", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    const { status, json } = await get("/organizations/", org.token);
    expect(status).toBe(200);
    expect(json.map((o: any) => o.slug)).toEqual([org.orgSlug]);
    expect(json[0]).toMatchObject({ id: String(org.orgId), status: { id: "active", name: "active" } });
    expect(json.map((o: any) => o.slug)).not.toContain(other.orgSlug);
  });

  it("GET /organizations/{org}/ gives its projects and its one team, by slug or id; another organization is a 404", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    for (const ref of [org.orgSlug, String(org.orgId)]) {
      const { status, json } = await get(`/organizations/${ref}/`, org.token);
      expect(status).toBe(200);
      expect(json.slug).toBe(org.orgSlug);
      expect(json.projects.map((p: any) => p.slug)).toEqual([org.projectSlug]);
      expect(json.teams).toEqual([
        expect.objectContaining({ id: String(org.orgId), slug: org.orgSlug, isMember: true, memberCount: expect.any(Number) }),
      ]);
    }
    expect((await get(`/organizations/${other.orgSlug}/`, org.token)).status).toBe(404);
  });
});

describe("teams", () => {
  it("lists one team holding every project of the organization, and the team's projects", async () => {
    const org = await seedOrganization();
    await seedProjectIn(org.orgId, "zz-second");
    const teams = await get(`/organizations/${org.orgSlug}/teams/`, org.token);
    expect(teams.status).toBe(200);
    expect(teams.json).toHaveLength(1);
    expect(teams.json[0].slug).toBe(org.orgSlug);
    expect(teams.json[0].projects.map((p: any) => p.slug)).toEqual([org.projectSlug, "zz-second"]);

    const team = await get(`/teams/${org.orgSlug}/${org.orgSlug}/`, org.token);
    expect(team.json).toMatchObject({ slug: org.orgSlug, name: teams.json[0].name });
    const projects = await get(`/teams/${org.orgSlug}/${org.orgSlug}/projects/`, org.token);
    expect(projects.status).toBe(200);
    expect(projects.json.map((p: any) => p.slug)).toEqual([org.projectSlug, "zz-second"]);
  });

  it("answers 404 for a team that is not the organization's, and for another organization's", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    expect((await get(`/teams/${org.orgSlug}/no-such-team/projects/`, org.token)).status).toBe(404);
    expect((await get(`/teams/${other.orgSlug}/${other.orgSlug}/projects/`, org.token)).status).toBe(404);
  });
});

describe("environments", () => {
  it("lists the environments events named, per project and across the organization, with stable ids", async () => {
    const org = await seedOrganization();
    const second = await seedProjectIn(org.orgId, "zz-env");
    await seedEnvironment(org.projectId, "production");
    await seedEnvironment(org.projectId, "staging");
    await seedEnvironment(second, "production");

    const project = await get(`/projects/${org.orgSlug}/${org.projectSlug}/environments/`, org.token);
    expect(project.status).toBe(200);
    expect(project.json).toEqual([
      { id: expect.stringMatching(/^\d+$/), name: "production", isHidden: false },
      { id: expect.stringMatching(/^\d+$/), name: "staging", isHidden: false },
    ]);
    const all = await get(`/organizations/${org.orgSlug}/environments/`, org.token);
    expect(all.json).toEqual([
      { id: project.json[0].id, name: "production" },
      { id: project.json[1].id, name: "staging" },
    ]);
    expect((await get(`/organizations/${org.orgSlug}/environments/?visibility=hidden`, org.token)).json).toEqual([]);
  });
});
