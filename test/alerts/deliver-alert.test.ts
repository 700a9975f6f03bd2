import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import { deleteAlertRule, findAlertRule, replaceAlertRule } from "../../dashboard/api/alert-rules/alert-rule-queries";
import type { AlertQueueMessage, DeliverMessage } from "../../protocol/alert-queue-message";
import { type DeliveryDeps, deliverAlerts, deliveryDepsFrom } from "../../queue-consumer/alerts/deliver-alert";
import { evaluateAlertRules, evaluationOf } from "../../queue-consumer/alerts/evaluate-alert-rules";
import { ALERT_TIMEOUT_MS } from "../../alert-channels/send-alert-request";
import { registerWebhookSecret, receivedBy, receiverKey, receiverUrl } from "../support/alert-receivers/receiver-client";
import { seedProject } from "../support/seed";
import { type TargetSpec, digest, envelopeMessage, insertRule, recordingQueue } from "../support/seed-alerts";

/** A new issue in a fresh project whose rule sends to `targets`: the deliver messages it queued. */
async function fire(targets: TargetSpec[]) {
  const { projectId } = await seedProject();
  const { ruleId, targetIds } = await insertRule(projectId, { name: "New checkout errors", triggers: [{ type: "new_issue" }], targets });
  const { queue, sent } = recordingQueue();
  await evaluateAlertRules(
    env.DB,
    queue,
    evaluationOf(await digest([envelopeMessage(projectId, { release: "checkout-api@2.4.0", user: "u-17" })]))!,
  );
  const messages = sent.filter((m): m is DeliverMessage => m.kind === "deliver");
  expect(messages).toHaveLength(targets.length);
  return { projectId, ruleId, targetIds, messages };
}

let batchCounter = 0;

/**
 * Runs the alerts consumer over messages, as Queues delivers them (`attempts` counts deliveries
 * so far), and reports what it did with each: acked, or retried after how many seconds. (The
 * pool's getQueueResult does not report a retry's delay.)
 */
async function consume(
  messages: AlertQueueMessage[],
  attempts = 1,
  deps: DeliveryDeps = deliveryDepsFrom(env),
  environment: typeof env = env,
) {
  batchCounter += 1;
  let acked = 0;
  const retries: Array<number | null> = [];
  const batch: MessageBatch<unknown> = {
    queue: "alerts",
    metadata: { metrics: { backlogCount: messages.length, backlogBytes: 0 } },
    messages: messages.map((body, i) => ({
      id: `alerts-${batchCounter}-${i}`,
      timestamp: new Date(),
      attempts,
      body,
      ack: () => {
        acked += 1;
      },
      retry: (options?: QueueRetryOptions) => {
        retries.push(options?.delaySeconds ?? null);
      },
    })),
    ackAll: () => {
      throw new Error("the alerts consumer answers message by message");
    },
    retryAll: () => {
      throw new Error("the alerts consumer answers message by message");
    },
  };
  await deliverAlerts(batch, environment, deps);
  return { acked, retries };
}

async function deliveryRow(id: number) {
  return env.DB.prepare("SELECT status, attempts, last_error, sent_at, lease_until FROM alert_deliveries WHERE id = ?").bind(id).first<{
    status: string;
    attempts: number;
    last_error: string | null;
    sent_at: number | null;
    lease_until: number | null;
  }>();
}

async function attemptsOf(id: number) {
  const { results } = await env.DB.prepare(
    "SELECT attempt, http_status, outcome, error, retry_delay_seconds, latency_ms FROM alert_delivery_attempts WHERE delivery_id = ? ORDER BY id",
  )
    .bind(id)
    .all<{
      attempt: number;
      http_status: number | null;
      outcome: string;
      error: string | null;
      retry_delay_seconds: number | null;
      latency_ms: number;
    }>();
  return results;
}

