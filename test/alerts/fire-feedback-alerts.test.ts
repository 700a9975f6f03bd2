import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AlertQueueMessage } from "../../protocol/alert-queue-message";
import { evaluateAfterDigest, recoverPendingEvaluations } from "../../queue-consumer/alerts/evaluate-after-digest";
import type { QueuedIngestMessage } from "../support/seed-alerts";
import { seedProject } from "../support/seed";
import { digest, envelopeMessage, insertRule, recordingQueue } from "../support/seed-alerts";
import { alertLinks } from "../../alert-channels/alert-context";

let counter = 0;
function feedbackMessage(projectId: number, feedback: Record<string, unknown>, environment = "production"): QueuedIngestMessage {
  counter += 1;
  const eventId = crypto.randomUUID().replaceAll("-", "");
  const event = { event_id: eventId, environment, contexts: { feedback } };
  const body = new TextEncoder().encode(`{"event_id":"${eventId}"}\n{"type":"feedback"}\n${JSON.stringify(event)}\n`);
  return {
    id: `feedback-alert-${Date.now()}-${counter}`,
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
      eventId,
      size: body.byteLength,
      body,
    },
  };
}

async function firingsOf(ruleId: number) {
  const { results } = await env.DB.prepare("SELECT issue_id, window_key, context FROM alert_firings WHERE rule_id = ? ORDER BY id")
    .bind(ruleId)
    .all<{ issue_id: number; window_key: string; context: string }>();
  return results.map((r) => ({ ...r, context: JSON.parse(r.context) }));
}

async function deliveriesOf(ruleId: number) {
  const { results } = await env.DB.prepare("SELECT id, issue_id FROM alert_deliveries WHERE rule_id = ? ORDER BY id").bind(ruleId).all();
  return results;
}

const delivered = (sent: AlertQueueMessage[]) => sent.filter((m) => m.kind === "deliver").length;

describe("the new_feedback trigger", () => {
  it("notifies once per feedback, tied to its issue or not, however often the feedback and the evaluation come", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, { name: "Feedback to chat", triggers: [{ type: "new_feedback" }] });
    const errorId = crypto.randomUUID().replaceAll("-", "");
    await digest([envelopeMessage(projectId, {}, errorId)]);
    const about = feedbackMessage(projectId, {
      message: "Checkout <b>froze</b>",
      name: "Jane",
      contact_email: "jane@example.com",
      associated_event_id: errorId,
    });
    const untied = feedbackMessage(projectId, { message: "Love the new design" });

    const { queue, sent } = recordingQueue();
    await evaluateAfterDigest(await digest([about, untied]), { ...env, ALERTS: queue });
    // Delivered again, and evaluated again: nothing more.
    await evaluateAfterDigest(await digest([about, untied]), { ...env, ALERTS: queue });

    const firings = await firingsOf(ruleId);
    expect(firings).toHaveLength(2);
    const tied = firings.find((f) => f.context.issue.id !== 0)!;
    expect(tied.context.issue.title).toBe("Feedback: Checkout <b>froze</b>");
    expect(tied.context.issue.culprit).toMatch(/^from Jane <jane@example.com> about /);
    expect(tied.context.reasons).toEqual(["New user feedback from Jane <jane@example.com>"]);
    const other = firings.find((f) => f.context.issue.id === 0)!;
    expect(other.context.issue.culprit).toBe("from an anonymous user");
    expect(alertLinks("https://dash.example.com", other.context).issueUrl).toMatch(/\/organizations\/[^/]+\/feedback\?project=/);
    expect(await deliveriesOf(ruleId)).toHaveLength(2);
    expect(delivered(sent)).toBe(2);
  });

  it("fires when the evaluation after the commit is lost, from the pending run", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, { triggers: [{ type: "new_feedback" }] });
    await digest([feedbackMessage(projectId, { message: "Nothing loads" })]);
    expect(await firingsOf(ruleId)).toEqual([]);
    const { queue, sent } = recordingQueue();
    await env.DB.prepare("UPDATE alert_evaluations_pending SET next_attempt_at = 0").run();
    await recoverPendingEvaluations(env.DB, queue);
    expect(await firingsOf(ruleId)).toHaveLength(1);
    expect(delivered(sent)).toBe(1);
  });

  it("keeps to the rule's filters and match, and leaves issue rules alone", async () => {
    const { projectId } = await seedProject();
    const staging = await insertRule(projectId, {
      triggers: [{ type: "new_feedback" }],
      filters: [{ type: "environment", value: "staging" }],
    });
    const all = await insertRule(projectId, { match: "all", triggers: [{ type: "new_feedback" }, { type: "new_issue" }] });
    const issues = await insertRule(projectId, { triggers: [{ type: "new_issue" }] });
    const { queue } = recordingQueue();
    await evaluateAfterDigest(await digest([feedbackMessage(projectId, { message: "a" }, "production")]), { ...env, ALERTS: queue });
    await evaluateAfterDigest(await digest([feedbackMessage(projectId, { message: "b" }, "staging")]), { ...env, ALERTS: queue });
    expect((await firingsOf(staging.ruleId)).map((f) => f.context.issue.title)).toEqual(["Feedback: b"]);
    expect(await firingsOf(all.ruleId)).toEqual([]);
    expect(await firingsOf(issues.ruleId)).toEqual([]);
  });
});
