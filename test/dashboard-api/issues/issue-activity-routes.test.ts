import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { apiApp } from "../../../dashboard/api/api-app";
import { type SeededOrganization, seedIssue, seedOrganization, seedRelease } from "../../support/seed-issues";
import { type SeededUser, logIn, send, seedUser } from "../../support/seed-users";

// An issue's comments (Sentry's notes) and activity trail, through the API as tools and the
// dashboard call it.

afterEach(() => {
  vi.useRealTimers();
});

async function withToken(method: string, path: string, token: string, body?: unknown) {
  const ctx = createExecutionContext();
  const init: RequestInit = { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const res = await apiApp.fetch(new Request(`http://dashboard.test/api/0${path}`, init), env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, link: res.headers.get("link"), json: text === "" ? null : JSON.parse(text) };
}

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

interface Team {
  org: SeededOrganization;
  issue: number;
  ana: SeededUser;
  bo: SeededUser;
  anaToken: string;
  boToken: string;
  comments: string;
  oldComments: string;
}

async function seedTeam(): Promise<Team> {
  const org = await seedOrganization();
  const [ana, bo] = [await seedUser(org.orgId, "member"), await seedUser(org.orgId, "member")];
  const issue = await seedIssue(org.projectId);
  return {
    org,
    issue,
    ana,
    bo,
    anaToken: await tokenOf(org.orgId, ana),
    boToken: await tokenOf(org.orgId, bo),
    comments: `/organizations/${org.orgSlug}/issues/${issue}/comments/`,
    oldComments: `/issues/${issue}/comments/`,
  };
}

async function nameOf(user: SeededUser): Promise<string> {
  return (await env.DB.prepare("SELECT name FROM users WHERE id = ?").bind(user.userId).first<{ name: string }>())!.name;
}

async function notesOf(issue: number) {
  return (
    await env.DB.prepare("SELECT user_id, data FROM issue_activity WHERE issue_id = ? AND type = 'note' ORDER BY id").bind(issue).all()
  ).results;
}

describe("comments", () => {
  it("a member posts one (201, Sentry's note), and everyone of the organization reads it under both routes", async () => {
    const t = await seedTeam();
    const posted = await withToken("POST", t.comments, t.anaToken, { text: "Seen in checkout since 2.4.0" });
    expect(posted.status).toBe(201);
    expect(posted.json).toEqual({
      id: expect.stringMatching(/^\d+$/),
      user: { id: String(t.ana.userId), name: await nameOf(t.ana), username: t.ana.email, email: t.ana.email },
      type: "note",
      data: { text: "Seen in checkout since 2.4.0" },
      dateCreated: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const second = await withToken("POST", t.oldComments, t.boToken, { text: "Reverting the cart change", mentions: [] });
    expect(second.status).toBe(201);

    for (const [path, token] of [
      [t.comments, t.org.token],
      [t.oldComments, t.anaToken],
    ] as const) {
      const listed = await withToken("GET", path, token);
      expect(listed.status).toBe(200);
      expect(listed.json.map((n: { data: { text: string } }) => n.data.text)).toEqual([
        "Reverting the cart change",
        "Seen in checkout since 2.4.0",
      ]);
    }
    // The issue counts them, on its page and in the stream.
    expect((await withToken("GET", `/issues/${t.issue}/`, t.org.token)).json.numComments).toBe(2);
    const stream = await withToken("GET", `/projects/${t.org.orgSlug}/${t.org.projectSlug}/issues/?query=`, t.org.token);
    expect(stream.json.find((i: { id: string }) => i.id === String(t.issue)).numComments).toBe(2);
  });

  it("keeps markup as the characters sent, for the page to show as text", async () => {
    const t = await seedTeam();
    const text = `<script>alert(1)</script><img src=x onerror="alert(2)"> **bold** \`code\``;
    expect((await withToken("POST", t.comments, t.anaToken, { text })).json.data.text).toBe(text);
    expect((await withToken("GET", t.comments, t.anaToken)).json[0].data.text).toBe(text);
  });

  it("from the dashboard's session too", async () => {
    const t = await seedTeam();
    const cookie = await logIn(t.bo);
    const posted = await send("POST", `/api/0${t.comments}`, { cookie, body: { text: "on it" } });
    expect(posted.status).toBe(201);
    expect(posted.json.user.id).toBe(String(t.bo.userId));
  });

  it("the author edits and deletes their own; anyone else gets a 403 and the comment stays", async () => {
    const t = await seedTeam();
    const note = (await withToken("POST", t.comments, t.anaToken, { text: "first thought" })).json;
    const path = `${t.comments}${note.id}/`;

    expect(await withToken("PUT", path, t.boToken, { text: "hijacked" })).toMatchObject({
      status: 403,
      json: { detail: "You do not have permission to perform this action." },
    });
    expect(await withToken("DELETE", path, t.boToken)).toMatchObject({ status: 403 });
    const cookie = await logIn(t.bo);
    expect((await send("DELETE", `/api/0${path}`, { cookie })).status).toBe(403);
    expect(await notesOf(t.issue)).toEqual([{ user_id: t.ana.userId, data: '{"text":"first thought"}' }]);

    const edited = await withToken("PUT", `${t.oldComments}${note.id}/`, t.anaToken, { text: "second thought" });
    expect(edited).toMatchObject({ status: 200, json: { id: note.id, type: "note", data: { text: "second thought" } } });
    expect(edited.json.dateCreated).toBe(note.dateCreated);
    expect(await withToken("DELETE", path, t.anaToken)).toMatchObject({ status: 204, json: null });
    expect(await notesOf(t.issue)).toEqual([]);
    expect(await withToken("DELETE", path, t.anaToken)).toMatchObject({ status: 404 });
    expect((await withToken("GET", `/issues/${t.issue}/`, t.org.token)).json.numComments).toBe(0);
  });

  it("an organization's token, which belongs to nobody, reads comments but cannot write them (403, Sentry's wording)", async () => {
    const t = await seedTeam();
    const note = (await withToken("POST", t.comments, t.anaToken, { text: "mine" })).json;
    expect(await withToken("POST", t.comments, t.org.token, { text: "from a script" })).toEqual({
      status: 403,
      link: null,
      json: { detail: "Key doesn't have permission to create Note" },
    });
    expect((await withToken("PUT", `${t.comments}${note.id}/`, t.org.token, { text: "x" })).json).toEqual({
      detail: "Key doesn't have permission to edit Note",
    });
    expect((await withToken("DELETE", `${t.comments}${note.id}/`, t.org.token)).json).toEqual({
      detail: "Key doesn't have permission to delete Note",
    });
    expect((await withToken("GET", t.comments, t.org.token)).status).toBe(200);
    expect(await notesOf(t.issue)).toHaveLength(1);
  });

  it("another organization's member or token gets a 404 for every comment route, and nothing changes", async () => {
    const t = await seedTeam();
    const note = (await withToken("POST", t.comments, t.anaToken, { text: "internal" })).json;
    const other = await seedOrganization();
    const outsider = await seedUser(other.orgId);
    for (const token of [other.token, await tokenOf(other.orgId, outsider)]) {
      expect((await withToken("GET", t.oldComments, token)).status).toBe(404);
      expect((await withToken("POST", t.oldComments, token, { text: "hi" })).status).toBe(404);
      expect((await withToken("PUT", `${t.oldComments}${note.id}/`, token, { text: "x" })).status).toBe(404);
      expect((await withToken("DELETE", `${t.oldComments}${note.id}/`, token)).status).toBe(404);
      // Their own organization's route with this issue is no way in either.
      expect((await withToken("GET", `/organizations/${other.orgSlug}/issues/${t.issue}/comments/`, token)).status).toBe(404);
    }
    const cookie = await logIn(outsider);
    expect((await send("GET", `/api/0${t.comments}`, { cookie })).status).toBe(404);
    expect(await notesOf(t.issue)).toEqual([{ user_id: t.ana.userId, data: '{"text":"internal"}' }]);
  });

  it("a comment of another issue, or an id that is none, is a 404", async () => {
    const t = await seedTeam();
    const elsewhere = await seedIssue(t.org.projectId);
    const note = (await withToken("POST", `/issues/${elsewhere}/comments/`, t.anaToken, { text: "there" })).json;
    for (const id of [note.id, "999999999", "abc", "1e3"]) {
      expect((await withToken("PUT", `${t.comments}${id}/`, t.anaToken, { text: "x" })).status).toBe(404);
      expect((await withToken("DELETE", `${t.comments}${id}/`, t.anaToken)).status).toBe(404);
    }
    expect(await notesOf(elsewhere)).toHaveLength(1);
  });

  it.each([
    [{ text: "   " }, "text: This field may not be blank."],
    [{}, "text: Invalid input: expected string, received undefined"],
    [{ text: 42 }, "text: Invalid input: expected string, received number"],
    [{ text: "x".repeat(10_001) }, "text: Too big: expected string to have <=10000 characters"],
    [{ text: "x".repeat(1024 * 1024) }, "body: larger than 65536 bytes"],
    ["{not json", "body: not valid JSON"],
  ])("refuses %# with a 400 naming the field, storing nothing", async (body, detail) => {
    const t = await seedTeam();
    expect(await withToken("POST", t.comments, t.anaToken, body)).toMatchObject({ status: 400, json: { detail } });
    const note = (await withToken("POST", t.comments, t.anaToken, { text: "kept" })).json;
    expect(await withToken("PUT", `${t.comments}${note.id}/`, t.anaToken, body)).toMatchObject({ status: 400, json: { detail } });
    expect(await notesOf(t.issue)).toEqual([{ user_id: t.ana.userId, data: '{"text":"kept"}' }]);
  });

  it("refuses the same comment from the same person within an hour, as Sentry does", async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 22, 12), toFake: ["Date"] });
    const t = await seedTeam();
    expect((await withToken("POST", t.comments, t.anaToken, { text: "+1" })).status).toBe(201);
    expect(await withToken("POST", t.comments, t.anaToken, { text: " +1 " })).toMatchObject({
      status: 400,
      json: { detail: "You have already posted that comment." },
    });
    expect((await withToken("POST", t.comments, t.boToken, { text: "+1" })).status).toBe(201);
    vi.setSystemTime(Date.UTC(2026, 10, 22, 13, 0, 1));
    expect((await withToken("POST", t.comments, t.anaToken, { text: "+1" })).status).toBe(201);
    expect(await notesOf(t.issue)).toHaveLength(3);
  });

  it("pages newest first with Sentry's Link header", async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 22, 12), toFake: ["Date"] });
    const t = await seedTeam();
    for (let i = 1; i <= 5; i++) {
      // Two share each millisecond: the id orders them.
      if (i % 2 === 1) vi.setSystemTime(Date.UTC(2026, 10, 22, 12, 0, i));
      await withToken("POST", t.comments, t.anaToken, { text: `note ${i}` });
    }
    const texts = (page: { json: Array<{ data: { text: string } }> }) => page.json.map((n) => n.data.text);
    const cursorOf = (link: string | null, rel: string) => new RegExp(`rel="${rel}"; results="(\\w+)"; cursor="([^"]+)"`).exec(link ?? "")!;

    const first = await withToken("GET", `${t.comments}?limit=2`, t.anaToken);
    expect(texts(first)).toEqual(["note 5", "note 4"]);
    const next = cursorOf(first.link, "next");
    expect(next[1]).toBe("true");
    const second = await withToken("GET", `${t.comments}?limit=2&cursor=${next[2]}`, t.anaToken);
    expect(texts(second)).toEqual(["note 3", "note 2"]);
    const third = await withToken("GET", `${t.comments}?limit=2&cursor=${cursorOf(second.link, "next")[2]}`, t.anaToken);
    expect(texts(third)).toEqual(["note 1"]);
    expect(cursorOf(third.link, "next")[1]).toBe("false");
    const back = await withToken("GET", `${t.comments}?limit=2&cursor=${cursorOf(third.link, "previous")[2]}`, t.anaToken);
    expect(texts(back)).toEqual(["note 3", "note 2"]);
    expect((await withToken("GET", `${t.comments}?limit=0`, t.anaToken)).status).toBe(400);
    expect((await withToken("GET", `${t.comments}?cursor=nope`, t.anaToken)).status).toBe(400);
  });
});

