// An issue's "Reprocess": events that came before their source maps, mapped again by the minute job.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { readEventData } from "../../protocol/event-data";
import type { IngestMessage } from "../../protocol/ingest-message";
import { digestEvents } from "../../queue-consumer/digest/digest-events";
import { reprocessIssues } from "../../queue-consumer/jobs/reprocess-issues";
import { DEBUG_ID, debugIdBundle, uploadBundle } from "../support/artifact-bundles";
import { seedOrganization } from "../support/seed-issues";

const APP = "http://localhost:5000/app.min.js";
let counter = 0;

/** @sentry/browser's event of the fixture app's error, as V8 reports the injected build. */
function browserEvent(): { eventId: string; body: string } {
  counter += 1;
  const eventId = (Date.now() * 1000 + counter).toString(16).padStart(32, "0");
  const frame = (fn: string, colno: number) => ({ filename: APP, abs_path: APP, function: fn, lineno: 4, colno, in_app: true });
  const event = {
    event_id: eventId,
    platform: "javascript",
    timestamp: Date.now() / 1000,
    exception: {
      values: [
        { type: "Error", value: "bad config line: broken", stacktrace: { frames: [frame("?", 152), frame("i", 147), frame("e", 62)] } },
      ],
    },
    debug_meta: { images: [{ type: "sourcemap", code_file: APP, debug_id: DEBUG_ID }] },
  };
  return { eventId, body: `${JSON.stringify({ event_id: eventId })}\n${JSON.stringify({ type: "event" })}\n${JSON.stringify(event)}\n` };
}

async function digest(projectId: number, body: string): Promise<void> {
  const bytes = new TextEncoder().encode(body);
  const batch = createMessageBatch<IngestMessage>("events", [
    {
      id: `reprocess-${counter}`,
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
}

async function stored(projectId: number, eventId: string) {
  const row = await env.DB.prepare("SELECT issue_id, data FROM events WHERE project_id = ? AND event_id = ?")
    .bind(projectId, eventId)
    .first<{ issue_id: number; data: ArrayBuffer }>();
  return { issueId: row!.issue_id, data: (await readEventData(row!.data)).data as any };
}

const request = (issueId: number, at: number) =>
  env.DB.prepare(
    "INSERT INTO issue_reprocessing (issue_id, requested_at) VALUES (?1, ?2) ON CONFLICT DO UPDATE SET requested_at = ?2, finished_at = NULL",
  )
    .bind(issueId, at)
    .run();

const requestRow = (issueId: number) => env.DB.prepare("SELECT * FROM issue_reprocessing WHERE issue_id = ?").bind(issueId).first();

describe("reprocessIssues", () => {
  it("maps an issue's events again with the maps uploaded after them; they stay in the issue", async () => {
    const org = await seedOrganization();
    const { eventId, body } = browserEvent();
    await digest(org.projectId, body);
    const before = await stored(org.projectId, eventId);
    expect(before.data.exception.values[0].stacktrace.frames.at(-1)).toMatchObject({ function: "e", lineno: 4 });

    await uploadBundle(org, debugIdBundle(), { projects: [org.projectSlug] });
    await request(before.issueId, Date.now());
    const now = Date.now();
    expect(await reprocessIssues(env.DB, env.RAW, now)).toEqual({ issues: 1, events: 1, improved: 1 });

    const after = await stored(org.projectId, eventId);
    expect(after.issueId).toBe(before.issueId);
    const exception = after.data.exception.values[0];
    expect(exception.stacktrace.frames.at(-1)).toMatchObject({
      function: "parseConfig",
      lineno: 6,
      context_line: "      throw new Error(`bad config line: ${key}`);",
    });
    expect(exception.raw_stacktrace.frames.at(-1)).toMatchObject({ function: "e", lineno: 4, colno: 62 });
    expect(after.data.errors).toBeUndefined();
    expect(await requestRow(before.issueId)).toMatchObject({ finished_at: now, events: 1, improved: 1 });

    // Done: a run finds nothing pending; asked again, the mapped event stays as it is.
    expect(await reprocessIssues(env.DB, env.RAW, now + 1)).toEqual({ issues: 0, events: 0, improved: 0 });
    await request(before.issueId, Date.now() + 1);
    expect(await reprocessIssues(env.DB, env.RAW, now + 2)).toEqual({ issues: 1, events: 1, improved: 0 });
    expect((await stored(org.projectId, eventId)).data).toEqual(after.data);
  });

  it("leaves events no map is found for as they were, and finishes a request whose issue is gone", async () => {
    const org = await seedOrganization();
    const { eventId, body } = browserEvent();
    await digest(org.projectId, body);
    const before = await stored(org.projectId, eventId);
    await request(before.issueId, Date.now());
    await request(999_999_999, Date.now());
    const report = await reprocessIssues(env.DB, env.RAW, Date.now());
    expect(report.improved).toBe(0);
    expect((await stored(org.projectId, eventId)).data).toEqual(before.data);
    expect(await requestRow(999_999_999)).toMatchObject({ finished_at: expect.any(Number), events: 0, improved: 0 });
    expect(await requestRow(before.issueId)).toMatchObject({ finished_at: expect.any(Number), improved: 0 });
  });
});
