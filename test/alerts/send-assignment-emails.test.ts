import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sendAssignmentEmails } from "../../queue-consumer/alerts/send-assignment-emails";
import { digest, envelopeMessage } from "../support/seed-alerts";
import { seedIssue, seedOrganization } from "../support/seed-issues";
import { logIn, seedUser, send } from "../support/seed-users";

/** An organization with an issue, the member who assigns and the member it is assigned to. */
async function team() {
  const org = await seedOrganization();
  const lead = await seedUser(org.orgId, "owner");
  const dev = await seedUser(org.orgId, "member");
  const issueId = await seedIssue(org.projectId, { title: "TypeError: cart.items is undefined" });
  return { org, lead, dev, issueId, leadCookie: await logIn(lead), devCookie: await logIn(dev) };
}

function mailbox() {
  const sent: Array<{ from: string; to: string; raw: string }> = [];
  return {
    sent,
    deps: {
      sendEmail: async (from: string, to: string, raw: string) => void sent.push({ from, to, raw }),
      emailFrom: "alerts@faultline.example",
      dashboardUrl: "https://faultline.example",
    },
  };
}

/** The subject and the plain text part of a raw message (base64 UTF-8, as compose-mime-message writes them). */
function readMessage(raw: string): { subject: string; text: string } {
  const utf8 = (b64: string) => new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
  const [head, ...parts] = raw.split(/\r\n\r\n/);
  const subjectLine = /^Subject: (.*(?:\r\n .*)*)/m.exec(head!)![1]!;
  const subject = subjectLine.replace(/\r\n /g, "").replace(/=\?UTF-8\?B\?([^?]*)\?=/g, (_, b64: string) => utf8(b64));
  const body = parts.find((p, i) => /text\/plain/.test(parts[i - 1] ?? head!)) ?? parts[1]!;
  return { subject, text: utf8(body.split("\r\n--")[0]!.replace(/\r\n/g, "")) };
}

async function notificationsOf(issueId: number) {
  const { results } = await env.DB.prepare(
    "SELECT user_id, status, attempts, last_error FROM assignment_notifications WHERE issue_id = ? ORDER BY id",
  )
    .bind(issueId)
    .all<{ user_id: number; status: string; attempts: number; last_error: string | null }>();
  return results;
}

// The minute job picks pending emails across the table; a clock in the future keeps each test's due.
const later = () => Date.now() + 1_000;

