import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { IngestMessage } from "../../../../protocol/ingest-message";
import { digestEvents } from "../../../../queue-consumer/digest/digest-events";
import nodeError from "../../../fixtures/sdk-requests/node-feedback-error.envelope?raw";
import nodeFeedback from "../../../fixtures/sdk-requests/node-feedback-1.envelope?raw";
import { seedProject } from "../../../support/seed";

const enc = new TextEncoder();
type QueuedMessage = Parameters<typeof createMessageBatch<IngestMessage>>[1][number];
let counter = 0;
const FEEDBACK_ID = "3f4e2b6721a94c7089ea5679627f8c05";
const ERROR_ID = "6359c2a172ba43d9a4df2e09874e7362";

function message(projectId: number, body: string, id?: string): QueuedMessage {
  counter += 1;
  const bytes = enc.encode(body);
  return {
    id: id ?? `feedback-${counter}-${Math.random().toString(36).slice(2)}`,
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
  };
}

async function digest(messages: QueuedMessage[]) {
  const batch = createMessageBatch<IngestMessage>("events", messages);
  const outcomes = await digestEvents(batch as MessageBatch<unknown>, env);
  const result = await getQueueResult(batch, createExecutionContext());
  expect(result.retryMessages).toEqual([]);
  return outcomes;
}

async function feedbackRows(projectId: number) {
  const { results } = await env.DB.prepare(
    `SELECT feedback_id, event_id, name, email, message, url, source, data FROM user_feedback WHERE project_id = ? ORDER BY id`,
  )
    .bind(projectId)
    .all<Record<string, string | null>>();
  return results;
}

async function rejections(projectId: number) {
  const { results } = await env.DB.prepare("SELECT reason, detail FROM rejected_envelopes WHERE project_id = ? ORDER BY id")
    .bind(projectId)
    .all<{ reason: string; detail: string }>();
  return results;
}

const userReport = (report: Record<string, unknown>) => `{}\n{"type":"user_report"}\n${JSON.stringify(report)}\n`;

