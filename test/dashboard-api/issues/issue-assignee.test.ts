import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { apiApp } from "../../../dashboard/api/api-app";
import { type SeededOrganization, seedIssue, seedOrganization, seedProjectIn } from "../../support/seed-issues";
import { type SeededUser, logIn, send, seedUser } from "../../support/seed-users";

// Assignment as Sentry's API takes it (https://docs.sentry.io/api/events/update-an-issue/):
// `assignedTo` on the issue PUTs, the issue's `assignedTo` in every answer, and the stream's
// assigned:/is:assigned/is:unassigned searches.

async function call(method: string, path: string, token: string, body?: unknown) {
  const ctx = createExecutionContext();
  const init: RequestInit = { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await apiApp.fetch(new Request(`http://dashboard.test/api/0${path}`, init), env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, json: text === "" ? null : JSON.parse(text) };
}

const put = (path: string, token: string, body: unknown) => call("PUT", path, token, body);
const get = (path: string, token: string) => call("GET", path, token);
const streamOf = (org: SeededOrganization) => `/projects/${org.orgSlug}/${org.projectSlug}/issues/`;

/** An API token made by a member: the principal is that person. */
async function tokenOf(orgId: number, user: SeededUser): Promise<string> {
  const token = `flt_user_${crypto.randomUUID().replaceAll("-", "")}`;
  const hash = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
  await env.DB.prepare("INSERT INTO api_tokens (organization_id, user_id, label, token_hash, created_at) VALUES (?, ?, 'mine', ?, ?)")
    .bind(orgId, user.userId, hash, Date.now())
    .run();
  return token;
}

async function assigneeOf(issueId: number): Promise<number | null> {
  const row = await env.DB.prepare("SELECT assigned_user_id AS a FROM issues WHERE id = ?").bind(issueId).first<{ a: number | null }>();
  return row!.a;
}

async function issueRow(issueId: number) {
  return env.DB.prepare("SELECT * FROM issues WHERE id = ?").bind(issueId).first();
}

const actor = (user: SeededUser, name: string) => ({ type: "user", id: String(user.userId), name, email: user.email });

async function seedTeam() {
  const org = await seedOrganization();
  const [ana, bo] = [await seedUser(org.orgId, "member"), await seedUser(org.orgId, "admin")];
  await env.DB.prepare("UPDATE users SET name = NULL WHERE id = ?").bind(bo.userId).run();
  const anaName = (await env.DB.prepare("SELECT name FROM users WHERE id = ?").bind(ana.userId).first<{ name: string }>())!.name;
  return { org, ana, bo, anaName };
}

describe("PUT assignedTo on one issue", () => {
  it("assigns a member by email, user:<id>, <id> or number, and unassigns with an empty string or null; status stays", async () => {
    const { org, ana, bo, anaName } = await seedTeam();
    const issue = await seedIssue(org.projectId, { status: "ignored", substatus: "forever" });

    const byEmail = await put(`/issues/${issue}/`, org.token, { assignedTo: ana.email.toUpperCase() });
    expect(byEmail.status).toBe(200);
    expect(byEmail.json).toMatchObject({ id: String(issue), status: "ignored", assignedTo: actor(ana, anaName) });
    expect(await assigneeOf(issue)).toBe(ana.userId);

    // A member without a name is shown by their email, as Sentry's display name is.
    for (const assignedTo of [`user:${bo.userId}`, String(bo.userId), bo.userId]) {
      await put(`/issues/${issue}/`, org.token, { assignedTo: "" });
      const answer = await put(`/organizations/${org.orgSlug}/issues/${issue}/`, org.token, { assignedTo });
      expect(answer.json.assignedTo).toEqual(actor(bo, bo.email));
    }
    expect((await get(`/issues/${issue}/`, org.token)).json.assignedTo).toEqual(actor(bo, bo.email));
    expect((await get(streamOf(org) + "?query=", org.token)).json[0].assignedTo).toEqual(actor(bo, bo.email));
    expect((await get(`/organizations/${org.orgSlug}/issues/?query=`, org.token)).json[0].assignedTo).toEqual(actor(bo, bo.email));

    expect((await put(`/issues/${issue}/`, org.token, { assignedTo: null })).json.assignedTo).toBeNull();
    await put(`/issues/${issue}/`, org.token, { assignedTo: ana.email });
    expect((await put(`/issues/${issue}/`, org.token, { assignedTo: "" })).json.assignedTo).toBeNull();
    expect(await issueRow(issue)).toMatchObject({ status: "ignored", substatus: "forever", assigned_user_id: null });
  });

  it("changes status and assignee together, or neither when the assignee is refused", async () => {
    const { org, ana, anaName } = await seedTeam();
    const issue = await seedIssue(org.projectId);
    const both = await put(`/issues/${issue}/`, org.token, { status: "resolved", assignedTo: `user:${ana.userId}` });
    expect(both.json).toMatchObject({ status: "resolved", assignedTo: actor(ana, anaName) });

    const before = await issueRow(issue);
    const refused = await put(`/issues/${issue}/`, org.token, { status: "unresolved", assignedTo: "stranger@example.com" });
    expect(refused).toEqual({ status: 400, json: { detail: "assignedTo: Cannot assign to non-team member" } });
    expect(await issueRow(issue)).toEqual(before);
  });

  it.each([
    ["someone with no account", () => "nobody-here@example.com"],
    ["a user id that does not exist", () => "user:999999999"],
  ])("refuses %s with Sentry's wording, changing nothing", async (_what, value) => {
    const { org } = await seedTeam();
    const issue = await seedIssue(org.projectId);
    expect(await put(`/issues/${issue}/`, org.token, { assignedTo: value() })).toEqual({
      status: 400,
      json: { detail: "assignedTo: Cannot assign to non-team member" },
    });
    expect(await assigneeOf(issue)).toBeNull();
  });

  it("refuses another organization's member exactly as someone with no account, by email or id", async () => {
    const { org } = await seedTeam();
    const other = await seedOrganization();
    const outsider = await seedUser(other.orgId, "owner");
    const issue = await seedIssue(org.projectId);
    for (const assignedTo of [outsider.email, `user:${outsider.userId}`, outsider.userId]) {
      expect(await put(`/issues/${issue}/`, org.token, { assignedTo })).toEqual({
        status: 400,
        json: { detail: "assignedTo: Cannot assign to non-team member" },
      });
    }
    // Nor through the bulk route.
    expect(await put(`${streamOf(org)}?id=${issue}`, org.token, { assignedTo: outsider.email })).toMatchObject({ status: 400 });
    expect(await assigneeOf(issue)).toBeNull();
  });

  it.each([
    [{ assignedTo: "user:abc" }, "assignedTo: Unknown actor input"],
    [{ assignedTo: "not an email" }, "assignedTo: Unknown actor input"],
    [{ assignedTo: -3 }, "assignedTo: Unknown actor input"],
    [{ assignedTo: "team:1" }, "assignedTo: Cannot assign to a team: Faultline assigns issues to members"],
    [{ assignedTo: true }, "assignedTo: Invalid input"],
    [{ assignedTo: 1.5 }, "assignedTo: Invalid input"],
    [{ assignedTo: `${"x".repeat(320)}@example.com` }, "assignedTo: Too big: expected string to have <=320 characters"],
    [{}, 'status: Invalid option: expected one of "resolved"|"resolvedInNextRelease"|"unresolved"|"ignored"|"muted"'],
    [{ assignedTo: "", statusDetails: { ignoreCount: 5 } }, "statusDetails: only applies with a status"],
    [{ assignedTo: "", snoozeDuration: 5 }, "snoozeDuration: only applies with a status"],
  ])("refuses %o with a 400", async (body, detail) => {
    const { org } = await seedTeam();
    const issue = await seedIssue(org.projectId);
    const answer = await put(`/issues/${issue}/`, org.token, body);
    expect(answer.status).toBe(400);
    expect(answer.json.detail).toContain(detail);
  });

  it("answers 404 to another organization's token, assigning nobody", async () => {
    const { org, ana } = await seedTeam();
    const other = await seedOrganization();
    const issue = await seedIssue(org.projectId);
    expect(await put(`/issues/${issue}/`, other.token, { assignedTo: ana.email })).toMatchObject({ status: 404 });
    expect(await put(`/organizations/${other.orgSlug}/issues/${issue}/`, other.token, { assignedTo: ana.email })).toMatchObject({
      status: 404,
    });
    expect(await assigneeOf(issue)).toBeNull();
  });
});

describe("PUT assignedTo in bulk", () => {
  it("assigns the listed issues of the project only, answering the change as Sentry does", async () => {
    const { org, ana, anaName } = await seedTeam();
    const [a, b] = [await seedIssue(org.projectId), await seedIssue(org.projectId)];
    const sibling = await seedIssue(await seedProjectIn(org.orgId, "sibling-assign"));

    const answer = await put(`${streamOf(org)}?id=${a}&id=${b}&id=${sibling}`, org.token, { assignedTo: ana.email });
    expect(answer).toEqual({ status: 200, json: { assignedTo: actor(ana, anaName) } });
    expect([await assigneeOf(a), await assigneeOf(b), await assigneeOf(sibling)]).toEqual([ana.userId, ana.userId, null]);

    const withStatus = await put(`${streamOf(org)}?id=${a}`, org.token, { status: "resolved", assignedTo: null });
    expect(withStatus.json).toEqual({ status: "resolved", statusDetails: {}, substatus: null, assignedTo: null });
    expect([await assigneeOf(a), await assigneeOf(b)]).toEqual([null, ana.userId]);
  });

  it("without ids, assigns the project's unresolved issues (sentry-cli's --all)", async () => {
    const { org, ana } = await seedTeam();
    const [open, done] = [await seedIssue(org.projectId), await seedIssue(org.projectId, { status: "resolved" })];
    expect((await put(streamOf(org), org.token, { assignedTo: ana.email })).status).toBe(200);
    expect([await assigneeOf(open), await assigneeOf(done)]).toEqual([ana.userId, null]);
  });
});

describe("searching by assignee", () => {
  async function seedAssigned() {
    const { org, ana, bo } = await seedTeam();
    const mine = await seedIssue(org.projectId, { lastSeen: Date.now() - 1_000 });
    const bos = await seedIssue(org.projectId, { lastSeen: Date.now() - 2_000 });
    const nobodys = await seedIssue(org.projectId, { lastSeen: Date.now() - 3_000 });
    await put(`/issues/${mine}/`, org.token, { assignedTo: ana.email });
    await put(`/issues/${bos}/`, org.token, { assignedTo: bo.email });
    return { org, ana, bo, mine, bos, nobodys };
  }
  const ids = (answer: { json: Array<{ id: string }> }) => answer.json.map((i) => Number(i.id));

  it("finds assigned:me with a member's token or session, assigned:<email>, is:assigned, is:unassigned and negations", async () => {
    const { org, ana, bo, mine, bos, nobodys } = await seedAssigned();
    const anasToken = await tokenOf(org.orgId, ana);
    const search = (query: string, token = anasToken) => get(`${streamOf(org)}?query=${encodeURIComponent(query)}`, token).then(ids);

    expect(await search("assigned:me")).toEqual([mine]);
    expect(await search(`assigned:${bo.email.toUpperCase()}`)).toEqual([bos]);
    expect(await search(`assigned:user:${bo.userId}`)).toEqual([bos]);
    expect(await search("is:assigned")).toEqual([mine, bos]);
    expect(await search("is:unassigned")).toEqual([nobodys]);
    expect(await search("!assigned:me")).toEqual([bos, nobodys]);
    expect(await search("assigned:[me, none]")).toEqual([mine, nobodys]);
    expect(await search("!assigned:[me, none]")).toEqual([bos]);
    expect(await search("is:unresolved is:assigned")).toEqual([mine, bos]);
    expect(await search("is:[assigned, unassigned]")).toEqual([mine, bos, nobodys]);

    // The organization's stream, and the dashboard's session, say the same.
    const cookie = await logIn(bo);
    const viaSession = await send("GET", `/api/0/organizations/${org.orgSlug}/issues/?query=assigned%3Ame`, { cookie });
    expect(viaSession.json.map((i: { id: string }) => Number(i.id))).toEqual([bos]);
  });

  it("matches nothing for a token of nobody's asking for me, or for someone who is not a member", async () => {
    const { org, mine } = await seedAssigned();
    const other = await seedOrganization();
    const outsider = await seedUser(other.orgId);
    const search = (query: string) => get(`${streamOf(org)}?query=${encodeURIComponent(query)}`, org.token).then(ids);
    expect(await search("assigned:me")).toEqual([]);
    expect(await search(`assigned:${outsider.email}`)).toEqual([]);
    expect(await search(`assigned:user:${outsider.userId}`)).toEqual([]);
    expect(await search("assigned:#team")).toEqual([]);
    expect(await search("is:assigned")).toContain(mine);
  });

  it("is:assigned and assigned:<member> stay within the caller's organization", async () => {
    const { org, ana } = await seedAssigned();
    const other = await seedOrganization();
    await seedIssue(other.projectId);
    expect((await get(`${streamOf(other)}?query=is:assigned`, org.token)).status).toBe(404);
    expect(await get(`${streamOf(other)}?query=${encodeURIComponent(`assigned:${ana.email}`)}`, other.token).then(ids)).toEqual([]);
  });
});