describe("assignment emails", () => {
  it("go to the member an issue is assigned to, once, through the email path", async () => {
    const t = await team();
    const put = await send("PUT", `/api/0/issues/${t.issueId}/`, { cookie: t.leadCookie, body: { assignedTo: t.dev.email } });
    expect(put.status).toBe(200);
    // Assigned to the same member again: nothing new to tell them.
    await send("PUT", `/api/0/issues/${t.issueId}/`, { cookie: t.leadCookie, body: { assignedTo: `user:${t.dev.userId}` } });
    expect(await notificationsOf(t.issueId)).toEqual([{ user_id: t.dev.userId, status: "pending", attempts: 0, last_error: null }]);

    const { sent, deps } = mailbox();
    await sendAssignmentEmails(env.DB, deps, later());
    const mine = sent.filter((m) => m.to === t.dev.email);
    expect(mine).toHaveLength(1);
    const { subject, text } = readMessage(mine[0]!.raw);
    expect(subject).toMatch(/^[A-Z0-9-]+-\w+ was assigned to you: TypeError: cart.items is undefined$/);
    expect(text).toContain(`View the issue: https://faultline.example/issues/${t.issueId}/`);
    expect(text).toMatch(/^User \d+ assigned this issue of .* to you\./);
    expect(text).toContain(`https://faultline.example/organizations/${t.org.orgSlug}/settings`);
    expect(await notificationsOf(t.issueId)).toEqual([{ user_id: t.dev.userId, status: "sent", attempts: 1, last_error: null }]);
    // A second run sends nothing again.
    await sendAssignmentEmails(env.DB, deps, later());
    expect(sent.filter((m) => m.to === t.dev.email)).toHaveLength(1);
  });

  it("tell the assignee once when their resolved issue regresses, however often the event is delivered", async () => {
    const org = await seedOrganization();
    const dev = await seedUser(org.orgId, "member");
    await digest([envelopeMessage(org.projectId, { variant: "checkout-regression" })]);
    const issue = await env.DB.prepare("SELECT id FROM issues WHERE project_id = ?1").bind(org.projectId).first<{ id: number }>();
    await env.DB.prepare("UPDATE issues SET status = 'resolved', resolved_at = ?2, assigned_user_id = ?3 WHERE id = ?1")
      .bind(issue!.id, Date.now(), dev.userId)
      .run();
    const comeback = envelopeMessage(org.projectId, { variant: "checkout-regression" });
    await digest([comeback]);
    await digest([comeback]);
    expect(await notificationsOf(issue!.id)).toEqual([{ user_id: dev.userId, status: "pending", attempts: 0, last_error: null }]);

    const { sent, deps } = mailbox();
    await sendAssignmentEmails(env.DB, deps, later());
    const [mail] = sent.filter((m) => m.to === dev.email);
    const { subject, text } = readMessage(mail!.raw);
    expect(subject).toMatch(/^[A-Z0-9-]+-\w+ regressed: /);
    expect(text).toMatch(/^An issue of .* assigned to you was resolved and has come back\./);
  });

  it("are not sent for a regression of an issue no one is assigned to", async () => {
    const org = await seedOrganization();
    await digest([envelopeMessage(org.projectId, { variant: "nobody-regression" })]);
    const issue = await env.DB.prepare("SELECT id FROM issues WHERE project_id = ?1").bind(org.projectId).first<{ id: number }>();
    await env.DB.prepare("UPDATE issues SET status = 'resolved', resolved_at = ?2 WHERE id = ?1").bind(issue!.id, Date.now()).run();
    await digest([envelopeMessage(org.projectId, { variant: "nobody-regression" })]);
    expect((await env.DB.prepare("SELECT status FROM issues WHERE id = ?1").bind(issue!.id).first<{ status: string }>())!.status).toBe(
      "unresolved",
    );
    expect(await notificationsOf(issue!.id)).toEqual([]);
  });

  it("are not sent for assigning oneself, nor once the member turned them off", async () => {
    const t = await team();
    await send("PUT", `/api/0/issues/${t.issueId}/`, { cookie: t.devCookie, body: { assignedTo: "me@nowhere" } }); // refused: not a member
    await send("PUT", `/api/0/issues/${t.issueId}/`, { cookie: t.devCookie, body: { assignedTo: t.dev.email } });
    expect(await notificationsOf(t.issueId)).toEqual([]);

    const other = await seedIssue(t.org.projectId, { title: "Error: second" });
    expect((await send("GET", "/api/0/users/me/notification-settings/", { cookie: t.devCookie })).json).toEqual({ assignmentEmails: true });
    const off = await send("PUT", "/api/0/users/me/notification-settings/", { cookie: t.devCookie, body: { assignmentEmails: false } });
    expect(off.json).toEqual({ assignmentEmails: false });
    await send("PUT", `/api/0/issues/${other}/`, { cookie: t.leadCookie, body: { assignedTo: t.dev.email } });
    const { sent, deps } = mailbox();
    await sendAssignmentEmails(env.DB, deps, later());
    expect(sent.filter((m) => m.to === t.dev.email)).toEqual([]);
    expect(await notificationsOf(other)).toMatchObject([
      { status: "skipped", last_error: expect.stringMatching(/turned assignment emails off/) },
    ]);
  });

  it("are skipped when the issue went to someone else before the email did", async () => {
    const t = await team();
    await send("PUT", `/api/0/issues/${t.issueId}/`, { cookie: t.leadCookie, body: { assignedTo: t.dev.email } });
    await send("PUT", `/api/0/issues/${t.issueId}/`, { cookie: t.leadCookie, body: { assignedTo: "" } });
    const { sent, deps } = mailbox();
    await sendAssignmentEmails(env.DB, deps, later());
    expect(sent.filter((m) => m.to === t.dev.email)).toEqual([]);
    expect(await notificationsOf(t.issueId)).toMatchObject([{ status: "skipped" }]);
  });

  it("are tried again later when sending fails, and not before", async () => {
    const t = await team();
    await send("PUT", `/api/0/issues/${t.issueId}/`, { cookie: t.leadCookie, body: { assignedTo: t.dev.email } });
    const now = later();
    const failing = { ...mailbox().deps, sendEmail: async () => Promise.reject(new Error("the relay is down")) };
    await sendAssignmentEmails(env.DB, failing, now);
    expect(await notificationsOf(t.issueId)).toMatchObject([{ status: "pending", attempts: 1, last_error: "the relay is down" }]);
    const { sent, deps } = mailbox();
    await sendAssignmentEmails(env.DB, deps, now + 1_000);
    expect(sent.filter((m) => m.to === t.dev.email)).toEqual([]);
    await sendAssignmentEmails(env.DB, deps, now + 3 * 60_000);
    expect(sent.filter((m) => m.to === t.dev.email)).toHaveLength(1);
    expect(await notificationsOf(t.issueId)).toMatchObject([{ status: "sent", attempts: 2 }]);
  });

  it("settings belong to a logged-in user and take a boolean", async () => {
    const t = await team();
    const bad = await send("PUT", "/api/0/users/me/notification-settings/", { cookie: t.devCookie, body: { assignmentEmails: "no" } });
    expect(bad.status).toBe(400);
  });
});