describe("deliverAlerts: each platform", () => {
  it("sends Slack, Discord and Teams messages their receivers accept, and logs each attempt", async () => {
    const key = receiverKey("platforms");
    const { messages, projectId } = await fire([
      { type: "slack", url: receiverUrl("ok", "slack", key) },
      { type: "discord", url: receiverUrl("ok", "discord", key) },
      { type: "teams", url: receiverUrl("ok", "teams", key) },
    ]);
    expect(await consume(messages)).toEqual({ acked: 3, retries: [] });

    const received = await receivedBy(key);
    expect(received.map((r) => [r.platform, r.status, r.problems])).toEqual(
      expect.arrayContaining([
        ["slack", 200, []],
        ["discord", 204, []],
        ["teams", 202, []],
      ]),
    );
    // Each links to the issue in the dashboard.
    const issue = await env.DB.prepare("SELECT id FROM issues WHERE project_id = ?").bind(projectId).first<{ id: number }>();
    for (const request of received) expect(request.body).toContain(`http://127.0.0.1:8788/issues/${issue!.id}/`);

    for (const { deliveryId } of messages) {
      expect(await deliveryRow(deliveryId)).toMatchObject({
        status: "sent",
        attempts: 1,
        last_error: null,
        sent_at: expect.any(Number),
        lease_until: null,
      });
      expect(await attemptsOf(deliveryId)).toEqual([
        expect.objectContaining({ attempt: 1, outcome: "sent", error: null, retry_delay_seconds: null, http_status: expect.any(Number) }),
      ]);
    }
  });

  it("signs the generic webhook so the receiver verifies it with the target's secret", async () => {
    const key = receiverKey("webhook");
    const secret = [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("");
    await registerWebhookSecret(key, secret);
    const { messages, projectId } = await fire([{ type: "webhook", url: receiverUrl("ok", "webhook", key), secret }]);
    expect(await consume(messages)).toEqual({ acked: 1, retries: [] });

    const [request] = await receivedBy(key);
    expect(request).toMatchObject({ status: 200, problems: [] });
    expect(request!.headers).toMatchObject({
      "sentry-hook-resource": "event_alert",
      "content-type": "application/json",
      "request-id": expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const body = JSON.parse(request!.body);
    const issue = await env.DB.prepare("SELECT id, last_event_id FROM issues WHERE project_id = ?")
      .bind(projectId)
      .first<{ id: number; last_event_id: string }>();
    expect(body.data.triggered_rule).toBe("New checkout errors");
    expect(body.data.event).toMatchObject({
      event_id: issue!.last_event_id,
      issue_id: String(issue!.id),
      issue_url: `http://127.0.0.1:8788/api/0/issues/${issue!.id}/`,
      web_url: `http://127.0.0.1:8788/issues/${issue!.id}/?event=${issue!.last_event_id}`,
      release: "checkout-api@2.4.0",
      // The stored event itself, in Sentry's schema: the exception the SDK sent.
      exception: { values: expect.arrayContaining([expect.objectContaining({ type: "SyntaxError" })]) },
    });
  });

  it("a failure before the request goes out (the stored event unreadable) is a logged attempt, retried", async () => {
    const key = receiverKey("prepare-fails");
    const secret = "s3cret-prepare";
    await registerWebhookSecret(key, secret);
    const { messages } = await fire([{ type: "webhook", url: receiverUrl("ok", "webhook", key), secret }]);
    const broken = new Proxy(env.DB, {
      get(target, prop) {
        if (prop !== "prepare") return Reflect.get(target, prop).bind(target);
        return (sql: string) => {
          if (sql.startsWith("SELECT data FROM events")) throw new Error("D1_ERROR: storage operation exceeded timeout");
          return target.prepare(sql);
        };
      },
    });
    const outcome = await consume(messages, 1, deliveryDepsFrom(env), { ...env, DB: broken as D1Database });
    expect(outcome.acked).toBe(0);
    expect(outcome.retries).toHaveLength(1);
    expect(await deliveryRow(messages[0]!.deliveryId)).toMatchObject({
      status: "retrying",
      attempts: 1,
      last_error: expect.stringContaining("storage operation exceeded timeout"),
    });
    expect(await attemptsOf(messages[0]!.deliveryId)).toEqual([
      expect.objectContaining({ attempt: 1, outcome: "retry", http_status: null }),
    ]);
    expect(await receivedBy(key)).toEqual([]);
  });

  it("a webhook whose secret does not match is refused by the receiver, and that is a failure", async () => {
    const key = receiverKey("webhook-bad-secret");
    await registerWebhookSecret(key, "the receiver's secret");
    const { messages } = await fire([{ type: "webhook", url: receiverUrl("ok", "webhook", key), secret: "another secret" }]);
    expect(await consume(messages)).toEqual({ acked: 1, retries: [] });
    expect((await receivedBy(key))[0]).toMatchObject({
      status: 401,
      problems: ["signature: Sentry-Hook-Signature does not match the body"],
    });
    expect(await deliveryRow(messages[0]!.deliveryId)).toMatchObject({ status: "failed", last_error: expect.stringContaining("HTTP 401") });
  });

  it("sends email through the send_email binding: a MIME message it parses and accepts", async () => {
    const { messages } = await fire([{ type: "email", address: "oncall@example.com" }]);
    expect(await consume(messages)).toEqual({ acked: 1, retries: [] });
    expect(await deliveryRow(messages[0]!.deliveryId)).toMatchObject({ status: "sent" });
    expect(await attemptsOf(messages[0]!.deliveryId)).toEqual([expect.objectContaining({ outcome: "sent", http_status: null })]);
  });

  it("hands the email's sender, recipient and MIME text to the binding", async () => {
    const sentEmails: Array<{ from: string; to: string; raw: string }> = [];
    const deps: DeliveryDeps = {
      ...deliveryDepsFrom(env),
      sendEmail: async (from, to, raw) => {
        sentEmails.push({ from, to, raw });
      },
    };
    const { messages } = await fire([{ type: "email", address: "oncall@example.com" }]);
    await consume(messages, 1, deps);
    expect(sentEmails).toHaveLength(1);
    const [email] = sentEmails;
    expect(email).toMatchObject({ from: "alerts@faultline.local", to: "oncall@example.com" });
    expect(email!.raw).toMatch(/^From: Faultline <alerts@faultline\.local>\r\nTo: oncall@example\.com\r\nSubject: /);
    expect(email!.raw).toMatch(/\r\nMessage-ID: <[0-9a-f-]{36}@faultline\.local>\r\n/);
  });

  it("an email target fails, without retrying, where the Worker has no send_email binding", async () => {
    const { messages } = await fire([{ type: "email", address: "oncall@example.com" }]);
    expect(await consume(messages, 1, { ...deliveryDepsFrom(env), sendEmail: undefined })).toEqual({ acked: 1, retries: [] });
    expect(await deliveryRow(messages[0]!.deliveryId)).toMatchObject({
      status: "failed",
      last_error: "no send_email binding (EMAIL) is configured",
    });
  });
});

describe("deliverAlerts: failures and retries", () => {
  it("a target that fails twice then succeeds is retried with backoff and delivered once", async () => {
    const key = receiverKey("flaky");
    const { messages } = await fire([{ type: "discord", url: receiverUrl("flaky", "discord", key) }]);
    const id = messages[0]!.deliveryId;
    expect(await consume(messages, 1)).toEqual({ acked: 0, retries: [15] });
    expect(await deliveryRow(id)).toMatchObject({ status: "retrying", attempts: 1, last_error: "HTTP 503: service unavailable" });
    expect(await consume(messages, 2)).toEqual({ acked: 0, retries: [45] });
    expect(await consume(messages, 3)).toEqual({ acked: 1, retries: [] });
    expect(await deliveryRow(id)).toMatchObject({ status: "sent", attempts: 3, last_error: null });
    expect((await attemptsOf(id)).map((a) => [a.attempt, a.http_status, a.outcome, a.retry_delay_seconds])).toEqual([
      [1, 503, "retry", 15],
      [2, 503, "retry", 45],
      [3, 204, "sent", null],
    ]);
    expect((await receivedBy(key)).map((r) => r.status)).toEqual([503, 503, 204]);
    // A late duplicate of the message finds it sent: nothing more goes out.
    expect(await consume(messages, 4)).toEqual({ acked: 1, retries: [] });
    expect(await receivedBy(key)).toHaveLength(3);
  });

  it("a 429 is retried after the target's Retry-After", async () => {
    const key = receiverKey("ratelimited");
    const { messages } = await fire([{ type: "slack", url: receiverUrl("ratelimited", "slack", key) }]);
    expect(await consume(messages, 1)).toEqual({ acked: 0, retries: [7] });
    expect(await attemptsOf(messages[0]!.deliveryId)).toEqual([
      expect.objectContaining({ http_status: 429, outcome: "retry", retry_delay_seconds: 7 }),
    ]);
    expect(await consume(messages, 2)).toEqual({ acked: 1, retries: [] });
    expect(await deliveryRow(messages[0]!.deliveryId)).toMatchObject({ status: "sent", attempts: 2 });
  });

  it(
    `a target that hangs is given up after ${ALERT_TIMEOUT_MS / 1000} s and retried, without holding up the others`,
    async () => {
      const key = receiverKey("hang");
      const { messages } = await fire([
        { type: "teams", url: receiverUrl("hang", "teams", key) },
        { type: "slack", url: receiverUrl("ok", "slack", key) },
      ]);
      const result = await consume(messages);
      expect(result).toEqual({ acked: 1, retries: [15] });
      const [hung, fine] = messages;
      expect(await deliveryRow(fine!.deliveryId)).toMatchObject({ status: "sent" });
      expect(await deliveryRow(hung!.deliveryId)).toMatchObject({ status: "retrying", last_error: "timed out after 5000 ms" });
      const [attempt] = await attemptsOf(hung!.deliveryId);
      expect(attempt).toMatchObject({ http_status: null, outcome: "retry", error: "timed out after 5000 ms" });
      expect(attempt!.latency_ms).toBeGreaterThanOrEqual(ALERT_TIMEOUT_MS);
    },
    // Room for the timeout itself on a loaded machine; what is checked is the outcome, not the clock.
    60_000,
  );

  it("a target that answers 410 (archived channel) fails at once: retrying cannot fix it", async () => {
    const key = receiverKey("gone");
    const { messages } = await fire([{ type: "slack", url: receiverUrl("gone", "slack", key) }]);
    expect(await consume(messages)).toEqual({ acked: 1, retries: [] });
    expect(await deliveryRow(messages[0]!.deliveryId)).toMatchObject({ status: "failed", last_error: "HTTP 410: channel_is_archived" });
  });

  it("a target removed from its rule before delivery fails with that reason", async () => {
    const { messages, targetIds } = await fire([{ type: "slack", url: receiverUrl("ok", "slack", receiverKey("removed")) }]);
    await env.DB.prepare("DELETE FROM alert_targets WHERE id = ?").bind(targetIds[0]).run();
    expect(await consume(messages)).toEqual({ acked: 1, retries: [] });
    expect(await deliveryRow(messages[0]!.deliveryId)).toMatchObject({
      status: "failed",
      last_error: "the target was removed from its rule",
    });
  });

  it("a removed target's id given to another project's target never receives the first project's alert", async () => {
    const theirs = receiverKey("reused-id");
    const { messages, targetIds } = await fire([{ type: "slack", url: receiverUrl("ok", "slack", receiverKey("reused-id-mine")) }]);
    await env.DB.prepare("DELETE FROM alert_targets WHERE id = ?").bind(targetIds[0]).run();
    // SQLite gives the highest freed id again: another project's new target takes it.
    const other = await seedProject();
    const { ruleId: otherRule } = await insertRule(other.projectId, { triggers: [{ type: "new_issue" }], targets: [] });
    await env.DB.prepare("INSERT INTO alert_targets (id, rule_id, type, url, created_at) VALUES (?, ?, 'slack', ?, ?)")
      .bind(targetIds[0], otherRule, receiverUrl("ok", "slack", theirs), Date.now())
      .run();
    expect(await consume(messages)).toEqual({ acked: 1, retries: [] });
    expect(await deliveryRow(messages[0]!.deliveryId)).toMatchObject({
      status: "failed",
      last_error: "the target was removed from its rule",
    });
    expect(await receivedBy(theirs)).toEqual([]);
  });

  it("deleting a rule ends its queued deliveries, and editing one ends those of the targets it drops", async () => {
    const { messages, projectId, ruleId, targetIds } = await fire([
      { type: "slack", url: receiverUrl("ok", "slack", receiverKey("edit-kept")) },
      { type: "discord", url: receiverUrl("ok", "discord", receiverKey("edit-dropped")) },
    ]);
    const rule = (await findAlertRule(drizzle(env.DB), projectId, ruleId))!;
    await replaceAlertRule(drizzle(env.DB), rule, {
      name: rule.name,
      match: rule.match,
      triggers: rule.triggers,
      filters: rule.filters,
      frequencyMinutes: rule.frequencyMinutes,
      targets: [{ type: "slack", url: rule.targets[0]!.url! }],
    });
    const byTarget = new Map(messages.map((m, i) => [targetIds[i], m.deliveryId]));
    expect(await deliveryRow(byTarget.get(targetIds[1])!)).toMatchObject({
      status: "failed",
      last_error: "the target was removed from its rule",
    });
    expect(await deliveryRow(byTarget.get(targetIds[0])!)).toMatchObject({ status: "pending" });
    await deleteAlertRule(drizzle(env.DB), ruleId);
    expect(await deliveryRow(byTarget.get(targetIds[0])!)).toMatchObject({
      status: "failed",
      last_error: "the target was removed from its rule",
    });
  });

  it("two copies of a message in flight send once: the second waits for the first one's lease", async () => {
    const key = receiverKey("duplicate");
    const { messages } = await fire([{ type: "slack", url: receiverUrl("ok", "slack", key) }]);
    const id = messages[0]!.deliveryId;
    // A consumer claimed it and is sending right now.
    await env.DB.prepare("UPDATE alert_deliveries SET status = 'sending', attempts = 1, lease_until = ? WHERE id = ?")
      .bind(Date.now() + 20_000, id)
      .run();
    const waiting = await consume(messages, 1);
    expect(waiting.acked).toBe(0);
    expect(waiting.retries[0]).toBeGreaterThan(0);
    expect(waiting.retries[0]).toBeLessThanOrEqual(20);
    expect(await receivedBy(key)).toHaveLength(0);
    // That consumer died: once its lease is over, the copy sends it.
    await env.DB.prepare("UPDATE alert_deliveries SET lease_until = ? WHERE id = ?")
      .bind(Date.now() - 1, id)
      .run();
    expect(await consume(messages, 2)).toEqual({ acked: 1, retries: [] });
    expect(await receivedBy(key)).toHaveLength(1);
    expect(await deliveryRow(id)).toMatchObject({ status: "sent", attempts: 2 });
  });

  it("an evaluate message runs the evaluation; an unreadable message is dropped with a log line", async () => {
    const { projectId } = await seedProject();
    const { ruleId } = await insertRule(projectId, {
      triggers: [{ type: "new_issue" }],
      targets: [{ type: "slack", url: receiverUrl("ok", "slack", receiverKey("evaluate")) }],
    });
    const evaluation = evaluationOf(await digest([envelopeMessage(projectId)]))!;
    expect(await consume([{ kind: "evaluate", ...evaluation }, { kind: "mystery" } as unknown as AlertQueueMessage])).toEqual({
      acked: 2,
      retries: [],
    });
    const row = await env.DB.prepare("SELECT count(*) AS n FROM alert_deliveries WHERE rule_id = ?").bind(ruleId).first<{ n: number }>();
    expect(row?.n).toBe(1);
  });
});