describe("activity", () => {
  type Activity = { id: string; type: string; user: { id: string } | null; data: Record<string, unknown>; dateCreated: string };
  const trailOf = async (t: Team, token = t.org.token) => {
    const answer = await withToken("GET", `/organizations/${t.org.orgSlug}/issues/${t.issue}/activities/`, token);
    expect(answer.status).toBe(200);
    return answer.json.activity as Activity[];
  };
  const typesOf = (trail: Activity[]) => trail.map((a) => [a.type, a.user?.id ?? null, a.data]);

  it("records status changes and assignment where they happen, in Sentry's types, newest first, first_seen last", async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 22, 12), toFake: ["Date"] });
    const t = await seedTeam();
    await seedRelease(t.org.projectId, "shop@2.4.0", Date.UTC(2026, 10, 20));
    await seedRelease(t.org.projectId, "shop@2.5.0", Date.UTC(2026, 10, 21));
    const ana = String(t.ana.userId);
    let minute = 0;
    const as = async (token: string, body: unknown) => {
      vi.setSystemTime(Date.UTC(2026, 10, 22, 12, ++minute));
      expect((await withToken("PUT", `/issues/${t.issue}/`, token, body)).status).toBe(200);
    };
    await as(t.anaToken, { status: "resolved" });
    await as(t.anaToken, { status: "resolved" }); // already resolved: nothing new
    await as(t.anaToken, { status: "unresolved" });
    await as(t.boToken, { status: "ignored", statusDetails: { ignoreCount: 100 } });
    await as(t.boToken, { status: "ignored", statusDetails: { ignoreUntilEscalating: true } });
    await as(t.anaToken, { status: "resolvedInNextRelease" });
    await as(t.anaToken, { status: "resolved", statusDetails: { inRelease: "shop@2.4.0" } });
    await as(t.anaToken, { assignedTo: t.bo.email });
    await as(t.anaToken, { assignedTo: `user:${t.bo.userId}` }); // the same assignee: nothing new
    await as(t.org.token, { assignedTo: "" });
    vi.setSystemTime(Date.UTC(2026, 10, 22, 12, ++minute));
    await withToken("POST", t.comments, t.anaToken, { text: "fixed by the cart rewrite" });

    const trail = await trailOf(t);
    const bo = String(t.bo.userId);
    expect(typesOf(trail)).toEqual([
      ["note", ana, { text: "fixed by the cart rewrite" }],
      ["unassigned", null, {}],
      ["assigned", ana, { assignee: bo, assigneeEmail: t.bo.email, assigneeType: "user" }],
      ["set_resolved_in_release", ana, { version: "shop@2.4.0" }],
      ["set_resolved_in_release", ana, { version: "", current_release_version: "shop@2.5.0" }],
      ["set_ignored", bo, { ignoreUntilEscalating: true }],
      ["set_ignored", bo, { ignoreCount: 100 }],
      ["set_unresolved", ana, {}],
      ["set_resolved", ana, {}],
      ["first_seen", null, { priority: "high" }],
    ]);
    expect(trail[0]!.user).toEqual({ id: ana, name: await nameOf(t.ana), username: t.ana.email, email: t.ana.email });
    expect(trail.at(-2)!.dateCreated).toBe(new Date(Date.UTC(2026, 10, 22, 12, 1)).toISOString());
    const firstSeen = (await env.DB.prepare("SELECT first_seen FROM issues WHERE id = ?").bind(t.issue).first<{ first_seen: number }>())!;
    expect(trail.at(-1)).toEqual({
      id: "0",
      user: null,
      type: "first_seen",
      data: { priority: "high" },
      dateCreated: new Date(firstSeen.first_seen).toISOString(),
    });
    // The older route, and the issue itself, answer the same trail.
    expect((await withToken("GET", `/issues/${t.issue}/activities/`, t.anaToken)).json.activity).toEqual(trail);
    expect((await withToken("GET", `/issues/${t.issue}/`, t.anaToken)).json.activity).toEqual(trail);
  });

  it("a bulk change leaves one activity on each issue it changed, and a refused one leaves none", async () => {
    const t = await seedTeam();
    const other = await seedIssue(t.org.projectId);
    const already = await seedIssue(t.org.projectId, { status: "resolved" });
    const bulk = `/projects/${t.org.orgSlug}/${t.org.projectSlug}/issues/?id=${t.issue}&id=${other}&id=${already}`;
    expect((await withToken("PUT", bulk, t.boToken, { status: "resolved", assignedTo: t.ana.email })).status).toBe(200);
    const rows = async () =>
      (
        await env.DB.prepare("SELECT issue_id, type, user_id FROM issue_activity WHERE issue_id IN (?, ?, ?) ORDER BY issue_id, type")
          .bind(t.issue, other, already)
          .all()
      ).results;
    const bo = t.bo.userId;
    const expected = [
      { issue_id: t.issue, type: "assigned", user_id: bo },
      { issue_id: t.issue, type: "set_resolved", user_id: bo },
      { issue_id: other, type: "assigned", user_id: bo },
      { issue_id: other, type: "set_resolved", user_id: bo },
      { issue_id: already, type: "assigned", user_id: bo },
    ];
    expect(await rows()).toEqual(expected);
    expect((await withToken("PUT", bulk, t.boToken, { status: "unresolved", assignedTo: "stranger@example.com" })).status).toBe(400);
    expect((await withToken("PUT", bulk, t.boToken, { status: "resolved", statusDetails: { inRelease: "none-such" } })).status).toBe(400);
    expect(await rows()).toEqual(expected);
  });

  it("answers 404 to another organization, and to an issue that is none", async () => {
    const t = await seedTeam();
    const other = await seedOrganization();
    expect((await withToken("GET", `/issues/${t.issue}/activities/`, other.token)).status).toBe(404);
    expect((await withToken("GET", `/organizations/${other.orgSlug}/issues/${t.issue}/activities/`, other.token)).status).toBe(404);
    expect((await withToken("GET", `/issues/999999999/activities/`, t.org.token)).status).toBe(404);
  });

  it("shows a regression the digest recorded, by no one", async () => {
    const t = await seedTeam();
    await env.DB.prepare(
      `INSERT INTO issue_activity (issue_id, project_id, type, data, created_at) VALUES (?, ?, 'set_regression', '{"event_id":"abc","version":"shop@2.5.0"}', ?)`,
    )
      .bind(t.issue, t.org.projectId, Date.now())
      .run();
    expect(typesOf(await trailOf(t))[0]).toEqual(["set_regression", null, { event_id: "abc", version: "shop@2.5.0" }]);
  });
});
