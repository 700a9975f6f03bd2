// An issue's reprocessing: whether maps came after its latest event, the request, and its result.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { IngestMessage } from "../../../protocol/ingest-message";
import { digestEvents } from "../../../queue-consumer/digest/digest-events";
import { reprocessIssues } from "../../../queue-consumer/jobs/reprocess-issues";
import { DEBUG_ID, apiRequest, debugIdBundle, uploadBundle } from "../../support/artifact-bundles";
import { seedOrganization } from "../../support/seed-issues";

const APP = "http://localhost:5000/app.min.js";
let counter = 0;

/** @sentry/browser's event of the fixture app's error, sent before its maps were uploaded. */
async function digestBrowserEvent(projectId: number): Promise<number> {
  counter += 1;
  const eventId = (Date.now() * 1000 + counter).toString(16).padStart(32, "0");
  const frame = (fn: string, colno: number) => ({ filename: APP, abs_path: APP, function: fn, lineno: 4, colno, in_app: true });
  const event = {
    event_id: eventId,
    platform: "javascript",
    timestamp: Date.now() / 1000,
    exception: { values: [{ type: "Error", value: "bad config line: broken", stacktrace: { frames: [frame("i", 147), frame("e", 62)] } }] },
    debug_meta: { images: [{ type: "sourcemap", code_file: APP, debug_id: DEBUG_ID.toUpperCase() }] },
  };
  const bytes = new TextEncoder().encode(`${JSON.stringify({ event_id: eventId })}\n{"type":"event"}\n${JSON.stringify(event)}\n`);
  const batch = createMessageBatch<IngestMessage>("events", [
    {
      id: `reprocessing-${counter}`,
      timestamp: new Date(),
      attempts: 1,
      body: {
        v: 1,
        kind: "envelope",
        projectId,
        keyId: 1,
        receivedAt: Date.now(),
        clientIp: null,
        userAgent: "test",
        eventId: null,
        size: bytes.byteLength,
        body: bytes,
      },
    },
  ]);
  await digestEvents(batch as MessageBatch<unknown>, env);
  await getQueueResult(batch, createExecutionContext());
  const row = await env.DB.prepare("SELECT issue_id FROM events WHERE project_id = ? AND event_id = ?")
    .bind(projectId, eventId)
    .first<{ issue_id: number }>();
  return row!.issue_id;
}

describe("/api/0/issues/{id}/reprocessing/", () => {
  it("says when maps were uploaded after the latest event, takes a request, and reports what it did", async () => {
    const org = await seedOrganization();
    const issueId = await digestBrowserEvent(org.projectId);
    const path = `/issues/${issueId}/reprocessing/`;
    expect(await apiRequest("GET", path, org.token)).toEqual({
      status: 200,
      json: { status: "none", requestedAt: null, finishedAt: null, events: 0, improved: 0, eventsPerRequest: 100, mapsUploadedAfter: null },
    });

    await uploadBundle(org, debugIdBundle(), { projects: [org.projectSlug] });
    const after = await apiRequest("GET", path, org.token);
    expect(after.json.mapsUploadedAfter).toMatch(/^\d{4}-\d\d-\d\dT/);

    const requested = await apiRequest("POST", path, org.token);
    expect(requested.status).toBe(202);
    expect(requested.json).toMatchObject({ status: "pending", requestedAt: expect.any(String), finishedAt: null });

    await reprocessIssues(env.DB, env.RAW, Date.now());
    expect((await apiRequest("GET", `/organizations/${org.orgSlug}/issues/${issueId}/reprocessing/`, org.token)).json).toMatchObject({
      status: "done",
      events: 1,
      improved: 1,
      finishedAt: expect.any(String),
      // Mapped now: nothing is lacking.
      mapsUploadedAfter: null,
    });
  });

  it("is a 404 for another organization's issue", async () => {
    const org = await seedOrganization();
    const issueId = await digestBrowserEvent(org.projectId);
    const other = await seedOrganization();
    expect((await apiRequest("POST", `/issues/${issueId}/reprocessing/`, other.token)).status).toBe(404);
    expect((await apiRequest("GET", `/issues/${issueId}/reprocessing/`, other.token)).status).toBe(404);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM issue_reprocessing WHERE issue_id = ?").bind(issueId).first("n")).toBe(0);
  });
});