describe("feedback items", () => {
  it("keeps @sentry/node's captureFeedback once, however often it is delivered, with its screenshot beside it", async () => {
    const { projectId } = await seedProject();
    await digest([message(projectId, nodeFeedback, "m-1"), message(projectId, nodeFeedback, "m-2")]);
    await digest([message(projectId, nodeFeedback, "m-3")]);
    const rows = await feedbackRows(projectId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      feedback_id: FEEDBACK_ID,
      event_id: ERROR_ID,
      name: "Jane",
      email: "jane@example.com",
      message: "It broke <b>here</b>",
      source: "feedback",
    });
    // The page URL is not typed by the user: scrubbed like an event's (its token stays: not a key).
    expect(rows[0]!.url).toBe("https://app.example.com/checkout?token=abc");
    const screenshot = await env.DB.prepare(
      "SELECT count(*) AS n FROM stored_items WHERE project_id = ? AND event_id = ? AND item_type = 'attachment'",
    )
      .bind(projectId, FEEDBACK_ID)
      .first<{ n: number }>();
    expect(screenshot!.n).toBeGreaterThanOrEqual(1);
    expect(await rejections(projectId)).toEqual([]);
  });

  it("ties the feedback to its issue whether the error comes before or after it", async () => {
    const { projectId } = await seedProject();
    await digest([message(projectId, nodeFeedback)]);
    await digest([message(projectId, nodeError)]);
    const tied = await env.DB.prepare(
      `SELECT e.issue_id FROM user_feedback f JOIN events e ON e.project_id = f.project_id AND e.event_id = f.event_id WHERE f.project_id = ?`,
    )
      .bind(projectId)
      .first<{ issue_id: number }>();
    expect(tied?.issue_id).toBeTypeOf("number");
  });

  it("keeps what the user typed as typed, and scrubs the rest like an event", async () => {
    const { projectId } = await seedProject();
    const feedback = {
      event_id: "a".repeat(32),
      contexts: {
        feedback: {
          message: "my card 4242 4242 4242 4242 was refused, password hunter2",
          name: "<script>alert(1)</script>",
          contact_email: '"><img src=x onerror=alert(1)>',
          url: "https://shop.example.com/pay?card=4242424242424242",
        },
      },
      user: { password: "s3cret" },
    };
    await digest([message(projectId, `{}\n{"type":"feedback"}\n${JSON.stringify(feedback)}\n`)]);
    const [row] = await feedbackRows(projectId);
    expect(row).toMatchObject({
      message: "my card 4242 4242 4242 4242 was refused, password hunter2",
      name: "<script>alert(1)</script>",
      email: '"><img src=x onerror=alert(1)>',
      url: "https://shop.example.com/pay?card=[Filtered]",
    });
    expect(JSON.parse(row!.data!).user.password).toBe("[Filtered]");
  });

  it("cuts a 1 MB message to 16 KiB and notes it, instead of losing the feedback", async () => {
    const { projectId } = await seedProject();
    const feedback = { event_id: "b".repeat(32), contexts: { feedback: { message: "x".repeat(1_000_000) } } };
    await digest([message(projectId, `{}\n{"type":"feedback"}\n${JSON.stringify(feedback)}\n`)]);
    const [row] = await feedbackRows(projectId);
    expect(row!.message).toHaveLength(16_384);
    expect(JSON.parse(row!.data!)._meta.message.truncated_from).toBe(1_000_000);
  });

  it("keeps feedback whose associated_event_id is missing, malformed or another project's, tied to nothing", async () => {
    const { projectId } = await seedProject();
    const other = await seedProject();
    await digest([message(other.projectId, nodeError)]);
    const items = [undefined, "not-an-id", ERROR_ID].map((associated, i) => ({
      event_id: String(i + 1).repeat(32),
      contexts: { feedback: { message: `feedback ${i}`, associated_event_id: associated } },
    }));
    await digest([message(projectId, `{}\n${items.map((f) => `{"type":"feedback"}\n${JSON.stringify(f)}`).join("\n")}\n`)]);
    const rows = await feedbackRows(projectId);
    expect(rows.map((r) => r.event_id)).toEqual([null, null, ERROR_ID]);
    const tied = await env.DB.prepare(
      `SELECT count(*) AS n FROM user_feedback f JOIN events e ON e.project_id = f.project_id AND e.event_id = f.event_id WHERE f.project_id = ?`,
    )
      .bind(projectId)
      .first<{ n: number }>();
    expect(tied!.n).toBe(0);
  });

  it("refuses feedback with no message and a user report with no event id, with a reason", async () => {
    const { projectId } = await seedProject();
    const bodies = [
      `{"type":"feedback"}\n${JSON.stringify({ event_id: "c".repeat(32), contexts: { feedback: { message: "  " } } })}`,
      `{"type":"user_report"}\n${JSON.stringify({ event_id: "nope", comments: "hi" })}`,
      `{"type":"user_report"}\n[1, 2]`,
    ];
    await digest(bodies.map((body) => message(projectId, `{}\n${body}\n`)));
    expect(await feedbackRows(projectId)).toEqual([]);
    expect(await rejections(projectId)).toEqual([
      { reason: "invalid_feedback", detail: "feedback item 0: the feedback has no message" },
      { reason: "invalid_feedback", detail: "user_report item 0: the user report has no valid event_id" },
      { reason: "invalid_feedback", detail: "user_report item 0: the user report is not a JSON object" },
    ]);
  });
});

describe("user_report items", () => {
  it("keeps one report per event, the first, however often it is sent", async () => {
    const { projectId } = await seedProject();
    const report = { event_id: ERROR_ID, name: "Ann", email: "ann@example.com", comments: "It crashed" };
    await digest([message(projectId, userReport(report)), message(projectId, userReport({ ...report, comments: "again" }))]);
    await digest([message(projectId, userReport(report))]);
    expect(await feedbackRows(projectId)).toEqual([
      {
        feedback_id: ERROR_ID,
        event_id: ERROR_ID,
        name: "Ann",
        email: "ann@example.com",
        message: "It crashed",
        url: null,
        source: "user_report",
        data: null,
      },
    ]);
  });
});
