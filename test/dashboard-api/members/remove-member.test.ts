import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seedIssue, seedOrganization, seedProjectIn } from "../../support/seed-issues";
import { logIn, seedUser, send } from "../../support/seed-users";

describe("removing a member", () => {
  it("unassigns the organization's issues they had, each with an unassigned activity, and only those", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    const owner = await seedUser(org.orgId, "owner");
    const leaving = await seedUser(org.orgId, "member");
    await env.DB.prepare("INSERT INTO memberships (organization_id, user_id, role) VALUES (?, ?, 'member')")
      .bind(other.orgId, leaving.userId)
      .run();
    const secondProject = await seedProjectIn(org.orgId, `second-${crypto.randomUUID().slice(0, 6)}`);
    const theirs = [await seedIssue(org.projectId), await seedIssue(secondProject)];
    const elsewhere = await seedIssue(other.projectId);
    const unassigned = await seedIssue(org.projectId);
    for (const id of [...theirs, elsewhere])
      await env.DB.prepare("UPDATE issues SET assigned_user_id = ? WHERE id = ?").bind(leaving.userId, id).run();

    const cookie = await logIn(owner);
    expect((await send("DELETE", `/api/0/organizations/${org.orgSlug}/members/${leaving.userId}/`, { cookie })).status).toBe(204);

    const assignees = async (ids: number[]) =>
      (
        await env.DB.prepare(`SELECT assigned_user_id FROM issues WHERE id IN (${ids.join(",")}) ORDER BY id`).all<{
          assigned_user_id: number | null;
        }>()
      ).results.map((r) => r.assigned_user_id);
    expect(await assignees(theirs)).toEqual([null, null]);
    // Still a member there: the other organization's issue stays theirs.
    expect(await assignees([elsewhere])).toEqual([leaving.userId]);
    const activity = await env.DB.prepare(
      `SELECT issue_id, type, user_id, data FROM issue_activity WHERE issue_id IN (${[...theirs, elsewhere, unassigned].join(",")}) ORDER BY issue_id`,
    ).all();
    expect(activity.results).toEqual(theirs.map((id) => ({ issue_id: id, type: "unassigned", user_id: owner.userId, data: "{}" })));
    const trail = await send("GET", `/api/0/organizations/${org.orgSlug}/issues/${theirs[0]}/activities/`, { cookie });
    expect(trail.json.activity[0]).toMatchObject({ type: "unassigned", user: { id: String(owner.userId) } });
  });
});
