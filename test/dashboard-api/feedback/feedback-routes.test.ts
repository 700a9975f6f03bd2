import { createExecutionContext, createMessageBatch, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { apiApp } from "../../../dashboard/api/api-app";
import type { IngestMessage } from "../../../protocol/ingest-message";
import { digestEvents } from "../../../queue-consumer/digest/digest-events";
import nodeError from "../../fixtures/sdk-requests/node-feedback-error.envelope?raw";
import nodeFeedback from "../../fixtures/sdk-requests/node-feedback-1.envelope?raw";
import { type SeededOrganization, seedOrganization } from "../../support/seed-issues";

const FEEDBACK_ID = "3f4e2b6721a94c7089ea5679627f8c05";
const ERROR_ID = "6359c2a172ba43d9a4df2e09874e7362";

async function call(org: SeededOrganization, method: string, path: string, body?: unknown) {
  const ctx = createExecutionContext();
  const request = new Request(`https://faultline.example.com/api/0${path}`, {
    method,
    headers: { authorization: `Bearer ${org.token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const res = await apiApp.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function json(org: SeededOrganization, method: string, path: string, body?: unknown) {
  const res = await call(org, method, path, body);
  return { status: res.status, json: (await res.json()) as any };
}

let counter = 0;
async function digest(projectId: number, body: string) {
  counter += 1;
  const bytes = new TextEncoder().encode(body);
  const message = {
    id: `feedback-api-${counter}-${Math.random().toString(36).slice(2)}`,
    timestamp: new Date(),
    attempts: 1,
    body: {
      v: 1,
      kind: "envelope",
      projectId,
      keyId: 1,
      receivedAt: Date.now(),
      clientIp: null,
      userAgent: null,
      eventId: null,
      size: bytes.byteLength,
      body: bytes,
    },
  } satisfies Parameters<typeof createMessageBatch<IngestMessage>>[1][number];
  await digestEvents(createMessageBatch<IngestMessage>("events", [message]) as MessageBatch<unknown>, env);
}

describe("/api/0/projects/{org}/{project}/user-feedback/", () => {
  it("lists captureFeedback in Sentry's shape, tied to its issue once the error lands, with its screenshot", async () => {
    const org = await seedOrganization();
    const path = `/projects/${org.orgSlug}/${org.projectSlug}/user-feedback/`;
    await digest(org.projectId, nodeFeedback);
    const before = await json(org, "GET", path);
    expect(before.status).toBe(200);
    expect(before.json).toHaveLength(1);
    expect(before.json[0]).toMatchObject({
      eventID: ERROR_ID,
      name: "Jane",
      email: "jane@example.com",
      comments: "It broke <b>here</b>",
      issue: null,
    });

    await digest(org.projectId, nodeError);
    const [feedback] = (await json(org, "GET", path)).json;
    expect(feedback.issue).toMatchObject({
      shortId: expect.stringMatching(/^[A-Z0-9-]+-[0-9A-Z]+$/),
      title: expect.stringContaining("boom"),
    });
    expect(typeof feedback.dateCreated).toBe("string");
    expect(feedback.url).toBe("https://app.example.com/checkout?token=abc");
    expect(feedback.attachments).toHaveLength(1);

    const reports = await json(org, "GET", `/organizations/${org.orgSlug}/issues/${feedback.issue.id}/user-reports/`);
    expect(reports.status).toBe(200);
    expect(reports.json.map((r: any) => r.comments)).toEqual(["It broke <b>here</b>"]);

    const attachments = await json(org, "GET", `/projects/${org.orgSlug}/${org.projectSlug}/events/${FEEDBACK_ID}/attachments/`);
    expect(attachments.json.map((a: any) => a.id)).toEqual(feedback.attachments);
    const download = await call(
      org,
      "GET",
      `/projects/${org.orgSlug}/${org.projectSlug}/events/${FEEDBACK_ID}/attachments/${feedback.attachments[0]}/`,
    );
    expect(download.status).toBe(200);
    // Not an image by its bytes: served to download, never as a page.
    expect(download.headers.get("content-type")).toBe("application/octet-stream");
    expect(download.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(await download.text()).toBe("not really a png");
  });

  it("takes a report about an event as Sentry's POST does, editable for five minutes", async () => {
    const org = await seedOrganization();
    const path = `/projects/${org.orgSlug}/${org.projectSlug}/user-feedback/`;
    const report = { event_id: ERROR_ID.toUpperCase(), name: "Ann", email: "ann@example.com", comments: "It crashed" };
    const created = await json(org, "POST", path, report);
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ eventID: ERROR_ID, name: "Ann", comments: "It crashed", issue: null });
    const edited = await json(org, "POST", path, { ...report, comments: "It crashed twice" });
    expect(edited.status).toBe(200);
    expect((await json(org, "GET", path)).json.map((r: any) => r.comments)).toEqual(["It crashed twice"]);

    await env.DB.prepare("UPDATE user_feedback SET date_created = date_created - 600000 WHERE project_id = ?").bind(org.projectId).run();
    const late = await json(org, "POST", path, { ...report, comments: "too late" });
    expect(late.status).toBe(409);
  });

  it("answers 400 naming the field for a bad event id, a bad email or a 1 MB comment", async () => {
    const org = await seedOrganization();
    const path = `/projects/${org.orgSlug}/${org.projectSlug}/user-feedback/`;
    const good = { event_id: ERROR_ID, name: "Ann", email: "ann@example.com", comments: "hi" };
    for (const [field, bad] of [
      ["event_id", { ...good, event_id: "nope" }],
      ["email", { ...good, email: "not an email" }],
      ["comments", { ...good, comments: "x".repeat(1_000_000) }],
      ["comments", { ...good, comments: undefined }],
    ] as const) {
      const res = await json(org, "POST", path, bad);
      expect(res.status).toBe(400);
      expect(res.json.detail).toMatch(new RegExp(`^${field}:`));
    }
    expect((await json(org, "GET", path)).json).toEqual([]);
  });

  it("is a 404 for another organization's project or issue", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    expect((await call(org, "GET", `/projects/${other.orgSlug}/${other.projectSlug}/user-feedback/`)).status).toBe(404);
    await digest(other.projectId, nodeError);
    const issue = await env.DB.prepare("SELECT id FROM issues WHERE project_id = ?").bind(other.projectId).first<{ id: number }>();
    expect((await call(org, "GET", `/organizations/${org.orgSlug}/issues/${issue!.id}/user-reports/`)).status).toBe(404);
  });
});
